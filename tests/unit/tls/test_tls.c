/*
 * TLS client set-up against a BearSSL server engine in the same process:
 * records are shuttled between the two engines in memory until both are
 * idle, so no socket, thread or process is involved. Fixtures come from
 * make-certs.sh in this directory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "challenged/common.h"
#include "challenged/tls.h"
#include "check.h"
#include "tls_private.h"

#define FIXTURE(name) TLS_TEST_DIR "/" name
#define CHAIN_MAX 4

struct pem_objs {
	br_x509_certificate certs[CHAIN_MAX];
	size_t n;
	unsigned char *der; /* bytes of the object being decoded */
	size_t len, cap;
};

struct server {
	br_ssl_server_context sc;
	br_skey_decoder_context skey;
	struct pem_objs chain;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static unsigned char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	CHECK(f != NULL);
	CHECK(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	CHECK(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	CHECK(buf != NULL);
	CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	buf[n] = '\n'; /* the PEM decoder needs the last line ended */
	*len = (size_t)n + 1;
	return buf;
}

static void on_der(void *ctx, const void *p, size_t len)
{
	struct pem_objs *o = ctx;

	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		o->der = realloc(o->der, o->cap);
		CHECK(o->der != NULL);
	}
	memcpy(o->der + o->len, p, len);
	o->len += len;
}

/* Decodes every PEM object of path; the last one stays in o->der. */
static void pem_load(const char *path, struct pem_objs *o)
{
	br_pem_decoder_context pem;
	size_t len, off = 0;
	unsigned char *buf = read_whole(path, &len);

	memset(o, 0, sizeof(*o));
	br_pem_decoder_init(&pem);
	while (off < len) {
		off += br_pem_decoder_push(&pem, buf + off, len - off);
		switch (br_pem_decoder_event(&pem)) {
		case BR_PEM_BEGIN_OBJ:
			o->len = 0;
			br_pem_decoder_setdest(&pem, on_der, o);
			break;
		case BR_PEM_END_OBJ:
			if (strcmp(br_pem_decoder_name(&pem), "CERTIFICATE") != 0)
				break;
			CHECK(o->n < CHAIN_MAX);
			o->certs[o->n].data = malloc(o->len);
			CHECK(o->certs[o->n].data != NULL);
			memcpy(o->certs[o->n].data, o->der, o->len);
			o->certs[o->n].data_len = o->len;
			o->n++;
			break;
		case BR_PEM_ERROR:
			CHECK(!"PEM error in fixture");
			break;
		}
	}
	free(buf);
}

static void pem_free(struct pem_objs *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->certs[i].data);
	free(o->der);
}

/* suite: the one cipher suite the server accepts, or 0 for its full list. */
static struct server *server_new(const char *chain_path, const char *key_path, uint16_t suite)
{
	struct server *s = calloc(1, sizeof(*s));
	struct pem_objs key;

	CHECK(s != NULL);
	pem_load(chain_path, &s->chain);
	CHECK(s->chain.n > 0);
	pem_load(key_path, &key);
	br_skey_decoder_init(&s->skey);
	br_skey_decoder_push(&s->skey, key.der, key.len);
	pem_free(&key);
	CHECK_INT_EQ(br_skey_decoder_last_error(&s->skey), 0);
	if (br_skey_decoder_key_type(&s->skey) == BR_KEYTYPE_RSA) {
		br_ssl_server_init_full_rsa(&s->sc, s->chain.certs, s->chain.n,
					    br_skey_decoder_get_rsa(&s->skey));
	} else {
		CHECK_INT_EQ(br_skey_decoder_key_type(&s->skey), BR_KEYTYPE_EC);
		/* The fixtures' EC server certificate is signed by the EC CA. */
		br_ssl_server_init_full_ec(&s->sc, s->chain.certs, s->chain.n, BR_KEYTYPE_EC,
					   br_skey_decoder_get_ec(&s->skey));
	}
	if (suite)
		br_ssl_engine_set_suites(&s->sc.eng, &suite, 1);
	br_ssl_engine_set_buffer(&s->sc.eng, s->iobuf, sizeof(s->iobuf), 1);
	CHECK(br_ssl_server_reset(&s->sc));
	return s;
}

static void server_free(struct server *s)
{
	pem_free(&s->chain);
	free(s);
}

/* Moves one chunk of records from one engine to the other; false if none. */
static bool move(br_ssl_engine_context *from, br_ssl_engine_context *to)
{
	unsigned char *out, *in;
	size_t olen, ilen, n;

	if (!(br_ssl_engine_current_state(from) & BR_SSL_SENDREC))
		return false;
	out = br_ssl_engine_sendrec_buf(from, &olen);
	if (br_ssl_engine_current_state(to) & BR_SSL_CLOSED) {
		/* A closed peer reads nothing more: the bytes are lost, as on a wire. */
		br_ssl_engine_sendrec_ack(from, olen);
		return true;
	}
	if (!(br_ssl_engine_current_state(to) & BR_SSL_RECVREC))
		return false;
	in = br_ssl_engine_recvrec_buf(to, &ilen);
	n = MIN(olen, ilen);
	memcpy(in, out, n);
	br_ssl_engine_sendrec_ack(from, n);
	br_ssl_engine_recvrec_ack(to, n);
	return true;
}

