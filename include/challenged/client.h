/*
 * Outbound calls to AGS (spec rewards.md, auth.md §2 and §7):
 *
 * - client_ags: the process-wide settings (AB_BASE_URL, trust anchors,
 *   client credentials), built once in main and read by every shard;
 * - client_creds: what IAM hands out (the service's bearer token, the JWKS
 *   keyset and the revocation list), immutable and reference-counted so a
 *   refresh swaps it in on each shard without locks;
 * - client_iam: login, token refresh at 80 % of its lifetime, JWKS and
 *   revocation refresh every REFRESH_INTERVAL; runs on one shard;
 * - client_rewards: per shard, grants a goal's reward through the mock
 *   (log and succeed, REWARD_CLIENT_MODE=mock) or AGS Platform with the
 *   reference's nested retries (REWARD_CLIENT_MODE=real).
 *
 * Everything except client_ags_new/free and the reference counts runs on
 * a shard thread and completes through that shard's ring.
 */
#ifndef CHALLENGED_CLIENT_H
#define CHALLENGED_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "challenged/auth.h"
#include "challenged/domain.h"
#include "challenged/rt.h"

/* ---- process-wide AGS settings ----------------------------------------- */

struct client_ags;

struct client_ags_settings {
	const char *base_url;      /* AB_BASE_URL */
	const char *ca_file;       /* AB_CA_FILE, or NULL for the system bundle */
	const char *client_id;     /* AB_CLIENT_ID */
	const char *client_secret; /* AB_CLIENT_SECRET */
	const char *namespace_;    /* AB_NAMESPACE */
	unsigned refresh_interval_s;
	bool fetch_keys;           /* JWKS + revocation list (auth on, no AUTH_JWKS_FILE) */
};

/*
 * Parses the base URL (https://, or http:// for loopback only) and loads the
 * trust anchors. Start-up only (reads files). Returns 0 and *out, or a
 * negative errno with err naming the variable or file at fault.
 */
int client_ags_new(const struct client_ags_settings *s, struct client_ags **out, char *err,
		   size_t err_len);
void client_ags_free(struct client_ags *a);

struct client_http;
struct client_rewards;
struct client_iam;

/*
 * The shard's HTTP client for AGS (keep-alive pool, DNS, TLS), shared by
 * its IAM and reward clients. Free it only at shard exit, after them.
 */
struct client_http *client_ags_http_new(struct rt_shard *sh, const struct client_ags *ags);
void client_ags_http_free(struct client_http *h);

/* Counters of a shard's AGS traffic, for /metrics (NULL h gives zeros). */
struct client_ags_stats {
	uint64_t answered;      /* exchanges that got an HTTP answer */
	uint64_t errors;        /* exchanges without one */
	unsigned connections;   /* open now */
	uint64_t grants;        /* reward grants that succeeded */
	uint64_t grant_failures;
	uint64_t iam_failures;  /* failed token/JWKS/revocation fetches */
};
void client_ags_stats(const struct client_http *h, const struct client_rewards *r,
		      const struct client_iam *iam, struct client_ags_stats *out);

/* ---- credentials ------------------------------------------------------- */

/* The JWKS keyset and revocation list of one fetch, shared by snapshots. */
struct client_keys {
	atomic_uint refs;
	struct auth_keyset *keyset;          /* NULL until a JWKS fetch succeeded */
	struct auth_revocation *revocation;  /* NULL until a list was fetched */
};

struct client_creds {
	atomic_uint refs;
	char *token;            /* the service's IAM access token; NULL: none */
	int64_t token_expires;  /* seconds since the epoch */
	struct client_keys *keys; /* NULL when keys are not fetched from IAM */
};

/* Any thread. A NULL argument is allowed and ignored. */
void client_creds_retain(struct client_creds *c);
void client_creds_release(struct client_creds *c);

/* ---- IAM --------------------------------------------------------------- */

struct client_iam;

