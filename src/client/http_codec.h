/*
 * The pure parts of the outbound HTTP/1.1 client: a resumable response
 * parser, a request writer and the base-URL parser for AB_BASE_URL-style
 * settings. No I/O here; the connection code feeds what it reads and sends
 * what is written. Each object belongs to one shard.
 */
#ifndef CHALLENGED_CLIENT_HTTP_CODEC_H
#define CHALLENGED_CLIENT_HTTP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "challenged/buf.h"
#include "challenged/common.h"
#include "challenged/http1.h"

struct client_response {
	int status;          /* final status (1xx interim responses are skipped) */
	int minor_version;   /* 0 or 1, of the final response */
	bool keep_alive;     /* the connection may carry another request afterwards */
	bool started;        /* a byte of this response arrived */
	bool head_request;   /* set by the caller: the answer to HEAD has no body */
	struct buf body;     /* decoded body */

	/* Parser state: resumable at any byte boundary. */
	struct buf head;     /* status line through the empty line, kept once done */
	size_t line_start;   /* offset in head of the line being read */
	size_t max_head;
	size_t max_body;
	int phase;           /* enum in http_codec.c */
	uint64_t body_left;  /* Content-Length bytes still to come */
	struct h1_chunked chunked;
	int err;             /* sticky -errno once failed */
	const char *why;
};

/* max_head: bytes of status line + headers allowed; max_body: decoded body bytes allowed. */
void client_response_init(struct client_response *r, size_t max_head, size_t max_body);
void client_response_fini(struct client_response *r);
/*
 * Ready for the next response on the same connection: keeps the allocations,
 * clears everything else (head_request too; set it again per request).
 */
void client_response_reset(struct client_response *r);

/*
 * Feeds p[0..len). Returns the bytes consumed (>= 0) and sets *done once the
 * whole response is in (bytes after it, a pipelined next response, are not
 * consumed; later calls consume nothing), or a negative errno with *why set
 * (errors are sticky):
 *   -EPROTO   malformed: status line, header, obs-fold, Content-Length bad
 *             or conflicting, Transfer-Encoding with Content-Length or in
 *             HTTP/1.0 or other than "chunked", 101 (never asked for), chunk
 *   -EMSGSIZE the head passed max_head or the decoded body max_body
 *   -ENOMEM   the head or body buffer could not grow
 * Bodies: Content-Length; chunked (extensions and trailers skipped); none
 * for 1xx, 204, 304 and head_request; otherwise until EOF (keep_alive
 * false). Connection: close, or HTTP/1.0 without Connection: keep-alive,
 * makes keep_alive false. Lines may end in CRLF or a bare LF in the head
 * (as Go's client accepts); chunk framing wants CRLF.
 */
ssize_t client_response_feed(struct client_response *r, const char *p, size_t len,
			     bool *done, const char **why);

/*
 * The peer closed the connection: completes a close-delimited body (returns
 * 0, the response is done) or reports a truncated response (-EPIPE, why
 * "connection closed before the response was complete"). When !r->started
 * nothing of the response arrived, the usual race with a server closing an
 * idle keep-alive connection, which an idempotent request may retry. A done
 * response returns 0, a failed one its sticky error.
 */
int client_response_eof(struct client_response *r, const char **why);

/*
 * First header called name (case-insensitive) of the final response, its
 * value without surrounding whitespace; false when absent or the head is not
 * complete. value points into r->head, valid until the next reset or feed.
 */
bool client_response_header(const struct client_response *r, const char *name,
			    struct str *value);

/*
 * Appends a request: "<method> <path> HTTP/1.1", Host, the given headers
 * (NULL-terminated array of "Name: value" strings without CRLF, may be
 * NULL), Content-Length when body != NULL or the method is POST, PUT or
 * PATCH, then the body. Returns 0, -EINVAL when a piece holds CR, LF or
 * another control byte, or a header is not a token, ':' and text (nothing
 * is appended then: no header injection), or -ENOMEM when out failed (now
 * or before).
 */
int client_request_write(struct buf *out, const char *method, const char *host_header,
			 const char *path, const char *const *headers,
			 const char *body, size_t body_len);

struct client_url {
	bool tls;              /* https */
	char host[256];        /* without brackets for IPv6 */
	uint16_t port;         /* 443/80 by default */
	char host_header[300]; /* host[:port] as the Host header wants it (port only when not default) */
	char base_path[512];   /* path prefix without trailing slash ("" for none) */
};

/*
 * Parses AB_BASE_URL-style URLs: https://host[:port][/prefix]. The scheme
 * is case-insensitive; plain http:// is allowed only for loopback hosts
 * (localhost, 127.0.0.0/8, [::1]): anything else gives -EINVAL with why
 * "plain http:// is allowed only for localhost; use https://". Also -EINVAL
 * for user-info, query, fragment, bad or zero ports, empty or malformed
 * hosts, and paths with bytes outside RFC 3986 pchar (percent-escapes are
 * kept as written). u is meaningful only on success.
 */
int client_url_parse(const char *url, struct client_url *u, const char **why);

/*
 * Appends s[0..len) escaped for one path segment exactly as Go's
 * url.PathEscape does: unreserved bytes and "$&+:=@" stay, everything else
 * (including "/", ";", ",", "?" and space) becomes %XX with upper-case hex.
 * Returns 0 or -ENOMEM.
 */
int client_path_escape(struct buf *out, const char *s, size_t len);

#endif
