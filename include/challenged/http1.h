/*
 * HTTP/1.1: a pure request-head parser, a resumable chunked-body decoder and
 * a response-head writer. No I/O and no allocation here: the connection
 * state machine in src/http1/conn.c feeds bytes and sends what is written.
 *
 * The head parser is restartable from the start of the buffer, so a request
 * split at any byte boundary parses exactly as when it arrives whole.
 */
#ifndef CHALLENGED_HTTP1_H
#define CHALLENGED_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "challenged/buf.h"
#include "challenged/common.h"

#define H1_MAX_HEADERS 64
#define H1_DEFAULT_MAX_HEAD (16 * 1024)
#define H1_DEFAULT_MAX_BODY (1024 * 1024)

struct h1_header {
	struct str name;
	struct str value;
};

struct h1_request {
	struct str method;
	struct str target; /* as sent: path plus optional ?query */
	struct str path;   /* target up to '?' (not percent-decoded) */
	struct str query;  /* after '?', without it; empty if none */
	int minor_version; /* 0 or 1 */
	struct h1_header headers[H1_MAX_HEADERS];
	unsigned n_headers;
	bool keep_alive;   /* after Connection header and version rules */
	bool chunked;      /* Transfer-Encoding: chunked */
	bool has_content_length;
	uint64_t content_length;
	bool expect_continue;
};

struct h1_limits {
	size_t max_head;    /* request line + headers + CRLFs; default 16 KiB */
	uint64_t max_body;  /* default 1 MiB */
};

#define H1_LIMITS_DEFAULT \
	((struct h1_limits){ H1_DEFAULT_MAX_HEAD, H1_DEFAULT_MAX_BODY })

/*
 * Parses the request head at buf[0..len). Returns the head's length in bytes
 * (> 0, including the final CRLFCRLF) when complete, -EAGAIN when more bytes
 * are needed (and the limit is not yet exceeded), or another negative errno
 * with *status set to the HTTP status to answer and *why to a static
 * sentence:
 *   -EBADMSG         400 malformed (also TE+CL, bad or conflicting CL)
 *   -EMSGSIZE        431 head longer than max_head (decided as soon as len
 *                    reaches max_head without a complete head), or more
 *                    than H1_MAX_HEADERS fields
 *   -EFBIG           413 Content-Length over max_body
 *   -ENOTSUP         501 Transfer-Encoding other than exactly "chunked"
 *   -EPROTONOSUPPORT 505 version other than HTTP/1.0 and HTTP/1.1
 * lim may be NULL for H1_LIMITS_DEFAULT. Pointers in req point into buf; req
 * is meaningful only on success. Pure: no allocation, any thread.
 *
 * Framing rules worth knowing: lines may end in CRLF or a bare LF (as nginx
 * and Go's net/http accept), a bare CR is 400; empty lines before the
 * request line are skipped (and counted in the head length); obs-fold is
 * 400; Transfer-Encoding in an HTTP/1.0 request is 400 (RFC 9112 6.1);
 * identical repeated Content-Length values are accepted; Expect:
 * 100-continue is flagged only for HTTP/1.1 (RFC 9110 10.1.1).
 */
int h1_parse_head(const char *buf, size_t len, const struct h1_limits *lim,
		  struct h1_request *req, int *status, const char **why);

/* Case-insensitive header lookup; the first match or NULL. */
const struct str *h1_header_get(const struct h1_request *req, const char *name);

/* Value of query parameter name (not decoded), or false when absent. */
bool h1_query_get(struct str query, const char *name, struct str *value);

/*
 * Resumable chunked-body decoder. Feed it bytes as they arrive; it moves the
 * decoded payload to the front of the buffer in place. The usual loop keeps
 * the body at buf[0..body_len) and appends each read at buf + body_len, then
 * calls h1_chunked_decode(d, buf + body_len, &n, ...) and adds n to body_len.
 *
 * Framing is strict (the chunk-extension smuggling class): chunk-size lines,
 * the CRLF after chunk data and trailer lines must end in CRLF; extensions
 * and trailers are skipped but may not hold control characters; a size line
 * may be at most H1_CHUNK_LINE_MAX bytes and the trailer section at most
 * H1_CHUNK_TRAILER_MAX bytes.
 */
#define H1_CHUNK_LINE_MAX 4096
#define H1_CHUNK_TRAILER_MAX (16 * 1024)

struct h1_chunked {
	int state;
	uint64_t chunk_left; /* while reading a size: the size so far */
	uint64_t total;      /* decoded bytes so far, checked against max_body */
	unsigned hex_digits;
	unsigned line_len;   /* bytes of the current size line or trailers */
};

void h1_chunked_init(struct h1_chunked *d);
/*
 * Decodes buf[0..*len) in place. On return *len is the count of decoded
 * payload bytes now at the front of buf. Returns -EAGAIN when the body is
 * not complete yet (every byte consumed), or, once the last chunk and the
 * trailers are read, the count of bytes left after the body's end (>= 0: the
 * start of the next pipelined request, moved to buf + *len so that it
 * directly follows the payload; the caller moves it on), or -EBADMSG (400) /
 * -EFBIG (413, the decoded total passed max_body) with *why set. Errors are
 * sticky; after the end every byte is returned as left over.
 */
ssize_t h1_chunked_decode(struct h1_chunked *d, char *buf, size_t *len,
			  uint64_t max_body, const char **why);

/*
 * Reason phrase for a status code ("OK", "Not Found", ...), Go's net/http
 * wording so that responses match the service we replace; "Unknown" for
 * codes we never send.
 */
const char *h1_reason(int status);

/*
 * Appends a response head: status line, Content-Type (if not NULL),
 * Content-Length (left out for 1xx and 204, RFC 9110 8.6), Connection: close
 * when !keep_alive, extra (pre-formatted "Name: value\r\n" lines, may be
 * NULL), then the empty line. Date is left out on purpose (clients do not
 * need it and it costs a real formatting per call). Errors land in
 * out->failed, as for every buf append. Any thread, no allocation beyond out.
 */
void h1_write_head(struct buf *out, int status, const char *content_type,
		   size_t content_length, bool keep_alive, const char *extra);

#endif
