/*
 * auth_verify against tokens minted here with the committed test key: each
 * failure of the reference's validator and gateway decoder, in its order,
 * with its exact text, plus the cache in front of it.
 */
#include <errno.h>
#include <inttypes.h>

#include "challenged/auth.h"
#include "auth_private.h"
#include "mint.h"

#define TXT_CRYPTO "square/go-jose: error in cryptographic primitive"
#define TXT_PARTS "square/go-jose: compact JWS format must have three parts"
#define HDR_OK "{\"alg\":\"RS256\",\"kid\":\"" MINT_KID "\"}"

static struct auth_keyset *ks;
static struct auth_revocation *rv; /* NULL but in test_revocation */
static char tok[16384 + 64];
static char why_buf[AUTH_WHY_MAX];
static struct auth_identity id;

static enum auth_result verify_ns(const char *t, size_t len, const char *ns, int64_t now,
				  const char **why)
{
	memset(&id, 0xa5, sizeof(id));
	return auth_verify(ks, rv, t, len, ns, now, &id, why_buf, sizeof(why_buf), why);
}

/* Verifies t at MINT_NOW against namespace "ns1" and checks result and text. */
#define EXPECT_FAIL(t, len, res, text)                                       \
	do {                                                                 \
		const char *why_ = NULL;                                     \
		CHECK_INT_EQ(verify_ns((t), (len), "ns1", MINT_NOW, &why_), (res)); \
		CHECK_STR_EQ(why_, (text));                                  \
	} while (0)

static void expect_ok(const char *t, size_t len, const char *sub)
{
	const char *why = "unset";

	if (verify_ns(t, len, "ns1", MINT_NOW, &why) != AUTH_OK)
		fprintf(stderr, "%.*s: %s\n", (int)len, t, why);
	CHECK(why == NULL);
	CHECK_MEM_EQ(id.sub, id.sub_len, sub);
	CHECK_INT_EQ(id.sub[id.sub_len], 0);
}

static size_t mint_times(const char *extra, int64_t exp_off)
{
	char payload[512];

	snprintf(payload, sizeof(payload), "{\"sub\":\"user-1\",\"exp\":%" PRId64 "%s}",
		 MINT_NOW + exp_off, extra);
	return mint(tok, payload);
}

static void test_valid(void)
{
	size_t n = mint_times(",\"iat\":1750000000,\"namespace\":\"ns1\"", 3600);

	expect_ok(tok, n, "user-1");
	CHECK_INT_EQ(id.exp, MINT_NOW + 3600);
	CHECK_INT_EQ(id.iat, MINT_NOW);
	/* No exp claim: accepted, reported as 0 so the cache bounds its life. */
	n = mint(tok, "{\"sub\":\"user-2\"}");
	expect_ok(tok, n, "user-2");
	CHECK_INT_EQ(id.exp, 0);
	CHECK_INT_EQ(id.iat, 0);
	/* null claims count as absent, as Go decodes them. */
	n = mint(tok, "{\"sub\":\"u\",\"exp\":null,\"nbf\":null,\"extend_namespace\":null}");
	expect_ok(tok, n, "u");
	/* A fractional exp is truncated by go-jose... */
	n = mint(tok, "{\"sub\":\"u\",\"exp\":1750000000.9}");
	/* ...but then the gateway's int64 field refuses it. */
	EXPECT_FAIL(tok, n, AUTH_BAD_CLAIMS,
		    "failed to decode JWT claims: failed to unmarshal JWT claims: json: cannot "
		    "unmarshal number into Go struct field JWTClaims.exp of type int64");
}

