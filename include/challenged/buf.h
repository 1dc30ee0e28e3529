/*
 * Growable byte buffer used for response bodies, outgoing bytes and anything
 * assembled piecewise. Owned by whoever embeds it; not thread-safe (each
 * buffer lives on one shard). Appends never fail silently: on allocation
 * failure the buffer enters an error state (buf.failed) that later appends
 * keep, so callers check once at the end and answer 503/RESOURCE_EXHAUSTED.
 */
#ifndef CHALLENGED_BUF_H
#define CHALLENGED_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

void buf_init(struct buf *b);
void buf_fini(struct buf *b);
/* Keeps the allocation, forgets the content and the error state. */
void buf_reset(struct buf *b);
/* Makes room for n more bytes; returns a pointer to write them or NULL. */
char *buf_reserve(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
void buf_append_u64(struct buf *b, uint64_t v);
void buf_append_i64(struct buf *b, int64_t v);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/* Takes ownership of the storage out of b (b becomes empty). */
char *buf_steal(struct buf *b, size_t *len);

#endif
