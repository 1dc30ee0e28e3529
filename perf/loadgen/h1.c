/*
 * HTTP/1.1 response parser for the client side: just enough to know the
 * status, where the response ends (Content-Length, chunked, or close) and
 * whether the connection stays open. Resumable at any byte boundary; the
 * body is skipped, never stored. Pure; each connection owns its state.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "loadgen.h"

void lg_h1_resp_init(struct lg_h1_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->state = LG_H1_HEAD;
}

static bool name_is(const char *p, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(p, name, len) == 0;
}

/* Case-insensitive search of token in a comma-separated header value. */
static bool value_has(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token);

	for (size_t i = 0; i + tl <= len; i++)
		if (strncasecmp(v + i, token, tl) == 0)
			return true;
	return false;
}

static int parse_u64(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 18)
		return -EPROTO;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EPROTO;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

static void trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t' ||
			    (*p)[*len - 1] == '\r'))
		(*len)--;
}

struct head {
	bool has_length, chunked, keep_alive, close, http10;
	uint64_t length;
};

static int head_line(struct head *h, const char *line, size_t len, const char **why)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t nlen, vlen;

	if (!colon) {
		*why = "header line without a colon";
		return -EPROTO;
	}
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	trim(&v, &vlen);
	if (name_is(line, nlen, "content-length")) {
		if (parse_u64(v, vlen, &h->length) < 0) {
			*why = "bad Content-Length";
			return -EPROTO;
		}
		h->has_length = true;
	} else if (name_is(line, nlen, "transfer-encoding")) {
		h->chunked = value_has(v, vlen, "chunked");
	} else if (name_is(line, nlen, "connection")) {
		h->close = value_has(v, vlen, "close");
		h->keep_alive = value_has(v, vlen, "keep-alive");
	}
	return 0;
}

static int status_line(struct lg_h1_resp *r, struct head *h, const char *p, size_t len,
		       const char **why)
{
	if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9' || (len > 12 && p[12] != ' ' && p[12] != '\r')) {
		*why = "bad status line";
		return -EPROTO;
	}
	h->http10 = p[7] == '0';
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	return 0;
}

/* A whole head is in p[0..end) (end just past the blank line). */
static int head_parse(struct lg_h1_resp *r, const char *p, size_t end, const char **why)
{
	struct head h = { 0 };
	const char *line = p, *stop = p + end, *nl;
	int rc;

	nl = memchr(line, '\n', (size_t)(stop - line));
	rc = status_line(r, &h, line, (size_t)(nl - line), why);
	for (line = nl + 1; rc == 0 && line < stop; line = nl + 1) {
		size_t len;

		nl = memchr(line, '\n', (size_t)(stop - line));
		len = (size_t)(nl - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			break;
		rc = head_line(&h, line, len, why);
	}
	if (rc < 0)
		return rc;
	r->close = h.close || (h.http10 && !h.keep_alive);
	r->remaining = 0;
	if (r->status < 200 || r->status == 204 || r->status == 304)
		r->state = r->status < 200 ? LG_H1_HEAD : LG_H1_DONE;
	else if (h.chunked)
		r->state = LG_H1_CHUNK_SIZE;
	else if (h.has_length) {
		r->remaining = h.length;
		r->state = h.length ? LG_H1_BODY : LG_H1_DONE;
	} else {
		r->state = LG_H1_BODY_EOF;
		r->close = true;
	}
	return 0;
}

/* Offset just past the first blank line, or 0 when the head is incomplete. */
static size_t head_end(const char *p, size_t len)
{
	for (const char *nl = memchr(p, '\n', len); nl; ) {
		size_t i = (size_t)(nl - p) + 1;

		if (i < len && p[i] == '\n')
			return i + 1;
		if (i + 1 < len && p[i] == '\r' && p[i + 1] == '\n')
			return i + 2;
		nl = i < len ? memchr(p + i, '\n', len - i) : NULL;
	}
	return 0;
}

static int chunk_size(struct lg_h1_resp *r, const char *p, size_t len, const char **why)
{
	const char *nl = memchr(p, '\n', len);
	uint64_t v = 0;
	size_t i = 0;

	if (!nl)
		return len > 1024 ? (*why = "chunk size line too long", -EPROTO) : 0;
	for (; p + i < nl; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			break;
		if (i >= 15) {
			*why = "chunk size too large";
			return -EPROTO;
		}
		v = v << 4 | (uint64_t)d;
	}
	if (i == 0 || (p[i] != ';' && p[i] != '\r' && p[i] != '\n' && p[i] != ' ')) {
		*why = "bad chunk size";
		return -EPROTO;
	}
	r->remaining = v;
	r->state = v ? LG_H1_CHUNK_DATA : LG_H1_TRAILER;
	return (int)(nl - p + 1);
}

static int trailer_line(struct lg_h1_resp *r, const char *p, size_t len, const char **why)
{
	const char *nl = memchr(p, '\n', len);

	if (!nl)
		return len > LG_H1_HEAD_MAX ? (*why = "trailer too long", -EPROTO) : 0;
	if (nl == p || (nl == p + 1 && p[0] == '\r'))
		r->state = LG_H1_DONE;
	return (int)(nl - p + 1);
}

/* One step of the state machine; returns bytes used (0: need more). */
static int step(struct lg_h1_resp *r, const char *p, size_t len, const char **why)
{
	size_t n;

	switch (r->state) {
	case LG_H1_HEAD:
		n = head_end(p, len);
		if (n == 0)
			return len > LG_H1_HEAD_MAX ? (*why = "response head too large", -EPROTO) : 0;
		return head_parse(r, p, n, why) < 0 ? -EPROTO : (int)n;
	case LG_H1_BODY:
	case LG_H1_CHUNK_DATA:
		n = len < r->remaining ? len : (size_t)r->remaining;
		r->remaining -= n;
		r->body_bytes += n;
		if (r->remaining == 0)
			r->state = r->state == LG_H1_BODY ? LG_H1_DONE : LG_H1_CHUNK_CRLF;
		return (int)n;
	case LG_H1_BODY_EOF:
		r->body_bytes += len;
		return (int)len;
	case LG_H1_CHUNK_SIZE:
		return chunk_size(r, p, len, why);
	case LG_H1_CHUNK_CRLF:
		if (p[0] == '\n') {
			r->state = LG_H1_CHUNK_SIZE;
			return 1;
		}
		if (len < 2)
			return 0;
		if (p[0] != '\r' || p[1] != '\n') {
			*why = "chunk not followed by CRLF";
			return -EPROTO;
		}
		r->state = LG_H1_CHUNK_SIZE;
		return 2;
	case LG_H1_TRAILER:
		return trailer_line(r, p, len, why);
	case LG_H1_DONE:
		return 0;
	}
	return 0;
}

int lg_h1_resp_feed(struct lg_h1_resp *r, const char *p, size_t len, const char **why)
{
	size_t used = 0;
	int n;

	while (used < len && r->state != LG_H1_DONE) {
		n = step(r, p + used, len - used, why);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	return (int)used;
}

int lg_h1_resp_eof(struct lg_h1_resp *r)
{
	if (r->state != LG_H1_BODY_EOF)
		return -EPROTO;
	r->state = LG_H1_DONE;
	return 0;
}
