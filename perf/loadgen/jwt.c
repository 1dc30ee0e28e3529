/*
 * Token material for benchmarks with auth on, done the suite's way: one RSA
 * key pair, its JWKS file for the server (AUTH_JWKS_FILE), and one RS256
 * token per user minted before the load starts. Runs at start-up only; the
 * workers just copy the finished tokens into requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loadgen.h"

/* A PEM RSA key is a few KB; refuse anything much larger. */
#define PEM_MAX (64u * 1024)

size_t lg_b64url(const void *src, size_t len, char *dst)
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

/* Copies the decoded private key into k (the decoder is on the stack). */
static int key_adopt(struct lg_key *k, const br_rsa_private_key *in)
{
	unsigned char *dst = k->priv;
	size_t need = in->plen + in->qlen + in->dplen + in->dqlen + in->iqlen;

	if (need > sizeof(k->priv) || in->n_bitlen > LG_RSA_MAX_BYTES * 8)
		return -EINVAL;
	k->sk.n_bitlen = in->n_bitlen;
#define TAKE(f, l)                          \
	do {                                \
		memcpy(dst, in->f, in->l);  \
		k->sk.f = dst;              \
		k->sk.l = in->l;            \
		dst += in->l;               \
	} while (0)
	TAKE(p, plen);
	TAKE(q, qlen);
	TAKE(dp, dplen);
	TAKE(dq, dqlen);
	TAKE(iq, iqlen);
#undef TAKE
	return 0;
}

/* Fills n, e and kid from the private key. */
static int key_finish(struct lg_key *k)
{
	br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
	br_rsa_compute_pubexp pubexp = br_rsa_compute_pubexp_get_default();
	unsigned char hash[32];
	br_sha256_context c;
	uint32_t e;
	size_t i = 0;

	if (modulus(NULL, &k->sk) > sizeof(k->n))
		return -EINVAL;
	k->n_len = modulus(k->n, &k->sk);
	e = pubexp(&k->sk);
	if (k->n_len == 0 || e == 0)
		return -EINVAL;
	while (i < 3 && (e >> (24 - 8 * i)) == 0)
		i++;
	k->e_len = 4 - i;
	for (size_t j = 0; j < k->e_len; j++)
		k->e[j] = (unsigned char)(e >> (8 * (k->e_len - 1 - j)));
	/* The kid names the key, so two keys never share one. */
	br_sha256_init(&c);
	br_sha256_update(&c, k->n, k->n_len);
	br_sha256_out(&c, hash);
	snprintf(k->kid, sizeof(k->kid), "loadgen-%02x%02x%02x%02x%02x%02x", hash[0], hash[1],
		 hash[2], hash[3], hash[4], hash[5]);
	return 0;
}

struct der {
	unsigned char buf[8192];
	size_t len;
	bool overflow;
};