static void test_time(void)
{
	size_t n;

	/* go-jose allows 60 s of skew on each side. */
	n = mint_times("", -60);
	expect_ok(tok, n, "user-1");
	n = mint_times("", -61);
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "square/go-jose/jwt: validation failed, token is expired (exp)");
	n = mint_times(",\"nbf\":1750000060", 3600);
	expect_ok(tok, n, "user-1");
	n = mint_times(",\"nbf\":1750000061", 3600);
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "square/go-jose/jwt: validation failed, token not valid yet (nbf)");
	n = mint_times(",\"iat\":1750000061", 3600);
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "square/go-jsoe/jwt: validation field, token issued in the future (iat)");
	/* nbf is checked before exp, as in go-jose. */
	n = mint_times(",\"nbf\":1750009999", -3600);
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "square/go-jose/jwt: validation failed, token not valid yet (nbf)");
	/* An exp past int64 becomes INT64_MIN in Go: expired. */
	n = mint(tok, "{\"sub\":\"u\",\"exp\":18446744073709551615}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "square/go-jose/jwt: validation failed, token is expired (exp)");
	n = mint(tok, "{\"sub\":\"u\",\"exp\":\"1750003600\"}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "square/go-jose/jwt: expected number value to unmarshal NumericDate");
}

static void test_kid_and_alg(void)
{
	size_t n;

	n = mint_alg(tok, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, "public key not found");
	n = mint_alg(tok, "{\"alg\":\"RS256\"}", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, "'kid' header not found");
	n = mint_alg(tok, "{\"alg\":\"RS256\",\"kid\":\"\"}", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, "'kid' header not found");
	n = mint_alg(tok, "{\"alg\":\"RS256\",\"kid\":7}", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, "'kid' header not found");
	n = mint_alg(tok, "null", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, "'kid' header not found");
	n = mint_alg(tok, "[1]", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "json: cannot unmarshal array into Go value of type jose.rawHeader");
	/* The header's kid is case-sensitive in go-jose. */
	n = mint_alg(tok, "{\"alg\":\"RS256\",\"KID\":\"" MINT_KID "\"}", "{\"sub\":\"u\"}",
		     false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, "'kid' header not found");
	/* Signed by key 1 but naming key 2. */
	n = mint_alg(tok, "{\"alg\":\"RS256\",\"kid\":\"" MINT_KID2 "\"}", "{\"sub\":\"u\"}",
		     false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_CRYPTO);
	/* A good RS512 signature is still refused: alg is pinned. */
	n = mint_alg(tok, "{\"alg\":\"RS512\",\"kid\":\"" MINT_KID "\"}", "{\"sub\":\"u\"}", true);
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_CRYPTO);
	n = mint_alg(tok, "{\"kid\":\"" MINT_KID "\"}", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_CRYPTO);
	/* HS256 signed with the RSA modulus as the secret, or nothing at all. */
	n = mint_alg(tok, "{\"alg\":\"HS256\",\"kid\":\"" MINT_KID "\"}", "{\"sub\":\"u\"}", false);
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_CRYPTO);
	n = mint_b64("{\"alg\":\"none\",\"kid\":\"" MINT_KID "\"}", 40, tok);
	strcpy(tok + n, ".eyJzdWIiOiJ1In0.");
	EXPECT_FAIL(tok, strlen(tok), AUTH_INVALID, TXT_CRYPTO);
}

static void test_signature(void)
{
	size_t n = mint_times("", 3600);
	char *dot = strrchr(tok, '.'), saved = dot[10];

	expect_ok(tok, n, "user-1");
	/* A changed signature symbol. */
	dot[10] = saved == 'A' ? 'B' : 'A';
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_CRYPTO);
	dot[10] = saved;
	expect_ok(tok, n, "user-1");
	/* A changed payload symbol: still base64, still JSON-ish, wrong hash. */
	dot = strchr(tok, '.') + 3;
	*dot = *dot == 'A' ? 'B' : 'A';
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_CRYPTO);
	/* A truncated signature no longer matches the modulus length. */
	n = mint_times("", 3600);
	EXPECT_FAIL(tok, n - 4, AUTH_INVALID, TXT_CRYPTO);
	/* A signature padded with '=' decodes the same (go-jose trims it). */
	n = mint_times("", 3600);
	strcpy(tok + n, "==");
	expect_ok(tok, n + 2, "user-1");
}

