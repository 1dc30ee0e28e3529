/*
 * What the auth module's files share and nobody else sees: the layout of a
 * keyset. Keys are immutable after auth_keyset_from_jwks returns.
 */
#ifndef CHALLENGED_AUTH_PRIVATE_H
#define CHALLENGED_AUTH_PRIVATE_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/auth.h"

/* BearSSL verifies moduli of up to 4096 bits. */
#define AUTH_RSA_MAX_BYTES 512

struct auth_key {
	const char *kid; /* NUL-terminated, may hold NUL bytes (use kid_len) */
	size_t kid_len;
	/*
	 * False when BearSSL or Go's crypto/rsa would refuse the key (modulus
	 * over 4096 bits, exponent outside 2..2^31-1): the reference keeps such
	 * a key and fails each token signed with it, so we do the same.
	 */
	bool usable;
	br_rsa_public_key pub; /* n and e point into the key's own allocation */
};

struct auth_keyset {
	size_t count;
	struct auth_key keys[];
};

/* The key a token's kid names (the last one when listed twice), or NULL. */
const struct auth_key *auth_keyset_find(const struct auth_keyset *ks, const char *kid,
					size_t kid_len);

/*
 * MurmurHash3_x64_128 of len bytes at data (NULL allowed when len is 0):
 * out[0] and out[1] are the two 64-bit halves h1 and h2, the pair Go's
 * spaolacci/murmur3 Sum128 returns. Pure; any thread.
 */
void auth_murmur3_x64_128(const void *data, size_t len, uint32_t seed, uint64_t out[2]);

#endif
