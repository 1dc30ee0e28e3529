/*
 * Fuzz target: arbitrary bytes as what an upstream server sends on one
 * connection, parsed as a sequence of responses (reset after each, the rest
 * fed to the next) and then the peer's close. Fed whole, cut at a point
 * chosen by the first byte, and a byte at a time, every way must give the
 * same responses and the same final result; limits and flags must hold.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/client/http_codec.h"

#define MAX_HEAD 4096
#define MAX_BODY 65536
#define MAX_RESPONSES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct trace {
	unsigned n;
	int status[MAX_RESPONSES];
	bool keep_alive[MAX_RESPONSES];
	uint64_t body_hash[MAX_RESPONSES];
	size_t end[MAX_RESPONSES]; /* input offset just past each response */
	int rc;                    /* the failure, or eof's result */
	bool started;              /* of the response the failure or eof hit */
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	return h;
}

static void check_response(const struct client_response *r)
{
	if (r->status < 200 || r->status > 999 || r->body.len > MAX_BODY ||
	    r->minor_version < 0 || r->minor_version > 1 || r->head.len > MAX_HEAD)
		abort();
	if (r->minor_version == 0 && r->keep_alive &&
	    !client_response_header(r, "connection", &(struct str){ 0 }))
		abort();
}

static bool record(struct trace *t, const struct client_response *r, size_t end)
{
	check_response(r);
	t->status[t->n] = r->status;
	t->keep_alive[t->n] = r->keep_alive;
	t->body_hash[t->n] = fnv1a(r->body.data, r->body.len);
	t->end[t->n] = end;
	return ++t->n < MAX_RESPONSES;
}

/* Feeds data in reads ending at each multiple of step (and at cut, if any). */
static void run(const char *data, size_t size, size_t step, size_t cut, struct trace *t)
{
	struct client_response r;
	const char *why = NULL;
	bool done = false;
	size_t at = 0;

	*t = (struct trace){ 0 };
	client_response_init(&r, MAX_HEAD, MAX_BODY);
	while (at < size) {
		size_t to = MIN(size, (at / step + 1) * step);
		if (at < cut && cut < to)
			to = cut;
		char *piece = malloc(to - at);
		if (!piece)
			abort();
		memcpy(piece, data + at, to - at);
		ssize_t n = client_response_feed(&r, piece, to - at, &done, &why);
		free(piece);
		if (n < 0) {
			if (!why || done || (n != -EPROTO && n != -EMSGSIZE))
				abort();
			t->rc = (int)n;
			t->started = r.started;
			goto out;
		}
		if ((size_t)n > to - at || ((size_t)n < to - at && !done))
			abort();
		at += (size_t)n;
		if (done) {
			if (!record(t, &r, at))
				goto out;
			client_response_reset(&r);
		}
	}
	t->started = r.started;
	t->rc = client_response_eof(&r, &why);
	if (t->rc == 0)
		record(t, &r, at);
	else if (t->rc != -EPIPE || !why)
		abort();
out:
	client_response_fini(&r);
}

static void same(const struct trace *a, const struct trace *b)
{
	if (a->n != b->n || a->rc != b->rc || a->started != b->started)
		abort();
	for (unsigned i = 0; i < a->n; i++)
		if (a->status[i] != b->status[i] || a->keep_alive[i] != b->keep_alive[i] ||
		    a->body_hash[i] != b->body_hash[i] || a->end[i] != b->end[i])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct trace whole, other;

	if (!size)
		return 0;
	run(p, size, size, size, &whole);
	run(p, size, size, data[0] % size, &other);
	same(&whole, &other);
	if (size <= 4096) {
		run(p, size, 1, size, &other);
		same(&whole, &other);
	}

	/* The writer on the same bytes: refused or well formed, never a partial write. */
	struct buf out;
	buf_init(&out);
	char *text = strndup(p, size);
	if (!text)
		abort();
	const char *const headers[] = { text, NULL };
	int rc = client_request_write(&out, "POST", "h", "/", headers, p, size);
	if ((rc == 0) == (out.len == 0) || (rc != 0 && rc != -EINVAL))
		abort();
	free(text);
	buf_fini(&out);
	return 0;
}
