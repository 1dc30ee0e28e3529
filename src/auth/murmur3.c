/*
 * MurmurHash3_x64_128 (Austin Appleby's public-domain design), the hash the
 * IAM revocation Bloom filter indexes with. Pure, any thread. Blocks are read
 * little-endian whatever the host, so the result matches the reference's
 * github.com/spaolacci/murmur3 Sum128 byte for byte.
 */
#include <string.h>

#include "auth_private.h"

#define C1 UINT64_C(0x87c37b91114253d5)
#define C2 UINT64_C(0x4cf5ad432745937f)

static uint64_t rotl64(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

/* memcpy keeps unaligned reads defined; the shifts fix the byte order. */
static uint64_t load_le64(const unsigned char *p)
{
	unsigned char b[8];
	uint64_t v = 0;

	memcpy(b, p, sizeof(b));
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Up to 8 tail bytes as the little-endian integer they start. */
static uint64_t load_le_tail(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64_C(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return k;
}

static uint64_t mix_k1(uint64_t k1)
{
	return rotl64(k1 * C1, 31) * C2;
}

static uint64_t mix_k2(uint64_t k2)
{
	return rotl64(k2 * C2, 33) * C1;
}

void auth_murmur3_x64_128(const void *data, size_t len, uint32_t seed, uint64_t out[2])
{
	const unsigned char *p = data;
	size_t blocks = len / 16, rest = len % 16;
	uint64_t h1 = seed, h2 = seed;

	for (size_t i = 0; i < blocks; i++) {
		h1 ^= mix_k1(load_le64(p + 16 * i));
		h1 = (rotl64(h1, 27) + h2) * 5 + 0x52dce729;
		h2 ^= mix_k2(load_le64(p + 16 * i + 8));
		h2 = (rotl64(h2, 31) + h1) * 5 + 0x38495ab5;
	}
	/* No pointer arithmetic on an empty input: data may then be NULL. */
	if (rest > 8)
		h2 ^= mix_k2(load_le_tail(p + 16 * blocks + 8, rest - 8));
	if (rest > 0)
		h1 ^= mix_k1(load_le_tail(p + 16 * blocks, rest > 8 ? 8 : rest));
	h1 ^= (uint64_t)len;
	h2 ^= (uint64_t)len;
	h1 += h2;
	h2 += h1;
	h1 = fmix64(h1);
	h2 = fmix64(h2);
	h1 += h2;
	h2 += h1;
	out[0] = h1;
	out[1] = h2;
}
