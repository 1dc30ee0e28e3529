/*
 * Client-side TLS with BearSSL: trust anchors from a PEM bundle and engine
 * set-up with certificate validation. Pure: no sockets and no ring. The
 * caller pumps the engine (br_ssl_engine_sendrec_buf, _recvrec_buf, _sendapp
 * and _recvapp) over whatever transport it owns. TLS 1.2 only, the highest
 * version BearSSL speaks.
 */
#ifndef CHALLENGED_TLS_H
#define CHALLENGED_TLS_H

#include <stddef.h>

#include <bearssl.h>

/* Debian's bundle of the system's trusted CAs (package ca-certificates). */
#define TLS_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/* A set of trust anchors; immutable after load, shared read-only by all threads. */
struct tls_trust;

/*
 * Reads the PEM file at path and turns every CERTIFICATE block into a trust
 * anchor (subject DN and RSA or EC public key, flagged as a CA); blocks of
 * other types are skipped, and so are certificates BearSSL cannot decode.
 * Returns 0 and *out (free with tls_trust_free), or -errno of open/read,
 * -EINVAL for a malformed PEM file or one where no certificate decodes, or
 * -ENOMEM; on failure err (err_len bytes, may be 0) holds a sentence that
 * names the file. Reads the file: call at start-up, not on a shard's loop.
 */
int tls_trust_load(const char *path, struct tls_trust **out, char *err, size_t err_len);
/* Anchors held. Any thread. */
size_t tls_trust_count(const struct tls_trust *t);
/* Frees t (NULL is fine). No tls_client initialised with t may still be in use. */
void tls_trust_free(struct tls_trust *t);

/* One client connection's TLS state (about 40 KB), embeddable. */
struct tls_client {
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/*
 * Resets c for a new connection to server_name: the name goes out as SNI and
 * must match the server certificate, whose chain is validated against t
 * (the X.509 "minimal" engine with every hash, RSA and ECDSA verifier that
 * br_ssl_client_init_full sets up; validity against the system clock).
 * Only TLS 1.2; one bidirectional buffer inside c. server_name must be a DNS
 * name: empty names, IP literals (BearSSL cannot check IP certificates) and
 * names with characters outside [A-Za-z0-9._-] give -EINVAL. Returns 0 with
 * the engine ready to pump (the ClientHello waits in sendrec), or -EIO when
 * the engine refuses to start (tls_error_text of its last error says why).
 * t must outlive the connection; it is only read. c may be reused after a
 * connection ends by calling this again. Any thread; touches only c.
 */
int tls_client_init(struct tls_client *c, const struct tls_trust *t, const char *server_name);

static inline br_ssl_engine_context *tls_client_engine(struct tls_client *c)
{
	return &c->cc.eng;
}

/*
 * Human text for a BearSSL error code (br_ssl_engine_last_error): SSL and
 * X.509 codes, and alerts received from or sent to the peer; "TLS error" for
 * a code it does not know. Static text. Pure; any thread.
 */
const char *tls_error_text(int err);

#endif