/* Shuttles records until neither engine has anything for the other. */
static void pump(br_ssl_engine_context *a, br_ssl_engine_context *b)
{
	for (int i = 0; i < 10000; i++) {
		bool ab = move(a, b);
		bool ba = move(b, a);

		if (!ab && !ba)
			return;
	}
	CHECK(!"engines never went idle");
}

static void app_send(br_ssl_engine_context *eng, const char *msg)
{
	size_t len;
	unsigned char *p;

	CHECK(br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP);
	p = br_ssl_engine_sendapp_buf(eng, &len);
	CHECK(len >= strlen(msg));
	memcpy(p, msg, strlen(msg));
	br_ssl_engine_sendapp_ack(eng, strlen(msg));
	br_ssl_engine_flush(eng, 0);
}

static void app_expect(br_ssl_engine_context *eng, const char *msg)
{
	size_t len;
	unsigned char *p;

	CHECK(br_ssl_engine_current_state(eng) & BR_SSL_RECVAPP);
	p = br_ssl_engine_recvapp_buf(eng, &len);
	CHECK_MEM_EQ((const char *)p, len, msg);
	br_ssl_engine_recvapp_ack(eng, len);
}

static struct tls_trust *trust_fixture(void)
{
	struct tls_trust *t = NULL;
	char err[256] = "";

	if (tls_trust_load(FIXTURE("trust.pem"), &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"trust.pem did not load");
	}
	return t;
}

/*
 * Full handshake, data both ways, then a clean close_notify exchange. The
 * server accepts only suite, which the client must therefore offer.
 */
static void test_handshake_ok(const char *chain, const char *key, uint16_t suite)
{
	struct tls_trust *t = trust_fixture();
	struct tls_client *c = malloc(sizeof(*c));
	struct server *s = server_new(chain, key, suite);
	br_ssl_engine_context *ce, *se = &s->sc.eng;
	br_ssl_session_parameters params;

	CHECK(c != NULL);
	CHECK_INT_EQ(tls_client_init(c, t, "localhost"), 0);
	ce = tls_client_engine(c);
	pump(ce, se);
	CHECK_INT_EQ(br_ssl_engine_last_error(ce), BR_ERR_OK);
	CHECK_INT_EQ(br_ssl_engine_last_error(se), BR_ERR_OK);
	CHECK(br_ssl_engine_current_state(ce) & BR_SSL_SENDAPP);
	CHECK_INT_EQ(br_ssl_engine_get_version(ce), BR_TLS12);
	CHECK_STR_EQ(br_ssl_engine_get_server_name(se), "localhost");
	br_ssl_engine_get_session_parameters(ce, &params);
	CHECK_INT_EQ(params.cipher_suite, suite);

	app_send(ce, "ping from client");
	pump(ce, se);
	app_expect(se, "ping from client");
	app_send(se, "pong from server");
	pump(ce, se);
	app_expect(ce, "pong from server");

	br_ssl_engine_close(ce);
	pump(ce, se);
	CHECK_INT_EQ(br_ssl_engine_current_state(ce), BR_SSL_CLOSED);
	CHECK_INT_EQ(br_ssl_engine_current_state(se), BR_SSL_CLOSED);
	CHECK_INT_EQ(br_ssl_engine_last_error(ce), BR_ERR_OK);
	CHECK_INT_EQ(br_ssl_engine_last_error(se), BR_ERR_OK);

	server_free(s);
	free(c);
	tls_trust_free(t);
}

/* The handshake fails on the client side with want_err. */
static void test_handshake_fails(const char *chain, const char *name, int want_err,
				 const char *want_text)
{
	struct tls_trust *t = trust_fixture();
	struct tls_client *c = malloc(sizeof(*c));
	struct server *s = server_new(chain, FIXTURE("server-rsa.key"), 0);
	br_ssl_engine_context *ce;

	CHECK(c != NULL);
	CHECK_INT_EQ(tls_client_init(c, t, name), 0);
	ce = tls_client_engine(c);
	pump(ce, &s->sc.eng);
	CHECK_INT_EQ(br_ssl_engine_current_state(ce), BR_SSL_CLOSED);
	CHECK_INT_EQ(br_ssl_engine_last_error(ce), want_err);
	CHECK_STR_EQ(tls_error_text(br_ssl_engine_last_error(ce)), want_text);
	/*
	 * BearSSL fails without sending an alert: the server is left waiting
	 * for the client's key exchange and never reaches application data.
	 */
	CHECK_INT_EQ(br_ssl_engine_current_state(&s->sc.eng), BR_SSL_RECVREC);

	server_free(s);
	free(c);
	tls_trust_free(t);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	CHECK(fputs(text, f) >= 0);
	CHECK(fclose(f) == 0);
}

