/*
 * Response heads: reason phrases and the head writer. On the hot path, so
 * status lines are pre-built literals copied with memcpy and the length is
 * formatted by hand; no printf. Pure apart from the caller's buf; any shard.
 */
#include "challenged/http1.h"

#include <string.h>

/*
 * Every status we send, in Go net/http's wording (the service we replace);
 * 499 is grpc-gateway's code for a cancelled call, nginx's phrase.
 */
#define H1_STATUSES(X)                                                         \
	X(100, "Continue")                                                     \
	X(200, "OK")                                                           \
	X(201, "Created")                                                      \
	X(204, "No Content")                                                   \
	X(301, "Moved Permanently")                                            \
	X(400, "Bad Request")                                                  \
	X(401, "Unauthorized")                                                 \
	X(403, "Forbidden")                                                    \
	X(404, "Not Found")                                                    \
	X(405, "Method Not Allowed")                                           \
	X(408, "Request Timeout")                                              \
	X(409, "Conflict")                                                     \
	X(411, "Length Required")                                              \
	X(413, "Request Entity Too Large")                                     \
	X(414, "Request URI Too Long")                                         \
	X(417, "Expectation Failed")                                           \
	X(429, "Too Many Requests")                                            \
	X(431, "Request Header Fields Too Large")                              \
	X(499, "Client Closed Request")                                        \
	X(500, "Internal Server Error")                                        \
	X(501, "Not Implemented")                                              \
	X(502, "Bad Gateway")                                                  \
	X(503, "Service Unavailable")                                          \
	X(504, "Gateway Timeout")                                              \
	X(505, "HTTP Version Not Supported")

const char *h1_reason(int status)
{
	switch (status) {
#define REASON_CASE(code, text) case code: return text;
		H1_STATUSES(REASON_CASE)
#undef REASON_CASE
	default:
		return "Unknown";
	}
}

/* The pre-built "HTTP/1.1 200 OK\r\n", or an empty str for other codes. */
static struct str status_line(int status)
{
	switch (status) {
#define LINE_CASE(code, text) \
	case code: return STR_LIT("HTTP/1.1 " #code " " text "\r\n");
		H1_STATUSES(LINE_CASE)
#undef LINE_CASE
	default:
		return (struct str){ NULL, 0 };
	}
}

/* Decimal digits of v at the end of tmp[20]; returns the first digit. */
static char *format_u64(char tmp[20], uint64_t v)
{
	char *p = tmp + 20;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

static char *put(char *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

#define PUT_LIT(p, lit) put(p, lit, sizeof(lit) - 1)

/* Slow path for a code without a pre-built line: "HTTP/1.1 NNN Unknown". */
static char *put_status_line(char *p, int status)
{
	p = PUT_LIT(p, "HTTP/1.1 ");
	*p++ = (char)('0' + status / 100);
	*p++ = (char)('0' + status / 10 % 10);
	*p++ = (char)('0' + status % 10);
	*p++ = ' ';
	const char *reason = h1_reason(status);
	p = put(p, reason, strlen(reason));
	return PUT_LIT(p, "\r\n");
}

void h1_write_head(struct buf *out, int status, const char *content_type,
		   size_t content_length, bool keep_alive, const char *extra)
{
	if (status < 100 || status > 999)
		status = 500;
	struct str line = status_line(status);
	size_t ct_len = content_type ? strlen(content_type) : 0;
	size_t extra_len = extra ? strlen(extra) : 0;
	/* Upper bound; sizeof counts each literal's NUL, which is slack. */
	size_t max = 64 + sizeof("Content-Type: \r\n") + ct_len +
		     sizeof("Content-Length: \r\n") + 20 +
		     sizeof("Connection: close\r\n") + extra_len + 2;
	char *start = buf_reserve(out, max);
	if (!start)
		return;

	char *p = line.len ? put(start, line.ptr, line.len)
			   : put_status_line(start, status);
	if (content_type) {
		p = PUT_LIT(p, "Content-Type: ");
		p = put(p, content_type, ct_len);
		p = PUT_LIT(p, "\r\n");
	}
	if (status >= 200 && status != 204) {
		char tmp[20];
		char *digits = format_u64(tmp, content_length);
		p = PUT_LIT(p, "Content-Length: ");
		p = put(p, digits, (size_t)(tmp + sizeof(tmp) - digits));
		p = PUT_LIT(p, "\r\n");
	}
	if (!keep_alive)
		p = PUT_LIT(p, "Connection: close\r\n");
	if (extra_len)
		p = put(p, extra, extra_len);
	p = PUT_LIT(p, "\r\n");
	out->len += (size_t)(p - start);
}
