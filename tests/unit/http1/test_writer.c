/*
 * Response-head writer: exact bytes for each combination of content type,
 * length, keep-alive and extra lines, reason phrases for every status we
 * send, codes without a pre-built line, and appending after earlier bytes.
 */
#include "challenged/http1.h"

#include "check.h"

static void check_head(int status, const char *ct, size_t cl, bool keep_alive,
		       const char *extra, const char *want)
{
	struct buf b;
	buf_init(&b);
	h1_write_head(&b, status, ct, cl, keep_alive, extra);
	CHECK(!b.failed);
	CHECK_MEM_EQ(b.data, b.len, want);
	buf_fini(&b);
}

static void test_exact_bytes(void)
{
	check_head(200, "application/json", 123, true, NULL,
		   "HTTP/1.1 200 OK\r\n"
		   "Content-Type: application/json\r\n"
		   "Content-Length: 123\r\n"
		   "\r\n");
	check_head(404, "application/json", 0, false, "X-A: b\r\nX-C: d\r\n",
		   "HTTP/1.1 404 Not Found\r\n"
		   "Content-Type: application/json\r\n"
		   "Content-Length: 0\r\n"
		   "Connection: close\r\n"
		   "X-A: b\r\nX-C: d\r\n"
		   "\r\n");
	check_head(500, NULL, 18446744073709551615ULL, true, "",
		   "HTTP/1.1 500 Internal Server Error\r\n"
		   "Content-Length: 18446744073709551615\r\n"
		   "\r\n");
	check_head(204, "text/plain", 99, false, NULL,
		   "HTTP/1.1 204 No Content\r\n"
		   "Content-Type: text/plain\r\n"
		   "Connection: close\r\n"
		   "\r\n");
	check_head(100, NULL, 0, true, NULL, "HTTP/1.1 100 Continue\r\n\r\n");
	check_head(431, NULL, 0, false, NULL,
		   "HTTP/1.1 431 Request Header Fields Too Large\r\n"
		   "Content-Length: 0\r\n"
		   "Connection: close\r\n"
		   "\r\n");
	check_head(201, "", 7, true, NULL,
		   "HTTP/1.1 201 Created\r\n"
		   "Content-Type: \r\n"
		   "Content-Length: 7\r\n"
		   "\r\n");
}

static void test_unlisted_codes(void)
{
	check_head(299, NULL, 1, true, NULL,
		   "HTTP/1.1 299 Unknown\r\nContent-Length: 1\r\n\r\n");
	check_head(999, NULL, 1, true, NULL,
		   "HTTP/1.1 999 Unknown\r\nContent-Length: 1\r\n\r\n");
	check_head(42, NULL, 1, true, NULL,
		   "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1\r\n\r\n");
	check_head(-1, NULL, 1, true, NULL,
		   "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1\r\n\r\n");
	check_head(1000, NULL, 1, true, NULL,
		   "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1\r\n\r\n");
}

static void test_reasons(void)
{
	static const struct {
		int status;
		const char *reason;
	} want[] = {
		{ 200, "OK" },
		{ 201, "Created" },
		{ 204, "No Content" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 411, "Length Required" },
		{ 413, "Request Entity Too Large" },
		{ 414, "Request URI Too Long" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 499, "Client Closed Request" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		CHECK_STR_EQ(h1_reason(want[i].status), want[i].reason);
		/* The pre-built status line says the same as h1_reason. */
		char line[128];
		snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", want[i].status,
			 want[i].reason);
		struct buf b;
		buf_init(&b);
		h1_write_head(&b, want[i].status, NULL, 0, true, NULL);
		CHECK(b.len > strlen(line));
		CHECK_MEM_EQ(b.data, strlen(line), line);
		buf_fini(&b);
	}
	CHECK_STR_EQ(h1_reason(302), "Unknown");
	CHECK_STR_EQ(h1_reason(0), "Unknown");
}

static void test_appends(void)
{
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "previous");
	h1_write_head(&b, 200, NULL, 2, true, NULL);
	buf_append_str(&b, "{}");
	CHECK_MEM_EQ(b.data, b.len,
		     "previousHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");

	/* A failed buffer stays failed and unchanged. */
	b.failed = true;
	size_t len = b.len;
	h1_write_head(&b, 200, NULL, 2, true, NULL);
	CHECK_INT_EQ(b.len, len);
	buf_fini(&b);

	/* Many heads into one buffer: growth keeps earlier bytes. */
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		h1_write_head(&b, 200, "application/json", (size_t)i, true, NULL);
	CHECK(!b.failed);
	const char *first = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n";
	CHECK_MEM_EQ(b.data, strlen(first), first);
	buf_fini(&b);
}

int main(void)
{
	test_exact_bytes();
	test_unlisted_codes();
	test_reasons();
	test_appends();
	return 0;
}
