/*
 * HTTP/1.x request-head parser, header and query lookups. Pure functions on
 * caller-owned bytes: no allocation, no I/O, safe on any shard. Every call
 * parses from the start of the buffer, so the result never depends on how
 * the bytes were split across reads; it must never read past buf + len.
 */
#include "challenged/http1.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

/* Character classes, one table lookup per byte instead of range tests. */
enum {
	C_TOKEN = 1,  /* tchar, RFC 9110 5.6.2: method and field names */
	C_VALUE = 2,  /* field-value byte: VCHAR, obs-text, SP, HTAB */
	C_TARGET = 4, /* request-target byte: not CTL, SP or DEL */
};

static const unsigned char cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6,
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
};

#define IS(c, class) (cls[(unsigned char)(c)] & (class))

/*
 * Word-at-a-time scan (8 bytes per step) for the long runs: targets and
 * field values such as bearer tokens. A word holding any byte below lt or
 * DEL falls back to the table for those 8 bytes; HTAB in a value is such a
 * byte, which only costs speed. The "hasless" test is exact for lt <= 128.
 */
#define ONES 0x0101010101010101ULL
#define HAS_LESS(x, n) (((x) - ONES * (n)) & ~(x) & (ONES * 0x80))
#define HAS_ZERO(x) HAS_LESS(x, 1)

static inline const char *scan_run(const char *p, const char *end,
				   unsigned char lt, unsigned char class)
{
	for (;;) {
		while (end - p >= 8) {
			uint64_t x;
			memcpy(&x, p, 8);
			if (HAS_LESS(x, lt) | HAS_ZERO(x ^ (ONES * 0x7f)))
				break;
			p += 8;
		}
		const char *stop = end - p > 8 ? p + 8 : end;
		while (p < stop && IS(*p, class))
			p++;
		if (p < stop || p == end)
			return p;
	}
}

/* The outcome of a failed parse: status for the client, errno for us. */
struct fail {
	int status;
	const char *why;
};

static int fail(struct fail *f, int status, const char *why)
{
	f->status = status;
	f->why = why;
	switch (status) {
	case 413: return -EFBIG;
	case 431: return -EMSGSIZE;
	case 501: return -ENOTSUP;
	case 505: return -EPROTONOSUPPORT;
	default: return -EBADMSG;
	}
}

/*
 * Consumes a line end at *pp: CRLF or bare LF. Returns 0, -EAGAIN when the
 * buffer ends first, or 400 on a bare CR or any other byte.
 */
static int eat_eol(const char **pp, const char *end, struct fail *f)
{
	const char *p = *pp;
	if (p == end)
		return -EAGAIN;
	if (*p == '\n') {
		*pp = p + 1;
		return 0;
	}
	if (*p != '\r')
		return fail(f, 400, "unexpected character at end of line");
	if (p + 1 == end)
		return -EAGAIN;
	if (p[1] != '\n')
		return fail(f, 400, "bare CR in request head");
	*pp = p + 2;
	return 0;
}

/*
 * a equals lit (lower case) ignoring ASCII case. OR-ing 0x20 is exact when
 * a holds only tchars or lit only letters, which covers every use here.
 */
static inline bool token_ieq(const char *a, size_t n, const char *lit,
			     size_t lit_len)
{
	if (n != lit_len)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((a[i] | 0x20) != lit[i])
			return false;
	return true;
}

#define TOKEN_IEQ(s, lit) token_ieq((s).ptr, (s).len, lit, sizeof(lit) - 1)

static int parse_request_line(const char **pp, const char *end,
			      struct h1_request *req, struct fail *f)
{
	const char *p = *pp;

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (p < end && (*p == '\r' || *p == '\n')) {
		int rc = eat_eol(&p, end, f);
		if (rc < 0)
			return rc;
	}

	const char *q = p;
	while (p < end && IS(*p, C_TOKEN))
		p++;
	if (p == end)
		return -EAGAIN;
	if (*p != ' ' || p == q)
		return fail(f, 400, "invalid request method");
	req->method = (struct str){ q, (size_t)(p - q) };

	q = ++p;
	p = scan_run(p, end, 0x21, C_TARGET);
	if (p == end)
		return -EAGAIN;
	if (*p != ' ')
		return fail(f, 400, "invalid character in request target");
	if (p == q)
		return fail(f, 400, "empty request target");
	req->target = (struct str){ q, (size_t)(p - q) };
	if (*q != '/' && !(req->target.len == 1 && *q == '*' &&
			   str_eq(req->method, "OPTIONS", 7)))
		return fail(f, 400, "request target is not in origin form");

