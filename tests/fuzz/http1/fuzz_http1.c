/*
 * Fuzz target: arbitrary bytes as an HTTP/1.x request head with default
 * limits; when the head is complete and chunked, the rest as its body, fed
 * whole, split in two and a byte at a time. Nothing may crash or read out of
 * bounds, and the parser's and decoder's own promises are checked: results
 * lie inside the input, restarting gives the same answer, splits agree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(struct str s, const char *buf, size_t len)
{
	if (s.len > len || s.ptr < buf || s.ptr > buf + len - s.len)
		abort();
}

static void check_request(const struct h1_request *req, const char *buf, size_t len)
{
	check_inside(req->method, buf, len);
	check_inside(req->target, buf, len);
	check_inside(req->path, buf, len);
	check_inside(req->query, buf, len);
	if (req->n_headers > H1_MAX_HEADERS || req->minor_version < 0 ||
	    req->minor_version > 1 || req->method.len == 0 || req->target.len == 0)
		abort();
	if (req->target.ptr[0] != '/' &&
	    !(req->target.len == 1 && str_eq(req->method, "OPTIONS", 7)))
		abort();
	if (req->chunked && req->has_content_length)
		abort();
	if (req->content_length > H1_DEFAULT_MAX_BODY)
		abort();
	for (unsigned i = 0; i < req->n_headers; i++) {
		check_inside(req->headers[i].name, buf, len);
		check_inside(req->headers[i].value, buf, len);
	}
	if (req->has_content_length != (h1_header_get(req, "content-length") != NULL) ||
	    req->chunked != (h1_header_get(req, "Transfer-Encoding") != NULL))
		abort();
	struct str v;
	if (h1_query_get(req->query, "active_only", &v))
		check_inside(v, buf, len);
}

static void check_failure(int rc, int status, const char *why)
{
	if (!why)
		abort();
	switch (rc) {
	case -EBADMSG: if (status != 400) abort(); break;
	case -EMSGSIZE: if (status != 431) abort(); break;
	case -EFBIG: if (status != 413) abort(); break;
	case -ENOTSUP: if (status != 501) abort(); break;
	case -EPROTONOSUPPORT: if (status != 505) abort(); break;
	default: abort();
	}
}

struct decoded {
	ssize_t rc;
	size_t body_len;
	char *buf; /* body at the front, then rc left-over bytes */
};

/*
 * Decodes raw[0..len) fed in reads ending at each cut, the way a connection
 * appends each read after the payload decoded so far.
 */
static struct decoded decode(const char *raw, size_t len, const size_t *cuts,
			     size_t ncuts)
{
	struct decoded out = { -EAGAIN, 0, malloc(len ? len : 1) };
	if (!out.buf)
		abort();
	struct h1_chunked d;
	h1_chunked_init(&d);
	size_t from = 0;
	for (size_t i = 0; i <= ncuts && out.rc == -EAGAIN; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		size_t n = to - from;
		const char *why = NULL;
		memcpy(out.buf + out.body_len, raw + from, n);
		out.rc = h1_chunked_decode(&d, out.buf + out.body_len, &n,
					   H1_DEFAULT_MAX_BODY, &why);
		if (n > to - from || (out.rc >= 0 && (size_t)out.rc > to - from - n))
			abort();
		if (out.rc != -EAGAIN && out.rc < 0 && !why)
			abort();
		out.body_len += n;
		from = to;
	}
	if (out.rc >= 0 && out.body_len > H1_DEFAULT_MAX_BODY)
		abort();
	return out;
}

static void fuzz_chunked(const char *raw, size_t len, unsigned char seed)
{
	struct decoded whole = decode(raw, len, NULL, 0);
	size_t cut = len ? seed % (len + 1) : 0;
	struct decoded two = decode(raw, len, &cut, 1);
	if (two.rc != whole.rc && !(whole.rc >= 0 && two.rc >= 0))
		abort();
	if (whole.rc >= 0) {
		/* Same payload; the left-over is what the ending read held. */
		if (two.body_len != whole.body_len ||
		    memcmp(two.buf, whole.buf, whole.body_len) != 0)
			abort();
		size_t end = len - (size_t)whole.rc;
		if (memcmp(whole.buf + whole.body_len, raw + end, (size_t)whole.rc) != 0)
			abort();
	}
	free(two.buf);

	if (len <= 4096) {
		size_t *cuts = malloc((len ? len : 1) * sizeof(*cuts));
		if (!cuts)
			abort();
		for (size_t i = 0; i < len; i++)
			cuts[i] = i + 1;
		struct decoded bytes = decode(raw, len, cuts, len ? len - 1 : 0);
		if (bytes.rc != whole.rc && !(whole.rc >= 0 && bytes.rc >= 0))
			abort();
		if (whole.rc >= 0 && (bytes.body_len != whole.body_len ||
				      memcmp(bytes.buf, whole.buf, whole.body_len) != 0))
			abort();
		free(bytes.buf);
		free(cuts);
	}
	free(whole.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct h1_request *req = malloc(sizeof(*req));
	if (!req)
		abort();
	int status = 0;
	const char *why = NULL;
	int rc = h1_parse_head(buf, size, NULL, req, &status, &why);

	if (rc == -EAGAIN) {
		if (size >= H1_DEFAULT_MAX_HEAD)
			abort();
	} else if (rc < 0) {
		check_failure(rc, status, why);
	} else {
		size_t head = (size_t)rc;
		if (head > size || head > H1_DEFAULT_MAX_HEAD)
			abort();
		check_request(req, buf, head);
		/* The head alone parses the same; one byte short needs more. */
		if (h1_parse_head(buf, head, NULL, req, &status, &why) != rc ||
		    h1_parse_head(buf, head - 1, NULL, req, &status, &why) != -EAGAIN)
			abort();
		if (req->chunked)
			fuzz_chunked(buf + head, size - head, size ? data[0] : 0);
	}

	struct buf out;
	buf_init(&out);
	h1_write_head(&out, size ? 100 + data[size - 1] * 3 : 200,
		      rc > 0 ? "application/json" : NULL, size, rc > 0, NULL);
	buf_fini(&out);
	free(req);
	return 0;
}
