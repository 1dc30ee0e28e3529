/*
 * Request-head parser: every byte split of several requests, every limit at
 * and one past its edge, each malformed shape, and the header and query
 * lookups. Inputs are copied into exactly-sized heap blocks so that ASan
 * catches any read past len.
 */
#include "challenged/http1.h"

#include <errno.h>

#include "check.h"

struct result {
	int rc;
	int status;
	const char *why;
	struct h1_request req;
};

/*
 * Parses a private heap copy of s[0..len), then rebases every string onto s
 * so that results of different calls compare by pointer.
 */
static struct result parse_lim(const char *s, size_t len,
			       const struct h1_limits *lim)
{
	struct result r = { 0 };
	char *copy = malloc(len ? len : 1);
	CHECK(copy);
	memcpy(copy, s, len);
	r.rc = h1_parse_head(copy, len, lim, &r.req, &r.status, &r.why);
	if (r.rc < 0 && r.rc != -EAGAIN) {
		CHECK(r.why != NULL);
		CHECK(r.status >= 400);
	}
	if (r.rc > 0) {
		struct h1_request *q = &r.req;
		struct str *strs[] = { &q->method, &q->target, &q->path, &q->query };
		for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
			strs[i]->ptr = s + (strs[i]->ptr - copy);
		for (unsigned i = 0; i < q->n_headers; i++) {
			q->headers[i].name.ptr = s + (q->headers[i].name.ptr - copy);
			q->headers[i].value.ptr = s + (q->headers[i].value.ptr - copy);
		}
	}
	free(copy);
	return r;
}

static struct result parse(const char *s)
{
	return parse_lim(s, strlen(s), NULL);
}

static void check_fail(const char *s, int status, int err)
{
	struct result r = parse(s);
	if (r.rc != err || r.status != status)
		fprintf(stderr, "input: \"%s\" why: %s\n", s, r.why ? r.why : "-");
	CHECK_INT_EQ(r.rc, err);
	CHECK_INT_EQ(r.status, status);
}

#define CHECK_BAD(s) check_fail(s, 400, -EBADMSG)

static void check_same_str(struct str a, struct str b)
{
	CHECK(a.ptr == b.ptr);
	CHECK_INT_EQ(a.len, b.len);
}

static void check_same_req(const struct h1_request *a, const struct h1_request *b)
{
	check_same_str(a->method, b->method);
	check_same_str(a->target, b->target);
	check_same_str(a->path, b->path);
	check_same_str(a->query, b->query);
	CHECK_INT_EQ(a->minor_version, b->minor_version);
	CHECK_INT_EQ(a->n_headers, b->n_headers);
	for (unsigned i = 0; i < a->n_headers; i++) {
		check_same_str(a->headers[i].name, b->headers[i].name);
		check_same_str(a->headers[i].value, b->headers[i].value);
	}
	CHECK_INT_EQ(a->keep_alive, b->keep_alive);
	CHECK_INT_EQ(a->chunked, b->chunked);
	CHECK_INT_EQ(a->has_content_length, b->has_content_length);
	CHECK_INT_EQ(a->content_length, b->content_length);
	CHECK_INT_EQ(a->expect_continue, b->expect_continue);
}

/*
 * Every prefix shorter than the head is -EAGAIN; every longer one gives the
 * same head length and the same request as the whole input.
 */
static struct result check_every_split(const char *s, size_t len)
{
	struct result whole = parse_lim(s, len, NULL);
	CHECK(whole.rc > 0);
	for (size_t k = 0; k <= len; k++) {
		struct result r = parse_lim(s, k, NULL);
		if (k < (size_t)whole.rc) {
			CHECK_INT_EQ(r.rc, -EAGAIN);
			continue;
		}
		CHECK_INT_EQ(r.rc, whole.rc);
		check_same_req(&r.req, &whole.req);
	}
	return whole;
}

/* A malformed input: prefixes give -EAGAIN until the error, then only it. */
static void check_fail_every_split(const char *s, int status, int err)
{
	size_t len = strlen(s);
	bool failed = false;
	for (size_t k = 0; k <= len; k++) {
		struct result r = parse_lim(s, k, NULL);
		if (r.rc == -EAGAIN && !failed)
			continue;
		failed = true;
		CHECK_INT_EQ(r.rc, err);
		CHECK_INT_EQ(r.status, status);
	}
	CHECK(failed);
}

