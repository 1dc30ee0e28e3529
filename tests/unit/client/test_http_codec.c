/*
 * Outbound HTTP/1.1 codec: every response is fed whole, a byte at a time,
 * in 2, 3 and 7 byte reads and cut once at every offset, and must give the
 * same status, flags, body and consumed count each way. Each read goes
 * through an exactly-sized heap block so ASan catches reads past it. Then
 * the request writer's exact bytes.
 */
#include "http_codec.h"

#include <errno.h>
#include <stdlib.h>

#include "check.h"

#define MAX_HEAD 1024
#define MAX_BODY 4096

struct outcome {
	ssize_t rc;       /* total consumed, or the error */
	bool done;
	int status;
	bool keep_alive;
	bool started;
	char body[MAX_BODY + 1];
	size_t body_len;
	const char *why;
};

struct opts {
	size_t max_head, max_body;
	bool head_request;
	bool eof;         /* the peer closes after the last byte */
};

static const struct opts DEFAULTS = { MAX_HEAD, MAX_BODY, false, false };

/* Feeds s[0..len) in reads ending at cuts[0..ncuts) and then at len. */
static struct outcome run(const char *s, size_t len, const size_t *cuts, size_t ncuts,
			  struct opts o)
{
	struct outcome out = { 0 };
	struct client_response r;
	size_t from = 0, used = 0;

	client_response_init(&r, o.max_head, o.max_body);
	r.head_request = o.head_request;
	for (size_t i = 0; i <= ncuts && !out.done; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		char *piece = malloc(to - from ? to - from : 1);
		CHECK(piece);
		memcpy(piece, s + from, to - from);
		ssize_t rc = client_response_feed(&r, piece, to - from, &out.done, &out.why);
		free(piece);
		if (rc < 0) {
			CHECK(out.why != NULL);
			CHECK(!out.done);
			out.rc = rc;
			goto end;
		}
		CHECK((size_t)rc <= to - from);
		/* Short only when the response ended inside this read. */
		CHECK((size_t)rc == to - from || out.done);
		used += (size_t)rc;
		from = to;
	}
	out.rc = (ssize_t)used;
	if (!out.done && o.eof) {
		int rc = client_response_eof(&r, &out.why);
		if (rc < 0)
			out.rc = rc;
		else
			out.done = true;
	}
end:
	out.status = r.status;
	out.keep_alive = r.keep_alive;
	out.started = r.started;
	CHECK(r.body.len <= MAX_BODY);
	memcpy(out.body, r.body.data ? r.body.data : "", r.body.len);
	out.body_len = r.body.len;
	client_response_fini(&r);
	return out;
}

static void same(const struct outcome *a, const struct outcome *b)
{
	CHECK_INT_EQ(a->rc, b->rc);
	CHECK_INT_EQ(a->done, b->done);
	if (a->rc < 0) {
		CHECK_STR_EQ(a->why, b->why);
		return;
	}
	CHECK_INT_EQ(a->status, b->status);
	CHECK_INT_EQ(a->keep_alive, b->keep_alive);
	CHECK_MEM_EQ(a->body, a->body_len, b->body);
}

/* Result of s fed whole, after checking every other way of feeding it agrees. */
static struct outcome parse_opts(const char *s, struct opts o)
{
	size_t len = strlen(s);
	struct outcome whole = run(s, len, NULL, 0, o);
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	static const size_t steps[] = { 1, 2, 3, 7 };

	CHECK(cuts);
	whole.body[whole.body_len] = '\0';
	for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
		size_t n = 0;
		for (size_t at = steps[k]; at < len; at += steps[k])
			cuts[n++] = at;
		struct outcome split = run(s, len, cuts, n, o);
		same(&split, &whole);
	}
	for (size_t at = 0; at <= len; at++) {
		cuts[0] = at;
		struct outcome split = run(s, len, cuts, 1, o);
		same(&split, &whole);
	}
	free(cuts);
	return whole;
}

static struct outcome parse(const char *s)
{
	return parse_opts(s, DEFAULTS);
}

static struct outcome parse_eof(const char *s)
{
	struct opts o = DEFAULTS;
	o.eof = true;
	return parse_opts(s, o);
}