/* New credentials are ready (a reference is lent for the call only). */
typedef void client_iam_publish_fn(void *ctx, struct client_creds *creds);
/* The start-up sequence finished: login ok (why NULL) or failed. */
typedef void client_iam_ready_fn(void *ctx, bool ok, const char *why);

/*
 * IAM on this shard. initial: credentials from a start-up run (NULL to
 * start from scratch). With initial, only refreshes are scheduled; without,
 * client_iam_start logs in, fetches keys when asked, and calls ready once.
 * publish runs after every change. NULL on allocation failure.
 */
struct client_iam *client_iam_new(struct rt_shard *sh, const struct client_ags *ags,
				  struct client_http *http, struct client_creds *initial, client_iam_publish_fn *publish,
				  void *ctx);
void client_iam_start(struct client_iam *iam, client_iam_ready_fn *ready, void *ctx);
/* A token named a kid the keyset lacks: refresh the JWKS early, at most
 * once per CLIENT_IAM_KID_REFRESH_MS. */
void client_iam_unknown_kid(struct client_iam *iam);
#define CLIENT_IAM_KID_REFRESH_MS 10000
/* The current credentials (a borrowed pointer). */
struct client_creds *client_iam_creds(const struct client_iam *iam);
/* The shard is stopping: no more refreshes and no more publishing (other
 * shards may already be gone). */
void client_iam_stop(struct client_iam *iam);
/* Shard exit only: drops every pending request without callbacks. */
void client_iam_free(struct client_iam *iam);

/*
 * The start-up sequence, blocking the calling (main) thread: a one-shard
 * runtime logs in and, with fetch_keys, fetches the JWKS and revocation
 * list (their failure is only logged, as in the reference, and retried
 * later by the serving shards). Returns 0 with *out (one reference, for
 * client_iam_new's initial), or -EACCES with why (the login failure) or
 * another negative errno.
 */
int client_iam_bootstrap(const struct client_ags *ags, struct client_creds **out, char *why,
			 size_t why_len);

/* ---- rewards ----------------------------------------------------------- */

/* MOCK_REWARD_LATENCY_MS: "N" or "MIN-MAX" milliseconds; 0-0 by default. */
struct client_reward_config {
	bool mock;
	unsigned latency_min_ms;
	unsigned latency_max_ms;
	const char *namespace_;
	const struct client_ags *ags;  /* real mode */
};

/* Parses MOCK_REWARD_LATENCY_MS; returns 0 or -1 for a malformed value. */
int client_reward_latency_parse(const char *text, unsigned *min_ms, unsigned *max_ms);

struct client_rewards;

/*
 * Per-shard reward granting; http is used in real mode (NULL for mock). creds points at the shard's current
 * credentials pointer (read at every attempt, so a refreshed token is used
 * as soon as it arrived). NULL on allocation failure.
 */
struct client_rewards *client_rewards_new(struct rt_shard *sh,
					  const struct client_reward_config *cfg,
					  struct client_http *http,
					  struct client_creds *const *creds);
/* Shard exit only: pending grants end without callbacks. */
void client_rewards_free(struct client_rewards *r);

struct client_grant;
/* ok: the grant succeeded; why: the failure otherwise. */
typedef void client_grant_fn(void *ctx, bool ok, const char *why);

/*
 * Grants goal's reward to user; deadline_ms (in sh->now_ms terms) is the
 * claim's deadline, which bounds every attempt and wait. done runs later on
 * this shard, exactly once (never before this returns), unless
 * client_grant_abandon was called. Returns 0, or -ENOMEM.
 */
int client_reward_grant(struct client_rewards *r, const struct dom_goal *goal,
			const char *user_id, uint64_t deadline_ms, client_grant_fn *done,
			void *ctx, struct client_grant **handle);
/* done will not run; the grant itself may still happen. */
void client_grant_abandon(struct client_grant *g);
/* Grants in flight (mock or real), for draining. */
unsigned client_rewards_pending(const struct client_rewards *r);

#endif