	p++;
	size_t avail = (size_t)(end - p);
	if (memcmp(p, "HTTP/", MIN(avail, 5)) != 0)
		return fail(f, 400, "malformed HTTP version");
	if (avail < 8)
		return -EAGAIN;
	if ((unsigned)(p[5] - '0') > 9 || p[6] != '.' ||
	    (unsigned)(p[7] - '0') > 9)
		return fail(f, 400, "malformed HTTP version");
	const char *ver = p;
	p += 8;
	int rc = eat_eol(&p, end, f);
	if (rc < 0)
		return rc;
	if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1'))
		return fail(f, 505, "HTTP version not supported");
	req->minor_version = ver[7] - '0';
	*pp = p;
	return 0;
}

/* What the framing-relevant fields said, judged once the head is whole. */
struct framing {
	unsigned cl_count;
	bool cl_bad;
	bool cl_conflict;
	uint64_t cl;
	unsigned te_count;
	bool te_chunked;
	bool conn_close;
	bool conn_keep_alive;
	bool expect_continue;
};

/* 1*DIGIT saturating at UINT64_MAX (anything that large is over max_body). */
static bool parse_decimal(struct str v, uint64_t *out)
{
	if (v.len == 0)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		unsigned d = (unsigned)(v.ptr[i] - '0');
		if (d > 9)
			return false;
		if (n > (UINT64_MAX - d) / 10)
			n = UINT64_MAX;
		else
			n = n * 10 + d;
	}
	*out = n;
	return true;
}

/* Connection: a comma list of tokens; only close and keep-alive matter. */
static void scan_connection(struct str v, struct framing *fr)
{
	const char *p = v.ptr, *end = v.ptr + v.len;
	while (p < end) {
		while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
			p++;
		const char *q = p;
		while (p < end && IS(*p, C_TOKEN))
			p++;
		struct str t = { q, (size_t)(p - q) };
		if (TOKEN_IEQ(t, "close"))
			fr->conn_close = true;
		else if (TOKEN_IEQ(t, "keep-alive"))
			fr->conn_keep_alive = true;
		while (p < end && *p != ',')
			p++;
	}
}

static void note_field(const struct h1_header *h, struct framing *fr)
{
	switch (h->name.len) {
	case 14:
		if (TOKEN_IEQ(h->name, "content-length")) {
			uint64_t n = 0;
			if (!parse_decimal(h->value, &n))
				fr->cl_bad = true;
			else if (fr->cl_count && n != fr->cl)
				fr->cl_conflict = true;
			else
				fr->cl = n;
			fr->cl_count++;
		}
		break;
	case 17:
		if (TOKEN_IEQ(h->name, "transfer-encoding")) {
			fr->te_count++;
			fr->te_chunked = TOKEN_IEQ(h->value, "chunked");
		}
		break;
	case 10:
		if (TOKEN_IEQ(h->name, "connection"))
			scan_connection(h->value, fr);
		break;
	case 6:
		if (TOKEN_IEQ(h->name, "expect") &&
		    h->value.len == 12 &&
		    strncasecmp(h->value.ptr, "100-continue", 12) == 0)
			fr->expect_continue = true;
		break;
	default:
		break;
	}
}

