/*
 * Client engine set-up and error texts. Pure: touches only the tls_client it
 * is given and reads the shared trust set. Any thread; the caller owns the
 * transport and pumps the engine.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "challenged/common.h"
#include "tls_private.h"

/* RFC 1035: 253 characters in text form, 63 per label. */
#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63

static bool is_dns_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
}

/*
 * A host name BearSSL can match against a certificate's DNS names. A name
 * whose last label is all digits is an IPv4 literal in some spelling
 * ("127.0.0.1", "127.1", "2130706433"), as URL parsers read it; IPv6 literals
 * fail on the ':' or '['. A trailing dot would never match a certificate.
 */
static bool dns_name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;
	bool all_digits = true;

	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (!is_dns_char(ch))
			return false;
		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
			all_digits = true;
			continue;
		}
		if (++label > DNS_LABEL_MAX)
			return false;
		if (ch < '0' || ch > '9')
			all_digits = false;
	}
	return label > 0 && !all_digits;
}

int tls_client_init(struct tls_client *c, const struct tls_trust *t, const char *server_name)
{
	br_ssl_engine_context *eng = &c->cc.eng;

	if (!server_name || !dns_name_ok(server_name))
		return -EINVAL;
	/*
	 * init_full wires x509 minimal with every hash, RSA and ECDSA verifier
	 * and the full suite list; BearSSL only reads the anchors.
	 */
	br_ssl_client_init_full(&c->cc, &c->xc, t->anchors, t->count);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(eng, c->iobuf, sizeof(c->iobuf), 1);
	if (!br_ssl_client_reset(&c->cc, server_name, 0))
		return -EIO;
	return 0;
}

static const char *const ssl_texts[] = {
	[BR_ERR_OK] = "no error",
	[BR_ERR_BAD_PARAM] = "invalid TLS engine parameter",
	[BR_ERR_BAD_STATE] = "TLS engine used in the wrong state",
	[BR_ERR_UNSUPPORTED_VERSION] = "peer does not support TLS 1.2",
	[BR_ERR_BAD_VERSION] = "record has an unexpected TLS version",
	[BR_ERR_BAD_LENGTH] = "record has an invalid length",
	[BR_ERR_TOO_LARGE] = "record or handshake message too large",
	[BR_ERR_BAD_MAC] = "record failed its integrity check (bad MAC or padding)",
	[BR_ERR_NO_RANDOM] = "no entropy source for TLS",
	[BR_ERR_UNKNOWN_TYPE] = "record of unknown type",
	[BR_ERR_UNEXPECTED] = "unexpected TLS message",
	[BR_ERR_BAD_CCS] = "invalid ChangeCipherSpec from peer",
	[BR_ERR_BAD_ALERT] = "invalid alert from peer",
	[BR_ERR_BAD_HANDSHAKE] = "malformed handshake message",
	[BR_ERR_OVERSIZED_ID] = "server session ID longer than 32 bytes",
	[BR_ERR_BAD_CIPHER_SUITE] = "server chose a cipher suite we did not offer",
	[BR_ERR_BAD_COMPRESSION] = "server chose a compression we did not offer",
	[BR_ERR_BAD_FRAGLEN] = "server's maximum fragment length does not match ours",
	[BR_ERR_BAD_SECRENEG] = "secure renegotiation failed",
	[BR_ERR_EXTRA_EXTENSION] = "server sent an extension we did not ask for",
	[BR_ERR_BAD_SNI] = "invalid server name indication",
	[BR_ERR_BAD_HELLO_DONE] = "invalid ServerHelloDone",
	[BR_ERR_LIMIT_EXCEEDED] = "TLS limit exceeded (e.g. server key too large)",
	[BR_ERR_BAD_FINISHED] = "handshake Finished message does not match",
	[BR_ERR_RESUME_MISMATCH] = "session resumption with another version or cipher suite",
	[BR_ERR_INVALID_ALGORITHM] = "unsupported curve, signature or hash algorithm",
	[BR_ERR_BAD_SIGNATURE] = "invalid ServerKeyExchange signature",
	[BR_ERR_WRONG_KEY_USAGE] = "server key type or usage does not fit the cipher suite",
	[BR_ERR_NO_CLIENT_AUTH] = "client certificate missing or rejected",
	[BR_ERR_IO] = "I/O error or premature close",
	[BR_ERR_X509_OK] = "certificate is valid",
	[BR_ERR_X509_INVALID_VALUE] = "certificate has an invalid value",
	[BR_ERR_X509_TRUNCATED] = "certificate is truncated",
	[BR_ERR_X509_EMPTY_CHAIN] = "server sent no certificate",
	[BR_ERR_X509_INNER_TRUNC] = "certificate is malformed (inner element overflows)",
	[BR_ERR_X509_BAD_TAG_CLASS] = "certificate is malformed (unsupported tag class)",
	[BR_ERR_X509_BAD_TAG_VALUE] = "certificate is malformed (unsupported tag)",
	[BR_ERR_X509_INDEFINITE_LENGTH] = "certificate is malformed (indefinite length)",
	[BR_ERR_X509_EXTRA_ELEMENT] = "certificate is malformed (extra element)",
	[BR_ERR_X509_UNEXPECTED] = "certificate is malformed (unexpected element)",
	[BR_ERR_X509_NOT_CONSTRUCTED] = "certificate is malformed (primitive where constructed expected)",
	[BR_ERR_X509_NOT_PRIMITIVE] = "certificate is malformed (constructed where primitive expected)",
	[BR_ERR_X509_PARTIAL_BYTE] = "certificate is malformed (partial byte in BIT STRING)",
	[BR_ERR_X509_BAD_BOOLEAN] = "certificate is malformed (bad BOOLEAN)",
	[BR_ERR_X509_OVERFLOW] = "certificate has an out-of-range value",
	[BR_ERR_X509_BAD_DN] = "certificate has an invalid distinguished name",
	[BR_ERR_X509_BAD_TIME] = "certificate has an invalid date",
	[BR_ERR_X509_UNSUPPORTED] = "certificate uses unsupported features",
	[BR_ERR_X509_LIMIT_EXCEEDED] = "certificate key or signature too large",
	[BR_ERR_X509_WRONG_KEY_TYPE] = "certificate key type not as expected",
	[BR_ERR_X509_BAD_SIGNATURE] = "certificate signature is invalid",
	[BR_ERR_X509_TIME_UNKNOWN] = "current time unknown, cannot check certificate validity",
	[BR_ERR_X509_EXPIRED] = "certificate expired or not yet valid",
	[BR_ERR_X509_DN_MISMATCH] = "certificate chain issuer/subject mismatch",
	[BR_ERR_X509_BAD_SERVER_NAME] = "certificate does not match the host name",
	[BR_ERR_X509_CRITICAL_EXTENSION] = "certificate has an unknown critical extension",
	[BR_ERR_X509_NOT_CA] = "certificate issuer is not a CA (or path length exceeded)",
	[BR_ERR_X509_FORBIDDEN_KEY_USAGE] = "certificate key usage forbids this use",
	[BR_ERR_X509_WEAK_PUBLIC_KEY] = "certificate public key is too small",
	[BR_ERR_X509_NOT_TRUSTED] = "certificate is not trusted",
};

