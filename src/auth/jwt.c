/*
 * auth_verify: one compact JWS checked the way the reference checks it, in
 * the same order: first its validator (AccelByte Go SDK over go-jose v2),
 * then the gateway's own claim decoder (encoding/json). Pure, any thread;
 * the decoded segments live on the stack and only the JSON parser allocates.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "challenged/common.h"
#include "challenged/json.h"
#include "auth_private.h"

/*
 * Failure texts, verbatim from the reference where it has one.
 *
 * | result      | text                                                       | when |
 * |-------------|------------------------------------------------------------|------|
 * | INVALID     | square/go-jose: compact JWS format must have three parts   | not exactly two dots |
 * | INVALID     | illegal base64 data at input byte N                        | a segment is not base64url (N within the segment) |
 * | INVALID     | (the JSON parser's message)                                | header or payload is not JSON |
 * | INVALID     | json: cannot unmarshal T into Go value of type jose.rawHeader | header is JSON but not an object |
 * | INVALID     | no headers found                                           | never for a compact JWS (go-jose always yields one header); kept for the table |
 * | INVALID     | 'kid' header not found                                     | kid absent, empty or not a string |
 * | INVALID     | public key not found                                       | kid not in the keyset |
 * | INVALID     | square/go-jose: error in cryptographic primitive           | alg is not RS256 (none, HS256, RS512...), signature does not verify, key unusable |
 * | INVALID     | json: cannot unmarshal T into Go value of type iam.JWTClaims | payload is JSON but not an object |
 * | INVALID     | json: cannot unmarshal T into Go struct field JWTClaims.F of type string | sub, namespace or extend_namespace not a string |
 * | INVALID     | square/go-jose/jwt: expected number value to unmarshal NumericDate | exp, nbf or iat not a number |
 * | INVALID     | square/go-jose/jwt: validation failed, token not valid yet (nbf) | now + 60 s < nbf |
 * | INVALID     | square/go-jose/jwt: validation failed, token is expired (exp) | now - 60 s > exp |
 * | INVALID     | square/go-jsoe/jwt: validation field, token issued in the future (iat) | now + 60 s < iat (typos are go-jose's) |
 * | INVALID     | token was revoked                                          | the whole token is in the revocation Bloom filter |
 * | INVALID     | user was revoked                                           | sub revoked at or after iat (iat 0 when absent) |
 * | INVALID     | extend namespace from token has different a namespace with grpc server | extend_namespace set and not ours |
 * | INVALID     | token is longer than 16384 bytes                           | ours: the reference has no limit, our stack buffer does |
 * | BAD_CLAIMS  | failed to decode JWT claims: failed to decode JWT payload: illegal base64 data at input byte N | payload carries '=' padding that is not exact (go-jose trims it, the gateway does not) |
 * | BAD_CLAIMS  | failed to decode JWT claims: failed to unmarshal JWT claims: json: cannot unmarshal T into Go struct field JWTClaims.F of type string/int64 | sub/namespace not a string, exp/iat not an integer (keys matched ignoring case) |
 * | BAD_CLAIMS  | failed to decode JWT claims: user ID (sub claim) is empty  | sub absent, null or "" (client tokens) |
 * | BAD_CLAIMS  | failed to decode JWT claims: user ID (sub claim) is longer than 256 bytes | ours: AUTH_SUB_MAX |
 *
 * The gateway's "failed to decode JWT claims: invalid JWT format: expected 3
 * parts, got N" cannot happen: go-jose refuses such a token first.
 */
