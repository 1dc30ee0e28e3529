/*
 * HTTP/1.1 response parser and request writer for outbound calls. The parser
 * keeps its progress in struct client_response, so a response may arrive
 * split at any byte; the head is gathered in its own buffer (bounded by
 * max_head), its status line judged as soon as it ends and its fields once
 * the empty line arrives. Pure: no I/O, one shard per object. Chunked bodies reuse the server's strict decoder.
 */
#include "http_codec.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

enum phase {
	PH_HEAD = 0, /* status line and headers, possibly after 1xx heads */
	PH_LENGTH,   /* body_left Content-Length bytes to go */
	PH_CHUNKED,
	PH_EOF,      /* body runs until the peer closes */
	PH_DONE,
};

/* Chunked input is copied behind the body before decoding in place; in
 * slices, so that one large read does not grow the body by all of it. */
#define CHUNK_SLICE 16384

void client_response_init(struct client_response *r, size_t max_head, size_t max_body)
{
	*r = (struct client_response){ .max_head = max_head, .max_body = max_body };
	buf_init(&r->body);
	buf_init(&r->head);
}

void client_response_fini(struct client_response *r)
{
	buf_fini(&r->body);
	buf_fini(&r->head);
}

void client_response_reset(struct client_response *r)
{
	struct buf body = r->body, head = r->head;
	size_t max_head = r->max_head, max_body = r->max_body;

	buf_reset(&body);
	buf_reset(&head);
	*r = (struct client_response){
		.body = body, .head = head, .max_head = max_head, .max_body = max_body,
	};
}

static int fail(struct client_response *r, int err, const char *why)
{
	r->err = -err;
	r->why = why;
	return -err;
}

/* Header and reason bytes: no CTL but HTAB; obs-text is let through. */
static bool is_text(unsigned char c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t';
}