static void der_append(void *ctx, const void *data, size_t len)
{
	struct der *d = ctx;

	if (d->len + len > sizeof(d->buf)) {
		d->overflow = true;
		return;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

static int read_file(const char *path, char **out, size_t *len)
{
	char *buf = malloc(PEM_MAX);
	ssize_t n;
	size_t got = 0;
	int fd, rc = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	while (got < PEM_MAX && (n = read(fd, buf + got, PEM_MAX - got)) != 0) {
		if (n < 0) {
			rc = -errno;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (rc == 0 && got == PEM_MAX)
		rc = -EFBIG;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = got;
	return 0;
}

/* The first PEM object of text, as DER, into d. */
static int pem_first(const char *text, size_t len, struct der *d)
{
	br_pem_decoder_context pc;
	size_t off = 0;
	bool in_obj = false;

	br_pem_decoder_init(&pc);
	while (off < len) {
		off += br_pem_decoder_push(&pc, text + off, len - off);
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			br_pem_decoder_setdest(&pc, der_append, d);
			in_obj = true;
			break;
		case BR_PEM_END_OBJ:
			if (in_obj)
				return d->overflow ? -EFBIG : 0;
			break;
		case BR_PEM_ERROR:
			return -EINVAL;
		default:
			break;
		}
	}
	return -EINVAL;
}

int lg_key_load(struct lg_key *k, const char *path, const char **why)
{
	br_skey_decoder_context dc;
	struct der d;
	char *pem = NULL;
	size_t len = 0;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = read_file(path, &pem, &len);
	if (rc < 0) {
		*why = "cannot read the --jwt-key file";
		return rc;
	}
	d.len = 0;
	d.overflow = false;
	rc = pem_first(pem, len, &d);
	free(pem);
	if (rc < 0) {
		*why = "the --jwt-key file holds no PEM object";
		return rc;
	}
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, d.buf, d.len);
	if (br_skey_decoder_last_error(&dc) != 0 || !br_skey_decoder_get_rsa(&dc)) {
		*why = "the --jwt-key file is not an RSA private key (PKCS#1 or PKCS#8 PEM)";
		return -EINVAL;
	}
	if (key_adopt(k, br_skey_decoder_get_rsa(&dc)) < 0 || key_finish(k) < 0) {
		*why = "the --jwt-key RSA key is unusable (at most 4096 bits)";
		return -EINVAL;
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int lg_key_generate(struct lg_key *k, unsigned bits, const char *path, const char **why)
{
	unsigned char pub_buf[BR_RSA_KBUF_PUB_SIZE(4096)];
	unsigned char d[LG_RSA_MAX_BYTES], der[8192];
	char pem[12288];
	br_rsa_public_key pk;
	br_hmac_drbg_context rng;
	br_rsa_private_key sk;
	unsigned char seed[48];
	size_t dlen, der_len, pem_len;
	int rc;

	memset(k, 0, sizeof(*k));
	if (bits < 1024 || bits > 4096) {
		*why = "key size must be 1024..4096 bits";
		return -EINVAL;
	}
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		*why = "getrandom failed";
		return -EIO;
	}
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
	if (!br_rsa_keygen_get_default()(&rng.vtable, &sk, k->priv, &pk, pub_buf, bits, 65537)) {
		*why = "RSA key generation failed";
		return -EINVAL;
	}
	k->sk = sk;
	dlen = br_rsa_compute_privexp_get_default()(d, &sk, 65537);
	der_len = dlen ? br_encode_rsa_raw_der(NULL, &sk, &pk, d, dlen) : 0;
	if (dlen == 0 || der_len == 0 || der_len > sizeof(der) || key_finish(k) < 0) {
		*why = "RSA key encoding failed";
		return -EINVAL;
	}
	br_encode_rsa_raw_der(der, &sk, &pk, d, dlen);
	pem_len = br_pem_encode(NULL, der, der_len, "RSA PRIVATE KEY", BR_PEM_LINE64);
	if (pem_len + 1 > sizeof(pem)) {
		*why = "RSA key encoding failed";
		return -EINVAL;
	}
	br_pem_encode(pem, der, der_len, "RSA PRIVATE KEY", BR_PEM_LINE64);
	rc = write_file(path, pem, pem_len, 0600);
	memset(d, 0, sizeof(d));
	memset(der, 0, sizeof(der));
	memset(pem, 0, sizeof(pem));
	if (rc < 0)
		*why = "cannot write the --gen-key file";
	return rc;
}

void lg_jwks_render(const struct lg_key *k, struct buf *out)
{
	char n64[LG_RSA_MAX_BYTES / 3 * 4 + 8], e64[12];

	lg_b64url(k->n, k->n_len, n64);
	lg_b64url(k->e, k->e_len, e64);
	buf_printf(out,
		   "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\","
		   "\"n\":\"%s\",\"e\":\"%s\"}]}\n",
		   k->kid, n64, e64);
}

int lg_jwks_write(const struct lg_key *k, const char *path, const char **why)
{
	struct buf b;
	int rc;

	buf_init(&b);
	lg_jwks_render(k, &b);
	rc = b.failed ? -ENOMEM : write_file(path, b.data, b.len, 0644);
	buf_fini(&b);
	if (rc < 0)
		*why = "cannot write the --jwks-out file";
	return rc;
}

int lg_jwt_mint(const struct lg_key *k, const char *sub, const char *ns, int64_t iat,
		int64_t exp, struct buf *out)
{
	char head[128], payload[512], seg[700];
	unsigned char hash[32], sig[LG_RSA_MAX_BYTES];
	size_t start = out->len, hl, pl;
	br_sha256_context c;
	char *sig64;

	hl = (size_t)snprintf(head, sizeof(head), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
			      k->kid);
	pl = (size_t)snprintf(payload, sizeof(payload),
			      "{\"sub\":\"%s\",\"namespace\":\"%s\",\"iat\":%lld,\"exp\":%lld}", sub,
			      ns, (long long)iat, (long long)exp);
	if (hl >= sizeof(head) || pl >= sizeof(payload))
		return -EINVAL;
	buf_append(out, seg, lg_b64url(head, hl, seg));
	buf_append_char(out, '.');
	buf_append(out, seg, lg_b64url(payload, pl, seg));
	if (out->failed)
		return -ENOMEM;
	br_sha256_init(&c);
	br_sha256_update(&c, out->data + start, out->len - start);
	br_sha256_out(&c, hash);
	if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash, sizeof(hash), &k->sk, sig))
		return -EINVAL;
	buf_append_char(out, '.');
	sig64 = buf_reserve(out, LG_RSA_MAX_BYTES / 3 * 4 + 8);
	if (!sig64)
		return -ENOMEM;
	out->len += lg_b64url(sig, (k->sk.n_bitlen + 7) / 8, sig64);
	return 0;
}
