/*
 * RS256 JWT verification with BearSSL.
 *
 * A keyset (from a JWKS document) is immutable once built and may be read by
 * every shard at once. Verification is pure: signature, alg pinned to RS256,
 * kid lookup, exp/nbf against the given clock, extend_namespace check. Each
 * shard keeps its own cache of verified tokens so a repeated token costs one
 * hash lookup; the cache is not thread-safe (one per shard).
 */
#ifndef CHALLENGED_AUTH_H
#define CHALLENGED_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_SUB_MAX 256

struct auth_keyset;

/*
 * Builds a keyset from a JWKS JSON document ({"keys":[{"kty":"RSA","kid":..,
 * "n":..,"e":..}, ...]}); keys other than RSA are skipped. Returns 0 and
 * *out, or -EINVAL with *why.
 */
int auth_keyset_from_jwks(const char *json, size_t len, struct auth_keyset **out,
			  const char **why);
int auth_keyset_load_file(const char *path, struct auth_keyset **out, const char **why);
void auth_keyset_free(struct auth_keyset *ks);
size_t auth_keyset_count(const struct auth_keyset *ks);

struct auth_identity {
	char sub[AUTH_SUB_MAX + 1];
	size_t sub_len;
	int64_t exp; /* seconds since the epoch; 0 when the token has none */
};

enum auth_result {
	AUTH_OK = 0,
	/* validation failed: signature, kid, alg, time, namespace (gRPC
	 * PermissionDenied / HTTP 403 on gateway routes) */
	AUTH_INVALID = -1,
	/* valid signature but claims unusable: payload not JSON, sub empty
	 * (gRPC Internal "failed to decode JWT claims: ..." on gateway routes) */
	AUTH_BAD_CLAIMS = -2,
};

/*
 * Verifies token (the compact JWS, without "Bearer "). extend_namespace may
 * be NULL to skip that check. On AUTH_OK fills *id. Otherwise *why is the
 * failure text of spec auth.md §2 / api.md §3.3 (static or written into
 * why_buf of why_len bytes).
 */
enum auth_result auth_verify(const struct auth_keyset *ks, const char *token, size_t len,
			     const char *extend_namespace, int64_t now,
			     struct auth_identity *id, char *why_buf, size_t why_len,
			     const char **why);

struct auth_cache;

/* A cache of at most capacity verified tokens (least recently added evicted). */
struct auth_cache *auth_cache_new(size_t capacity);
void auth_cache_free(struct auth_cache *c);
/* True and *id filled when token was verified before and has not expired. */
bool auth_cache_lookup(struct auth_cache *c, const char *token, size_t len, int64_t now,
		       struct auth_identity *id);
void auth_cache_insert(struct auth_cache *c, const char *token, size_t len,
		       const struct auth_identity *id);
uint64_t auth_cache_hits(const struct auth_cache *c);

#endif