#define TXT_PARTS "square/go-jose: compact JWS format must have three parts"
#define TXT_B64 "illegal base64 data at input byte "
#define TXT_NO_KID "'kid' header not found"
#define TXT_NO_KEY "public key not found"
#define TXT_CRYPTO "square/go-jose: error in cryptographic primitive"
#define TXT_DATE "square/go-jose/jwt: expected number value to unmarshal NumericDate"
#define TXT_NBF "square/go-jose/jwt: validation failed, token not valid yet (nbf)"
#define TXT_EXP "square/go-jose/jwt: validation failed, token is expired (exp)"
#define TXT_IAT "square/go-jsoe/jwt: validation field, token issued in the future (iat)"
#define TXT_TOKEN_REVOKED "token was revoked"
#define TXT_USER_REVOKED "user was revoked"
#define TXT_NS "extend namespace from token has different a namespace with grpc server"
#define TXT_LONG "token is longer than 16384 bytes"
#define TXT_CLAIMS "failed to decode JWT claims: "
#define TXT_SUB_EMPTY TXT_CLAIMS "user ID (sub claim) is empty"
#define TXT_SUB_LONG TXT_CLAIMS "user ID (sub claim) is longer than 256 bytes"
#define TXT_UNMARSHAL "json: cannot unmarshal "

/* Seconds from year 1 to 1970: Go's time.Unix adds this, wrapping on overflow. */
#define GO_UNIX_TO_INTERNAL 62135596800ULL

/* Decoded header + payload + signature never exceed 3/4 of the token. */
#define DECODED_MAX (AUTH_TOKEN_MAX / 4 * 3)

struct verdict {
	char *buf;
	size_t len;
	const char **why;
};

/* What the validator holds a payload against. */
struct expect {
	const char *ns; /* NULL: no extend_namespace check */
	int64_t now;
	const struct auth_revocation *rv; /* NULL: no revocation checks */
	struct str token;                 /* the whole JWS, as the Bloom filter hashes it */
};

static enum auth_result fail(struct verdict *v, enum auth_result r, const char *text)
{
	*v->why = text;
	return r;
}

/* Formats into the caller's buffer; without one, the fixed prefix stands in. */
__attribute__((format(printf, 4, 5)))
static enum auth_result failf(struct verdict *v, enum auth_result r, const char *prefix,
			      const char *fmt, ...)
{
	va_list ap;

	if (!v->buf || v->len == 0)
		return fail(v, r, prefix);
	va_start(ap, fmt);
	vsnprintf(v->buf, v->len, fmt, ap);
	va_end(ap);
	*v->why = v->buf;
	return r;
}

static const char *go_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "bool";
	case JSON_INT:
	case JSON_UINT:
	case JSON_DOUBLE:
		return "number";
	case JSON_STRING:
		return "string";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	}
	return "value";
}

/* The three dot-separated segments; false unless there are exactly three. */
static bool split(const char *token, size_t len, struct str seg[3])
{
	const char *end = token + len, *p = token;

	for (int i = 0; i < 2; i++) {
		const char *dot = memchr(p, '.', (size_t)(end - p));

		if (!dot)
			return false;
		seg[i] = (struct str){ p, (size_t)(dot - p) };
		p = dot + 1;
	}
	seg[2] = (struct str){ p, (size_t)(end - p) };
	return memchr(p, '.', seg[2].len) == NULL;
}

/* go-jose decodes each segment after trimming every trailing '='. */
static int decode_segment(struct str s, unsigned char *dst, size_t cap, size_t *bad_at)
{
	size_t n = s.len;

	while (n > 0 && s.ptr[n - 1] == '=')
		n--;
	return auth_b64url_decode(s.ptr, n, false, dst, cap, bad_at);
}

