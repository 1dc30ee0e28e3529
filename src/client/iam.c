/*
 * The IAM client of one shard: client-credentials login, the token's
 * refresh at 80 % of its lifetime, and the JWKS + revocation list fetched
 * every REFRESH_INTERVAL (spec auth.md §2). Each change becomes a new
 * immutable client_creds handed to publish.
 *
 * Departure from the reference, whose SDK panics when a background refresh
 * fails: a failed refresh is logged and retried with backoff while the last
 * good token and keys stay in use (docs/DECISIONS.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "challenged/json.h"
#include "challenged/obs.h"
#include "client_private.h"

#define IAM_TIMEOUT_MS 10000
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
#define KEYS_RETRY_MS 5000
#define WHY_MAX 1024

struct client_iam {
	struct rt_shard *sh;
	const struct client_ags *ags;
	struct client_http *http;
	struct client_creds *creds; /* ours: one reference */
	client_iam_publish_fn *publish;
	void *publish_ctx;
	client_iam_ready_fn *ready; /* set until the start-up sequence ends */
	void *ready_ctx;

	struct rt_timer token_timer;
	struct rt_timer keys_timer;
	struct client_http_call *token_call;
	struct client_http_call *jwks_call;
	struct client_http_call *rev_call;
	unsigned token_retry_ms;

	/* one keys fetch: both documents, then one swap */
	bool keys_fetching;
	unsigned keys_pending;
	bool keys_failed;
	struct auth_keyset *new_keyset;
	struct auth_revocation *new_revocation;
	uint64_t last_keys_fetch_ms;
	bool stopping;
	uint64_t failures;
};

static void fetch_keys(struct client_iam *iam);

static void path_of(const struct client_iam *iam, const char *rest, char *out, size_t len)
{
	snprintf(out, len, "%s%s", iam->ags->base.base_path, rest);
}

