/*
 * The two event messages the events scenario sends, encoded by hand: a few
 * length-delimited strings, one nested message and one double, in field
 * order as protobuf encoders write them. Pure; no protobuf-c, no allocation.
 */
#include <errno.h>
#include <string.h>

#include "loadgen.h"

#define WIRE_I64 1
#define WIRE_LEN 2

/* Bytes written so far, or SIZE_MAX once out of room. */
struct pb {
	char *p;
	size_t len;
	size_t cap;
};

static void put(struct pb *b, const void *src, size_t n)
{
	if (b->len == SIZE_MAX || b->cap - b->len < n) {
		b->len = SIZE_MAX;
		return;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_varint(struct pb *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (unsigned char)v;
	put(b, tmp, n);
}

static void put_tag(struct pb *b, unsigned field, unsigned wire)
{
	put_varint(b, (uint64_t)field << 3 | wire);
}

/* proto3 leaves empty strings out. */
static void put_string(struct pb *b, unsigned field, const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return;
	put_tag(b, field, WIRE_LEN);
	put_varint(b, n);
	put(b, s, n);
}

static size_t string_size(unsigned field, const char *s)
{
	size_t n = strlen(s);

	return n ? varint_len((uint64_t)field << 3) + varint_len(n) + n : 0;
}

static void put_double(struct pb *b, unsigned field, double v)
{
	unsigned char le[8];
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(bits >> (8 * i));
	put_tag(b, field, WIRE_I64);
	put(b, le, sizeof(le));
}

/* The 5-byte gRPC prefix: uncompressed, big-endian length of what follows. */
static void put_prefix(struct pb *b, size_t msg_len)
{
	unsigned char h[5] = { 0, (unsigned char)(msg_len >> 24), (unsigned char)(msg_len >> 16),
			       (unsigned char)(msg_len >> 8), (unsigned char)msg_len };

	put(b, h, sizeof(h));
}

static int finish(const struct pb *b)
{
	return b->len == SIZE_MAX || b->len > INT32_MAX ? -ENOBUFS : (int)b->len;
}

int lg_pb_login(char *out, size_t cap, const char *id, const char *ns, const char *user)
{
	struct pb b = { out, 0, cap };

	put_prefix(&b, string_size(2, id) + string_size(5, ns) + string_size(9, user));
	put_string(&b, 2, id);
	put_string(&b, 5, ns);
	put_string(&b, 9, user);
	return finish(&b);
}

int lg_pb_stat(char *out, size_t cap, const char *id, const char *ns, const char *user,
	       const char *stat_code, double value)
{
	struct pb b = { out, 0, cap };
	size_t payload = string_size(2, stat_code) + (value != 0 ? 9 : 0);

	put_prefix(&b, 1 + varint_len(payload) + payload + string_size(2, id) +
			       string_size(5, ns) + string_size(9, user));
	put_tag(&b, 1, WIRE_LEN);
	put_varint(&b, payload);
	put_string(&b, 2, stat_code);
	if (value != 0)
		put_double(&b, 4, value);
	put_string(&b, 2, id);
	put_string(&b, 5, ns);
	put_string(&b, 9, user);
	return finish(&b);
}
