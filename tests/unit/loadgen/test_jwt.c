/*
 * Key generation, PEM round trip, JWKS and RS256 minting, checked by the
 * server's own verifier (src/auth): a token loadgen mints is one challenged
 * accepts with the JWKS loadgen wrote.
 */
#include <unistd.h>

#include "jwt.c"

#include "challenged/auth.h"
#include "check.h"

static char dir[] = "/tmp/lg-test-jwt-XXXXXX";
static char key_path[64], jwks_path[64];

static void verify_ok(const struct auth_keyset *ks, const struct buf *tok, const char *sub,
		      int64_t now, int64_t exp)
{
	struct auth_identity id;
	char why_buf[AUTH_WHY_MAX];
	const char *why = NULL;

	CHECK_INT_EQ(auth_verify(ks, NULL, tok->data, tok->len, NULL, now, &id, why_buf,
				 sizeof(why_buf), &why), AUTH_OK);
	CHECK_MEM_EQ(id.sub, id.sub_len, sub);
	CHECK_INT_EQ(id.exp, exp);
}

static void test_b64url(void)
{
	char out[16];

	CHECK_INT_EQ(lg_b64url("", 0, out), 0);
	CHECK_STR_EQ(out, "");
	lg_b64url("f", 1, out);
	CHECK_STR_EQ(out, "Zg");
	lg_b64url("fo", 2, out);
	CHECK_STR_EQ(out, "Zm8");
	lg_b64url("foo", 3, out);
	CHECK_STR_EQ(out, "Zm9v");
	lg_b64url("\xfb\xff\xbf", 3, out);
	CHECK_STR_EQ(out, "-_-_");
}

int main(void)
{
	static struct lg_key gen, loaded, missing;
	struct auth_keyset *ks = NULL;
	const char *why = NULL;
	struct buf tok, jwks;
	int64_t now = 1750000000;

	test_b64url();
	CHECK(mkdtemp(dir) != NULL);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", dir);

	CHECK_INT_EQ(lg_key_generate(&gen, 512, key_path, &why), -EINVAL);
	CHECK_INT_EQ(lg_key_generate(&gen, 1024, key_path, &why), 0);
	CHECK_INT_EQ(gen.sk.n_bitlen, 1024);
	CHECK_INT_EQ(gen.n_len, 128);
	CHECK_INT_EQ(gen.e_len, 3);
	CHECK(memcmp(gen.e, "\x01\x00\x01", 3) == 0);
	CHECK(strncmp(gen.kid, "loadgen-", 8) == 0 && strlen(gen.kid) == 20);

	/* The PEM written is read back as the same key (same modulus, same kid). */
	CHECK_INT_EQ(lg_key_load(&loaded, key_path, &why), 0);
	CHECK_INT_EQ(loaded.n_len, gen.n_len);
	CHECK(memcmp(loaded.n, gen.n, gen.n_len) == 0);
	CHECK_STR_EQ(loaded.kid, gen.kid);

	CHECK_INT_EQ(lg_key_load(&missing, "/nonexistent/key.pem", &why), -ENOENT);

	/* The JWKS parses with the server's loader. */
	CHECK_INT_EQ(lg_jwks_write(&loaded, jwks_path, &why), 0);
	CHECK_INT_EQ(auth_keyset_load_file(jwks_path, &ks, &why), 0);
	CHECK_INT_EQ(auth_keyset_count(ks), 1);
	/* A file with no PEM object in it is refused. */
	CHECK_INT_EQ(lg_key_load(&missing, jwks_path, &why), -EINVAL);

	buf_init(&jwks);
	lg_jwks_render(&gen, &jwks);
	CHECK(strstr(jwks.data, "\"e\":\"AQAB\"") != NULL);
	CHECK(strstr(jwks.data, gen.kid) != NULL);
	buf_fini(&jwks);

	/* Tokens from either copy of the key verify, sub and exp as minted. */
	buf_init(&tok);
	CHECK_INT_EQ(lg_jwt_mint(&loaded, "user-000042", "test", now, now + 3600, &tok), 0);
	verify_ok(ks, &tok, "user-000042", now, now + 3600);
	buf_reset(&tok);
	CHECK_INT_EQ(lg_jwt_mint(&gen, "user-000001", "test", now, now + 60, &tok), 0);
	verify_ok(ks, &tok, "user-000001", now + 30, now + 60);
	/* Expired beyond the leeway: refused, so exp really is what we set. */
	{
		struct auth_identity id;
		char why_buf[AUTH_WHY_MAX];

		CHECK_INT_EQ(auth_verify(ks, NULL, tok.data, tok.len, NULL,
					 now + 60 + AUTH_LEEWAY_S + 1, &id, why_buf,
					 sizeof(why_buf), &why), AUTH_INVALID);
	}
	/* Appending keeps what the buffer held. */
	buf_reset(&tok);
	buf_append_str(&tok, "Bearer ");
	CHECK_INT_EQ(lg_jwt_mint(&gen, "user-000002", "test", now, now + 60, &tok), 0);
	CHECK(strncmp(tok.data, "Bearer eyJ", 10) == 0);
	{
		struct buf bare = { tok.data + 7, tok.len - 7, 0, false };

		verify_ok(ks, &bare, "user-000002", now, now + 60);
	}
	buf_fini(&tok);
	auth_keyset_free(ks);
	CHECK_INT_EQ(unlink(key_path), 0);
	CHECK_INT_EQ(unlink(jwks_path), 0);
	CHECK_INT_EQ(rmdir(dir), 0);
	return 0;
}