/* The SDK's error text for an unexpected status: "[GET /path][401] body". */
static void status_error(char *why, size_t len, const char *method, const char *route, int status,
			 const struct client_http_result *res)
{
	int body = res->body_len > 300 ? 300 : (int)res->body_len;
	snprintf(why, len, "[%s %s][%d] %.*s", method, route, status, body, res->body);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void replace_creds(struct client_iam *iam, const char *token, int64_t expires,
			  struct client_keys *keys)
{
	struct client_creds *c = calloc(1, sizeof(*c));
	char *t = token ? strdup(token) : NULL;
	if (!c || (token && !t)) {
		free(c);
		free(t);
		obs_error("IAM credentials not updated", "\"error\":\"out of memory\"");
		return;
	}
	atomic_init(&c->refs, 1);
	c->token = t;
	c->token_expires = expires;
	c->keys = keys;
	client_creds_release(iam->creds);
	iam->creds = c;
	if (iam->publish && !iam->stopping)
		iam->publish(iam->publish_ctx, c);
}

static struct client_keys *current_keys_retained(struct client_iam *iam)
{
	struct client_keys *k = iam->creds ? iam->creds->keys : NULL;
	if (k)
		atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	return k;
}

static void start_done(struct client_iam *iam, bool ok, const char *why)
{
	client_iam_ready_fn *ready = iam->ready;
	if (!ready)
		return;
	iam->ready = NULL;
	ready(iam->ready_ctx, ok, why);
}

/* ---- token ------------------------------------------------------------- */

static void login(struct client_iam *iam);

static void on_token_timer(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct client_iam *iam = container_of(t, struct client_iam, token_timer);
	if (!iam->stopping)
		login(iam);
}

uint64_t client_iam_failures(const struct client_iam *iam)
{
	return iam->failures;
}

static void token_retry_later(struct client_iam *iam, const char *why)
{
	iam->failures++;
	char esc[WHY_MAX];
	iam->token_retry_ms = iam->token_retry_ms ? iam->token_retry_ms * 2 : RETRY_MIN_MS;
	if (iam->token_retry_ms > RETRY_MAX_MS)
		iam->token_retry_ms = RETRY_MAX_MS;
	obs_error("IAM token refresh failed, keeping the current token",
		  "\"error\":\"%s\",\"retry_in_ms\":%u", obs_json_escape(why, esc, sizeof(esc)),
		  iam->token_retry_ms);
	rt_timer_arm(iam->sh, &iam->token_timer, iam->token_retry_ms);
}

static bool parse_token(const struct client_http_result *res, char **token, int64_t *expires_in,
			const char **why)
{
	struct json_doc *doc = NULL;
	if (json_parse(res->body, res->body_len, 0, &doc, why) < 0)
		return false;
	const struct json_value *root = json_doc_root(doc);
	const struct json_value *t = json_get(root, "access_token");
	const struct json_value *e = json_get(root, "expires_in");
	bool ok = t && t->type == JSON_STRING && t->len > 0;
	if (!ok) {
		*why = "token response without access_token";
	} else {
		*token = strdup(t->str);
		*expires_in = e && e->type == JSON_INT && e->i > 0 ? e->i : 3600;
		ok = *token != NULL;
		if (!ok)
			*why = "out of memory";
	}
	json_doc_free(doc);
	return ok;
}

static void on_token(void *ctx, int err, const char *why, const struct client_http_result *res)
{
	struct client_iam *iam = ctx;
	iam->token_call = NULL;
	char text[WHY_MAX];
	if (err == 0 && (res->status < 200 || res->status > 299)) {
		status_error(text, sizeof(text), "POST", "/iam/v3/oauth/token", res->status, res);
		why = text;
		err = -EACCES;
	}
	char *token = NULL;
	int64_t expires_in = 0;
	if (err == 0 && !parse_token(res, &token, &expires_in, &why))
		err = -EPROTO;
	if (err < 0) {
		if (iam->ready) {
			start_done(iam, false, why);
			return;
		}
		token_retry_later(iam, why);
		return;
	}
	iam->token_retry_ms = 0;
	replace_creds(iam, token, now_s() + expires_in, current_keys_retained(iam));
	free(token);
	/* The SDK refreshes at 80 % of the token's lifetime. */
	rt_timer_arm(iam->sh, &iam->token_timer, (uint64_t)expires_in * 800);
	obs_info("IAM client login succeeded", "\"expires_in\":%lld", (long long)expires_in);
	if (iam->ready) {
		if (iam->ags->fetch_keys)
			fetch_keys(iam);
		else
			start_done(iam, true, NULL);
	}
}

static void login(struct client_iam *iam)
{
	if (iam->token_call)
		return;
	char path[700];
	path_of(iam, "/iam/v3/oauth/token", path, sizeof(path));
	const char *headers[] = { iam->ags->basic_auth,
				  "Content-Type: application/x-www-form-urlencoded",
				  "Accept: application/json", NULL };
	static const char body[] = "grant_type=client_credentials";
	int ret = client_http_send(iam->http, &iam->ags->base, "POST", path, headers, body,
				   sizeof(body) - 1, IAM_TIMEOUT_MS, on_token, iam, &iam->token_call);
	if (ret < 0) {
		if (iam->ready)
			start_done(iam, false, client_http_send_error(ret));
		else
			token_retry_later(iam, client_http_send_error(ret));
	}
}

/* ---- JWKS and revocation list ------------------------------------------ */

static void on_keys_timer(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct client_iam *iam = container_of(t, struct client_iam, keys_timer);
	if (!iam->stopping)
		fetch_keys(iam);
}

static void keys_fetched(struct client_iam *iam)
{
	iam->keys_fetching = false;
	bool ok = !iam->keys_failed;
	if (ok) {
		struct client_keys *k = calloc(1, sizeof(*k));
		if (k) {
			atomic_init(&k->refs, 1);
			k->keyset = iam->new_keyset;
			k->revocation = iam->new_revocation;
			iam->new_keyset = NULL;
			iam->new_revocation = NULL;
			obs_info("IAM keys refreshed", "\"keys\":%zu,\"revoked_users\":%zu",
				 auth_keyset_count(k->keyset),
				 auth_revocation_users(k->revocation));
			replace_creds(iam, iam->creds ? iam->creds->token : NULL,
				      iam->creds ? iam->creds->token_expires : 0, k);
		} else {
			ok = false;
		}
	}
	auth_keyset_free(iam->new_keyset);
	auth_revocation_free(iam->new_revocation);
	iam->new_keyset = NULL;
	iam->new_revocation = NULL;
	/* The reference only logs a failed first fetch; we also retry soon. */
	rt_timer_arm(iam->sh, &iam->keys_timer,
		     ok ? (uint64_t)iam->ags->refresh_interval_s * 1000 : KEYS_RETRY_MS);
	start_done(iam, true, NULL);
}

static void keys_part_failed(struct client_iam *iam, const char *what, const char *why)
{
	char esc[WHY_MAX];
	obs_error(what, "\"error\":\"%s\"", obs_json_escape(why, esc, sizeof(esc)));
	iam->keys_failed = true;
	iam->failures++;
}

static void on_jwks(void *ctx, int err, const char *why, const struct client_http_result *res)
{
	struct client_iam *iam = ctx;
	iam->jwks_call = NULL;
	char text[WHY_MAX];
	if (err == 0 && res->status != 200) {
		status_error(text, sizeof(text), "GET", "/iam/v3/oauth/jwks", res->status, res);
		why = text;
		err = -EPROTO;
	}
	if (err == 0 && auth_keyset_from_jwks(res->body, res->body_len, &iam->new_keyset, &why) < 0)
		err = -EPROTO;
	if (err < 0)
		keys_part_failed(iam, "IAM JWKS fetch failed", why);
	if (--iam->keys_pending == 0)
		keys_fetched(iam);
}

static void on_revocation(void *ctx, int err, const char *why,
			  const struct client_http_result *res)
{
	struct client_iam *iam = ctx;
	iam->rev_call = NULL;
	char text[WHY_MAX];
	if (err == 0 && res->status != 200) {
		status_error(text, sizeof(text), "GET", "/iam/v3/oauth/revocationlist", res->status,
			     res);
		why = text;
		err = -EPROTO;
	}
	if (err == 0 && auth_revocation_from_json(res->body, res->body_len, &iam->new_revocation,
						  &why) < 0)
		err = -EPROTO;
	if (err < 0)
		keys_part_failed(iam, "IAM revocation list fetch failed", why);
	if (--iam->keys_pending == 0)
		keys_fetched(iam);
}

static void fetch_keys(struct client_iam *iam)
{
	if (iam->keys_fetching)
		return;
	iam->keys_fetching = true;
	iam->keys_failed = false;
	iam->keys_pending = 2;
	iam->last_keys_fetch_ms = iam->sh->now_ms;
	char path[700], bearer[AUTH_TOKEN_MAX + 32];
	path_of(iam, "/iam/v3/oauth/jwks", path, sizeof(path));
	const char *jwks_headers[] = { iam->ags->basic_auth, "Accept: application/json", NULL };
	int ret = client_http_send(iam->http, &iam->ags->base, "GET", path, jwks_headers, NULL, 0,
				   IAM_TIMEOUT_MS, on_jwks, iam, &iam->jwks_call);
	if (ret < 0) {
		keys_part_failed(iam, "IAM JWKS fetch failed", client_http_send_error(ret));
		iam->keys_pending--;
	}
	path_of(iam, "/iam/v3/oauth/revocationlist", path, sizeof(path));
	snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
		 iam->creds && iam->creds->token ? iam->creds->token : "");
	const char *rev_headers[] = { bearer, "Accept: application/json", NULL };
	ret = client_http_send(iam->http, &iam->ags->base, "GET", path, rev_headers, NULL, 0,
			       IAM_TIMEOUT_MS, on_revocation, iam, &iam->rev_call);
	if (ret < 0) {
		keys_part_failed(iam, "IAM revocation list fetch failed", client_http_send_error(ret));
		iam->keys_pending--;
	}
	if (iam->keys_pending == 0)
		keys_fetched(iam);
}

