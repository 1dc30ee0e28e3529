/*
 * base64url decoding with Go's encoding/base64 rules, so a token that the
 * reference rejects is rejected here with the same byte offset. Pure code,
 * any thread, never allocates. Unlike Go it does not skip '\r' and '\n':
 * neither can occur in a header value or a JWKS field we accept.
 */
#include <errno.h>
#include <limits.h>

#include "challenged/auth.h"

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

/*
 * Consumes the '=' run that ends a quantum holding j symbols; *si points just
 * past the first '='. Returns 0, or -EINVAL with *bad_at as Go reports it.
 */
static int take_padding(const char *src, size_t len, size_t *si, int j, size_t *bad_at)
{
	if (j < 2) {
		*bad_at = *si - 1;
		return -EINVAL;
	}
	if (j == 2) {
		if (*si == len) {
			*bad_at = len;
			return -EINVAL;
		}
		if (src[*si] != '=') {
			*bad_at = *si - 1;
			return -EINVAL;
		}
		(*si)++;
	}
	if (*si < len) {
		*bad_at = *si;
		return -EINVAL;
	}
	return 0;
}

int auth_b64url_decode(const char *src, size_t len, bool padded, void *dst, size_t cap,
		       size_t *bad_at)
{
	unsigned char *out = dst;
	size_t si = 0, n = 0;
	size_t ignored;

	if (!bad_at)
		bad_at = &ignored;
	if (len / 4 * 3 > (size_t)INT_MAX - 3)
		return -ENOBUFS;
	while (si < len) {
		uint32_t q = 0;
		size_t start = si;
		int j = 0, rc;
		bool pad = false;

		while (j < 4 && si < len) {
			unsigned char ch = (unsigned char)src[si++];
			int v = b64_value(ch);

			if (v >= 0) {
				q = q << 6 | (uint32_t)v;
				j++;
				continue;
			}
			if (ch != '=' || !padded) {
				*bad_at = si - 1;
				return -EINVAL;
			}
			rc = take_padding(src, len, &si, j, bad_at);
			if (rc < 0)
				return rc;
			pad = true;
			break;
		}
		/* A lone symbol carries no whole byte; padded text needs full quanta. */
		if (j == 1 || (j < 4 && padded && !pad)) {
			*bad_at = start;
			return -EINVAL;
		}
		if (n + (size_t)(j - 1) > cap)
			return -ENOBUFS;
		switch (j) {
		case 4:
			out[n++] = (unsigned char)(q >> 16);
			out[n++] = (unsigned char)(q >> 8);
			out[n++] = (unsigned char)q;
			break;
		case 3:
			out[n++] = (unsigned char)(q >> 10);
			out[n++] = (unsigned char)(q >> 2);
			break;
		case 2:
			out[n++] = (unsigned char)(q >> 4);
			break;
		default:
			break;
		}
	}
	return (int)n;
}