static int parse_fields(const char **pp, const char *end,
			struct h1_request *req, struct framing *fr,
			struct fail *f)
{
	const char *p = *pp;
	for (;;) {
		if (p == end)
			return -EAGAIN;
		if (*p == '\r' || *p == '\n') {
			int rc = eat_eol(&p, end, f);
			if (rc < 0)
				return rc;
			*pp = p;
			return 0;
		}
		if (*p == ' ' || *p == '\t')
			return fail(f, 400, "obsolete line folding in header");
		if (req->n_headers == H1_MAX_HEADERS)
			return fail(f, 431, "too many header fields");

		struct h1_header *h = &req->headers[req->n_headers];
		const char *q = p;
		while (p < end && IS(*p, C_TOKEN))
			p++;
		if (p == end)
			return -EAGAIN;
		if (*p != ':' || p == q)
			return fail(f, 400, "invalid header field name");
		h->name = (struct str){ q, (size_t)(p - q) };

		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		q = p;
		p = scan_run(p, end, 0x20, C_VALUE);
		if (p == end)
			return -EAGAIN;
		const char *vend = p;
		if (*p != '\r' && *p != '\n')
			return fail(f, 400, "invalid character in header value");
		int rc = eat_eol(&p, end, f);
		if (rc < 0)
			return rc;
		while (vend > q && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		h->value = (struct str){ q, (size_t)(vend - q) };
		req->n_headers++;
		note_field(h, fr);
	}
}

/* Framing decisions (RFC 9112 6): the request-smuggling guards live here. */
static int judge_framing(struct h1_request *req, const struct framing *fr,
			 uint64_t max_body, struct fail *f)
{
	if (fr->cl_bad)
		return fail(f, 400, "invalid Content-Length");
	if (fr->cl_conflict)
		return fail(f, 400, "conflicting Content-Length values");
	if (fr->te_count) {
		if (req->minor_version == 0)
			return fail(f, 400, "Transfer-Encoding in an HTTP/1.0 request");
		if (fr->cl_count)
			return fail(f, 400, "both Transfer-Encoding and Content-Length");
		if (fr->te_count > 1)
			return fail(f, 400, "repeated Transfer-Encoding");
		if (!fr->te_chunked)
			return fail(f, 501, "unsupported Transfer-Encoding");
	}
	if (fr->cl_count && fr->cl > max_body)
		return fail(f, 413, "request body larger than limit");

	req->chunked = fr->te_count != 0;
	req->has_content_length = fr->cl_count != 0;
	req->content_length = fr->cl_count ? fr->cl : 0;
	if (req->minor_version == 1)
		req->keep_alive = !fr->conn_close;
	else
		req->keep_alive = fr->conn_keep_alive && !fr->conn_close;
	req->expect_continue = fr->expect_continue && req->minor_version == 1;
	return 0;
}

static void split_target(struct h1_request *req)
{
	const char *q = memchr(req->target.ptr, '?', req->target.len);
	if (!q) {
		req->path = req->target;
		req->query = (struct str){ req->target.ptr + req->target.len, 0 };
		return;
	}
	req->path = (struct str){ req->target.ptr, (size_t)(q - req->target.ptr) };
	req->query = (struct str){ q + 1, req->target.len - req->path.len - 1 };
}

int h1_parse_head(const char *buf, size_t len, const struct h1_limits *lim,
		  struct h1_request *req, int *status, const char **why)
{
	struct h1_limits dflt = H1_LIMITS_DEFAULT;
	if (!lim)
		lim = &dflt;
	/* Never look past max_head: a head not done by then is 431 already. */
	size_t max_head = MIN(lim->max_head, (size_t)INT_MAX);
	const char *p = buf, *end = buf + MIN(len, max_head);
	struct fail f = { 0, NULL };
	struct framing fr = { 0 };

	req->n_headers = 0;
	int rc = parse_request_line(&p, end, req, &f);
	if (rc == 0)
		rc = parse_fields(&p, end, req, &fr, &f);
	if (rc == -EAGAIN && len >= max_head)
		rc = fail(&f, 431, "request head larger than limit");
	if (rc == 0)
		rc = judge_framing(req, &fr, lim->max_body, &f);
	if (rc < 0) {
		if (rc != -EAGAIN) {
			*status = f.status;
			*why = f.why;
		}
		return rc;
	}
	split_target(req);
	return (int)(p - buf);
}

const struct str *h1_header_get(const struct h1_request *req, const char *name)
{
	size_t n = strlen(name);
	for (unsigned i = 0; i < req->n_headers; i++) {
		const struct h1_header *h = &req->headers[i];
		if (h->name.len == n && strncasecmp(h->name.ptr, name, n) == 0)
			return &h->value;
	}
	return NULL;
}

bool h1_query_get(struct str query, const char *name, struct str *value)
{
	if (query.len == 0)
		return false;
	size_t n = strlen(name);
	const char *p = query.ptr, *end = query.ptr + query.len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pend = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pend - p));
		const char *kend = eq ? eq : pend;
		if ((size_t)(kend - p) == n && memcmp(p, name, n) == 0) {
			const char *v = eq ? eq + 1 : pend;
			*value = (struct str){ v, (size_t)(pend - v) };
			return true;
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	return false;
}
