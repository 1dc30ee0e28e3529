/*
 * JWKS documents to RSA public keys. Runs at start-up or on a refresh, never
 * on the request path, so it may allocate freely; the keyset it returns is
 * immutable and shared read-only by every shard.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "challenged/json.h"
#include "auth_private.h"

/* A JWKS document is a few KB; anything past this is not one. */
#define JWKS_FILE_MAX (1u << 20)

static const struct json_value *get_string(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v : NULL;
}

/* Decodes a base64url field into a fresh buffer; -EINVAL or -ENOMEM. */
static int decode_field(const struct json_value *v, unsigned char **out, size_t *out_len)
{
	bool padded = v->len > 0 && v->str[v->len - 1] == '=';
	size_t cap = v->len / 4 * 3 + 3;
	unsigned char *buf = malloc(cap);
	int n;

	if (!buf)
		return -ENOMEM;
	n = auth_b64url_decode(v->str, v->len, padded, buf, cap, NULL);
	if (n < 0) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*out_len = (size_t)n;
	return 0;
}

static size_t skip_zeros(const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] == 0)
		i++;
	return i;
}

/* Go's crypto/rsa refuses e < 2 and e > 2^31-1 at verification time. */
static bool exponent_ok(const unsigned char *e, size_t len)
{
	uint64_t v = 0;

	if (len > 4)
		return false;
	for (size_t i = 0; i < len; i++)
		v = v << 8 | e[i];
	return v >= 2 && v <= 0x7fffffff;
}

/*
 * Fills *key from a JWK whose kid, n and e are strings. The kid, modulus and
 * exponent share one allocation that starts at key->kid.
 */
static int key_build(struct auth_key *key, const struct json_value *kid,
		     const struct json_value *n, const struct json_value *e)
{
	unsigned char *nb = NULL, *eb = NULL;
	size_t nlen, elen, nz, ez;
	char *mem;
	int rc;

	rc = decode_field(n, &nb, &nlen);
	if (rc < 0)
		goto out;
	rc = decode_field(e, &eb, &elen);
	if (rc < 0)
		goto out;
	nz = skip_zeros(nb, nlen);
	ez = skip_zeros(eb, elen);
	mem = malloc((size_t)kid->len + 1 + (nlen - nz) + (elen - ez));
	if (!mem) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(mem, kid->str, kid->len);
	mem[kid->len] = '\0';
	key->kid = mem;
	key->kid_len = kid->len;
	key->pub.n = (unsigned char *)mem + kid->len + 1;
	key->pub.nlen = nlen - nz;
	memcpy(key->pub.n, nb + nz, key->pub.nlen);
	key->pub.e = key->pub.n + key->pub.nlen;
	key->pub.elen = elen - ez;
	memcpy(key->pub.e, eb + ez, key->pub.elen);
	key->usable = key->pub.nlen > 0 && key->pub.nlen <= AUTH_RSA_MAX_BYTES &&
		      exponent_ok(key->pub.e, key->pub.elen);
out:
	free(nb);
	free(eb);
	return rc;
}

static bool is_rsa(const struct json_value *jwk)
{
	const struct json_value *kty = get_string(jwk, "kty");

	return kty && kty->len == 3 && memcmp(kty->str, "RSA", 3) == 0;
}

static int keys_fill(struct auth_keyset *ks, const struct json_value *keys, const char **why)
{
	for (uint32_t i = 0; i < keys->len; i++) {
		const struct json_value *jwk = &keys->items[i];
		const struct json_value *kid, *n, *e;
		int rc;

		if (jwk->type != JSON_OBJECT) {
			*why = "JWKS key is not an object";
			return -EINVAL;
		}
		if (!is_rsa(jwk))
			continue;
		kid = get_string(jwk, "kid");
		n = get_string(jwk, "n");
		e = get_string(jwk, "e");
		if (!kid || !n || !e) {
			*why = "JWKS RSA key lacks a string \"kid\", \"n\" or \"e\"";
			return -EINVAL;
		}
		rc = key_build(&ks->keys[ks->count], kid, n, e);
		if (rc == -EINVAL)
			*why = "JWKS key \"n\" or \"e\" is not base64url";
		else if (rc < 0)
			*why = "out of memory building the JWKS keyset";
		if (rc < 0)
			return rc;
		ks->count++;
	}
	return 0;
}

int auth_keyset_from_jwks(const char *json, size_t len, struct auth_keyset **out,
			  const char **why)
{
	const struct json_value *root, *keys;
	struct auth_keyset *ks = NULL;
	struct json_doc *doc;
	const char *ignored;
	int rc;

	if (!why)
		why = &ignored;
	*why = NULL;
	rc = json_parse(json, len, 0, &doc, why);
	if (rc < 0) {
		if (!*why)
			*why = "JWKS is not valid JSON";
		return rc;
	}
	root = json_doc_root(doc);
	keys = json_get(root, "keys");
	if (!keys || keys->type != JSON_ARRAY) {
		*why = "JWKS has no \"keys\" array";
		rc = -EINVAL;
		goto out;
	}
	ks = calloc(1, sizeof(*ks) + (size_t)keys->len * sizeof(ks->keys[0]));
	if (!ks) {
		*why = "out of memory building the JWKS keyset";
		rc = -ENOMEM;
		goto out;
	}
	rc = keys_fill(ks, keys, why);
	if (rc < 0) {
		auth_keyset_free(ks);
		goto out;
	}
	*out = ks;
out:
	json_doc_free(doc);
	return rc;
}

static int read_all(int fd, char **out, size_t *out_len, const char **why)
{
	struct stat st;
	size_t got = 0;
	char *buf;

	if (fstat(fd, &st) < 0) {
		*why = "cannot stat the JWKS file";
		return -errno;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > JWKS_FILE_MAX) {
		*why = "JWKS file is larger than 1 MiB";
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		*why = "out of memory reading the JWKS file";
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			free(buf);
			*why = "cannot read the JWKS file";
			return err;
		}
		got += (size_t)n;
	}
	*out = buf;
	*out_len = got;
	return 0;
}

int auth_keyset_load_file(const char *path, struct auth_keyset **out, const char **why)
{
	size_t len = 0;
	char *text = NULL;
	const char *ignored;
	int fd, rc;

	if (!why)
		why = &ignored;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot open the JWKS file";
		return -errno;
	}
	rc = read_all(fd, &text, &len, why);
	close(fd);
	if (rc < 0)
		return rc;
	rc = auth_keyset_from_jwks(text, len, out, why);
	free(text);
	return rc;
}

void auth_keyset_free(struct auth_keyset *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->count; i++)
		free((void *)ks->keys[i].kid);
	free(ks);
}

size_t auth_keyset_count(const struct auth_keyset *ks)
{
	return ks->count;
}

const struct auth_key *auth_keyset_find(const struct auth_keyset *ks, const char *kid,
					size_t kid_len)
{
	for (size_t i = ks->count; i-- > 0;) {
		const struct auth_key *k = &ks->keys[i];

		if (k->kid_len == kid_len && memcmp(k->kid, kid, kid_len) == 0)
			return k;
	}
	return NULL;
}