static enum auth_result header_check(struct verdict *v, const struct auth_keyset *ks,
				     const unsigned char *hdr, size_t len,
				     const struct auth_key **key)
{
	const struct json_value *root, *kid, *alg;
	enum auth_result r = AUTH_OK;
	struct json_doc *doc;
	const char *jwhy = NULL;

	/* An empty protected header leaves go-jose with no kid at all. */
	if (len == 0)
		return fail(v, AUTH_INVALID, TXT_NO_KID);
	if (json_parse((const char *)hdr, len, 0, &doc, &jwhy) < 0)
		return fail(v, AUTH_INVALID, jwhy ? jwhy : "invalid JSON in JWS header");
	root = json_doc_root(doc);
	if (root->type != JSON_OBJECT && root->type != JSON_NULL) {
		r = failf(v, AUTH_INVALID, TXT_UNMARSHAL,
			  TXT_UNMARSHAL "%s into Go value of type jose.rawHeader",
			  go_type_name(root->type));
		goto out;
	}
	kid = json_get(root, "kid");
	if (!kid || kid->type != JSON_STRING || kid->len == 0) {
		r = fail(v, AUTH_INVALID, TXT_NO_KID);
		goto out;
	}
	*key = auth_keyset_find(ks, kid->str, kid->len);
	if (!*key) {
		r = fail(v, AUTH_INVALID, TXT_NO_KEY);
		goto out;
	}
	/* go-jose would honour RS384/RS512/PS*; IAM signs RS256 only, so pin it. */
	alg = json_get(root, "alg");
	if (!alg || alg->type != JSON_STRING || alg->len != 5 || memcmp(alg->str, "RS256", 5) != 0)
		r = fail(v, AUTH_INVALID, TXT_CRYPTO);
out:
	json_doc_free(doc);
	return r;
}

static bool signature_ok(const struct auth_key *key, const char *input, size_t input_len,
			 const unsigned char *sig, size_t sig_len)
{
	unsigned char want[br_sha256_SIZE], got[br_sha256_SIZE];
	br_sha256_context sha;
	br_rsa_pkcs1_vrfy vrfy = br_rsa_pkcs1_vrfy_get_default();
	unsigned diff = 0;

	if (!key || !key->usable || sig_len != key->pub.nlen)
		return false;
	br_sha256_init(&sha);
	br_sha256_update(&sha, input, input_len);
	br_sha256_out(&sha, want);
	/* BearSSL checks the padding and hands back the hash; we compare it. */
	if (!vrfy(sig, sig_len, BR_HASH_OID_SHA256, sizeof(got), &key->pub, got))
		return false;
	for (size_t i = 0; i < sizeof(got); i++)
		diff |= (unsigned)(want[i] ^ got[i]);
	return diff == 0;
}

/*
 * go-jose's NumericDate: the number parsed as float64, then converted to
 * int64 (truncating; out of range gives INT64_MIN as on amd64).
 */