static const struct str *header(const struct result *r, const char *name)
{
	return h1_header_get(&r->req, name);
}

static void test_get_with_headers(void)
{
	const char *s = "GET /challenge/v1/challenges?active_only=true HTTP/1.1\r\n"
			"Host: localhost:8000\r\n"
			"User-Agent: k6/0.47\r\n"
			"Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.e30.sig\r\n"
			"x-mock-user-id:  user-1 \t\r\n"
			"Accept: */*\r\n"
			"\r\n";
	struct result r = check_every_split(s, strlen(s));
	CHECK_INT_EQ(r.rc, strlen(s));
	CHECK_MEM_EQ(r.req.method.ptr, r.req.method.len, "GET");
	CHECK_MEM_EQ(r.req.target.ptr, r.req.target.len,
		     "/challenge/v1/challenges?active_only=true");
	CHECK_MEM_EQ(r.req.path.ptr, r.req.path.len, "/challenge/v1/challenges");
	CHECK_MEM_EQ(r.req.query.ptr, r.req.query.len, "active_only=true");
	CHECK_INT_EQ(r.req.minor_version, 1);
	CHECK_INT_EQ(r.req.n_headers, 5);
	CHECK_MEM_EQ(r.req.headers[0].name.ptr, r.req.headers[0].name.len, "Host");
	CHECK_MEM_EQ(r.req.headers[0].value.ptr, r.req.headers[0].value.len,
		     "localhost:8000");
	const struct str *v = header(&r, "X-MOCK-USER-ID");
	CHECK(v);
	CHECK_MEM_EQ(v->ptr, v->len, "user-1");
	v = header(&r, "authorization");
	CHECK(v);
	CHECK_MEM_EQ(v->ptr, v->len,
		     "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.e30.sig");
	CHECK(header(&r, "Content-Length") == NULL);
	CHECK(header(&r, "Hos") == NULL);
	CHECK(r.req.keep_alive);
	CHECK(!r.req.chunked);
	CHECK(!r.req.has_content_length);
	CHECK_INT_EQ(r.req.content_length, 0);
	CHECK(!r.req.expect_continue);
	struct str q;
	CHECK(h1_query_get(r.req.query, "active_only", &q));
	CHECK_MEM_EQ(q.ptr, q.len, "true");
}

static void test_post_content_length(void)
{
	const char *s = "POST /challenge/v1/challenges/initialize HTTP/1.1\r\n"
			"Host: a\r\n"
			"Content-Type: application/json\r\n"
			"Content-Length: 2\r\n"
			"\r\n"
			"{}";
	struct result r = check_every_split(s, strlen(s));
	CHECK_INT_EQ(r.rc, strlen(s) - 2);
	CHECK_MEM_EQ(r.req.method.ptr, r.req.method.len, "POST");
	CHECK(r.req.has_content_length);
	CHECK_INT_EQ(r.req.content_length, 2);
	CHECK(!r.req.chunked);
	CHECK_INT_EQ(r.req.query.len, 0);
}

static void test_chunked_post(void)
{
	const char *s = "PUT /v1/x HTTP/1.1\r\n"
			"Host: a\r\n"
			"Transfer-Encoding: chunked\r\n"
			"Expect: 100-continue\r\n"
			"\r\n"
			"2\r\n{}\r\n0\r\n\r\n";
	struct result r = check_every_split(s, strlen(s));
	CHECK_INT_EQ(r.rc, strlen(s) - strlen("2\r\n{}\r\n0\r\n\r\n"));
	CHECK(r.req.chunked);
	CHECK(!r.req.has_content_length);
	CHECK(r.req.expect_continue);
	CHECK(r.req.keep_alive);
}

