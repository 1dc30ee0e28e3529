/*
 * RS256 JWT verification with BearSSL.
 *
 * A keyset (from a JWKS document) and a revocation list (from IAM's
 * revocationlist document) are immutable once built and may be read by every
 * shard at once. Verification is pure: signature, alg pinned to RS256, kid
 * lookup, exp/nbf against the given clock, revoked token and user,
 * extend_namespace check. Each
 * shard keeps its own cache of verified tokens so a repeated token costs one
 * hash lookup; the cache is not thread-safe (one per shard).
 */
#ifndef CHALLENGED_AUTH_H
#define CHALLENGED_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_SUB_MAX 256
/* Longest token auth_verify accepts; the decoded segments live on its stack. */
#define AUTH_TOKEN_MAX 16384
/* Clock skew allowed on exp, nbf and iat (the reference's go-jose leeway). */
#define AUTH_LEEWAY_S 60

/*
 * Decodes base64url text (alphabet A-Z a-z 0-9 - _). With padded false the
 * text must carry no '=' (Go's RawURLEncoding); with padded true its length
 * must be a multiple of 4 with one or two trailing '=' where needed (Go's
 * URLEncoding). Unused low bits of the last symbol are ignored, as Go does.
 * Returns the decoded length, -EINVAL with *bad_at the offset Go would report
 * ("illegal base64 data at input byte N"), or -ENOBUFS when cap is too small.
 * dst may alias nothing in src. Pure; any thread.
 */
int auth_b64url_decode(const char *src, size_t len, bool padded, void *dst, size_t cap,
		       size_t *bad_at);

struct auth_keyset;

/*
 * Builds a keyset from a JWKS JSON document ({"keys":[{"kty":"RSA","kid":..,
 * "n":..,"e":..}, ...]}); keys other than RSA are skipped, a kid listed twice
 * resolves to its last key (the reference fills a map). n and e are base64url
 * with or without padding. Returns 0 and *out (the keyset owns copies of
 * every kid, modulus and exponent), or -EINVAL with *why (static text), or
 * -ENOMEM. Call at start-up or from a refresh; the result is read-only.
 */
int auth_keyset_from_jwks(const char *json, size_t len, struct auth_keyset **out,
			  const char **why);
/* Reads the JWKS document at path; -errno of open/read with *why naming it. */
int auth_keyset_load_file(const char *path, struct auth_keyset **out, const char **why);
void auth_keyset_free(struct auth_keyset *ks);
/* RSA keys held (the skipped ones are not counted). */
size_t auth_keyset_count(const struct auth_keyset *ks);

struct auth_revocation;

/*
 * Builds a revocation list from IAM's document
 * {"revoked_tokens":{"m":..,"k":..,"bits":[uint64, ...]},
 *  "revoked_users":[{"id":..,"revoked_at":"<RFC 3339>"}, ...]}.
 * As in the reference the filter has len(bits) * 64 bits ("m" is ignored);
 * "bits" absent, null or empty, or k 0, revokes no token. "revoked_users"
 * may be absent or null; a user listed twice keeps its last time. Refused
 * (-EINVAL, *why static text): not an object, "revoked_tokens" missing,
 * "k" not an integer in 0..1024, "bits" not an array of unsigned 64-bit
 * integers, a user record without a string "id" or an RFC 3339 "revoked_at"
 * (fractional seconds and numeric offsets allowed). -ENOMEM likewise.
 * Returns 0 and *out, which owns copies of everything it needs. Call at
 * start-up or from a refresh; the result is read-only.
 */
int auth_revocation_from_json(const char *json, size_t len, struct auth_revocation **out,
			      const char **why);
void auth_revocation_free(struct auth_revocation *rv);
/* Distinct revoked users held; 0 for NULL. */
size_t auth_revocation_users(const struct auth_revocation *rv);
/* Bits in the token filter (64 per word); 0 for NULL. */
uint64_t auth_revocation_bits(const struct auth_revocation *rv);
/*
 * True when all k filter bits of the token's MurmurHash3 indexes are set:
 * the token was revoked, or is a false positive (by design). token is the
 * compact JWS exactly as given to auth_verify. False for NULL. Pure; any
 * thread.
 */
