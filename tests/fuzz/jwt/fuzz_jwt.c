/*
 * Fuzz target: arbitrary bytes as a bearer token through auth_verify with a
 * fixed keyset (the public half of tests/unit/auth/test_key.pem) and a fixed
 * clock, then through a shard's cache, plus both base64url modes. Random
 * bytes never carry a valid signature, so the same bytes also go straight to
 * the claim checks behind it (jwt.c is included to reach them), against a
 * fixed revocation list; they are also parsed as a revocation list. Nothing
 * may crash, leak or read out of bounds; an accepted token must come back
 * from the cache with the same identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/auth/jwt.c"

#define FUZZ_NOW INT64_C(1750000000)

static const char fuzz_jwks[] =
	"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"challenged-test-1\",\"e\":\"AQAB\",\"n\":\""
	"1tfPM6KAOfkkMyiRM4m9CwXhMR2bcmicPrPbpTiMX6-o2KzrQMi8-XGExWhpl7r2"
	"Pjq4gQOQImF7X66peh8UChpBAFnDYzHA0Ci_qbEI3LHaOKo1SyINsX_gaQnQZPpx"
	"D3hOYMOlvycTLHEhBAaMVqFTRblDsfJ7xiLhKdu6iJ3zVjrbU-KQO7Dm7cueB0Rn"
	"d3p-rshXS4wELZdw0v3n0BjDWbNqM_9OaiJsa4aCrabT9gFULS4EQUynitRdFPmv"
	"--32hP8X10DbeJSyMi2Psq78PPUFBrEcYmx8vnirRbsoIOCcwOg8EsysrUA0odRU"
	"gdFadN02alq7v6AldvLTUQ"
	"\"},{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";

/* Half the filter bits set, so the claim checks see both answers. */
static const char fuzz_revocation[] =
	"{\"revoked_tokens\":{\"m\":256,\"k\":2,\"bits\":[6148914691236517205,"
	"12297829382473034410,0,18446744073709551615]},\"revoked_users\":["
	"{\"id\":\"u\",\"revoked_at\":\"2025-06-15T15:06:40Z\"},"
	"{\"id\":\"user-1\",\"revoked_at\":\"2020-01-01T00:00:00.5+07:00\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a revocation list document; a parsed one must answer. */
static void check_revocation(const uint8_t *data, size_t size)
{
	struct auth_revocation *rv = NULL;
	const char *why = NULL;

	if (auth_revocation_from_json((const char *)data, size, &rv, &why) < 0) {
		if (!why)
			abort();
		return;
	}
	(void)auth_revocation_token_revoked(rv, (const char *)data, size);
	(void)auth_revocation_user_revoked(rv, (const char *)data, size < 8 ? size : 8, 0);
	if (auth_revocation_bits(rv) % 64 != 0)
		abort();
	auth_revocation_free(rv);
}

static void check_cache(struct auth_cache *c, const char *tok, size_t len,
			const struct auth_identity *id)
{
	struct auth_identity got;

	if (!auth_cache_lookup(c, tok, len, FUZZ_NOW, &got)) {
		auth_cache_insert(c, tok, len, id);
		if (!auth_cache_lookup(c, tok, len, FUZZ_NOW, &got))
			abort();
	}
	if (got.sub_len != id->sub_len || memcmp(got.sub, id->sub, id->sub_len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_keyset *ks;
	static struct auth_cache *cache;
	static struct auth_revocation *rv;
	static unsigned char out[AUTH_TOKEN_MAX];
	char why_buf[AUTH_WHY_MAX];
	struct auth_identity id;
	const char *tok = (const char *)data, *why = NULL;
	enum auth_result r;

	if (!ks) {
		if (auth_keyset_from_jwks(fuzz_jwks, sizeof(fuzz_jwks) - 1, &ks, &why) < 0)
			abort();
		if (auth_revocation_from_json(fuzz_revocation, sizeof(fuzz_revocation) - 1, &rv,
					      &why) < 0)
			abort();
		cache = auth_cache_new(32);
		if (!cache)
			abort();
	}
	r = auth_verify(ks, rv, tok, size, "ns1", FUZZ_NOW, &id, why_buf, sizeof(why_buf), &why);
	if (r == AUTH_OK) {
		if (why || id.sub_len == 0 || id.sub_len > AUTH_SUB_MAX || id.sub[id.sub_len])
			abort();
		check_cache(cache, tok, size, &id);
	} else if (!why || strlen(why) >= AUTH_WHY_MAX) {
		abort();
	}
	why = NULL;
	{
		struct verdict v = { why_buf, sizeof(why_buf), &why };
		struct expect x = { "ns1", FUZZ_NOW, size % 3 ? rv : NULL, { tok, size } };

		r = payload_check(&v, data, size, &x, &id, size % 7 != 0, size);
		if (r == AUTH_OK ? (why || id.sub_len == 0 || id.sub_len > AUTH_SUB_MAX)
				 : (!why || strlen(why) >= AUTH_WHY_MAX))
			abort();
	}
	check_revocation(data, size);
	if (size <= sizeof(out)) {
		(void)auth_b64url_decode(tok, size, false, out, sizeof(out), NULL);
		(void)auth_b64url_decode(tok, size, true, out, sizeof(out), NULL);
	}
	return 0;
}