static bool is_tchar(unsigned char c)
{
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
		return true;
	if (c >= '0' && c <= '9')
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool all(struct str s, bool (*ok)(unsigned char))
{
	for (size_t i = 0; i < s.len; i++)
		if (!ok((unsigned char)s.ptr[i]))
			return false;
	return true;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct str trim(struct str s)
{
	while (s.len && is_ows(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && is_ows(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

static bool eq_nocase(struct str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}

/* Next line of the complete head at *pos, without its CRLF or LF. */
static struct str next_line(const struct buf *head, size_t *pos)
{
	const char *start = head->data + *pos;
	const char *nl = memchr(start, '\n', head->len - *pos);
	struct str line = { start, (size_t)(nl - start) };

	*pos += line.len + 1;
	if (line.len && line.ptr[line.len - 1] == '\r')
		line.len--;
	return line;
}

/*
 * Next comma-separated element of *list, trimmed; false when none is left.
 * An empty list or a trailing comma yields an empty element, which callers
 * that need a value refuse. list->ptr becomes NULL after the last one.
 */
static bool next_elem(struct str *list, struct str *elem)
{
	if (!list->ptr)
		return false;
	const char *comma = memchr(list->ptr, ',', list->len);
	size_t n = comma ? (size_t)(comma - list->ptr) : list->len;

	*elem = trim((struct str){ list->ptr, n });
	if (comma) {
		list->ptr += n + 1;
		list->len -= n + 1;
	} else {
		list->ptr = NULL;
	}
	return true;
}

/* Content-Length: digits, or a list of identical ones (RFC 9110 8.6). */
static bool parse_length(struct str v, bool *have, uint64_t *out)
{
	struct str e;

	while (next_elem(&v, &e)) {
		uint64_t n = 0;
		if (!e.len || e.len > 19)
			return false;
		for (size_t i = 0; i < e.len; i++) {
			if (e.ptr[i] < '0' || e.ptr[i] > '9')
				return false;
			n = n * 10 + (uint64_t)(e.ptr[i] - '0');
		}
		if (*have && n != *out)
			return false;
		*have = true;
		*out = n;
	}
	return true;
}

struct head_info {
	bool has_length, chunked, conn_close, conn_keep;
	uint64_t length;
};

/* "HTTP/1.x SSS[ reason]"; sets status and minor_version. */
static int parse_status_line(struct client_response *r, struct str l)
{
	const char *s = l.ptr;

	if (l.len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') ||
	    s[8] != ' ')
		return fail(r, EPROTO, "malformed status line");
	for (int i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return fail(r, EPROTO, "malformed status code");
	if (l.len > 12 && (s[12] != ' ' || !all((struct str){ s + 13, l.len - 13 }, is_text)))
		return fail(r, EPROTO, "malformed status line");
	r->minor_version = s[7] - '0';
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (r->status < 100)
		return fail(r, EPROTO, "malformed status code");
	if (r->status == 101)
		return fail(r, EPROTO, "unexpected 101 Switching Protocols");
	return 0;
}

static int parse_field(struct client_response *r, struct str l, struct head_info *h)
{
	const char *colon = memchr(l.ptr, ':', l.len);
	struct str name, value, e;

	if (l.len && is_ows(l.ptr[0]))
		return fail(r, EPROTO, "obsolete header line folding");
	if (!colon || colon == l.ptr)
		return fail(r, EPROTO, "malformed header line");
	name = (struct str){ l.ptr, (size_t)(colon - l.ptr) };
	value = trim((struct str){ colon + 1, l.len - name.len - 1 });
	if (!all(name, is_tchar) || !all(value, is_text))
		return fail(r, EPROTO, "malformed header line");

	if (eq_nocase(name, "content-length")) {
		if (!parse_length(value, &h->has_length, &h->length))
			return fail(r, EPROTO, "invalid or conflicting Content-Length");
	} else if (eq_nocase(name, "transfer-encoding")) {
		/* We send no TE, so only plain chunked can be decoded. */
		if (h->chunked || !eq_nocase(value, "chunked"))
			return fail(r, EPROTO, "unsupported Transfer-Encoding");
		h->chunked = true;
	} else if (eq_nocase(name, "connection")) {
		while (next_elem(&value, &e)) {
			h->conn_close |= eq_nocase(e, "close");
			h->conn_keep |= eq_nocase(e, "keep-alive");
		}
	}
	return 0;
}

/* The head in r->head is complete: judge its fields and choose the body's framing. */
static int parse_head(struct client_response *r)
{
	struct head_info h = { 0 };
	size_t pos = 0;
	struct str l;
	int rc;

	next_line(&r->head, &pos); /* the status line, judged in feed_head */
	while ((l = next_line(&r->head, &pos)).len)
		if ((rc = parse_field(r, l, &h)) < 0)
			return rc;

	if (r->status < 200) {
		/* Interim: forget it and read the next head in its place. */
		buf_reset(&r->head);
		r->line_start = 0;
		return 0;
	}
	if (h.chunked && h.has_length)
		return fail(r, EPROTO, "both Transfer-Encoding and Content-Length");
	if (h.chunked && r->minor_version == 0)
		return fail(r, EPROTO, "Transfer-Encoding in an HTTP/1.0 response");
	r->keep_alive = !h.conn_close && (r->minor_version == 1 || h.conn_keep);

	if (r->status == 204 || r->status == 304 || r->head_request) {
		r->phase = PH_DONE;
	} else if (h.chunked) {
		h1_chunked_init(&r->chunked);
		r->phase = PH_CHUNKED;
	} else if (h.has_length) {
		if (h.length > r->max_body)
			return fail(r, EMSGSIZE, "response body larger than limit");
		r->body_left = h.length;
		r->phase = h.length ? PH_LENGTH : PH_DONE;
	} else {
		r->keep_alive = false;
		r->phase = PH_EOF;
	}
	return 0;
}

/* Takes bytes up to and including the next LF; the empty line ends the head. */
static ssize_t feed_head(struct client_response *r, const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len);
	size_t n = nl ? (size_t)(nl - p) + 1 : len;

	if (n > r->max_head - r->head.len)
		return fail(r, EMSGSIZE, "response head larger than limit");
	buf_append(&r->head, p, n);
	if (r->head.failed)
		return fail(r, ENOMEM, "out of memory for the response head");
	if (!nl)
		return (ssize_t)n;

	size_t line_len = r->head.len - 1 - r->line_start;
	bool empty = line_len == 0 ||
		     (line_len == 1 && r->head.data[r->line_start] == '\r');
	if (r->line_start == 0) {
		/* The status line is judged at once: a peer that does not speak
		 * HTTP/1.x fails here, not after a head's worth of bytes. */
		struct str l = { r->head.data, line_len };
		if (line_len && l.ptr[line_len - 1] == '\r')
			l.len--;
		int rc = parse_status_line(r, l);
		if (rc < 0)
			return rc;
	}
	r->line_start = r->head.len;
	if (empty) {
		int rc = parse_head(r);
		if (rc < 0)
			return rc;
	}
	return (ssize_t)n;
}

static ssize_t feed_body(struct client_response *r, const char *p, size_t len)
{
	size_t n = len;

	if (r->phase == PH_LENGTH) {
		n = (size_t)MIN((uint64_t)len, r->body_left);
		r->body_left -= n;
	} else if (len > r->max_body - r->body.len) {
		return fail(r, EMSGSIZE, "response body larger than limit");
	}
	buf_append(&r->body, p, n);
	if (r->body.failed)
		return fail(r, ENOMEM, "out of memory for the response body");
	if (r->phase == PH_LENGTH && r->body_left == 0)
		r->phase = PH_DONE;
	return (ssize_t)n;
}

static ssize_t feed_chunked(struct client_response *r, const char *p, size_t len)
{
	size_t slice = MIN(len, (size_t)CHUNK_SLICE), n = slice;
	char *dst = buf_reserve(&r->body, slice);
	const char *why = NULL;

	if (!dst)
		return fail(r, ENOMEM, "out of memory for the response body");
	memcpy(dst, p, slice);
	ssize_t rc = h1_chunked_decode(&r->chunked, dst, &n, r->max_body, &why);
	r->body.len += n;
	if (rc == -EAGAIN)
		return (ssize_t)slice;
	if (rc >= 0) {
		r->phase = PH_DONE;
		return (ssize_t)(slice - (size_t)rc);
	}
	return fail(r, rc == -EFBIG ? EMSGSIZE : EPROTO, why);
}

ssize_t client_response_feed(struct client_response *r, const char *p, size_t len,
			     bool *done, const char **why)
{
	size_t used = 0;

	*done = false;
	while (!r->err && used < len && r->phase != PH_DONE) {
		ssize_t n;
		r->started = true;
		if (r->phase == PH_HEAD)
			n = feed_head(r, p + used, len - used);
		else if (r->phase == PH_CHUNKED)
			n = feed_chunked(r, p + used, len - used);
		else
			n = feed_body(r, p + used, len - used);
		if (n >= 0)
			used += (size_t)n;
	}
	if (r->err) {
		*why = r->why;
		return r->err;
	}
	*done = r->phase == PH_DONE;
	return (ssize_t)used;
}

int client_response_eof(struct client_response *r, const char **why)
{
	if (!r->err && r->phase == PH_EOF)
		r->phase = PH_DONE;
	if (!r->err && r->phase != PH_DONE)
		fail(r, EPIPE, "connection closed before the response was complete");
	if (r->err)
		*why = r->why;
	return r->err;
}

bool client_response_header(const struct client_response *r, const char *name,
			    struct str *value)
{
	size_t pos = 0;
	struct str l;

	if (r->err || r->phase == PH_HEAD)
		return false;
	next_line(&r->head, &pos);
	while ((l = next_line(&r->head, &pos)).len) {
		const char *colon = memchr(l.ptr, ':', l.len);
		struct str n = { l.ptr, (size_t)(colon - l.ptr) };
		if (eq_nocase(n, name)) {
			*value = trim((struct str){ colon + 1, l.len - n.len - 1 });
			return true;
		}
	}
	return false;
}

static bool text_ok(const char *s, bool spaces)
{
	for (; *s; s++)
		if (!is_text((unsigned char)*s) || (!spaces && (*s == ' ' || *s == '\t')))
			return false;
	return true;
}

/* "Name: value": a token, a colon, then text (an empty line would end the head). */
static bool field_ok(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon || colon == s)
		return false;
	for (const char *c = s; c < colon; c++)
		if (!is_tchar((unsigned char)*c))
			return false;
	return text_ok(colon + 1, true);
}

int client_request_write(struct buf *out, const char *method, const char *host_header,
			 const char *path, const char *const *headers,
			 const char *body, size_t body_len)
{
	bool has_body = body || !strcmp(method, "POST") || !strcmp(method, "PUT") ||
			!strcmp(method, "PATCH");

	/* Checked before anything is appended, so a bad piece leaves out as it was. */
	if (!*method || !*path || !*host_header || !text_ok(method, false) ||
	    !text_ok(path, false) || !text_ok(host_header, false))
		return -EINVAL;
	for (const char *const *h = headers; h && *h; h++)
		if (!field_ok(*h))
			return -EINVAL;

	buf_append_str(out, method);
	buf_append_char(out, ' ');
	buf_append_str(out, path);
	buf_append_str(out, " HTTP/1.1\r\nHost: ");
	buf_append_str(out, host_header);
	buf_append(out, "\r\n", 2);
	for (const char *const *h = headers; h && *h; h++) {
		buf_append_str(out, *h);
		buf_append(out, "\r\n", 2);
	}
	if (has_body) {
		buf_append_str(out, "Content-Length: ");
		buf_append_u64(out, body_len);
		buf_append(out, "\r\n", 2);
	}
	buf_append(out, "\r\n", 2);
	if (body)
		buf_append(out, body, body_len);
	return out->failed ? -ENOMEM : 0;
}