/* Two requests back to back: each parses at its own offset, at any split. */
static void test_pipelined_pair(void)
{
	const char *s = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
			"GET /b?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	size_t len = strlen(s);
	struct result first = check_every_split(s, len);
	size_t second_at = (size_t)first.rc + first.req.content_length;
	struct result second = check_every_split(s + second_at, len - second_at);
	CHECK_INT_EQ(second_at + (size_t)second.rc, len);
	CHECK_MEM_EQ(second.req.path.ptr, second.req.path.len, "/b");
	CHECK(!second.req.keep_alive);
	for (size_t k = 0; k <= len; k++) {
		struct result r = parse_lim(s, k, NULL);
		CHECK_INT_EQ(r.rc, k < (size_t)first.rc ? -EAGAIN : first.rc);
		if (k < second_at)
			continue;
		r = parse_lim(s + second_at, k - second_at, NULL);
		CHECK_INT_EQ(r.rc, k < len ? -EAGAIN : second.rc);
	}
}

static void test_bare_lf_and_leading_empty_lines(void)
{
	struct result r = check_every_split("GET / HTTP/1.0\nHost: a\n\n", 24);
	CHECK_INT_EQ(r.rc, 24);
	CHECK_INT_EQ(r.req.minor_version, 0);
	CHECK(!r.req.keep_alive);
	CHECK_INT_EQ(r.req.n_headers, 1);
	CHECK_MEM_EQ(r.req.headers[0].value.ptr, r.req.headers[0].value.len, "a");

	const char *s = "\r\n\nGET / HTTP/1.1\r\nA: b\n\r\n";
	r = check_every_split(s, strlen(s));
	CHECK_INT_EQ(r.rc, strlen(s));
	CHECK_MEM_EQ(r.req.method.ptr, r.req.method.len, "GET");

	check_fail_every_split("GET / HTTP/1.1\rHost: a\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\n\r\r\n", 400, -EBADMSG);
	check_fail_every_split("\r\rGET / HTTP/1.1\r\n\r\n", 400, -EBADMSG);
}