static void test_format(void)
{
	size_t n;

	EXPECT_FAIL("", 0, AUTH_INVALID, TXT_PARTS);
	EXPECT_FAIL("abc.def", 7, AUTH_INVALID, TXT_PARTS);
	EXPECT_FAIL("a.b.c.d", 7, AUTH_INVALID, TXT_PARTS);
	n = mint_times("", 3600);
	strcpy(tok + n, ".x");
	EXPECT_FAIL(tok, n + 2, AUTH_INVALID, TXT_PARTS);
	/* Bad base64: the offset is within the failing segment. */
	EXPECT_FAIL("ab!c.eyJ9.c2ln", 14, AUTH_INVALID, "illegal base64 data at input byte 2");
	EXPECT_FAIL("eyJ9.ey+J.c2ln", 14, AUTH_INVALID, "illegal base64 data at input byte 2");
	EXPECT_FAIL("eyJ9.eyJ9.c2lnA", 15, AUTH_INVALID, "illegal base64 data at input byte 4");
	EXPECT_FAIL("e=J9.eyJ9.c2ln", 14, AUTH_INVALID, "illegal base64 data at input byte 1");
	/* Base64 errors come before header errors. */
	EXPECT_FAIL(".eyJ9.c2l!", 10, AUTH_INVALID, "illegal base64 data at input byte 3");
	EXPECT_FAIL(".eyJ9.c2ln", 10, AUTH_INVALID, "'kid' header not found");
	/* Header not JSON: the JSON parser's words, whatever they are. */
	{
		const char *why = NULL;

		n = mint_b64("{nope", 5, tok);
		strcpy(tok + n, ".eyJ9.c2ln");
		CHECK_INT_EQ(verify_ns(tok, strlen(tok), NULL, MINT_NOW, &why), AUTH_INVALID);
		CHECK(why != NULL && why[0] != '\0');
	}
	/* Longer than AUTH_TOKEN_MAX. */
	memset(tok, 'A', AUTH_TOKEN_MAX + 1);
	EXPECT_FAIL(tok, AUTH_TOKEN_MAX + 1, AUTH_INVALID, "token is longer than 16384 bytes");
}

