/*
 * Resumable decoder for chunked request bodies (RFC 9112 7.1). Its progress
 * lives in struct h1_chunked, so bytes may arrive split anywhere; payload is
 * compacted in place towards the front of the caller's buffer. Pure: no
 * allocation, no I/O, any shard. It must never write past buf + *len.
 */
#include "challenged/http1.h"

#include <errno.h>
#include <string.h>

enum ch_state {
	CH_SIZE = 0,   /* hex digits of a chunk size */
	CH_SIZE_WS,    /* BWS after the size: more of it, ';' or CR */
	CH_EXT,        /* skipping a chunk extension up to CR */
	CH_SIZE_LF,    /* the LF ending a size line */
	CH_DATA,       /* chunk_left payload bytes to go */
	CH_DATA_CR,    /* the CRLF after chunk data */
	CH_DATA_LF,
	CH_TRAILER,    /* at the start of a trailer line or the final CRLF */
	CH_TRAILER_IN, /* inside a trailer line, up to CR */
	CH_TRAILER_LF,
	CH_END_LF,     /* the LF of the final CRLF */
	CH_DONE,
};

void h1_chunked_init(struct h1_chunked *d)
{
	*d = (struct h1_chunked){ .state = CH_SIZE };
}

static int hexval(unsigned char c)
{
	if ((unsigned)(c - '0') < 10)
		return c - '0';
	c |= 0x20;
	if ((unsigned)(c - 'a') < 6)
		return c - 'a' + 10;
	return -1;
}

/* Bytes allowed inside extensions and trailer lines: no CTL but HTAB. */
static bool is_text(unsigned char c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t';
}

/* Records a failure so that later calls repeat it; state holds -errno. */
static int reject(struct h1_chunked *d, int err, const char **why,
		  const char *msg)
{
	d->state = -err;
	*why = msg;
	return -err;
}

/* The size line is complete: account for it before any payload arrives. */
static int end_size_line(struct h1_chunked *d, uint64_t max_body,
			 const char **why)
{
	uint64_t size = d->chunk_left;
	if (size > max_body || d->total > max_body - size)
		return reject(d, EFBIG, why, "chunked body larger than limit");
	d->line_len = 0;
	d->hex_digits = 0;
	d->state = size ? CH_DATA : CH_TRAILER;
	return 0;
}

/*
 * One framing byte (anything but payload). Returns 0 to go on, 1 when the
 * body is complete, or -errno.
 */
static int step(struct h1_chunked *d, unsigned char c, uint64_t max_body,
		const char **why)
{
	if (d->state <= CH_SIZE_LF && ++d->line_len > H1_CHUNK_LINE_MAX)
		return reject(d, EBADMSG, why, "chunk size line too long");
	if (d->state >= CH_TRAILER && ++d->line_len > H1_CHUNK_TRAILER_MAX)
		return reject(d, EBADMSG, why, "chunked trailer section too long");

	switch ((enum ch_state)d->state) {
	case CH_SIZE: {
		int v = hexval(c);
		if (v >= 0) {
			if (d->chunk_left > (UINT64_MAX >> 4))
				return reject(d, EBADMSG, why, "chunk size overflows");
			d->chunk_left = d->chunk_left << 4 | (unsigned)v;
			d->hex_digits++;
			return 0;
		}
		if (d->hex_digits == 0)
			return reject(d, EBADMSG, why, "missing chunk size");
		/* The byte after the digits is judged as BWS would be. */
	}
		/* fall through */
	case CH_SIZE_WS:
		if (c == ' ' || c == '\t')
			d->state = CH_SIZE_WS;
		else if (c == ';')
			d->state = CH_EXT;
		else if (c == '\r')
			d->state = CH_SIZE_LF;
		else
			return reject(d, EBADMSG, why, "invalid chunk size line");
		return 0;
	case CH_EXT:
		if (c == '\r')
			d->state = CH_SIZE_LF;
		else if (!is_text(c))
			return reject(d, EBADMSG, why, "invalid chunk extension");
		return 0;
	case CH_SIZE_LF:
		if (c != '\n')
			return reject(d, EBADMSG, why, "chunk size line without CRLF");
		return end_size_line(d, max_body, why);
	case CH_DATA_CR:
		if (c != '\r')
			return reject(d, EBADMSG, why, "chunk data not followed by CRLF");
		d->state = CH_DATA_LF;
		return 0;
	case CH_DATA_LF:
		if (c != '\n')
			return reject(d, EBADMSG, why, "chunk data not followed by CRLF");
		d->state = CH_SIZE;
		return 0;
	case CH_TRAILER:
		if (c == '\r') {
			d->state = CH_END_LF;
			return 0;
		}
		/* A trailer line starts; its first byte is judged below. */
		d->state = CH_TRAILER_IN;
		/* fall through */
	case CH_TRAILER_IN:
		if (c == '\r')
			d->state = CH_TRAILER_LF;
		else if (!is_text(c))
			return reject(d, EBADMSG, why, "invalid chunked trailer");
		return 0;
	case CH_TRAILER_LF:
		if (c != '\n')
			return reject(d, EBADMSG, why, "trailer line without CRLF");
		d->state = CH_TRAILER;
		return 0;
	case CH_END_LF:
		if (c != '\n')
			return reject(d, EBADMSG, why, "chunked body without final CRLF");
		d->state = CH_DONE;
		return 1;
	case CH_DATA:
	case CH_DONE:
		break;
	}
	return reject(d, EBADMSG, why, "chunked decoder in an impossible state");
}

ssize_t h1_chunked_decode(struct h1_chunked *d, char *buf, size_t *len,
			  uint64_t max_body, const char **why)
{
	const char *src = buf, *end = buf + *len;
	char *dst = buf;

	if (d->state < 0) {
		*len = 0;
		*why = "chunked body already rejected";
		return d->state;
	}
	if (d->state == CH_DONE) {
		*len = 0;
		return (ssize_t)(end - src);
	}
	while (src < end) {
		if (d->state == CH_DATA) {
			size_t n = (size_t)MIN(d->chunk_left, (uint64_t)(end - src));
			if (dst != src)
				memmove(dst, src, n);
			dst += n;
			src += n;
			d->chunk_left -= n;
			d->total += n;
			if (d->chunk_left == 0)
				d->state = CH_DATA_CR;
			continue;
		}
		int rc = step(d, (unsigned char)*src++, max_body, why);
		if (rc < 0) {
			*len = (size_t)(dst - buf);
			return rc;
		}
		if (rc > 0) {
			size_t rest = (size_t)(end - src);
			if (rest && dst != src)
				memmove(dst, src, rest);
			*len = (size_t)(dst - buf);
			return (ssize_t)rest;
		}
	}
	*len = (size_t)(dst - buf);
	return -EAGAIN;
}
