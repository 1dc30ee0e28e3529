/* Growable byte buffer; see include/challenged/buf.h. Single-threaded. */
#include "challenged/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
	*b = (struct buf){ 0 };
}

void buf_fini(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
}

char *buf_reserve(struct buf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->cap - b->len >= n)
		return b->data + b->len;
	size_t want = b->len + n;
	if (want < b->len) {
		b->failed = true;
		return NULL;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return NULL;
	}
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	char *dst = buf_reserve(b, n);
	if (!dst)
		return;
	if (n)
		memcpy(dst, p, n);
	b->len += n;
}

void buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_append_char(struct buf *b, char c)
{
	char *dst = buf_reserve(b, 1);
	if (!dst)
		return;
	*dst = c;
	b->len++;
}

void buf_append_u64(struct buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_append(b, tmp + i, sizeof(tmp) - i);
}

void buf_append_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_append_char(b, '-');
		buf_append_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_append_u64(b, (uint64_t)v);
	}
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *dst = buf_reserve(b, 64);
	int n = dst ? vsnprintf(dst, b->cap - b->len, fmt, ap) : -1;
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		dst = buf_reserve(b, (size_t)n + 1);
		if (!dst)
			return;
		va_start(ap, fmt);
		vsnprintf(dst, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	*b = (struct buf){ 0 };
	return p;
}