static void test_values_and_names(void)
{
	struct result r = parse("GET / HTTP/1.1\r\n"
				"A:v\r\n"
				"B:\r\n"
				"C: \t \r\n"
				"D: \t in ner \t\r\n"
				"E: tab\there\r\n"
				"F: \x80\xff obs-text\r\n"
				"!#$%&'*+-.^_`|~09az: token\r\n"
				"\r\n");
	CHECK(r.rc > 0);
	CHECK_INT_EQ(r.req.n_headers, 7);
	const char *want[] = { "v", "", "", "in ner", "tab\there",
			       "\x80\xff obs-text", "token" };
	for (unsigned i = 0; i < r.req.n_headers; i++)
		CHECK_MEM_EQ(r.req.headers[i].value.ptr,
			     r.req.headers[i].value.len, want[i]);
	CHECK(header(&r, "!#$%&'*+-.^_`|~09AZ"));

	/* Lower-case and odd token methods are methods like any other. */
	r = parse("get / HTTP/1.1\r\n\r\n");
	CHECK_MEM_EQ(r.req.method.ptr, r.req.method.len, "get");
	r = parse("OPTIONS * HTTP/1.1\r\n\r\n");
	CHECK_MEM_EQ(r.req.path.ptr, r.req.path.len, "*");
	r = parse("GET /a?b?c=d HTTP/1.1\r\n\r\n");
	CHECK_MEM_EQ(r.req.path.ptr, r.req.path.len, "/a");
	CHECK_MEM_EQ(r.req.query.ptr, r.req.query.len, "b?c=d");
	r = parse("GET /a? HTTP/1.1\r\n\r\n");
	CHECK_MEM_EQ(r.req.path.ptr, r.req.path.len, "/a");
	CHECK_INT_EQ(r.req.query.len, 0);
	r = parse("GET /\x80\xff HTTP/1.1\r\n\r\n");
	CHECK_INT_EQ(r.req.target.len, 3);

	/* Duplicate names: lookup returns the first. */
	r = parse("GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
	const struct str *v = header(&r, "x-A");
	CHECK(v);
	CHECK_MEM_EQ(v->ptr, v->len, "1");
}

static void test_malformed(void)
{
	check_fail_every_split(" / HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET  / HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1 \r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GE(T / HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET\t/ HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET /\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / \r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET /\x01 HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET /\x7f HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET /a\tb HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET http://h/ HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET * HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("OPTIONS *x HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET a HTTP/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTX/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / http/1.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.10\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1,1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/x.1\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.x\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\nA : b\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\n: b\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\nA\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\nA(: b\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400, -EBADMSG);
	check_fail_every_split("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 400, -EBADMSG);

	/* Folding has its own sentence, not just "invalid name". */
	struct result r = parse("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n");
	CHECK(r.why && strstr(r.why, "folding"));

	/* NUL bytes: strlen cannot carry them, so lengths are explicit. */
	r = parse_lim("GET /a\0b HTTP/1.1\r\n\r\n", 21, NULL);
	CHECK_INT_EQ(r.rc, -EBADMSG);
	CHECK_INT_EQ(r.status, 400);
	r = parse_lim("GET / HTTP/1.1\r\nA: \0\r\n\r\n", 24, NULL);
	CHECK_INT_EQ(r.rc, -EBADMSG);
	r = parse_lim("GET / HTTP/1.1\r\nA\0: b\r\n\r\n", 25, NULL);
	CHECK_INT_EQ(r.rc, -EBADMSG);
	r = parse_lim("\0GET / HTTP/1.1\r\n\r\n", 19, NULL);
	CHECK_INT_EQ(r.rc, -EBADMSG);
}

/*
 * The word-at-a-time scans: a bad byte at every offset of a long target or
 * value is found, and long clean runs of every length pass.
 */
static void test_long_runs(void)
{
	char s[256];
	for (int bad = 0; bad < 40; bad++) {
		for (int kind = 0; kind < 3; kind++) {
			char run[48];
			memset(run, 'a', sizeof(run));
			run[bad] = kind == 0 ? '\x01' : kind == 1 ? '\x7f' : '\x1f';
			int n = snprintf(s, sizeof(s), "GET /%.*s HTTP/1.1\r\n\r\n",
					 (int)sizeof(run), run);
			CHECK_INT_EQ(parse_lim(s, (size_t)n, NULL).rc, -EBADMSG);
			n = snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nA: x%.*s\r\n\r\n",
				     (int)sizeof(run), run);
			CHECK_INT_EQ(parse_lim(s, (size_t)n, NULL).rc, -EBADMSG);
		}
	}
	for (int n = 0; n < 40; n++) {
		char run[48];
		memset(run, 'b', sizeof(run));
		if (n > 3)
			run[n / 2] = '\t';
		int len = snprintf(s, sizeof(s), "GET /%.*s HTTP/1.1\r\nA: %.*sz\r\n\r\n",
				   n, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
				   n, run);
		struct result r = parse_lim(s, (size_t)len, NULL);
		CHECK_INT_EQ(r.rc, len);
		CHECK_INT_EQ(r.req.target.len, (size_t)n + 1);
		CHECK_INT_EQ(r.req.headers[0].value.len, (size_t)n + 1);
	}
}

static void test_versions_and_keep_alive(void)
{
	struct result r = parse("GET / HTTP/1.1\r\n\r\n");
	CHECK_INT_EQ(r.req.minor_version, 1);
	CHECK(r.req.keep_alive);
	r = parse("GET / HTTP/1.0\r\n\r\n");
	CHECK_INT_EQ(r.req.minor_version, 0);
	CHECK(!r.req.keep_alive);
	check_fail_every_split("GET / HTTP/2.0\r\n\r\n", 505, -EPROTONOSUPPORT);
	check_fail_every_split("GET / HTTP/0.9\r\n\r\n", 505, -EPROTONOSUPPORT);
	check_fail_every_split("GET / HTTP/1.2\r\n\r\n", 505, -EPROTONOSUPPORT);
	check_fail_every_split("GET / HTTP/3.1\r\n\r\n", 505, -EPROTONOSUPPORT);

	static const struct {
		const char *head;
		bool keep_alive;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nConnection: CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nConnection: Keep-Alive, Close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nConnection: upgrade,close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nConnection: x\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nconnection:  Keep-Alive \r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: te\r\n\r\n", false },
		/* Junk after a token is skipped up to the next comma. */
		{ "GET / HTTP/1.0\r\nConnection: keep-alive x;y, te\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nConnection: a=b, close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nConnection: x close\r\n\r\n", true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		r = parse(cases[i].head);
		CHECK(r.rc > 0);
		CHECK_INT_EQ(r.req.keep_alive, cases[i].keep_alive);
	}
}

static void test_expect(void)
{
	CHECK(parse("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").req.expect_continue);
	CHECK(parse("POST / HTTP/1.1\r\nexpect: 100-Continue\r\n\r\n").req.expect_continue);
	CHECK(!parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").req.expect_continue);
	CHECK(!parse("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n").req.expect_continue);
	CHECK(!parse("POST / HTTP/1.1\r\n\r\n").req.expect_continue);
}

static void test_framing(void)
{
	struct result r = parse("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
				"content-length: 5\r\n\r\n");
	CHECK(r.rc > 0);
	CHECK_INT_EQ(r.req.content_length, 5);
	r = parse("POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n");
	CHECK_INT_EQ(r.req.content_length, 7);
	r = parse("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	CHECK(r.req.has_content_length);
	CHECK_INT_EQ(r.req.content_length, 0);
	r = parse("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n");
	CHECK(r.req.chunked);

	check_fail_every_split("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
			       "Content-Length: 6\r\n\r\n", 400, -EBADMSG);
	const char *bad_cl[] = { "", "abc", "1 2", "-1", "+1", "1,1", "1, 1",
				 "0x10", "1.0", "\xb9" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_cl); i++) {
		char s[128];
		snprintf(s, sizeof(s), "POST / HTTP/1.1\r\nContent-Length: %s\r\n\r\n",
			 bad_cl[i]);
		CHECK_BAD(s);
	}
	check_fail_every_split("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			       "Content-Length: 5\r\n\r\n", 400, -EBADMSG);
	CHECK_BAD("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n");
	CHECK_BAD("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
		  "Transfer-Encoding: gzip\r\n\r\n");
	CHECK_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n");
	CHECK_BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
	const char *bad_te[] = { "gzip", "gzip, chunked", "chunked, gzip",
				 "identity", "", "chunked;q=1", "chunkedx" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_te); i++) {
		char s[128];
		snprintf(s, sizeof(s), "POST / HTTP/1.1\r\nTransfer-Encoding: %s\r\n\r\n",
			 bad_te[i]);
		check_fail(s, 501, -ENOTSUP);
	}
}

static void test_head_limit(void)
{
	const struct h1_limits lim = H1_LIMITS_DEFAULT;
	size_t max = lim.max_head;
	CHECK_INT_EQ(max, 16384);
	char *s = malloc(max + 64);
	CHECK(s);

	/* A head of exactly max bytes passes; one more byte is 431. */
	for (size_t extra = 0; extra <= 1; extra++) {
		size_t total = max + extra;
		const char *pre = "GET / HTTP/1.1\r\nX-Pad: ";
		size_t n = strlen(pre);
		memcpy(s, pre, n);
		memset(s + n, 'p', total - n - 4);
		memcpy(s + total - 4, "\r\n\r\n", 4);
		struct result r = parse_lim(s, total, &lim);
		if (extra == 0) {
			CHECK_INT_EQ(r.rc, max);
			CHECK_INT_EQ(r.req.headers[0].value.len, total - n - 4);
		} else {
			CHECK_INT_EQ(r.rc, -EMSGSIZE);
			CHECK_INT_EQ(r.status, 431);
		}
		/* Incomplete but already max bytes long: 431 without waiting. */
		if (extra == 1) {
			CHECK_INT_EQ(parse_lim(s, max, &lim).rc, -EMSGSIZE);
			CHECK_INT_EQ(parse_lim(s, max - 1, &lim).rc, -EAGAIN);
		}
	}

	/* The request line alone over the limit, with no line end in sight. */
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', max + 59);
	struct result r = parse_lim(s, max + 64, &lim);
	CHECK_INT_EQ(r.rc, -EMSGSIZE);
	CHECK_INT_EQ(r.status, 431);
	CHECK_INT_EQ(parse_lim(s, max, &lim).rc, -EMSGSIZE);
	CHECK_INT_EQ(parse_lim(s, max - 1, &lim).rc, -EAGAIN);

	/* Leading empty lines count towards the head too. */
	memset(s, '\n', max);
	CHECK_INT_EQ(parse_lim(s, max, &lim).rc, -EMSGSIZE);

	/* A small custom limit, checked at every length around it. */
	const char *small = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t slen = strlen(small);
	for (size_t m = slen - 3; m <= slen + 2; m++) {
		struct h1_limits l = { m, 10 };
		r = parse_lim(small, slen, &l);
		CHECK_INT_EQ(r.rc, m >= slen ? (int)slen : -EMSGSIZE);
	}
	free(s);
}

static void test_header_count_limit(void)
{
	char s[4096];
	for (unsigned count = H1_MAX_HEADERS - 1; count <= H1_MAX_HEADERS + 1; count++) {
		size_t n = (size_t)snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n");
		for (unsigned i = 0; i < count; i++)
			n += (size_t)snprintf(s + n, sizeof(s) - n, "H%u: %u\r\n", i, i);
		n += (size_t)snprintf(s + n, sizeof(s) - n, "\r\n");
		struct result r = parse_lim(s, n, NULL);
		if (count <= H1_MAX_HEADERS) {
			CHECK_INT_EQ(r.rc, n);
			CHECK_INT_EQ(r.req.n_headers, count);
		} else {
			CHECK_INT_EQ(r.rc, -EMSGSIZE);
			CHECK_INT_EQ(r.status, 431);
		}
	}
}

static void test_body_limit(void)
{
	struct h1_limits lim = H1_LIMITS_DEFAULT;
	CHECK_INT_EQ(lim.max_body, 1048576);
	struct result r = parse("POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n");
	CHECK(r.rc > 0);
	CHECK_INT_EQ(r.req.content_length, 1048576);
	check_fail_every_split("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n",
			       413, -EFBIG);
	check_fail("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
		   413, -EFBIG);
	check_fail("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
		   413, -EFBIG);
	check_fail("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
		   413, -EFBIG);

	const char *s = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
	lim.max_body = 10;
	CHECK(parse_lim(s, strlen(s), &lim).rc > 0);
	lim.max_body = 9;
	CHECK_INT_EQ(parse_lim(s, strlen(s), &lim).rc, -EFBIG);
}

static void test_query_get(void)
{
	struct str v;
	struct str q = STR_LIT("active_only=true&x=1&flag&empty=&a=b=c");
	CHECK(h1_query_get(q, "active_only", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "true");
	CHECK(h1_query_get(q, "x", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "1");
	CHECK(h1_query_get(q, "flag", &v));
	CHECK_INT_EQ(v.len, 0);
	CHECK(h1_query_get(q, "empty", &v));
	CHECK_INT_EQ(v.len, 0);
	CHECK(h1_query_get(q, "a", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "b=c");
	CHECK(!h1_query_get(q, "active", &v));
	CHECK(!h1_query_get(q, "Active_only", &v));
	CHECK(!h1_query_get(q, "true", &v));
	CHECK(!h1_query_get(q, "b", &v));

	CHECK(!h1_query_get(STR_LIT(""), "a", &v));
	CHECK(!h1_query_get((struct str){ NULL, 0 }, "a", &v));
	CHECK(h1_query_get(STR_LIT("&&a=1&"), "a", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "1");
	CHECK(h1_query_get(STR_LIT("a=1&a=2"), "a", &v));
	CHECK_MEM_EQ(v.ptr, v.len, "1");
	CHECK(h1_query_get(STR_LIT("x=1&a"), "a", &v));
	CHECK_INT_EQ(v.len, 0);

	/* The lookup stays inside query even when the bytes after it look valid. */
	const char *raw = "a=1&b=2";
	CHECK(!h1_query_get((struct str){ raw, 4 }, "b", &v));
	CHECK(h1_query_get((struct str){ raw, 2 }, "a", &v));
	CHECK_INT_EQ(v.len, 0);
}

int main(void)
{
	test_get_with_headers();
	test_post_content_length();
	test_chunked_post();
	test_pipelined_pair();
	test_bare_lf_and_leading_empty_lines();
	test_values_and_names();
	test_malformed();
	test_long_runs();
	test_versions_and_keep_alive();
	test_expect();
	test_framing();
	test_head_limit();
	test_header_count_limit();
	test_body_limit();
	test_query_get();
	return 0;
}