static void test_claims(void)
{
	char payload[600], sub[300];
	size_t n;

	n = mint(tok, "{\"sub\":\"\"}");
	EXPECT_FAIL(tok, n, AUTH_BAD_CLAIMS, "failed to decode JWT claims: user ID (sub claim) is empty");
	n = mint(tok, "{\"namespace\":\"ns1\",\"client_id\":\"c\"}");
	EXPECT_FAIL(tok, n, AUTH_BAD_CLAIMS, "failed to decode JWT claims: user ID (sub claim) is empty");
	n = mint(tok, "null");
	EXPECT_FAIL(tok, n, AUTH_BAD_CLAIMS, "failed to decode JWT claims: user ID (sub claim) is empty");
	memset(sub, 'x', 256);
	sub[256] = '\0';
	snprintf(payload, sizeof(payload), "{\"sub\":\"%s\"}", sub);
	n = mint(tok, payload);
	expect_ok(tok, n, sub);
	snprintf(payload, sizeof(payload), "{\"sub\":\"%sx\"}", sub);
	n = mint(tok, payload);
	EXPECT_FAIL(tok, n, AUTH_BAD_CLAIMS,
		    "failed to decode JWT claims: user ID (sub claim) is longer than 256 bytes");
	n = mint(tok, "{\"sub\":42}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "json: cannot unmarshal number into Go struct field JWTClaims.sub of type string");
	n = mint(tok, "[\"sub\"]");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "json: cannot unmarshal array into Go value of type iam.JWTClaims");
	n = mint(tok, "{\"sub\":\"u\",\"namespace\":7}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "json: cannot unmarshal number into Go struct field JWTClaims.namespace of type string");
	/* Only the gateway sees "Namespace" (case-insensitive match). */
	n = mint(tok, "{\"sub\":\"u\",\"Namespace\":7}");
	EXPECT_FAIL(tok, n, AUTH_BAD_CLAIMS,
		    "failed to decode JWT claims: failed to unmarshal JWT claims: json: cannot "
		    "unmarshal number into Go struct field JWTClaims.namespace of type string");
	/* Escapes are decoded; the gateway matches keys ignoring case, last wins. */
	n = mint(tok, "{\"sub\":\"a\\u00e9\\\"b\"}");
	expect_ok(tok, n, "a\xc3\xa9\"b");
	n = mint(tok, "{\"sub\":\"first\",\"SUB\":\"second\"}");
	expect_ok(tok, n, "second");
	/* go-jose is case-sensitive, so a lone "Sub" passes it and feeds the gateway. */
	n = mint(tok, "{\"Sub\":\"upper\"}");
	expect_ok(tok, n, "upper");
	/* Signed but not JSON: the validator's JSON error. */
	{
		const char *why = NULL;

		n = mint(tok, "{\"sub\":");
		CHECK_INT_EQ(verify_ns(tok, n, NULL, MINT_NOW, &why), AUTH_INVALID);
		CHECK(why != NULL && why[0] != '\0');
	}
}

static void test_namespace(void)
{
	const char *why = NULL;
	size_t n;

	n = mint(tok, "{\"sub\":\"u\",\"extend_namespace\":\"ns1\"}");
	expect_ok(tok, n, "u");
	n = mint(tok, "{\"sub\":\"u\",\"extend_namespace\":\"\"}");
	expect_ok(tok, n, "u");
	n = mint(tok, "{\"sub\":\"u\",\"extend_namespace\":\"other\"}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "extend namespace from token has different a namespace with grpc server");
	CHECK_INT_EQ(verify_ns(tok, n, NULL, MINT_NOW, &why), AUTH_OK);
	n = mint(tok, "{\"sub\":\"u\",\"extend_namespace\":\"ns\"}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "extend namespace from token has different a namespace with grpc server");
	n = mint(tok, "{\"sub\":\"u\",\"extend_namespace\":[]}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "json: cannot unmarshal array into Go struct field JWTClaims.extend_namespace "
		    "of type string");
	/* The namespace check comes after the clock. */
	n = mint(tok, "{\"sub\":\"u\",\"exp\":1,\"extend_namespace\":\"other\"}");
	EXPECT_FAIL(tok, n, AUTH_INVALID,
		    "square/go-jose/jwt: validation failed, token is expired (exp)");
}

/* Signs header.payload where payload is the given base64url text as-is. */
static size_t mint_raw_payload(const char *payload_b64)
{
	size_t n = mint_b64(HDR_OK, strlen(HDR_OK), tok);

	tok[n++] = '.';
	strcpy(tok + n, payload_b64);
	return mint_sign(tok, n + strlen(payload_b64), false);
}

static void test_payload_padding(void)
{
	char b64[64];
	size_t n, len = mint_b64("{\"sub\":\"u\"}", 11, b64);

	/* 11 bytes encode to 15 symbols: one '=' makes it exact. */
	CHECK_INT_EQ(len % 4, 3);
	strcpy(b64 + len, "=");
	n = mint_raw_payload(b64);
	expect_ok(tok, n, "u");
	/* go-jose trims any '=' run, the gateway then refuses the inexact one. */
	strcpy(b64 + len, "==");
	n = mint_raw_payload(b64);
	EXPECT_FAIL(tok, n, AUTH_BAD_CLAIMS,
		    "failed to decode JWT claims: failed to decode JWT payload: illegal base64 "
		    "data at input byte 16");
}

static void test_why_without_buffer(void)
{
	const char *why = NULL;

	CHECK_INT_EQ(auth_verify(ks, NULL, "ab!c.eyJ9.c2ln", 14, NULL, MINT_NOW, &id, NULL, 0,
				 &why),
		     AUTH_INVALID);
	CHECK_STR_EQ(why, "illegal base64 data at input byte ");
	/* A short buffer truncates. */
	CHECK_INT_EQ(auth_verify(ks, NULL, "ab!c.eyJ9.c2ln", 14, NULL, MINT_NOW, &id, why_buf, 8,
				 &why),
		     AUTH_INVALID);
	CHECK_STR_EQ(why, "illegal");
	CHECK_INT_EQ(auth_verify(ks, NULL, "a.b", 3, NULL, MINT_NOW, &id, NULL, 0, NULL),
		     AUTH_INVALID);
}

/* How a shard uses the pair: look up, verify on a miss, remember. */
static void test_with_cache(void)
{
	struct auth_cache *c = auth_cache_new(16);
	struct auth_identity got;
	size_t n = mint_times("", 100);
	int64_t now = MINT_NOW;

	CHECK(c != NULL);
	CHECK(!auth_cache_lookup(c, tok, n, now, &got));
	CHECK_INT_EQ(verify_ns(tok, n, "ns1", now, NULL), AUTH_OK);
	auth_cache_insert(c, tok, n, &id);
	CHECK(auth_cache_lookup(c, tok, n, now + 160, &got));
	CHECK_MEM_EQ(got.sub, got.sub_len, "user-1");
	/* The cache lets go exactly when auth_verify starts refusing. */
	CHECK(!auth_cache_lookup(c, tok, n, now + 161, &got));
	CHECK_INT_EQ(verify_ns(tok, n, "ns1", now + 161, NULL), AUTH_INVALID);
	CHECK_INT_EQ(auth_cache_hits(c), 1);
	auth_cache_free(c);
}

/*
 * Builds the list IAM would send: the given tokens in a Bloom filter of
 * 16 words with k = 4 (the index rule is pinned in test_revocation.c), and
 * users as a JSON array body.
 */
static struct auth_revocation *revocation(const char *const *tokens, const char *users)
{
	uint64_t bits[16] = { 0 };
	char json[2048];
	size_t n;
	const char *why = NULL;
	struct auth_revocation *r = NULL;

	for (; *tokens; tokens++) {
		uint64_t h[2], combined;

		auth_murmur3_x64_128(*tokens, strlen(*tokens), 0, h);
		combined = h[0];
		for (int i = 0; i < 4; i++) {
			uint64_t idx = (combined & INT64_MAX) % (16 * 64);

			bits[idx / 64] |= UINT64_C(1) << (idx % 64);
			combined += h[1];
		}
	}
	n = (size_t)snprintf(json, sizeof(json),
			     "{\"revoked_tokens\":{\"m\":1024,\"k\":4,\"bits\":[");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s%" PRIu64, i ? "," : "",
				      bits[i]);
	snprintf(json + n, sizeof(json) - n, "]},\"revoked_users\":[%s]}", users);
	CHECK_INT_EQ(auth_revocation_from_json(json, strlen(json), &r, &why), 0);
	return r;
}

#define TXT_TOKEN_REVOKED "token was revoked"
#define TXT_USER_REVOKED "user was revoked"
#define TXT_EXPIRED "square/go-jose/jwt: validation failed, token is expired (exp)"
#define TXT_NS "extend namespace from token has different a namespace with grpc server"
/* user-1 revoked at MINT_NOW, the iat the tokens below carry. */
#define USER1_AT_NOW "{\"id\":\"user-1\",\"revoked_at\":\"2025-06-15T22:06:40+07:00\"}"

static void test_revocation(void)
{
	char revoked_tok[2048], other[2048];
	const char *list[] = { revoked_tok, NULL }, *none[] = { NULL };
	size_t rn, on, n;

	/* Same claims, two tokens: only the first goes into the filter. */
	rn = mint(revoked_tok, "{\"sub\":\"user-2\",\"iat\":1750000000,\"exp\":1750003600}");
	on = mint(other, "{\"sub\":\"user-2\",\"iat\":1750000001,\"exp\":1750003600}");
	rv = revocation(list, USER1_AT_NOW);
	EXPECT_FAIL(revoked_tok, rn, AUTH_INVALID, TXT_TOKEN_REVOKED);
	expect_ok(other, on, "user-2");
	/* The filter hashes the token exactly as given: '=' padding changes it. */
	strcpy(revoked_tok + rn, "==");
	expect_ok(revoked_tok, rn + 2, "user-2");
	revoked_tok[rn] = '\0';
	/* The clock comes first... */
	EXPECT_FAIL(revoked_tok, rn, AUTH_INVALID, TXT_TOKEN_REVOKED);
	{
		const char *why = NULL;

		CHECK_INT_EQ(verify_ns(revoked_tok, rn, "ns1", MINT_NOW + 3661, &why),
			     AUTH_INVALID);
		CHECK_STR_EQ(why, TXT_EXPIRED);
	}
	auth_revocation_free(rv);

	/* ...then the token, then the user, then extend_namespace, then sub. */
	rn = mint(revoked_tok, "{\"sub\":\"user-1\",\"iat\":1750000000,"
			       "\"extend_namespace\":\"other\"}");
	rv = revocation(list, USER1_AT_NOW);
	EXPECT_FAIL(revoked_tok, rn, AUTH_INVALID, TXT_TOKEN_REVOKED);
	auth_revocation_free(rv);
	rv = revocation(none, USER1_AT_NOW);
	EXPECT_FAIL(revoked_tok, rn, AUTH_INVALID, TXT_USER_REVOKED);
	auth_revocation_free(rv);
	rv = revocation(none, "");
	EXPECT_FAIL(revoked_tok, rn, AUTH_INVALID, TXT_NS);
	auth_revocation_free(rv);
	rn = mint(revoked_tok, "{\"sub\":\"\",\"iat\":1750000000}");
	rv = revocation(list, "");
	EXPECT_FAIL(revoked_tok, rn, AUTH_INVALID, TXT_TOKEN_REVOKED);
	auth_revocation_free(rv);
	rv = NULL;
	EXPECT_FAIL(revoked_tok, rn, AUTH_BAD_CLAIMS,
		    "failed to decode JWT claims: user ID (sub claim) is empty");

	/* A user revoked at or after the token's iat; later tokens pass. */
	rv = revocation(none, USER1_AT_NOW);
	n = mint(tok, "{\"sub\":\"user-1\",\"iat\":1749999999}");
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_USER_REVOKED);
	n = mint(tok, "{\"sub\":\"user-1\",\"iat\":1750000000}");
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_USER_REVOKED);
	n = mint(tok, "{\"sub\":\"user-1\",\"iat\":1750000000.7}");
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_USER_REVOKED);
	n = mint(tok, "{\"sub\":\"user-1\",\"iat\":1750000001}");
	expect_ok(tok, n, "user-1");
	CHECK_INT_EQ(id.iat, MINT_NOW + 1);
	/* No iat counts as 0: revoked whenever the user is. */
	n = mint(tok, "{\"sub\":\"user-1\"}");
	EXPECT_FAIL(tok, n, AUTH_INVALID, TXT_USER_REVOKED);
	/* Another user, or a case variant of the id, is not. */
	n = mint(tok, "{\"sub\":\"user-11\",\"iat\":1}");
	expect_ok(tok, n, "user-11");
	n = mint(tok, "{\"sub\":\"USER-1\",\"iat\":1}");
	expect_ok(tok, n, "USER-1");
	/* go-jose reads "sub" case-sensitively: a lone "Sub" is user "" to it. */
	n = mint(tok, "{\"Sub\":\"user-1\",\"iat\":1}");
	expect_ok(tok, n, "user-1");
	auth_revocation_free(rv);
	rv = NULL;
	/* Without a list nothing is revoked. */
	n = mint(tok, "{\"sub\":\"user-1\",\"iat\":1}");
	expect_ok(tok, n, "user-1");
}

int main(void)
{
	const char *why = NULL;

	CHECK_INT_EQ(auth_keyset_load_file(AUTH_TEST_DIR "/test_jwks.json", &ks, &why), 0);
	test_valid();
	test_time();
	test_kid_and_alg();
	test_signature();
	test_format();
	test_claims();
	test_namespace();
	test_payload_padding();
	test_why_without_buffer();
	test_with_cache();
	test_revocation();
	auth_keyset_free(ks);
	return 0;
}
