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

#include "challenged/buf.h"
#include "challenged/common.h"

#define H1_MAX_HEADERS 64

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

/*
 * Parses the request head at buf[0..len). Returns the head's length in bytes
 * (> 0, including the final CRLFCRLF) when complete, -EAGAIN when more bytes
 * are needed (and the limit is not yet exceeded), or another negative errno
 * with *status set to the HTTP status to answer (400 malformed, 431 head too
 * large or too many headers, 413 declared body over max_body, 501 unknown
 * transfer coding, 505 version) and *why to a static sentence. Pointers in
 * req point into buf.
 */
int h1_parse_head(const char *buf, size_t len, const struct h1_limits *lim,
		  struct h1_request *req, int *status, const char **why);

/* Case-insensitive header lookup; the first match or NULL. */
const struct str *h1_header_get(const struct h1_request *req, const char *name);

/* Value of query parameter name (not decoded), or false when absent. */
bool h1_query_get(struct str query, const char *name, struct str *value);

/*
 * Resumable chunked-body decoder. Feed it bytes as they arrive; it moves the
 * decoded payload to the front of the buffer in place.
 */
struct h1_chunked {
	int state;
	uint64_t chunk_left;
	uint64_t total;
	unsigned hex_digits;
};

void h1_chunked_init(struct h1_chunked *d);
/*
 * Decodes buf[0..*len) in place. On return *len is the count of decoded
 * payload bytes now at the front of buf. Returns -EAGAIN when the body is
 * not complete yet (every byte consumed), or the count of undecoded bytes
 * left after the body's end (> = 0: the start of the next pipelined request,
 * found at buf + *len ... the caller moves it), or -EBADMSG (400) / -EFBIG
 * (413, the decoded total passed max_body) with *why set.
 */
ssize_t h1_chunked_decode(struct h1_chunked *d, char *buf, size_t *len,
			  uint64_t max_body, const char **why);

/* Reason phrase for a status code ("OK", "Not Found", ...). */
const char *h1_reason(int status);

/*
 * Appends a response head: status line, Content-Type (if not NULL),
 * Content-Length, Connection: close when !keep_alive, extra (pre-formatted
 * "Name: value\r\n" lines, may be NULL), Date is left out on purpose (clients
 * do not need it and it costs a syscall-free but real formatting per call).
 */
void h1_write_head(struct buf *out, int status, const char *content_type,
		   size_t content_length, bool keep_alive, const char *extra);

#endif
