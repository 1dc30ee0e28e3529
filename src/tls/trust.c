/*
 * Trust anchors from a PEM bundle. Runs at start-up only: it reads a file and
 * allocates freely. The PEM decoder feeds each certificate straight into an
 * X.509 decoder, so no DER copy of a certificate is ever held; only the
 * subject DN and the public key are kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_private.h"

/* Reading the file in chunks this size; the decoders are streaming. */
#define READ_CHUNK 4096

struct loader {
	br_pem_decoder_context pem;
	br_x509_decoder_context x509;
	struct tls_trust *t;
	bool in_object;
	bool in_cert;
	/* subject DN of the certificate being decoded */
	unsigned char *dn;
	size_t dn_len, dn_cap;
	bool dn_oom;
	size_t certs_seen;
};

static void on_dn(void *ctx, const void *buf, size_t len)
{
	struct loader *ld = ctx;
	unsigned char *p;
	size_t cap;

	if (ld->dn_oom)
		return;
	if (ld->dn_len + len > ld->dn_cap) {
		cap = ld->dn_cap ? ld->dn_cap : 256;
		while (cap < ld->dn_len + len)
			cap *= 2;
		p = realloc(ld->dn, cap);
		if (!p) {
			ld->dn_oom = true;
			return;
		}
		ld->dn = p;
		ld->dn_cap = cap;
	}
	memcpy(ld->dn + ld->dn_len, buf, len);
	ld->dn_len += len;
}

static void on_cert_bytes(void *ctx, const void *buf, size_t len)
{
	struct loader *ld = ctx;

	br_x509_decoder_push(&ld->x509, buf, len);
}

static bool is_cert_name(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
}

static void object_begin(struct loader *ld)
{
	ld->in_object = true;
	ld->in_cert = is_cert_name(br_pem_decoder_name(&ld->pem));
	if (!ld->in_cert) {
		br_pem_decoder_setdest(&ld->pem, NULL, NULL);
		return;
	}
	ld->certs_seen++;
	ld->dn_len = 0;
	br_x509_decoder_init(&ld->x509, on_dn, ld);
	br_pem_decoder_setdest(&ld->pem, on_cert_bytes, ld);
}

static int anchors_grow(struct tls_trust *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	br_x509_trust_anchor *a = realloc(t->anchors, cap * sizeof(*a));

	if (!a)
		return -ENOMEM;
	t->anchors = a;
	t->cap = cap;
	return 0;
}

/*
 * Copies the DN and the key bytes (which point into the decoder context) into
 * one allocation the trust set owns.
 */
static int anchor_add(struct loader *ld, const br_x509_pkey *pk)
{
	struct tls_trust *t = ld->t;
	br_x509_trust_anchor *ta;
	size_t key_len;
	unsigned char *mem, *p;
	int rc;

	if (pk->key_type == BR_KEYTYPE_RSA)
		key_len = pk->key.rsa.nlen + pk->key.rsa.elen;
	else if (pk->key_type == BR_KEYTYPE_EC)
		key_len = pk->key.ec.qlen;
	else
		return 0;
	if (t->count == t->cap && (rc = anchors_grow(t)) < 0)
		return rc;
	mem = malloc(ld->dn_len + key_len);
	if (!mem)
		return -ENOMEM;
	ta = &t->anchors[t->count++];
	memcpy(mem, ld->dn, ld->dn_len);
	ta->dn.data = mem;
	ta->dn.len = ld->dn_len;
	ta->flags = BR_X509_TA_CA;
	ta->pkey = *pk;
	p = mem + ld->dn_len;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = p;
		memcpy(p, pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.e = p + pk->key.rsa.nlen;
		memcpy(ta->pkey.key.rsa.e, pk->key.rsa.e, pk->key.rsa.elen);
	} else {
		ta->pkey.key.ec.q = p;
		memcpy(p, pk->key.ec.q, pk->key.ec.qlen);
	}
	return 0;
}

/* A certificate that does not decode is skipped, not fatal: see the header. */
static int object_end(struct loader *ld)
{
	const br_x509_pkey *pk;
	bool was_cert = ld->in_cert;

	ld->in_object = false;
	ld->in_cert = false;
	br_pem_decoder_setdest(&ld->pem, NULL, NULL);
	if (!was_cert)
		return 0;
	if (ld->dn_oom)
		return -ENOMEM;
	pk = br_x509_decoder_get_pkey(&ld->x509);
	if (!pk)
		return 0;
	return anchor_add(ld, pk);
}

/* Pushes len bytes through the PEM decoder, acting on each event. */
static int feed(struct loader *ld, const unsigned char *p, size_t len, const char **why)
{
	while (len > 0) {
		size_t n = br_pem_decoder_push(&ld->pem, p, len);
		int rc;

		p += n;
		len -= n;
		switch (br_pem_decoder_event(&ld->pem)) {
		case BR_PEM_BEGIN_OBJ:
			object_begin(ld);
			break;
		case BR_PEM_END_OBJ:
			rc = object_end(ld);
			if (rc < 0) {
				*why = "out of memory";
				return rc;
			}
			break;
		case BR_PEM_ERROR:
			*why = "malformed PEM";
			return -EINVAL;
		default:
			if (n == 0) {
				*why = "PEM decoder stalled";
				return -EINVAL;
			}
			break;
		}
	}
	return 0;
}

static int read_file(int fd, struct loader *ld, const char **why)
{
	unsigned char buf[READ_CHUNK];
	ssize_t n;
	int rc;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			*why = strerror(-rc);
			return rc;
		}
		if (n == 0)
			break;
		rc = feed(ld, buf, (size_t)n, why);
		if (rc < 0)
			return rc;
	}
	/* The decoder sees an END line only once its newline arrives. */
	rc = feed(ld, (const unsigned char *)"\n", 1, why);
	if (rc < 0)
		return rc;
	if (ld->in_object) {
		*why = "truncated PEM object at the end";
		return -EINVAL;
	}
	return 0;
}

int tls_trust_load(const char *path, struct tls_trust **out, char *err, size_t err_len)
{
	struct loader *ld;
	const char *why = NULL;
	int fd, rc;

	ld = calloc(1, sizeof(*ld));
	if (ld)
		ld->t = calloc(1, sizeof(*ld->t));
	if (!ld || !ld->t) {
		why = "out of memory";
		rc = -ENOMEM;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		why = strerror(-rc);
		goto out;
	}
	br_pem_decoder_init(&ld->pem);
	rc = read_file(fd, ld, &why);
	close(fd);
	if (rc == 0 && ld->t->count == 0) {
		why = ld->certs_seen ? "no certificate in it could be decoded"
				     : "holds no PEM CERTIFICATE block";
		rc = -EINVAL;
	}
	if (rc == 0) {
		*out = ld->t;
		ld->t = NULL;
	}
out:
	if (rc < 0 && err_len > 0)
		snprintf(err, err_len, "trust file %s: %s", path, why);
	if (ld) {
		tls_trust_free(ld->t);
		free(ld->dn);
	}
	free(ld);
	return rc;
}

size_t tls_trust_count(const struct tls_trust *t)
{
	return t->count;
}

void tls_trust_free(struct tls_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++)
		free(t->anchors[i].dn.data);
	free(t->anchors);
	free(t);
}