static void expect_ok(const char *s, int status, bool keep_alive, const char *body)
{
	struct outcome o = parse(s);
	CHECK_INT_EQ(o.rc, strlen(s));
	CHECK(o.done);
	CHECK_INT_EQ(o.status, status);
	CHECK_INT_EQ(o.keep_alive, keep_alive);
	CHECK_MEM_EQ(o.body, o.body_len, body);
}

static void expect_err(const char *s, int err)
{
	struct outcome o = parse(s);
	if (o.rc != err)
		fprintf(stderr, "input: %s\n", s);
	CHECK_INT_EQ(o.rc, err);
}

static void test_framings(void)
{
	expect_ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
		  200, true, "hello");
	expect_ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, true, "");
	expect_ok("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
		  200, true, "abc");
	expect_ok("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "5;name=value;x\r\nhello\r\n6 \r\n world\r\nA\r\n0123456789\r\n"
		  "0\r\nX-Trailer: 1\r\nOther: two\r\n\r\n",
		  201, true, "hello world0123456789");
	expect_ok("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n0\r\n\r\n",
		  200, true, "");
	expect_ok("HTTP/1.1 204 No Content\r\nX-Request-Id: 7\r\n\r\n", 204, true, "");
	expect_ok("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, true, "");
	/* Interim responses are skipped, however many and with headers. */
	expect_ok("HTTP/1.1 100 Continue\r\n\r\n"
		  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, true, "ok");
	expect_ok("HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
		  "HTTP/1.1 100 Continue\r\n\r\n"
		  "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx", 404, true, "x");
	/* Bare LF in the head, as Go's client takes it; empty reason phrase. */
	expect_ok("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, true, "ok");
	expect_ok("HTTP/1.1 500\r\nContent-Length: 1\r\n\r\n!", 500, true, "!");
	expect_ok("HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\nX: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n",
		  200, true, "");

	/* Close-delimited: complete only at EOF, never kept alive. */
	const char *eof = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close";
	struct outcome o = parse(eof);
	CHECK_INT_EQ(o.rc, strlen(eof));
	CHECK(!o.done);
	o = parse_eof(eof);
	CHECK_INT_EQ(o.rc, strlen(eof));
	CHECK(o.done);
	CHECK(!o.keep_alive);
	CHECK_MEM_EQ(o.body, o.body_len, "until close");
	o = parse_eof("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n");
	CHECK(o.done);
	CHECK(!o.keep_alive);
	CHECK_INT_EQ(o.body_len, 0);

	/* A response to HEAD announces a length it does not send. */
	struct opts head = DEFAULTS;
	head.head_request = true;
	const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
	o = parse_opts(h, head);
	CHECK(o.done);
	CHECK_INT_EQ(o.rc, strlen(h));
	CHECK_INT_EQ(o.body_len, 0);
}

static void test_keep_alive(void)
{
	expect_ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, true, "");
	expect_ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
		  200, false, "");
	expect_ok("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n",
		  200, false, "");
	expect_ok("HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n",
		  200, true, "");
	expect_ok("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na", 200, false, "a");
	expect_ok("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\nContent-Length: 1\r\n\r\na",
		  200, true, "a");
	expect_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
		  200, false, "");
}

