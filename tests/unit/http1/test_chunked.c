/*
 * Chunked-body decoder: whole bodies, every split into two and three reads,
 * byte-at-a-time feeding, extensions, trailers, pipelined leftovers, size
 * overflow, the body limit and each framing error. Every feed goes through
 * an exactly-sized heap block so ASan catches any access past *len.
 */
#include "challenged/http1.h"

#include <errno.h>

#include "check.h"

#define MAX_BODY H1_DEFAULT_MAX_BODY

/*
 * Feeds s[0..len) in reads cut at cuts[0..ncuts), the way a connection
 * would: the decoded body stays at the front, each read lands after it.
 * Returns the final decoder result; body and leftover are NUL-terminated.
 */
struct outcome {
	ssize_t rc;
	char body[512];
	size_t body_len;
	char rest[128];
	size_t rest_from; /* offset in the input of the first left-over byte */
	const char *why;
};

static struct outcome feed(const char *s, size_t len, const size_t *cuts,
			   size_t ncuts, uint64_t max_body)
{
	struct outcome o = { 0 };
	struct h1_chunked d;
	h1_chunked_init(&d);
	char *buf = malloc(len ? len : 1);
	CHECK(buf);
	size_t have = 0, from = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		/* Exactly the new bytes are readable past the decoded body. */
		char *piece = malloc(to - from ? to - from : 1);
		CHECK(piece);
		memcpy(piece, s + from, to - from);
		size_t n = to - from;
		o.rc = h1_chunked_decode(&d, piece, &n, max_body, &o.why);
		CHECK(n <= to - from);
		memcpy(buf + have, piece, n);
		have += n;
		if (o.rc >= 0) {
			CHECK((size_t)o.rc <= to - from - n);
			CHECK((size_t)o.rc < sizeof(o.rest));
			memcpy(o.rest, piece + n, (size_t)o.rc);
			o.rest[o.rc] = 0;
			o.rest_from = to - (size_t)o.rc;
			free(piece);
			break;
		}
		free(piece);
		if (o.rc != -EAGAIN)
			break;
		from = to;
	}
	CHECK(have < sizeof(o.body));
	memcpy(o.body, buf, have);
	o.body_len = have;
	free(buf);
	return o;
}

static struct outcome decode(const char *s, uint64_t max_body)
{
	return feed(s, strlen(s), NULL, 0, max_body);
}

/* Whole, every 2-way and 3-way split and byte at a time agree. */
static void check_splits(const char *s, const char *body, const char *rest)
{
	size_t len = strlen(s);
	struct outcome whole = decode(s, MAX_BODY);
	CHECK_INT_EQ(whole.rc, strlen(rest));
	CHECK_MEM_EQ(whole.body, whole.body_len, body);
	CHECK_STR_EQ(whole.rest, rest);

	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			size_t cuts[2] = { i, j };
			struct outcome o = feed(s, len, cuts, 2, MAX_BODY);
			CHECK_MEM_EQ(o.body, o.body_len, body);
			/*
			 * Left over: what the read that ended the body held
			 * past its end (later reads were never fed).
			 */
			CHECK(o.rc >= 0);
			CHECK_INT_EQ(o.rest_from, len - strlen(rest));
			CHECK(strncmp(o.rest, rest, (size_t)o.rc) == 0);
		}
	}
	size_t cuts[512];
	CHECK(len < ARRAY_SIZE(cuts));
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	struct outcome o = feed(s, len, cuts, len - 1, MAX_BODY);
	CHECK_INT_EQ(o.rc, 0);
	CHECK_MEM_EQ(o.body, o.body_len, body);
}

static void test_simple(void)
{
	check_splits("5\r\nhello\r\n0\r\n\r\n", "hello", "");
	check_splits("0\r\n\r\n", "", "");
	check_splits("1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n", "abcdef", "");
	check_splits("a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n",
		     "0123456789abcdefghij", "");
	check_splits("000005\r\nhello\r\n00\r\n\r\n", "hello", "");
	check_splits("1f\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
		     "0123456789012345678901234567890", "");
}