void client_iam_unknown_kid(struct client_iam *iam)
{
	if (!iam->ags->fetch_keys || iam->keys_fetching ||
	    iam->sh->now_ms - iam->last_keys_fetch_ms < CLIENT_IAM_KID_REFRESH_MS)
		return;
	obs_info("unknown kid: refreshing the JWKS early", NULL);
	fetch_keys(iam);
}

/* ---- life cycle -------------------------------------------------------- */

struct client_iam *client_iam_new(struct rt_shard *sh, const struct client_ags *ags,
				  struct client_http *http, struct client_creds *initial,
				  client_iam_publish_fn *publish, void *ctx)
{
	struct client_iam *iam = calloc(1, sizeof(*iam));
	if (!iam)
		return NULL;
	iam->sh = sh;
	iam->ags = ags;
	iam->http = http;
	iam->publish = publish;
	iam->publish_ctx = ctx;
	rt_timer_init(&iam->token_timer, on_token_timer);
	rt_timer_init(&iam->keys_timer, on_keys_timer);
	if (initial) {
		client_creds_retain(initial);
		iam->creds = initial;
		int64_t left = initial->token_expires - now_s();
		/* 80 % of what is left now; at least a second. */
		uint64_t in_ms = left > 1 ? (uint64_t)left * 800 : 1000;
		if (initial->token)
			rt_timer_arm(sh, &iam->token_timer, in_ms);
		if (ags->fetch_keys) {
			bool have = initial->keys && initial->keys->keyset;
			rt_timer_arm(sh, &iam->keys_timer,
				     have ? (uint64_t)ags->refresh_interval_s * 1000 : KEYS_RETRY_MS);
			iam->last_keys_fetch_ms = sh->now_ms;
		}
	}
	return iam;
}

void client_iam_start(struct client_iam *iam, client_iam_ready_fn *ready, void *ctx)
{
	iam->ready = ready;
	iam->ready_ctx = ctx;
	login(iam);
}

struct client_creds *client_iam_creds(const struct client_iam *iam)
{
	return iam->creds;
}

void client_iam_stop(struct client_iam *iam)
{
	iam->stopping = true;
	rt_timer_cancel(iam->sh, &iam->token_timer);
	rt_timer_cancel(iam->sh, &iam->keys_timer);
}

void client_iam_free(struct client_iam *iam)
{
	if (!iam)
		return;
	/* The ring is going away with the shard: no completion follows. */
	if (iam->token_call)
		client_http_abandon(iam->token_call);
	if (iam->jwks_call)
		client_http_abandon(iam->jwks_call);
	if (iam->rev_call)
		client_http_abandon(iam->rev_call);
	auth_keyset_free(iam->new_keyset);
	auth_revocation_free(iam->new_revocation);
	client_creds_release(iam->creds);
	free(iam);
}
