/*
 * The REST surface: routing of {BASE_PATH} paths, caller identity, the
 * handlers, and the per-shard application state that wires HTTP, Postgres
 * and auth together. Handlers are thin: protocol in, domain call, protocol
 * out.
 */
#ifndef CHALLENGED_API_H
#define CHALLENGED_API_H

#include <stdbool.h>
#include <stddef.h>

#include "challenged/auth.h"
#include "challenged/client.h"
#include "challenged/common.h"
#include "challenged/db.h"
#include "challenged/domain.h"
#include "challenged/h2.h"
#include "challenged/ingest.h"
#include "challenged/http1_server.h"
#include "challenged/metrics.h"
#include "challenged/rt.h"
#include "challenged/settings.h"

enum api_route {
	API_ROUTE_OUTSIDE_BASE,    /* not under BASE_PATH: plain-text 404 */
	API_ROUTE_NOT_FOUND,       /* under BASE_PATH, unknown: gateway 404 JSON */
	API_ROUTE_LIST,            /* /v1/challenges (optimized handler) */
	API_ROUTE_INITIALIZE,      /* /v1/challenges/initialize (optimized handler) */
	API_ROUTE_SET_ACTIVE,      /* PUT .../goals/{goal}/active */
	API_ROUTE_CLAIM,           /* POST .../goals/{goal}/claim */
	API_ROUTE_BATCH_SELECT,    /* POST .../goals/batch-select */
	API_ROUTE_RANDOM_SELECT,   /* POST .../goals/random-select */
	API_ROUTE_ROTATION,        /* GET .../{challenge}/rotation */
	API_ROUTE_HEALTH,          /* GET /healthz */
	API_ROUTE_APIDOCS,         /* /apidocs/... */
};

struct api_match {
	enum api_route route;
	bool method_ok;            /* false: 405 text or 501 JSON as api.md §1.2 says */
	struct str challenge_id;   /* path parameters, not decoded */
	struct str goal_id;
};

/* Routes path (no query) for method under base_path; pure. */
void api_route(struct str base_path, struct str method, struct str path, struct api_match *m);

/* Read-only state every shard shares, built in main before shards start. */
struct api_global {
	const struct settings *settings;
	const struct dom_config *config;
	const struct auth_keyset *keys;  /* AUTH_JWKS_FILE's keys; NULL: IAM's or auth off */
	const struct client_ags *ags;    /* AGS settings; NULL when nothing calls AGS */
	struct client_creds *creds;      /* start-up IAM credentials, or NULL */
	const char *conninfo;
	int *http_fds;                   /* one listening socket per shard; NULL: no REST */
	int *grpc_fds;                   /* the same for gRPC */
	const struct h2_method *grpc_methods; /* every RPC the gRPC listener serves */
	size_t n_grpc_methods;
	const struct ingest_config *ingest; /* NULL when this process takes no events */
	int metrics_fd;                  /* served by shard 0; -1 when off */
	/* each shard stores its metrics' address here at start; /metrics reads
	 * them all (their fields are atomics, see metrics.h) */
	struct obs_metrics **metrics;
};

/* The service.Service RPCs (api.md §4.1) on the gRPC listener. */
void api_grpc_methods(const struct h2_method **methods, size_t *n);

/* Forgets a user's cached rows (an event flush changed them); owner shard. */
void api_drop_cached_user(struct rt_shard *sh, const char *user, size_t len);

/* Hooks that run the application on the runtime's shards. */
extern const struct rt_hooks api_hooks;

/* The statements every database connection prepares. */
extern const struct db_statement api_statements[];
extern const size_t api_statements_count;

#endif
