/*
 * JWKS documents to keysets: the committed test JWKS, what is skipped, what
 * is refused, which keys are kept but unusable, and kid lookup.
 */
#include <errno.h>

#include "challenged/auth.h"
#include "auth_private.h"
#include "check.h"

static int parse(const char *json, struct auth_keyset **ks, const char **why)
{
	*ks = NULL;
	*why = NULL;
	return auth_keyset_from_jwks(json, strlen(json), ks, why);
}

static void expect_bad(const char *json, const char *text)
{
	struct auth_keyset *ks;
	const char *why;

	CHECK_INT_EQ(parse(json, &ks, &why), -EINVAL);
	CHECK(ks == NULL);
	if (text)
		CHECK_STR_EQ(why, text);
	else
		CHECK(why != NULL);
}

static void test_file(void)
{
	struct auth_keyset *ks = NULL;
	const struct auth_key *k;
	const char *why = NULL;

	CHECK_INT_EQ(auth_keyset_load_file(AUTH_TEST_DIR "/test_jwks.json", &ks, &why), 0);
	/* The EC key is skipped. */
	CHECK_INT_EQ(auth_keyset_count(ks), 2);
	k = auth_keyset_find(ks, "challenged-test-1", 17);
	CHECK(k != NULL && k->usable);
	CHECK_INT_EQ(k->pub.nlen, 256);
	CHECK_INT_EQ(k->pub.elen, 3);
	CHECK(memcmp(k->pub.e, "\x01\x00\x01", 3) == 0);
	CHECK(auth_keyset_find(ks, "challenged-test-2", 17) != NULL);
	CHECK(auth_keyset_find(ks, "challenged-test-ec", 18) == NULL);
	CHECK(auth_keyset_find(ks, "challenged-test-", 16) == NULL);
	auth_keyset_free(ks);
	auth_keyset_free(NULL);

	CHECK_INT_EQ(auth_keyset_load_file(AUTH_TEST_DIR "/no-such-file.json", &ks, &why),
		     -ENOENT);
	CHECK_STR_EQ(why, "cannot open the JWKS file");
	CHECK_INT_EQ(auth_keyset_load_file(AUTH_TEST_DIR "/test_key.pem", &ks, &why), -EINVAL);
}

static void test_keys(void)
{
	struct auth_keyset *ks;
	const struct auth_key *k;
	const char *why;

	CHECK_INT_EQ(parse("{\"keys\":[]}", &ks, &why), 0);
	CHECK_INT_EQ(auth_keyset_count(ks), 0);
	CHECK(auth_keyset_find(ks, "x", 1) == NULL);
	auth_keyset_free(ks);

	/* A kid listed twice resolves to its last key; padding and zeros are fine. */
	CHECK_INT_EQ(parse("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AAECAw\",\"e\":\"AQAB\"},"
			   "{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"BAUG\",\"e\":\"AAM=\"},"
			   "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}",
			   &ks, &why),
		     0);
	CHECK_INT_EQ(auth_keyset_count(ks), 2);
	k = auth_keyset_find(ks, "a", 1);
	CHECK(k != NULL && k->usable);
	CHECK_MEM_EQ((const char *)k->pub.n, k->pub.nlen, "\x04\x05\x06");
	CHECK_MEM_EQ((const char *)k->pub.e, k->pub.elen, "\x03");
	auth_keyset_free(ks);

	/* Keys Go's crypto/rsa would refuse are kept, but marked unusable. */
	CHECK_INT_EQ(parse("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"e1\",\"n\":\"BAUG\",\"e\":\"AQ\"},"
			   "{\"kty\":\"RSA\",\"kid\":\"big-e\",\"n\":\"BAUG\",\"e\":\"AQAAAAA\"},"
			   "{\"kty\":\"RSA\",\"kid\":\"no-n\",\"n\":\"AAAA\",\"e\":\"AQAB\"}]}",
			   &ks, &why),
		     0);
	CHECK(!auth_keyset_find(ks, "e1", 2)->usable);
	CHECK(!auth_keyset_find(ks, "big-e", 5)->usable);
	CHECK(!auth_keyset_find(ks, "no-n", 4)->usable);
	auth_keyset_free(ks);
}

static void test_refused(void)
{
	expect_bad("not json", NULL);
	expect_bad("[]", "JWKS has no \"keys\" array");
	expect_bad("{\"keys\":{}}", "JWKS has no \"keys\" array");
	expect_bad("{\"keys\":[1]}", "JWKS key is not an object");
	expect_bad("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"e\":\"AQAB\"}]}",
		   "JWKS RSA key lacks a string \"kid\", \"n\" or \"e\"");
	expect_bad("{\"keys\":[{\"kty\":\"RSA\",\"kid\":1,\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
		   "JWKS RSA key lacks a string \"kid\", \"n\" or \"e\"");
	expect_bad("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQ+B\",\"e\":\"AQAB\"}]}",
		   "JWKS key \"n\" or \"e\" is not base64url");
	expect_bad("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQAB\",\"e\":\"A\"}]}",
		   "JWKS key \"n\" or \"e\" is not base64url");
}

int main(void)
{
	test_file();
	test_keys();
	test_refused();
	return 0;
}