static void test_pipelined(void)
{
	const char *first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
	const char *second = "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "3\r\ntwo\r\n0\r\n\r\n";
	char both[256];
	snprintf(both, sizeof(both), "%s%s", first, second);

	/* Every split leaves the second response unconsumed. */
	struct outcome o = parse(both);
	CHECK_INT_EQ(o.rc, strlen(first));
	CHECK_MEM_EQ(o.body, o.body_len, "one");

	struct client_response r;
	bool done = false;
	const char *why = NULL;
	client_response_init(&r, MAX_HEAD, MAX_BODY);
	ssize_t n = client_response_feed(&r, both, strlen(both), &done, &why);
	CHECK_INT_EQ(n, strlen(first));
	CHECK(done);
	/* Once done nothing more is taken, and done stays set. */
	CHECK_INT_EQ(client_response_feed(&r, both + n, 5, &done, &why), 0);
	CHECK(done);
	CHECK_INT_EQ(client_response_eof(&r, &why), 0);
	struct str v;
	CHECK(client_response_header(&r, "content-length", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "3");
	CHECK(!client_response_header(&r, "Transfer-Encoding", &v));

	const char *body_before = r.body.data;
	client_response_reset(&r);
	CHECK_INT_EQ(r.status, 0);
	CHECK_INT_EQ(r.body.len, 0);
	CHECK(!r.started);
	CHECK(r.body.data == body_before);
	CHECK(!client_response_header(&r, "content-length", &v));
	ssize_t m = client_response_feed(&r, both + n, strlen(both) - (size_t)n, &done, &why);
	CHECK_INT_EQ(m, strlen(second));
	CHECK(done);
	CHECK_INT_EQ(r.status, 202);
	CHECK_MEM_EQ(r.body.data, r.body.len, "two");
	client_response_fini(&r);
}

static void test_headers(void)
{
	struct client_response r;
	bool done;
	const char *why = NULL;
	const char *s = "HTTP/1.1 100 Continue\r\nRetry-After: 9\r\n\r\n"
			"HTTP/1.1 429 Too Many Requests\r\nRetry-After:  3 \t\r\n"
			"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

	client_response_init(&r, MAX_HEAD, MAX_BODY);
	struct str v;
	CHECK_INT_EQ(client_response_feed(&r, s, 30, &done, &why), 30);
	CHECK(!client_response_header(&r, "retry-after", &v));
	CHECK_INT_EQ(client_response_feed(&r, s + 30, strlen(s) - 30, &done, &why),
		     strlen(s) - 30);
	CHECK(done);
	CHECK(client_response_header(&r, "retry-after", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "3");
	CHECK(client_response_header(&r, "CONTENT-TYPE", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "application/json");
	CHECK(!client_response_header(&r, "Content", &v));
	client_response_fini(&r);
}

static void test_limits(void)
{
	struct opts o = DEFAULTS;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	size_t head = strlen(s) - 2;

	o.max_head = head;
	struct outcome out = parse_opts(s, o);
	CHECK(out.done);
	o.max_head = head - 1;
	out = parse_opts(s, o);
	CHECK_INT_EQ(out.rc, -EMSGSIZE);
	CHECK_STR_EQ(out.why, "response head larger than limit");
	/* An endless head fails at the limit, not at its end. */
	out = parse_opts("HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", o);
	CHECK_INT_EQ(out.rc, -EMSGSIZE);

	o = DEFAULTS;
	o.max_body = 2;
	CHECK(parse_opts(s, o).done);
	o.max_body = 1;
	CHECK_INT_EQ(parse_opts(s, o).rc, -EMSGSIZE);
	o.max_body = 4;
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
	CHECK(parse_opts(chunked, o).done);
	o.max_body = 3;
	CHECK_INT_EQ(parse_opts(chunked, o).rc, -EMSGSIZE);
	o.eof = true;
	const char *eof = "HTTP/1.1 200 OK\r\n\r\nabc";
	CHECK(parse_opts(eof, o).done);
	o.max_body = 2;
	CHECK_INT_EQ(parse_opts(eof, o).rc, -EMSGSIZE);
	/* A huge announced length fails at the head. */
	CHECK_INT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n").rc,
		     -EMSGSIZE);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.2 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 099 Low\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\rX\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
		"HTTP/1.1 100 Continue\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1,\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;\x01\r\na\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: \x01\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_err(bad[i], -EPROTO);
	CHECK_STR_EQ(parse(bad[20]).why, "invalid or conflicting Content-Length");

	/* Errors stick: later feeds and EOF repeat them. */
	struct client_response r;
	bool done;
	const char *why = NULL;
	client_response_init(&r, MAX_HEAD, MAX_BODY);
	CHECK_INT_EQ(client_response_feed(&r, "HTTP/9", 6, &done, &why), 6);
	CHECK_INT_EQ(client_response_feed(&r, "\r\n", 2, &done, &why), -EPROTO);
	why = NULL;
	CHECK_INT_EQ(client_response_feed(&r, "\r\n", 2, &done, &why), -EPROTO);
	CHECK_STR_EQ(why, "malformed status line");
	CHECK_INT_EQ(client_response_eof(&r, &why), -EPROTO);
	client_response_reset(&r);
	CHECK_INT_EQ(client_response_feed(&r, "HTTP/1.1 204 No\r\n\r\n", 19, &done, &why), 19);
	CHECK(done);
	client_response_fini(&r);
}

static void test_truncated(void)
{
	static const char *const cut[] = {
		"HTTP/1.1 200 OK\r\nContent-Le",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(cut); i++) {
		struct outcome o = parse_eof(cut[i]);
		CHECK_INT_EQ(o.rc, -EPIPE);
		CHECK_STR_EQ(o.why, "connection closed before the response was complete");
		CHECK(o.started);
	}
	struct outcome o = parse_eof("");
	CHECK_INT_EQ(o.rc, -EPIPE);
	CHECK(!o.started);
}

static void check_request(const char *method, const char *path, const char *const *headers,
			  const char *body, size_t body_len, const char *want)
{
	struct buf out;
	buf_init(&out);
	buf_append_str(&out, "prev|");
	CHECK_INT_EQ(client_request_write(&out, method, "api.example.com", path, headers,
					  body, body_len), 0);
	CHECK_MEM_EQ(out.data, out.len, want);
	buf_fini(&out);
}

static void test_request(void)
{
	static const char *const hdrs[] = {
		"Authorization: Bearer abc", "Accept: application/json", NULL,
	};

	check_request("GET", "/iam/v3/oauth/jwks", NULL, NULL, 0,
		      "prev|GET /iam/v3/oauth/jwks HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
	check_request("GET", "/a?b=c", hdrs, NULL, 0,
		      "prev|GET /a?b=c HTTP/1.1\r\nHost: api.example.com\r\n"
		      "Authorization: Bearer abc\r\nAccept: application/json\r\n\r\n");
	check_request("POST", "/token", hdrs, "grant_type=x", 12,
		      "prev|POST /token HTTP/1.1\r\nHost: api.example.com\r\n"
		      "Authorization: Bearer abc\r\nAccept: application/json\r\n"
		      "Content-Length: 12\r\n\r\ngrant_type=x");
	check_request("PUT", "/p", NULL, NULL, 0,
		      "prev|PUT /p HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\n\r\n");
	check_request("DELETE", "/d", NULL, "", 0,
		      "prev|DELETE /d HTTP/1.1\r\nHost: api.example.com\r\n"
		      "Content-Length: 0\r\n\r\n");
	/* Bodies may hold any byte. */
	static const char want[] = "POST /b HTTP/1.1\r\nHost: h:8080\r\n"
				   "Content-Length: 4\r\n\r\na\0\r\n";
	struct buf out;
	buf_init(&out);
	CHECK_INT_EQ(client_request_write(&out, "POST", "h:8080", "/b", NULL, "a\0\r\n", 4), 0);
	CHECK_INT_EQ(out.len, sizeof(want) - 1);
	CHECK(memcmp(out.data, want, out.len) == 0);
	buf_reset(&out);

	/* No header injection: nothing appended. */
	static const char *const evil[] = { "X: a\r\nEvil: 1", NULL };
	CHECK_INT_EQ(client_request_write(&out, "GET", "h", "/", evil, NULL, 0), -EINVAL);
	CHECK_INT_EQ(client_request_write(&out, "GET", "h", "/a b", NULL, NULL, 0), -EINVAL);
	CHECK_INT_EQ(client_request_write(&out, "GET", "h\r\n", "/", NULL, NULL, 0), -EINVAL);
	CHECK_INT_EQ(client_request_write(&out, "", "h", "/", NULL, NULL, 0), -EINVAL);
	static const char *const empty[] = { "", NULL };
	static const char *const nameless[] = { ": v", NULL };
	static const char *const spaced[] = { "X Y: v", NULL };
	CHECK_INT_EQ(client_request_write(&out, "GET", "h", "/", empty, NULL, 0), -EINVAL);
	CHECK_INT_EQ(client_request_write(&out, "GET", "h", "/", nameless, NULL, 0), -EINVAL);
	CHECK_INT_EQ(client_request_write(&out, "GET", "h", "/", spaced, NULL, 0), -EINVAL);
	CHECK_INT_EQ(out.len, 0);
	out.failed = true;
	CHECK_INT_EQ(client_request_write(&out, "GET", "h", "/", NULL, NULL, 0), -ENOMEM);
	buf_fini(&out);
}

int main(void)
{
	test_framings();
	test_keep_alive();
	test_pipelined();
	test_headers();
	test_limits();
	test_malformed();
	test_truncated();
	test_request();
	return 0;
}