bool auth_revocation_token_revoked(const struct auth_revocation *rv, const char *token,
				   size_t len);
/*
 * True when sub (len bytes, compared exactly) is a revoked user whose
 * revocation time, in whole Unix seconds, is at or after iat. False for
 * NULL. Pure; any thread.
 */
bool auth_revocation_user_revoked(const struct auth_revocation *rv, const char *sub,
				  size_t sub_len, int64_t iat);

struct auth_identity {
	char sub[AUTH_SUB_MAX + 1];
	size_t sub_len;
	int64_t exp; /* seconds since the epoch; 0 when the token has none */
	int64_t iat; /* seconds since the epoch; 0 when the token has none */
};

enum auth_result {
	AUTH_OK = 0,
	/* validation failed: signature, kid, alg, time, revoked, namespace (gRPC
	 * PermissionDenied / HTTP 403 on gateway routes) */
	AUTH_INVALID = -1,
	/* valid signature but claims unusable: payload not JSON, sub empty
	 * (gRPC Internal "failed to decode JWT claims: ..." on gateway routes) */
	AUTH_BAD_CLAIMS = -2,
};

/* Room for every text auth_verify writes into why_buf. */
#define AUTH_WHY_MAX 256

/*
 * Verifies token (the compact JWS, without "Bearer "). rv is the current
 * revocation list, or NULL to skip both revocation checks; after the time
 * claims pass, a token in its filter fails with "token was revoked", then a
 * token whose "sub" is a user revoked at or after its "iat" (0 when absent)
 * with "user was revoked", both before the extend_namespace check.
 * extend_namespace may be NULL to skip that check. On AUTH_OK fills *id
 * (sub, exp, iat). Otherwise *why is the failure text of spec auth.md §2 /
 * api.md §3.3 (static or written into why_buf of why_len bytes;
 * AUTH_WHY_MAX is always enough, a shorter buffer truncates). The checks
 * run in the reference's order, so a token with two faults reports the
 * same one. Allocates nothing itself; the JSON parser allocates its trees.
 * Pure; any thread, ks and rv shared read-only. A token answered from an
 * auth_cache skips these checks, so a new list needs emptied caches (or a
 * recheck of hits) to take effect at once.
 */
enum auth_result auth_verify(const struct auth_keyset *ks, const struct auth_revocation *rv,
			     const char *token, size_t len, const char *extend_namespace,
			     int64_t now, struct auth_identity *id, char *why_buf, size_t why_len,
			     const char **why);

struct auth_cache;

/*
 * A cache of at most capacity verified tokens; when full, the oldest insert
 * is evicted (FIFO). An entry answers until its exp plus AUTH_LEEWAY_S (the
 * same instant auth_verify starts refusing it); an entry whose exp is 0 (no
 * exp claim) answers for at most 60 s after it was inserted, as measured by
 * the now of the latest lookup. One cache per shard; not thread-safe.
 * Returns NULL on allocation failure or capacity 0.
 */
struct auth_cache *auth_cache_new(size_t capacity);
void auth_cache_free(struct auth_cache *c);
/* True and *id filled when token was verified before and has not expired. */
bool auth_cache_lookup(struct auth_cache *c, const char *token, size_t len, int64_t now,
		       struct auth_identity *id);
/*
 * Remembers a token auth_verify just accepted (copies token and *id). Call
 * after a missed lookup with the same clock. A token longer than
 * AUTH_TOKEN_MAX or an allocation failure just leaves it uncached.
 */
void auth_cache_insert(struct auth_cache *c, const char *token, size_t len,
		       const struct auth_identity *id);
uint64_t auth_cache_hits(const struct auth_cache *c);
/* Entries currently held (expired ones count until looked up or evicted). */
size_t auth_cache_count(const struct auth_cache *c);

#endif