static void test_trust_load(void)
{
	struct tls_trust *t = NULL;
	char err[256] = "", tmp[] = "/tmp/tls-test-XXXXXX";
	const br_x509_trust_anchor *a;
	int fd;

	t = trust_fixture();
	CHECK_INT_EQ(tls_trust_count(t), 2);
	a = t->anchors;
	CHECK_INT_EQ(a[0].pkey.key_type, BR_KEYTYPE_RSA);
	CHECK_INT_EQ(a[0].pkey.key.rsa.nlen, 256);
	CHECK_INT_EQ(a[1].pkey.key_type, BR_KEYTYPE_EC);
	CHECK_INT_EQ(a[1].pkey.key.ec.curve, BR_EC_secp256r1);
	CHECK_INT_EQ(a[1].pkey.key.ec.qlen, 65);
	for (size_t i = 0; i < 2; i++) {
		CHECK_INT_EQ(a[i].flags, BR_X509_TA_CA);
		CHECK(a[i].dn.len > 20);
	}
	tls_trust_free(t);

	t = NULL;
	CHECK_INT_EQ(tls_trust_load(TLS_SYSTEM_CA_FILE, &t, err, sizeof(err)), 0);
	CHECK(tls_trust_count(t) > 100);
	tls_trust_free(t);

	CHECK_INT_EQ(tls_trust_load("/nonexistent/ca.pem", &t, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/nonexistent/ca.pem") != NULL);

	/* PEM, but a key and no certificate. */
	CHECK_INT_EQ(tls_trust_load(FIXTURE("server-rsa.key"), &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "server-rsa.key: holds no PEM CERTIFICATE block") != NULL);

	fd = mkstemp(tmp);
	CHECK(fd >= 0);
	close(fd);
	write_file(tmp, "just text\n");
	CHECK_INT_EQ(tls_trust_load(tmp, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "holds no PEM CERTIFICATE block") != NULL);
	/* A CERTIFICATE block whose DER is not a certificate ("hello"). */
	write_file(tmp, "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n");
	CHECK_INT_EQ(tls_trust_load(tmp, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "no certificate in it could be decoded") != NULL);
	/* Bad base64 inside a block. */
	write_file(tmp, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
	CHECK_INT_EQ(tls_trust_load(tmp, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "malformed PEM") != NULL);
	unlink(tmp);
}

static void test_bad_names(void)
{
	static const char *const bad[] = {
		"", "127.0.0.1", "127.1", "2130706433", "example.123", "::1", "[::1]",
		"bad name", "a..b", ".example.com", "example.com.", "host/x", "h\xc3\xa9",
	};
	static const char *const good[] = {
		"localhost", "api.example.com", "1.example.com", "x-y_z.example",
	};
	struct tls_trust *t = trust_fixture();
	struct tls_client *c = malloc(sizeof(*c));
	char longname[300];

	CHECK(c != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (tls_client_init(c, t, bad[i]) != -EINVAL) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
			CHECK(!"bad server name accepted");
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		CHECK_INT_EQ(tls_client_init(c, t, good[i]), 0);
	/* 254 characters: one past the DNS limit; labels of 63 are fine. */
	memset(longname, 'a', sizeof(longname));
	for (size_t i = 63; i < 254; i += 64)
		longname[i] = '.';
	longname[253] = '\0';
	CHECK_INT_EQ(tls_client_init(c, t, longname), 0);
	longname[253] = 'a';
	longname[254] = '\0';
	CHECK_INT_EQ(tls_client_init(c, t, longname), -EINVAL);
	memset(longname, 'a', 64);
	longname[64] = '\0';
	CHECK_INT_EQ(tls_client_init(c, t, longname), -EINVAL);
	free(c);
	tls_trust_free(t);
}

static void test_error_text(void)
{
	static const int codes[] = {
		BR_ERR_BAD_PARAM, BR_ERR_BAD_STATE, BR_ERR_UNSUPPORTED_VERSION,
		BR_ERR_BAD_VERSION, BR_ERR_BAD_LENGTH, BR_ERR_TOO_LARGE, BR_ERR_BAD_MAC,
		BR_ERR_NO_RANDOM, BR_ERR_UNKNOWN_TYPE, BR_ERR_UNEXPECTED, BR_ERR_BAD_CCS,
		BR_ERR_BAD_ALERT, BR_ERR_BAD_HANDSHAKE, BR_ERR_OVERSIZED_ID,
		BR_ERR_BAD_CIPHER_SUITE, BR_ERR_BAD_COMPRESSION, BR_ERR_BAD_FRAGLEN,
		BR_ERR_BAD_SECRENEG, BR_ERR_EXTRA_EXTENSION, BR_ERR_BAD_SNI,
		BR_ERR_BAD_HELLO_DONE, BR_ERR_LIMIT_EXCEEDED, BR_ERR_BAD_FINISHED,
		BR_ERR_RESUME_MISMATCH, BR_ERR_INVALID_ALGORITHM, BR_ERR_BAD_SIGNATURE,
		BR_ERR_WRONG_KEY_USAGE, BR_ERR_NO_CLIENT_AUTH, BR_ERR_IO,
		BR_ERR_X509_INVALID_VALUE, BR_ERR_X509_TRUNCATED, BR_ERR_X509_EMPTY_CHAIN,
		BR_ERR_X509_INNER_TRUNC, BR_ERR_X509_BAD_TAG_CLASS,
		BR_ERR_X509_BAD_TAG_VALUE, BR_ERR_X509_INDEFINITE_LENGTH,
		BR_ERR_X509_EXTRA_ELEMENT, BR_ERR_X509_UNEXPECTED,
		BR_ERR_X509_NOT_CONSTRUCTED, BR_ERR_X509_NOT_PRIMITIVE,
		BR_ERR_X509_PARTIAL_BYTE, BR_ERR_X509_BAD_BOOLEAN, BR_ERR_X509_OVERFLOW,
		BR_ERR_X509_BAD_DN, BR_ERR_X509_BAD_TIME, BR_ERR_X509_UNSUPPORTED,
		BR_ERR_X509_LIMIT_EXCEEDED, BR_ERR_X509_WRONG_KEY_TYPE,
		BR_ERR_X509_BAD_SIGNATURE, BR_ERR_X509_TIME_UNKNOWN, BR_ERR_X509_EXPIRED,
		BR_ERR_X509_DN_MISMATCH, BR_ERR_X509_BAD_SERVER_NAME,
		BR_ERR_X509_CRITICAL_EXTENSION, BR_ERR_X509_NOT_CA,
		BR_ERR_X509_FORBIDDEN_KEY_USAGE, BR_ERR_X509_WEAK_PUBLIC_KEY,
		BR_ERR_X509_NOT_TRUSTED,
	};

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		const char *s = tls_error_text(codes[i]);

		if (strcmp(s, "TLS error") == 0) {
			fprintf(stderr, "no text for code %d\n", codes[i]);
			CHECK(!"code without text");
		}
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(s, tls_error_text(codes[j])) != 0);
	}
	CHECK_STR_EQ(tls_error_text(BR_ERR_X509_EXPIRED), "certificate expired or not yet valid");
	CHECK_STR_EQ(tls_error_text(BR_ERR_RECV_FATAL_ALERT + 40),
		     "peer sent a fatal TLS alert: handshake_failure");
	CHECK_STR_EQ(tls_error_text(BR_ERR_SEND_FATAL_ALERT + 42),
		     "sent a fatal TLS alert to the peer: bad_certificate");
	CHECK_STR_EQ(tls_error_text(BR_ERR_RECV_FATAL_ALERT + 255), "peer sent a fatal TLS alert");
	CHECK_STR_EQ(tls_error_text(BR_ERR_SEND_FATAL_ALERT + 7), "sent a fatal TLS alert to the peer");
	CHECK_STR_EQ(tls_error_text(11), "TLS error");
	CHECK_STR_EQ(tls_error_text(61), "TLS error");
	CHECK_STR_EQ(tls_error_text(-1), "TLS error");
	CHECK_STR_EQ(tls_error_text(BR_ERR_SEND_FATAL_ALERT + 256), "TLS error");
}

int main(void)
{
	test_trust_load();
	test_bad_names();
	test_error_text();
	test_handshake_ok(FIXTURE("server-rsa.pem"), FIXTURE("server-rsa.key"),
			  BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
	test_handshake_ok(FIXTURE("server-rsa.pem"), FIXTURE("server-rsa.key"),
			  BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);
	test_handshake_ok(FIXTURE("server-ec.pem"), FIXTURE("server-ec.key"),
			  BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
	test_handshake_ok(FIXTURE("server-ec.pem"), FIXTURE("server-ec.key"),
			  BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
	test_handshake_fails(FIXTURE("server-rsa.pem"), "wrong.example",
			     BR_ERR_X509_BAD_SERVER_NAME, "certificate does not match the host name");
	test_handshake_fails(FIXTURE("untrusted.pem"), "localhost", BR_ERR_X509_NOT_TRUSTED,
			     "certificate is not trusted");
	return 0;
}
