/*
 * Test-only token minting: loads the committed test RSA key (test_key.pem,
 * test material that signs nothing real) with BearSSL and signs compact JWS
 * strings so each test builds exactly the token it needs.
 */
#ifndef CHALLENGED_TEST_AUTH_MINT_H
#define CHALLENGED_TEST_AUTH_MINT_H

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define MINT_KID "challenged-test-1"
#define MINT_KID2 "challenged-test-2"
#define MINT_NOW INT64_C(1750000000)

/* The decoder owns the key material the returned key points into. */
static br_skey_decoder_context mint_skey;

struct mint_der {
	unsigned char buf[8192];
	size_t len;
};

static void mint_der_append(void *ctx, const void *data, size_t len)
{
	struct mint_der *d = ctx;

	CHECK(d->len + len <= sizeof(d->buf));
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

static char *mint_read_file(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", AUTH_TEST_DIR, name);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	CHECK(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	CHECK(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	CHECK(buf != NULL);
	CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static const br_rsa_private_key *mint_key(void)
{
	static struct mint_der der;
	static bool loaded;
	br_pem_decoder_context pc;
	size_t len, off = 0;
	char *pem;
	bool in_obj = false, done = false;

	if (loaded)
		return br_skey_decoder_get_rsa(&mint_skey);
	pem = mint_read_file("test_key.pem", &len);
	br_pem_decoder_init(&pc);
	while (!done && off < len) {
		off += br_pem_decoder_push(&pc, pem + off, len - off);
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			br_pem_decoder_setdest(&pc, mint_der_append, &der);
			in_obj = true;
			break;
		case BR_PEM_END_OBJ:
			done = in_obj;
			break;
		case BR_PEM_ERROR:
			CHECK(!"PEM decoding failed");
			break;
		default:
			break;
		}
	}
	free(pem);
	CHECK(done);
	br_skey_decoder_init(&mint_skey);
	br_skey_decoder_push(&mint_skey, der.buf, der.len);
	CHECK_INT_EQ(br_skey_decoder_last_error(&mint_skey), 0);
	CHECK(br_skey_decoder_get_rsa(&mint_skey) != NULL);
	loaded = true;
	return br_skey_decoder_get_rsa(&mint_skey);
}

/* base64url without padding; returns the length written (dst gets a NUL). */
static size_t mint_b64(const void *src, size_t len, char *dst)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *s = src;
	size_t n = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t q = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		dst[n++] = a[q >> 18];
		dst[n++] = a[(q >> 12) & 63];
		dst[n++] = a[(q >> 6) & 63];
		dst[n++] = a[q & 63];
	}
	if (len - i == 1) {
		dst[n++] = a[s[i] >> 2];
		dst[n++] = a[(s[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t q = (uint32_t)s[i] << 8 | s[i + 1];

		dst[n++] = a[q >> 10];
		dst[n++] = a[(q >> 4) & 63];
		dst[n++] = a[(q << 2) & 63];
	}
	dst[n] = '\0';
	return n;
}

/* Appends the RS256 (or RS512 when sha512) signature over out[0..len). */
static size_t mint_sign(char *out, size_t len, bool sha512)
{
	const br_rsa_private_key *sk = mint_key();
	unsigned char hash[64], sig[512];
	size_t hlen;

	if (sha512) {
		br_sha512_context c;

		br_sha512_init(&c);
		br_sha512_update(&c, out, len);
		br_sha512_out(&c, hash);
		hlen = 64;
	} else {
		br_sha256_context c;

		br_sha256_init(&c);
		br_sha256_update(&c, out, len);
		br_sha256_out(&c, hash);
		hlen = 32;
	}
	CHECK(br_rsa_pkcs1_sign_get_default()(sha512 ? BR_HASH_OID_SHA512 : BR_HASH_OID_SHA256,
					      hash, hlen, sk, sig) == 1);
	out[len++] = '.';
	return len + mint_b64(sig, (sk->n_bitlen + 7) / 8, out + len);
}

/* header.payload.signature in out (NUL-terminated); returns its length. */
static size_t mint_alg(char *out, const char *header, const char *payload, bool sha512)
{
	size_t n = mint_b64(header, strlen(header), out);

	out[n++] = '.';
	n += mint_b64(payload, strlen(payload), out + n);
	return mint_sign(out, n, sha512);
}

static size_t mint(char *out, const char *payload)
{
	return mint_alg(out, "{\"alg\":\"RS256\",\"kid\":\"" MINT_KID "\",\"typ\":\"JWT\"}",
			payload, false);
}

#endif
