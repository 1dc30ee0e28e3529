/*
 * JSON output primitives: string literals escaped exactly as Go's
 * encoding/json (HTML-safe) or as protojson escape them, and numbers without
 * printf. Appends to a caller-owned struct buf; no state, any thread.
 */
#include "challenged/json.h"

#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

/*
 * Bytes below 0x80 that need an escape: 1 = in both flavours (control
 * characters, quote, backslash), 2 = only in Go's HTML-safe flavour.
 */
static const unsigned char esc_class[128] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1, ['<'] = 2, ['>'] = 2, ['&'] = 2,
};

/*
 * Length of the valid UTF-8 sequence at s (2-4), or 0 when the lead byte
 * starts no valid sequence (Go then decodes one byte as U+FFFD): overlong
 * forms, surrogates and runes above U+10FFFF are invalid, as in Go.
 */
static size_t utf8_valid_len(const unsigned char *s, size_t left, uint32_t *rune)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	uint32_t r = c & (0xFF >> (n + 1));
	for (size_t i = 1; i < n; i++)
		r = (r << 6) | (s[i] & 0x3F);
	*rune = r;
	return n;
}

static char *put_ascii_escape(char *o, unsigned char c)
{
	*o++ = '\\';
	switch (c) {
	case '"':
	case '\\':
		*o++ = (char)c;
		break;
	case '\b':
		*o++ = 'b';
		break;
	case '\f':
		*o++ = 'f';
		break;
	case '\n':
		*o++ = 'n';
		break;
	case '\r':
		*o++ = 'r';
		break;
	case '\t':
		*o++ = 't';
		break;
	default:
		memcpy(o, "u00", 3);
		o[3] = hex_digits[c >> 4];
		o[4] = hex_digits[c & 0xF];
		o += 5;
		break;
	}
	return o;
}

/*
 * The two flavours share one loop: html selects Go's encoding/json
 * (<>& escaped, U+2028/U+2029 escaped, bad bytes as the \ufffd escape);
 * otherwise protojson (those pass through, bad bytes as raw U+FFFD).
 */
static void write_string(struct buf *b, const char *str, size_t len, bool html)
{
	/* Worst case: every byte becomes a 6-byte escape. */
	if (len > (SIZE_MAX - 2) / 6) {
		b->failed = true;
		return;
	}
	char *o = buf_reserve(b, len * 6 + 2);
	if (!o)
		return;
	char *start = o;
	const unsigned char *s = (const unsigned char *)str;
	unsigned char limit = html ? 2 : 1;
	size_t i = 0;
	*o++ = '"';
	while (i < len) {
		size_t run = i;
		while (run < len && s[run] < 0x80 && (esc_class[s[run]] == 0 || esc_class[s[run]] > limit))
			run++;
		memcpy(o, s + i, run - i);
		o += run - i;
		i = run;
		if (i >= len)
			break;
		unsigned char c = s[i];
		if (c < 0x80) {
			o = put_ascii_escape(o, c);
			i++;
			continue;
		}
		uint32_t rune = 0;
		size_t n = utf8_valid_len(s + i, len - i, &rune);
		if (n == 0) {
			if (html) {
				memcpy(o, "\\ufffd", 6);
				o += 6;
			} else {
				memcpy(o, "\xEF\xBF\xBD", 3);
				o += 3;
			}
			i++;
		} else if (html && (rune == 0x2028 || rune == 0x2029)) {
			memcpy(o, "\\u202", 5);
			o[5] = hex_digits[rune & 0xF];
			o += 6;
			i += n;
		} else {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		}
	}
	*o++ = '"';
	b->len += (size_t)(o - start);
}

void json_write_string(struct buf *b, const char *s, size_t len)
{
	write_string(b, s, len, true);
}

void json_write_string_proto(struct buf *b, const char *s, size_t len)
{
	write_string(b, s, len, false);
}

void json_write_u64(struct buf *b, uint64_t v)
{
	buf_append_u64(b, v);
}

void json_write_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_append_char(b, '-');
		/* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
		json_write_u64(b, 0 - (uint64_t)v);
		return;
	}
	json_write_u64(b, (uint64_t)v);
}

void json_write_bool(struct buf *b, bool v)
{
	if (v)
		buf_append(b, "true", 4);
	else
		buf_append(b, "false", 5);
}
