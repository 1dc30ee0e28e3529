/*
 * Who is calling (spec auth.md §3-§5): the JWT's sub when auth is on, the
 * x-mock-user-id header (or the reference's default ids) when it is off.
 * The two "optimized" REST handlers and the gateway routes fail differently,
 * as the reference does: plain 401 text versus gRPC-status JSON.
 */
#include <string.h>
#include <time.h>

#include "api_private.h"

static bool starts_with(struct str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

bool api_req_set_user(struct api_req *req, const char *id, size_t len)
{
	if (len == 0 || len > AUTH_SUB_MAX)
		return false;
	memcpy(req->user_id, id, len);
	req->user_id[len] = '\0';
	req->user_len = len;
	return true;
}

static bool mock_user(struct api_req *req, const struct h1_request *r, const char *fallback)
{
	const struct str *h = h1_header_get(r, "x-mock-user-id");
	if (h && h->len > 0)
		return api_req_set_user(req, h->ptr, h->len);
	return api_req_set_user(req, fallback, strlen(fallback));
}

static enum auth_result verify(struct api_shard *as, struct str token, struct auth_identity *id,
			       char *why_buf, size_t why_len, const char **why)
{
	int64_t now = (int64_t)time(NULL);
	if (auth_cache_lookup(as->auth_cache, token.ptr, token.len, now, id))
		return AUTH_OK;
	*why = "public key not found";
	as->token_verifications++;
	/* AUTH_JWKS_FILE's keys win; otherwise IAM's, with its revocation list. */
	const struct client_keys *iam = as->creds ? as->creds->keys : NULL;
	const struct auth_keyset *ks = as->g->keys ? as->g->keys : iam ? iam->keyset : NULL;
	const struct auth_revocation *rv = as->g->keys || !iam ? NULL : iam->revocation;
	enum auth_result r = AUTH_INVALID;
	if (ks)
		r = auth_verify(ks, rv, token.ptr, token.len, as->g->settings->namespace_, now, id,
				why_buf, why_len, why);
	if (r == AUTH_OK)
		auth_cache_insert(as->auth_cache, token.ptr, token.len, id);
	else if (r == AUTH_INVALID && strcmp(*why, "public key not found") == 0)
		api_unknown_kid(as); /* maybe a key rotation: refresh early */
	return r;
}

/* The reference's optimized handlers decode the payload as base64url
 * without padding only: a padded payload fails there even when the token
 * verifies. */
static bool payload_padded(struct str token)
{
	const char *dot = memchr(token.ptr, '.', token.len);
	if (!dot)
		return false;
	const char *start = dot + 1;
	const char *end = memchr(start, '.', token.len - (size_t)(start - token.ptr));
	return end && memchr(start, '=', (size_t)(end - start)) != NULL;
}

bool api_identify_optimized(struct api_shard *as, struct api_req *req, const struct h1_request *r)
{
	if (!as->g->settings->auth_enabled) {
		if (mock_user(req, r, "test-user-id"))
			return true;
		api_req_text(as, req, 401, "Unauthorized");
		return false;
	}
	const struct str *h = h1_header_get(r, "authorization");
	struct auth_identity id;
	char why_buf[160];
	const char *why;
	if (!h || !starts_with(*h, "Bearer ") ||
	    payload_padded((struct str){ h->ptr + 7, h->len - 7 }) ||
	    verify(as, (struct str){ h->ptr + 7, h->len - 7 }, &id, why_buf, sizeof(why_buf), &why) !=
		    AUTH_OK ||
	    !api_req_set_user(req, id.sub, id.sub_len)) {
		api_req_text(as, req, 401, "Unauthorized");
		return false;
	}
	return true;
}

bool api_identify_gateway(struct api_shard *as, struct api_req *req, const struct h1_request *r)
{
	if (!as->g->settings->auth_enabled) {
		if (mock_user(req, r, "test-user-123"))
			return true;
		api_req_grpc_error(as, req, 400, 3, "user id is longer than 256 bytes");
		return false;
	}
	const struct str *h = h1_header_get(r, "authorization");
	if (!h) {
		api_req_grpc_error(as, req, 401, 16, "authorization metadata is missing");
		return false;
	}
	if (h->len == 0) {
		api_req_grpc_error(as, req, 401, 16, "authorization metadata length is 0");
		return false;
	}
	return api_identify_token(as, req, *h);
}

bool api_identify_token(struct api_shard *as, struct api_req *req, struct str token)
{
	if (starts_with(token, "Bearer ")) {
		token.ptr += 7;
		token.len -= 7;
	}
	struct auth_identity id;
	char why_buf[160];
	const char *why = "token is invalid";
	switch (verify(as, token, &id, why_buf, sizeof(why_buf), &why)) {
	case AUTH_OK:
		break;
	case AUTH_BAD_CLAIMS:
		api_req_grpc_error(as, req, 500, 13, why);
		return false;
	default:
		api_req_grpc_error(as, req, 403, 7, why);
		return false;
	}
	if (!api_req_set_user(req, id.sub, id.sub_len)) {
		api_req_grpc_error(as, req, 500, 13,
				   "failed to decode JWT claims: user ID (sub claim) is empty");
		return false;
	}
	return true;
}