static void test_extensions_and_trailers(void)
{
	check_splits("5;foo=bar\r\nhello\r\n6 ; x=\"q y\"\r\n world\r\n0;last\r\n\r\n",
		     "hello world", "");
	check_splits("5\t;a\r\nhello\r\n0 \r\n\r\n", "hello", "");
	check_splits("2\r\n{}\r\n0\r\nX-Trailer: 1\r\nY:\t2\r\n\r\n", "{}", "");
	check_splits("3;ext=\xff\r\nabc\r\n0\r\nT: \x80\r\n\r\n", "abc", "");
}

static void test_pipelined_leftover(void)
{
	check_splits("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", "abc",
		     "GET / HTTP/1.1\r\n\r\n");
	check_splits("0\r\nT: 1\r\n\r\nX", "", "X");

	/* The leftover is moved to directly after the payload. */
	char buf[] = "3\r\nabc\r\n0\r\n\r\nNEXT";
	struct h1_chunked d;
	h1_chunked_init(&d);
	size_t n = strlen(buf);
	const char *why = NULL;
	CHECK_INT_EQ(h1_chunked_decode(&d, buf, &n, MAX_BODY, &why), 4);
	CHECK_INT_EQ(n, 3);
	CHECK_MEM_EQ(buf, 7, "abcNEXT");

	/* Once done, every later byte is left over and nothing is decoded. */
	char more[] = "abc";
	n = 3;
	CHECK_INT_EQ(h1_chunked_decode(&d, more, &n, MAX_BODY, &why), 3);
	CHECK_INT_EQ(n, 0);
	n = 0;
	CHECK_INT_EQ(h1_chunked_decode(&d, more, &n, MAX_BODY, &why), 0);
}

static void check_bad(const char *s, ssize_t err)
{
	size_t len = strlen(s);
	struct outcome o = decode(s, MAX_BODY);
	if (o.rc != err)
		fprintf(stderr, "input: \"%s\" why: %s\n", s, o.why ? o.why : "-");
	CHECK_INT_EQ(o.rc, err);
	CHECK(o.why != NULL);
	/* Split anywhere, the same error comes out (possibly later). */
	for (size_t i = 0; i <= len; i++) {
		size_t cut = i;
		o = feed(s, len, &cut, 1, MAX_BODY);
		CHECK_INT_EQ(o.rc, err);
	}
}

static void test_malformed(void)
{
	check_bad("\r\n", -EBADMSG);
	check_bad("x\r\n", -EBADMSG);
	check_bad(";ext\r\n", -EBADMSG);
	check_bad(" 5\r\nhello\r\n0\r\n\r\n", -EBADMSG);
	check_bad("-5\r\n", -EBADMSG);
	check_bad("5x\r\nhello\r\n", -EBADMSG);
	check_bad("5 x\r\nhello\r\n", -EBADMSG);
	check_bad("5\nhello\r\n0\r\n\r\n", -EBADMSG);
	check_bad("5\r\rhello\r\n", -EBADMSG);
	check_bad("5\r\nhelloX\r\n0\r\n\r\n", -EBADMSG);
	check_bad("5\r\nhello\n0\r\n\r\n", -EBADMSG);
	check_bad("5\r\nhello\r0\r\n\r\n", -EBADMSG);
	check_bad("5;a\nb\r\nhello\r\n", -EBADMSG);
	check_bad("5;a\x01\r\nhello\r\n", -EBADMSG);
	check_bad("5;a\x7f\r\nhello\r\n", -EBADMSG);
	check_bad("0\r\nT: 1\n\r\n", -EBADMSG);
	check_bad("0\r\nT: \x01\r\n\r\n", -EBADMSG);
	check_bad("0\r\n\n", -EBADMSG);
	check_bad("0\r\n\rX", -EBADMSG);
	check_bad("0\r\nT: 1\r\r\n", -EBADMSG);
	check_bad("0\r\n\x01\r\n", -EBADMSG);
}

static void test_size_overflow(void)
{
	/* 16 hex digits fit (and are over the limit); 2^64 does not fit. */
	check_bad("FFFFFFFFFFFFFFFF\r\n", -EFBIG);
	check_bad("10000000000000000\r\n", -EBADMSG);
	check_bad("fffffffffffffffff\r\n", -EBADMSG);
	/* Leading zeros do not count towards overflow. */
	check_splits("00000000000000000000001\r\nx\r\n0\r\n\r\n", "x", "");
}