static int64_t go_numeric_date(const struct json_value *v)
{
	double d = v->type == JSON_INT ? (double)v->i : v->type == JSON_UINT ? (double)v->u : v->d;

	if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

/* Go's time.Unix(s, 0) as the int64 it compares, with its wrap-around. */
static int64_t go_time(int64_t s)
{
	return (int64_t)((uint64_t)s + GO_UNIX_TO_INTERNAL);
}

static bool is_number(const struct json_value *v)
{
	return v->type == JSON_INT || v->type == JSON_UINT || v->type == JSON_DOUBLE;
}

/* A claim the validator reads as a string: absent, null or a string. */
static enum auth_result string_claim(struct verdict *v, const struct json_value *root,
				     const char *name, const struct json_value **out)
{
	const struct json_value *c = json_get(root, name);

	*out = NULL;
	if (!c || c->type == JSON_NULL)
		return AUTH_OK;
	if (c->type != JSON_STRING)
		return failf(v, AUTH_INVALID, TXT_UNMARSHAL,
			     TXT_UNMARSHAL "%s into Go struct field JWTClaims.%s of type string",
			     go_type_name(c->type), name);
	*out = c;
	return AUTH_OK;
}

/* A NumericDate claim; *present false when absent or null. */
static enum auth_result date_claim(struct verdict *v, const struct json_value *root,
				   const char *name, bool *present, int64_t *out)
{
	const struct json_value *c = json_get(root, name);

	*present = false;
	*out = 0;
	if (!c || c->type == JSON_NULL)
		return AUTH_OK;
	if (!is_number(c))
		return fail(v, AUTH_INVALID, TXT_DATE);
	*present = true;
	*out = go_numeric_date(c);
	return AUTH_OK;
}

struct claims {
	bool has_exp, has_nbf, has_iat;
	int64_t exp, nbf, iat;
	const struct json_value *sub, *ns, *ext_ns;
};

/*
 * The validator's pass: go-jose's case-sensitive decode, the clock, the
 * revocation list, then extend_namespace.
 */
static enum auth_result validator_claims(struct verdict *v, const struct json_value *root,
					 const struct expect *x, struct claims *c)
{
	int64_t t_lo = go_time(x->now) - AUTH_LEEWAY_S, t_hi = go_time(x->now) + AUTH_LEEWAY_S;
	const char *ns = x->ns;
	enum auth_result r;

	if (root->type != JSON_OBJECT && root->type != JSON_NULL)
		return failf(v, AUTH_INVALID, TXT_UNMARSHAL,
			     TXT_UNMARSHAL "%s into Go value of type iam.JWTClaims",
			     go_type_name(root->type));
	if ((r = string_claim(v, root, "sub", &c->sub)) != AUTH_OK ||
	    (r = string_claim(v, root, "namespace", &c->ns)) != AUTH_OK ||
	    (r = string_claim(v, root, "extend_namespace", &c->ext_ns)) != AUTH_OK ||
	    (r = date_claim(v, root, "exp", &c->has_exp, &c->exp)) != AUTH_OK ||
	    (r = date_claim(v, root, "nbf", &c->has_nbf, &c->nbf)) != AUTH_OK ||
	    (r = date_claim(v, root, "iat", &c->has_iat, &c->iat)) != AUTH_OK)
		return r;
	if (c->has_nbf && t_hi < go_time(c->nbf))
		return fail(v, AUTH_INVALID, TXT_NBF);
	if (c->has_exp && t_lo > go_time(c->exp))
		return fail(v, AUTH_INVALID, TXT_EXP);
	if (c->has_iat && t_hi < go_time(c->iat))
		return fail(v, AUTH_INVALID, TXT_IAT);
	if (auth_revocation_token_revoked(x->rv, x->token.ptr, x->token.len))
		return fail(v, AUTH_INVALID, TXT_TOKEN_REVOKED);
	/* Go passes Subject "" and IssuedAt 0 for absent claims. */
	if (auth_revocation_user_revoked(x->rv, c->sub ? c->sub->str : "", c->sub ? c->sub->len : 0,
					 c->has_iat ? c->iat : 0))
		return fail(v, AUTH_INVALID, TXT_USER_REVOKED);
	if (ns && c->ext_ns && c->ext_ns->len > 0 &&
	    (c->ext_ns->len != strlen(ns) || memcmp(c->ext_ns->str, ns, c->ext_ns->len) != 0))
		return fail(v, AUTH_INVALID, TXT_NS);
	return AUTH_OK;
}

/* One field of the gateway's struct {Sub, Namespace string; Exp, Iat int64}. */
static enum auth_result gateway_field(struct verdict *v, const struct json_value *root,
				      const char *name, bool is_string)
{
	const struct json_value *c = json_get_ci(root, name);

	if (!c || c->type == JSON_NULL)
		return AUTH_OK;
	if (is_string ? c->type == JSON_STRING : c->type == JSON_INT)
		return AUTH_OK;
	return failf(v, AUTH_BAD_CLAIMS, TXT_CLAIMS,
		     TXT_CLAIMS "failed to unmarshal JWT claims: " TXT_UNMARSHAL
				"%s into Go struct field JWTClaims.%s of type %s",
		     go_type_name(c->type), name, is_string ? "string" : "int64");
}

/* The gateway's pass (encoding/json: keys match ignoring case, last wins). */
static enum auth_result gateway_claims(struct verdict *v, const struct json_value *root,
				       struct auth_identity *id)
{
	const struct json_value *sub;
	enum auth_result r;

	if ((r = gateway_field(v, root, "sub", true)) != AUTH_OK ||
	    (r = gateway_field(v, root, "namespace", true)) != AUTH_OK ||
	    (r = gateway_field(v, root, "exp", false)) != AUTH_OK ||
	    (r = gateway_field(v, root, "iat", false)) != AUTH_OK)
		return r;
	sub = json_get_ci(root, "sub");
	if (!sub || sub->type != JSON_STRING || sub->len == 0)
		return fail(v, AUTH_BAD_CLAIMS, TXT_SUB_EMPTY);
	if (sub->len > AUTH_SUB_MAX)
		return fail(v, AUTH_BAD_CLAIMS, TXT_SUB_LONG);
	memcpy(id->sub, sub->str, sub->len);
	id->sub[sub->len] = '\0';
	id->sub_len = sub->len;
	return AUTH_OK;
}

static enum auth_result payload_check(struct verdict *v, const unsigned char *pay, size_t len,
				      const struct expect *x, struct auth_identity *id,
				      bool padding_ok, size_t pad_bad_at)
{
	struct claims c = { 0 };
	struct json_doc *doc;
	const char *jwhy = NULL;
	enum auth_result r;

	if (json_parse((const char *)pay, len, 0, &doc, &jwhy) < 0)
		return fail(v, AUTH_INVALID, jwhy ? jwhy : "invalid JSON in JWT payload");
	r = validator_claims(v, json_doc_root(doc), x, &c);
	if (r != AUTH_OK)
		goto out;
	if (!padding_ok) {
		r = failf(v, AUTH_BAD_CLAIMS, TXT_CLAIMS,
			  TXT_CLAIMS "failed to decode JWT payload: " TXT_B64 "%zu", pad_bad_at);
		goto out;
	}
	r = gateway_claims(v, json_doc_root(doc), id);
	if (r == AUTH_OK) {
		id->exp = c.has_exp ? c.exp : 0;
		id->iat = c.has_iat ? c.iat : 0;
	}
out:
	json_doc_free(doc);
	return r;
}

enum auth_result auth_verify(const struct auth_keyset *ks, const struct auth_revocation *rv,
			     const char *token, size_t len, const char *extend_namespace,
			     int64_t now, struct auth_identity *id, char *why_buf, size_t why_len,
			     const char **why)
{
	const struct expect x = { extend_namespace, now, rv, { token, len } };
	unsigned char buf[DECODED_MAX];
	const char *ignored;
	struct verdict v = { why_buf, why_len, why ? why : &ignored };
	const struct auth_key *key = NULL;
	size_t dlen[3], used = 0, bad_at = 0, pad_bad_at = 0;
	bool padding_ok = true;
	struct str seg[3];
	enum auth_result r;

	*v.why = NULL;
	if (len > AUTH_TOKEN_MAX)
		return fail(&v, AUTH_INVALID, TXT_LONG);
	if (!split(token, len, seg))
		return fail(&v, AUTH_INVALID, TXT_PARTS);
	for (int i = 0; i < 3; i++) {
		int n = decode_segment(seg[i], buf + used, sizeof(buf) - used, &bad_at);

		if (n < 0)
			return failf(&v, AUTH_INVALID, TXT_B64, TXT_B64 "%zu", bad_at);
		dlen[i] = (size_t)n;
		used += dlen[i];
	}
	/*
	 * The gateway decodes the payload without padding, then with exact
	 * padding. Same bytes as go-jose's decode, so it may rewrite them.
	 */
	if (memchr(seg[1].ptr, '=', seg[1].len))
		padding_ok = auth_b64url_decode(seg[1].ptr, seg[1].len, true, buf + dlen[0],
						dlen[1], &pad_bad_at) >= 0;
	r = header_check(&v, ks, buf, dlen[0], &key);
	if (r != AUTH_OK)
		return r;
	if (!signature_ok(key, token, (size_t)(seg[2].ptr - 1 - token), buf + dlen[0] + dlen[1],
			  dlen[2]))
		return fail(&v, AUTH_INVALID, TXT_CRYPTO);
	return payload_check(&v, buf + dlen[0], dlen[1], &x, id, padding_ok, pad_bad_at);
}
