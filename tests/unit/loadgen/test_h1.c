/*
 * Response parser: every framing (length, chunked with extensions and
 * trailers, to close, no body), fed whole and split at every byte, pipelined
 * responses, keep-alive rules, and malformed input.
 */
#include "h1.c"

#include "check.h"

struct outcome {
	int status;
	bool close;
	uint64_t body;
	size_t used;   /* bytes of the input this response took */
};

/* Feeds text in pieces of at most step bytes, keeping unused bytes as a client would. */
static int run(const char *text, size_t len, size_t step, struct outcome *o)
{
	struct lg_h1_resp r;
	char pending[4096];
	size_t have = 0, off = 0;
	const char *why = NULL;

	lg_h1_resp_init(&r);
	while (r.state != LG_H1_DONE) {
		size_t take = len - off < step ? len - off : step;
		int n;

		if (take == 0) {
			if (lg_h1_resp_eof(&r) < 0)
				return -EAGAIN;
			break;
		}
		memcpy(pending + have, text + off, take);
		have += take;
		off += take;
		n = lg_h1_resp_feed(&r, pending, have, &why);
		if (n < 0)
			return n;
		memmove(pending, pending + n, have - (size_t)n);
		have -= (size_t)n;
	}
	o->status = r.status;
	o->close = r.close;
	o->body = r.body_bytes;
	o->used = off - have;
	return 0;
}

static void expect(const char *text, int status, bool close, uint64_t body)
{
	size_t len = strlen(text);

	for (size_t step = 1; step <= len; step++) {
		struct outcome o = { 0 };

		CHECK_INT_EQ(run(text, len, step, &o), 0);
		CHECK_INT_EQ(o.status, status);
		CHECK_INT_EQ(o.close, close);
		CHECK_INT_EQ(o.body, body);
		CHECK_INT_EQ(o.used, len);
	}
}

static void expect_error(const char *text)
{
	struct outcome o;

	CHECK_INT_EQ(run(text, strlen(text), strlen(text), &o), -EPROTO);
}

static void test_framings(void)
{
	expect("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
	       200, false, 5);
	expect("HTTP/1.1 404 Not Found\r\ncontent-length:0\r\n\r\n", 404, false, 0);
	expect("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\n",
	       200, false, 31);
	expect("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n0\r\n\r\n", 200, false, 0);
	expect("HTTP/1.1 204 No Content\r\n\r\n", 204, false, 0);
	expect("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", 304, false, 0);
	expect("HTTP/1.1 409 Conflict\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", 409,
	       true, 2);
	/* Bare LF line ends are tolerated. */
	expect("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, false, 2);
	/* An interim 100 Continue is skipped. */
	expect("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx",
	       201, false, 1);
}

static void test_keep_alive_rules(void)
{
	expect("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, true, 1);
	expect("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", 200,
	       false, 1);
}

static void test_body_to_close(void)
{
	struct outcome o;
	const char *t = "HTTP/1.1 200 OK\r\n\r\nuntil the end";

	CHECK_INT_EQ(run(t, strlen(t), 7, &o), 0);
	CHECK_INT_EQ(o.close, true);
	CHECK_INT_EQ(o.body, 13);
	/* End of stream in the middle of a sized body is an error. */
	t = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
	CHECK_INT_EQ(run(t, strlen(t), 100, &o), -EAGAIN);
}

static void test_pipelined(void)
{
	const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
			"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n";
	struct lg_h1_resp r;
	const char *why;
	size_t len = strlen(t);
	int n, m;

	lg_h1_resp_init(&r);
	n = lg_h1_resp_feed(&r, t, len, &why);
	CHECK_INT_EQ(r.state, LG_H1_DONE);
	CHECK_INT_EQ(r.status, 200);
	CHECK_INT_EQ(n, 41);
	lg_h1_resp_init(&r);
	m = lg_h1_resp_feed(&r, t + n, len - (size_t)n, &why);
	CHECK_INT_EQ(r.state, LG_H1_DONE);
	CHECK_INT_EQ(r.status, 400);
	CHECK_INT_EQ((size_t)(n + m), len);
}

static void test_malformed(void)
{
	expect_error("HTTP/2 200 OK\r\n\r\n");
	expect_error("HTTP/1.1 2x0 OK\r\n\r\n");
	expect_error("HTTP/1.1 600 Nope\r\n\r\n");
	expect_error("HTTP/1.1 200OK\r\n\r\n");
	expect_error("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n");
}

static void test_head_too_large(void)
{
	static char big[LG_H1_HEAD_MAX + 64];
	struct lg_h1_resp r;
	const char *why = NULL;

	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 20);
	lg_h1_resp_init(&r);
	CHECK_INT_EQ(lg_h1_resp_feed(&r, big, sizeof(big), &why), -EPROTO);
	CHECK_STR_EQ(why, "response head too large");
	/* An incomplete head within the limit just waits. */
	lg_h1_resp_init(&r);
	CHECK_INT_EQ(lg_h1_resp_feed(&r, big, 100, &why), 0);
	CHECK_INT_EQ(lg_h1_resp_eof(&r), -EPROTO);
}

int main(void)
{
	test_framings();
	test_keep_alive_rules();
	test_body_to_close();
	test_pipelined();
	test_malformed();
	test_head_too_large();
	return 0;
}