/* TLS alert descriptions (RFC 5246 §7.2, RFC 6066, RFC 7301). */
#define ALERTS(X)                                                              \
	X(0, "close_notify")                                                   \
	X(10, "unexpected_message")                                            \
	X(20, "bad_record_mac")                                                \
	X(21, "decryption_failed")                                             \
	X(22, "record_overflow")                                               \
	X(30, "decompression_failure")                                         \
	X(40, "handshake_failure")                                             \
	X(41, "no_certificate")                                                \
	X(42, "bad_certificate")                                               \
	X(43, "unsupported_certificate")                                       \
	X(44, "certificate_revoked")                                           \
	X(45, "certificate_expired")                                           \
	X(46, "certificate_unknown")                                           \
	X(47, "illegal_parameter")                                             \
	X(48, "unknown_ca")                                                    \
	X(49, "access_denied")                                                 \
	X(50, "decode_error")                                                  \
	X(51, "decrypt_error")                                                 \
	X(60, "export_restriction")                                            \
	X(70, "protocol_version")                                              \
	X(71, "insufficient_security")                                         \
	X(80, "internal_error")                                                \
	X(86, "inappropriate_fallback")                                        \
	X(90, "user_canceled")                                                 \
	X(100, "no_renegotiation")                                             \
	X(110, "unsupported_extension")                                        \
	X(111, "certificate_unobtainable")                                     \
	X(112, "unrecognized_name")                                            \
	X(113, "bad_certificate_status_response")                              \
	X(114, "bad_certificate_hash_value")                                   \
	X(115, "unknown_psk_identity")                                         \
	X(120, "no_application_protocol")

#define RECV_TEXT(code, name) [code] = "peer sent a fatal TLS alert: " name,
#define SEND_TEXT(code, name) [code] = "sent a fatal TLS alert to the peer: " name,
static const char *const recv_alert_texts[] = { ALERTS(RECV_TEXT) };
static const char *const send_alert_texts[] = { ALERTS(SEND_TEXT) };

static const char *lookup(const char *const *texts, size_t n, int i)
{
	return i >= 0 && (size_t)i < n ? texts[i] : NULL;
}

const char *tls_error_text(int err)
{
	const char *s;

	if (err >= BR_ERR_SEND_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT + 256) {
		s = lookup(send_alert_texts, ARRAY_SIZE(send_alert_texts), err - BR_ERR_SEND_FATAL_ALERT);
		return s ? s : "sent a fatal TLS alert to the peer";
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_RECV_FATAL_ALERT + 256) {
		s = lookup(recv_alert_texts, ARRAY_SIZE(recv_alert_texts), err - BR_ERR_RECV_FATAL_ALERT);
		return s ? s : "peer sent a fatal TLS alert";
	}
	s = lookup(ssl_texts, ARRAY_SIZE(ssl_texts), err);
	return s ? s : "TLS error";
}
