/*
 * auth_b64url_decode against Go's encoding/base64 (RawURLEncoding and
 * URLEncoding): same bytes out, same error offsets.
 */
#include <errno.h>

#include "challenged/auth.h"
#include "check.h"

static void expect(const char *in, bool padded, const char *out)
{
	char buf[64];
	int n = auth_b64url_decode(in, strlen(in), padded, buf, sizeof(buf), NULL);

	CHECK_INT_EQ(n, (int)strlen(out));
	CHECK_MEM_EQ(buf, (size_t)n, out);
}

static void expect_bad(const char *in, bool padded, size_t at)
{
	char buf[64];
	size_t bad_at = 999;

	CHECK_INT_EQ(auth_b64url_decode(in, strlen(in), padded, buf, sizeof(buf), &bad_at),
		     -EINVAL);
	CHECK_INT_EQ(bad_at, at);
}

int main(void)
{
	char small[2];
	size_t bad_at;

	expect("", false, "");
	expect("", true, "");
	expect("Zg", false, "f");
	expect("Zm8", false, "fo");
	expect("Zm9v", false, "foo");
	expect("Zm9vYmFy", false, "foobar");
	expect("Zg==", true, "f");
	expect("Zm8=", true, "fo");
	expect("Zm9v", true, "foo");
	/* The URL alphabet: '-' and '_' are 62 and 63. */
	expect("-_8", false, "\xfb\xff");
	/* Go's default (non-strict) decoders ignore the unused low bits. */
	expect("Zh", false, "f");

	/* Raw: no '=' at all, no lone trailing symbol, no '+', '/', spaces. */
	expect_bad("Zg==", false, 2);
	expect_bad("Z", false, 0);
	expect_bad("Zm9vY", false, 4);
	expect_bad("Zm+v", false, 2);
	expect_bad("Zm/v", false, 2);
	expect_bad("Zm9 v", false, 3);
	expect_bad("Zm\n9v", false, 2);
	/* Padded: full quanta, exact padding, nothing after it. */
	expect_bad("Zg", true, 0);
	expect_bad("Zm8", true, 0);
	expect_bad("Zm9vZg", true, 4);
	expect_bad("Zg=", true, 3);
	expect_bad("Zg=a", true, 2);
	expect_bad("Z===", true, 1);
	expect_bad("====", true, 0);
	expect_bad("Zm9v=", true, 4);
	expect_bad("Zm8=Zm8=", true, 4);
	expect_bad("Zg===", true, 4);

	CHECK_INT_EQ(auth_b64url_decode("Zm9v", 4, false, small, sizeof(small), &bad_at),
		     -ENOBUFS);
	CHECK_INT_EQ(auth_b64url_decode("Zm8", 3, false, small, sizeof(small), &bad_at), 2);
	return 0;
}