static void test_body_limit(void)
{
	struct outcome o = decode("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10);
	CHECK_INT_EQ(o.rc, 0);
	CHECK_MEM_EQ(o.body, o.body_len, "helloworld");
	/* Refused at the size line, before the payload arrives. */
	o = decode("5\r\nhello\r\n6\r\n", 10);
	CHECK_INT_EQ(o.rc, -EFBIG);
	CHECK_MEM_EQ(o.body, o.body_len, "hello");
	o = decode("b\r\n", 10);
	CHECK_INT_EQ(o.rc, -EFBIG);
	o = decode("a\r\n0123456789\r\n0\r\n\r\n", 10);
	CHECK_INT_EQ(o.rc, 0);
	o = decode("1\r\n", 0);
	CHECK_INT_EQ(o.rc, -EFBIG);
	o = decode("0\r\n\r\n", 0);
	CHECK_INT_EQ(o.rc, 0);
}

static void test_line_limits(void)
{
	size_t n = H1_CHUNK_LINE_MAX + 16;
	char *s = malloc(n + 1);
	CHECK(s);
	/* A size line of exactly the limit (CRLF included) passes. */
	memset(s, 'e', n);
	memcpy(s, "1;", 2);
	memcpy(s + H1_CHUNK_LINE_MAX - 2, "\r\nx\r\n0\r\n\r\n", 11);
	struct outcome o = decode(s, MAX_BODY);
	CHECK_INT_EQ(o.rc, 0);
	CHECK_MEM_EQ(o.body, o.body_len, "x");
	memset(s, 'e', n);
	memcpy(s, "1;", 2);
	memcpy(s + H1_CHUNK_LINE_MAX - 1, "\r\nx\r\n0\r\n\r\n", 11);
	o = decode(s, MAX_BODY);
	CHECK_INT_EQ(o.rc, -EBADMSG);
	free(s);

	n = H1_CHUNK_TRAILER_MAX + 16;
	s = malloc(n + 1);
	CHECK(s);
	/* "0\r\n" then trailers: the section after the size line is capped. */
	memset(s, 't', n);
	memcpy(s, "0\r\nT: ", 6);
	memcpy(s + 3 + H1_CHUNK_TRAILER_MAX - 4, "\r\n\r\n", 5);
	o = decode(s, MAX_BODY);
	CHECK_INT_EQ(o.rc, 0);
	memset(s, 't', n);
	memcpy(s, "0\r\nT: ", 6);
	memcpy(s + 3 + H1_CHUNK_TRAILER_MAX - 3, "\r\n\r\n", 5);
	o = decode(s, MAX_BODY);
	CHECK_INT_EQ(o.rc, -EBADMSG);
	free(s);
}

static void test_errors_are_sticky(void)
{
	struct h1_chunked d;
	h1_chunked_init(&d);
	char a[] = "z\r\n", b[] = "0\r\n\r\n";
	size_t n = 3;
	const char *why = NULL;
	CHECK_INT_EQ(h1_chunked_decode(&d, a, &n, MAX_BODY, &why), -EBADMSG);
	why = NULL;
	n = 5;
	CHECK_INT_EQ(h1_chunked_decode(&d, b, &n, MAX_BODY, &why), -EBADMSG);
	CHECK(why != NULL);
	CHECK_INT_EQ(n, 0);

	h1_chunked_init(&d);
	char c[] = "9\r\n";
	n = 3;
	CHECK_INT_EQ(h1_chunked_decode(&d, c, &n, 8, &why), -EFBIG);
	n = 5;
	CHECK_INT_EQ(h1_chunked_decode(&d, b, &n, 8, &why), -EFBIG);

	/* An empty feed before the end needs more and decodes nothing. */
	h1_chunked_init(&d);
	n = 0;
	CHECK_INT_EQ(h1_chunked_decode(&d, b, &n, 8, &why), -EAGAIN);
	CHECK_INT_EQ(n, 0);
}

int main(void)
{
	test_simple();
	test_extensions_and_trailers();
	test_pipelined_leftover();
	test_malformed();
	test_size_overflow();
	test_body_limit();
	test_line_limits();
	test_errors_are_sticky();
	return 0;
}
