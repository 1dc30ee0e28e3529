/*
 * The application on each shard: its HTTP server, its Postgres connection,
 * its token cache, and the dispatch of a parsed request to its handler.
 * Shard threads only; main builds the shared api_global before they start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_private.h"
#include "challenged/apidocs.h"
#include "challenged/events.h"
#include "rows.h"
#include "challenged/obs.h"

#define LIST_SQL "SELECT " ROW_COLUMNS " FROM user_goal_progress WHERE user_id = $1"

#define INSERT_COLUMNS                                                             \
	"INSERT INTO user_goal_progress (user_id, goal_id, challenge_id, namespace, "  \
	"progress, status, is_active, assigned_at, expires_at, created_at, updated_at) "

const struct db_statement api_statements[] = {
	{ "ping", "SELECT 1", 0 },
	{ "list_all", LIST_SQL " ORDER BY created_at", 1 },
	{ "list_active", LIST_SQL " AND is_active = true ORDER BY created_at", 1 },
	/* initialize: every row of the user, in the fast path's order */
	{ "init_rows", LIST_SQL " ORDER BY challenge_id, goal_id", 1 },
	/* first login: default goals; RETURNING tells which rows this call made */
	{ "init_insert",
	  INSERT_COLUMNS
	  "SELECT $1, g, c, $2, 0, 'not_started', true, NOW(), e, NOW(), NOW() "
	  "FROM unnest($3::text[], $4::text[], $5::timestamp[]) AS t(g, c, e) "
	  "ON CONFLICT (user_id, goal_id) DO NOTHING RETURNING goal_id", 5 },
	/* returning player's rotation reset: the reference's legacy batch
	 * upsert writes only these columns, never on claimed or inactive rows */
	{ "init_reset",
	  "UPDATE user_goal_progress AS u SET progress = t.p, status = t.s, completed_at = t.c, "
	  "updated_at = NOW() FROM unnest($2::text[], $3::int[], $4::text[], $5::timestamp[]) "
	  "AS t(g, p, s, c) WHERE u.user_id = $1 AND u.goal_id = t.g "
	  "AND u.status <> 'claimed' AND u.is_active", 5 },
	/* set-active: update, or create the row (even to deactivate) */
	{ "set_active",
	  INSERT_COLUMNS
	  "VALUES ($1, $2, $3, $4, 0, 'not_started', $5::boolean, "
	  "CASE WHEN $5::boolean THEN NOW() END, NULL, NOW(), NOW()) "
	  "ON CONFLICT (user_id, goal_id) DO UPDATE SET is_active = EXCLUDED.is_active, "
	  "assigned_at = CASE WHEN EXCLUDED.is_active THEN NOW() "
	  "ELSE user_goal_progress.assigned_at END, updated_at = NOW()", 5 },
	/* batch/random select */
	{ "challenge_rows", LIST_SQL " AND challenge_id = $2 ORDER BY created_at", 2 },
	{ "deactivate_challenge",
	  "UPDATE user_goal_progress SET is_active = false, assigned_at = NULL, updated_at = NOW() "
	  "WHERE user_id = $1 AND challenge_id = $2 AND is_active RETURNING goal_id", 2 },
	{ "activate_goals",
	  INSERT_COLUMNS
	  "SELECT $1, g, $2, $3, 0, 'not_started', true, NOW(), NULL, NOW(), NOW() "
	  "FROM unnest($4::text[]) AS g "
	  "ON CONFLICT (user_id, goal_id) DO UPDATE SET is_active = true, assigned_at = NOW(), "
	  "updated_at = NOW()", 4 },
	/* claim, inside its transaction */
	{ "tx_begin", "BEGIN", 0 },
	{ "tx_commit", "COMMIT", 0 },
	{ "tx_rollback", "ROLLBACK", 0 },
	{ "claim_lock", LIST_SQL " AND goal_id = $2 FOR UPDATE", 2 },
	{ "user_rows", LIST_SQL " ORDER BY created_at", 1 },
	/* the event flush (events.md §6), on each shard's flush connection */
	{ "evt_flush", EVT_FLUSH_SQL, EVT_FLUSH_PARAMS },
	{ "claim_mark",
	  "UPDATE user_goal_progress SET status = 'claimed', claimed_at = NOW(), updated_at = NOW() "
	  "WHERE user_id = $1 AND goal_id = $2 AND status = 'completed' AND claimed_at IS NULL", 2 },
};
const size_t api_statements_count = ARRAY_SIZE(api_statements);

#define AUTH_CACHE_ENTRIES 65536

struct api_shard *api_shard_of(struct rt_shard *sh)
{
	return sh->app;
}

static bool query_flag_true(const struct h1_request *r, const char *name)
{
	struct str v;
	return h1_query_get(r->query, name, &v) && v.len == 4 && !memcmp(v.ptr, "true", 4);
}

/* {BASE_PATH}/apidocs/...: the Swagger document and its page, no auth. */
static void serve_apidocs(struct api_shard *as, struct api_req *req, const struct h1_request *r)
{
	const struct settings *st = as->g->settings;
	const char *ctype, *doc;
	size_t len;
	int status = api_apidocs_get(r->path.ptr + st->base_path_len,
				     r->path.len - st->base_path_len, &ctype, &doc, &len);
	req->status = status;
	req->content_type = ctype;
	buf_append(&req->body, doc, len);
	if (status == 301) {
		/* The header lines live in the arena until the answer is sent. */
		const char *loc = api_apidocs_location();
		size_t n = strlen(loc) + r->query.len + 16;
		char *extra = arena_alloc(req->arena, n);
		if (extra) {
			snprintf(extra, n, "Location: %s%s%.*s\r\n", loc, r->query.len ? "?" : "",
				 (int)r->query.len, r->query.ptr);
			req->extra_headers = extra;
		}
	}
	api_req_reply(as, req);
}

static void handle(struct h1_server *srv, struct h1_conn *c, const struct h1_request *r,
		   const char *body, size_t body_len)
{
	struct api_shard *as = srv->ctx;
	const struct settings *st = as->g->settings;
	struct api_match m;
	api_route((struct str){ st->base_path, st->base_path_len }, r->method, r->path, &m);

	struct api_req *req = api_req_new(as, c, r, m.route);
	if (!req) {
		h1_respond(c, 503, CT_TEXT, "Service unavailable: out of memory\n", 35, NULL);
		return;
	}
	switch (m.route) {
	case API_ROUTE_OUTSIDE_BASE:
		api_req_text(as, req, 404, "404 page not found");
		return;
	case API_ROUTE_NOT_FOUND:
		api_req_grpc_error(as, req, 404, 5, "Not Found");
		return;
	case API_ROUTE_LIST:
	case API_ROUTE_INITIALIZE:
		if (!m.method_ok) {
			api_req_text(as, req, 405, "Method not allowed");
			return;
		}
		break;
	default:
		if (!m.method_ok) {
			api_req_grpc_error(as, req, 501, 12, "Method Not Allowed");
			return;
		}
		break;
	}

	/* The gateway decodes a body before the call reaches the auth check. */
	switch (m.route) {
	case API_ROUTE_LIST:
		if (!api_identify_optimized(as, req, r))
			return;
		req->active_only = query_flag_true(r, "active_only");
		api_list_start(as, req);
		return;
	case API_ROUTE_INITIALIZE:
		if (!api_identify_optimized(as, req, r))
			return;
		api_initialize_start(as, req);
		return;
	case API_ROUTE_HEALTH:
		if (!api_identify_gateway(as, req, r))
			return;
		api_health_start(as, req);
		return;
	case API_ROUTE_ROTATION:
		if (!api_identify_gateway(as, req, r))
			return;
		api_rotation_start(as, req, &m);
		return;
	case API_ROUTE_CLAIM:
		/* the gateway decodes the body before the call is authorized */
		api_claim_start(as, req, &m, r, body, body_len);
		return;
	case API_ROUTE_SET_ACTIVE:
		/* the gateway decodes the body before the call is authorized */
		api_set_active_start(as, req, &m, r, body, body_len);
		return;
	case API_ROUTE_BATCH_SELECT:
		/* the gateway decodes the body before the call is authorized */
		api_batch_select_start(as, req, &m, r, body, body_len);
		return;
	case API_ROUTE_RANDOM_SELECT:
		/* the gateway decodes the body before the call is authorized */
		api_random_select_start(as, req, &m, r, body, body_len);
		return;
	case API_ROUTE_APIDOCS:
		serve_apidocs(as, req, r);
		return;
	default:
		api_req_grpc_error(as, req, 404, 5, "Not Found");
		return;
	}
}

/* The metrics listener: GET /metrics, everything else 404. */
static void handle_metrics(struct h1_server *srv, struct h1_conn *c, const struct h1_request *r,
			   const char *body, size_t body_len)
{
	(void)body, (void)body_len;
	struct api_shard *as = srv->ctx;
	if (!str_eq(r->path, "/metrics", 8)) {
		h1_respond(c, 404, CT_TEXT, "404 page not found\n", 19, NULL);
		return;
	}
	if (!str_eq(r->method, "GET", 3)) {
		h1_respond(c, 405, CT_TEXT, "Method not allowed\n", 19, NULL);
		return;
	}
	struct buf out;
	buf_init(&out);
	obs_metrics_render(&out, as->g->metrics, as->sh->n_shards);
	if (out.failed)
		h1_respond(c, 503, CT_TEXT, "Service unavailable: out of memory\n", 35, NULL);
	else
		h1_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len,
			   NULL);
	buf_fini(&out);
}

/* Publishes the figures other modules keep in plain fields (read only by
 * this shard) into the shard's atomics, once per loop turn. */
static void publish_metrics(struct api_shard *as)
{
	struct obs_metrics *m = &as->metrics;
	uint64_t statements = as->db.n_queries, errors = as->db.n_errors;
	uint64_t reconnects = as->db.n_reconnects, latency = as->db.latency_us_sum;
	uint64_t depth = as->db.depth;
	for (unsigned i = 0; i < as->tx_pool.n; i++) {
		const struct db_conn *c = &as->tx_pool.conns[i];
		statements += c->n_queries;
		errors += c->n_errors;
		reconnects += c->n_reconnects;
		latency += c->latency_us_sum;
		depth += c->depth;
	}
	obs_set(&m->db_statements, statements);
	obs_set(&m->db_errors, errors);
	obs_set(&m->db_reconnects, reconnects);
	obs_set(&m->db_latency_sum_us, latency);
	obs_set(&m->db_pipeline_depth, depth);
	obs_set(&m->db_up, db_conn_ready(&as->db));
	obs_set(&m->token_cache_hits, as->token_cache_hits_before + auth_cache_hits(as->auth_cache));
	struct client_ags_stats ags;
	client_ags_stats(as->ags_http, as->rewards, as->iam, &ags);
	obs_set(&m->ags_requests, ags.answered);
	obs_set(&m->ags_request_errors, ags.errors);
	obs_set(&m->ags_connections, ags.connections);
	obs_set(&m->reward_grants, ags.grants);
	obs_set(&m->reward_grant_failures, ags.grant_failures);
	obs_set(&m->iam_refresh_failures, ags.iam_failures);
	obs_set(&m->token_cache_misses, as->token_verifications);
	obs_set(&m->http_connections, as->http.n_conns);
	obs_set(&m->http_accepted, as->http.n_accepted);
	obs_set(&m->http_refused, as->http.n_refused);
	if (as->ingest_started) {
		const struct ingest_shard *in = &as->ingest;
		obs_set(&m->events_accepted, in->events);
		obs_set(&m->events_refused, in->refused);
		obs_set(&m->event_flushes, in->flushes);
		obs_set(&m->event_flush_rows, in->flush_rows);
		obs_set(&m->event_flush_failures, in->flush_failures);
		obs_set(&m->event_buffer_keys, ingest_shard_buffered(in));
	}
}

void api_drop_cached_user(struct rt_shard *sh, const char *user, size_t len)
{
	struct api_shard *as = sh->app;
	if (as && as->user_cache)
		user_cache_drop(as->user_cache, user, len);
}

/* ---- IAM credentials: made on shard 0, swapped in on every shard -------- */

struct creds_msg {
	struct rt_msg msg;
	struct client_creds *creds;
};

static void on_creds(struct rt_shard *sh, struct rt_msg *msg)
{
	struct creds_msg *m = container_of(msg, struct creds_msg, msg);
	struct api_shard *as = sh->app;
	if (!as) {
		client_creds_release(m->creds);
		free(m);
		return;
	}
	struct client_creds *old = as->creds;
	as->creds = m->creds;
	/* Tokens verified with the old keys or before a revocation must be
	 * checked again. */
	if (!old || old->keys != m->creds->keys) {
		struct auth_cache *fresh = auth_cache_new(AUTH_CACHE_ENTRIES);
		if (fresh) {
			as->token_cache_hits_before += auth_cache_hits(as->auth_cache);
			auth_cache_free(as->auth_cache);
			as->auth_cache = fresh;
		}
	}
	client_creds_release(old);
	free(m);
}

static void publish_creds(void *ctx, struct client_creds *creds)
{
	struct api_shard *as = ctx;
	for (unsigned i = 0; i < as->sh->n_shards; i++) {
		struct creds_msg *m = calloc(1, sizeof(*m));
		if (!m) {
			obs_error("credentials not sent to a shard", "\"shard\":%u", i);
			continue;
		}
		client_creds_retain(creds);
		m->creds = creds;
		m->msg.run = on_creds;
		rt_mailbox_send(as->sh, i, &m->msg);
	}
}

static void on_unknown_kid(struct rt_shard *sh, struct rt_msg *msg)
{
	struct api_shard *as = sh->app;
	if (as && as->iam)
		client_iam_unknown_kid(as->iam);
	free(msg);
}

void api_unknown_kid(struct api_shard *as)
{
	if (!as->g->ags || as->g->keys)
		return;
	if (as->kid_refresh_asked_ms &&
	    as->sh->now_ms - as->kid_refresh_asked_ms < CLIENT_IAM_KID_REFRESH_MS)
		return;
	struct rt_msg *m = calloc(1, sizeof(*m));
	if (!m)
		return;
	as->kid_refresh_asked_ms = as->sh->now_ms;
	m->run = on_unknown_kid;
	rt_mailbox_send(as->sh, 0, m);
}

/* The shard's AGS client, IAM refreshes on shard 0, and the reward client. */
static int ags_start(struct api_shard *as)
{
	const struct api_global *g = as->g;
	const struct settings *st = g->settings;
	if (g->ags) {
		as->ags_http = client_ags_http_new(as->sh, g->ags);
		if (!as->ags_http)
			return -1;
		client_creds_retain(g->creds);
		as->creds = g->creds;
		if (as->sh->id == 0) {
			as->iam = client_iam_new(as->sh, g->ags, as->ags_http, g->creds,
						 publish_creds, as);
			if (!as->iam)
				return -1;
		}
	}
	struct client_reward_config rc = {
		.mock = st->reward_mock,
		.namespace_ = st->namespace_,
		.ags = g->ags,
	};
	client_reward_latency_parse(st->mock_reward_latency, &rc.latency_min_ms,
				    &rc.latency_max_ms);
	as->rewards = client_rewards_new(as->sh, &rc, as->ags_http, &as->creds);
	return as->rewards ? 0 : -1;
}

static int on_start(struct rt_shard *sh)
{
	const struct api_global *g = sh->app_global;
	const struct settings *st = g->settings;
	struct api_shard *as = calloc(1, sizeof(*as));
	if (!as)
		return -1;
	sh->app = as;
	as->sh = sh;
	as->g = g;
	obs_metrics_init(&as->metrics);
	g->metrics[sh->id] = &as->metrics;
	as->auth_cache = auth_cache_new(AUTH_CACHE_ENTRIES);
	if (!as->auth_cache)
		return -1;
	as->rows_by_goal = calloc(g->config->n_goals ? g->config->n_goals : 1,
				  sizeof(*as->rows_by_goal));
	if (!as->rows_by_goal)
		return -1;
	if (st->user_cache_entries) {
		as->user_cache = user_cache_new(st->user_cache_entries);
		if (!as->user_cache)
			return -1;
	}
	rt_deadline_list_init(sh, &as->query_deadlines, API_QUERY_TIMEOUT_MS);
	rt_deadline_list_init(sh, &as->health_deadlines, API_HEALTH_TIMEOUT_MS);
	rt_deadline_list_init(sh, &as->claim_deadlines, API_CLAIM_TIMEOUT_MS);
	if (db_conn_init(&as->db, sh, g->conninfo) < 0)
		return -1;
	_Static_assert(DB_POOL_MAX >= SETTINGS_TX_CONNS_MAX, "the pool holds every allowed tx conn");
	if (db_pool_init(&as->tx_pool, sh, g->conninfo, st->tx_conns) < 0)
		return -1;
	if (ags_start(as) < 0)
		return -1;
	struct h1_server_config hc = {
		.limits = { .max_head = 16 * 1024, .max_body = st->max_body },
		.max_conns = st->max_conns,
		.header_timeout_ms = st->header_timeout_ms,
		.idle_timeout_ms = st->idle_timeout_ms,
		.write_timeout_ms = 30000,
		.handle = handle,
		.ctx = as,
	};
	if (g->http_fds) {
		h1_server_init(&as->http, sh, g->http_fds[sh->id], &hc);
		as->http_started = true;
	}
	if (g->ingest) {
		if (ingest_shard_init(&as->ingest, sh, g->ingest) < 0)
			return -1;
		as->ingest_started = true;
	}
	if (g->grpc_fds) {
		struct h2_server_config gc = {
			.methods = g->grpc_methods,
			.n_methods = g->n_grpc_methods,
			.limits = {
				.max_concurrent_streams = 1000,
				.max_message_bytes = 4 << 20,
				.max_header_list_bytes = 16 << 10,
				.max_resets_per_second = 1000,
				.max_control_frames_per_second = 1000,
				.idle_timeout_ms = st->idle_timeout_ms,
			},
			.max_conns = st->max_conns,
			.ctx = as,
		};
		if (h2_server_init(&as->grpc, sh, g->grpc_fds[sh->id], &gc) < 0)
			return -1;
		as->grpc_started = true;
	}
	if (sh->id == 0 && g->metrics_fd >= 0) {
		hc.handle = handle_metrics;
		hc.max_conns = 256;
		h1_server_init(&as->metrics_http, sh, g->metrics_fd, &hc);
		as->metrics_started = true;
	}
	return 0;
}

static void before_sleep(struct rt_shard *sh)
{
	struct api_shard *as = sh->app;
	db_conn_flush(&as->db);
	db_pool_flush(&as->tx_pool);
	if (as->ingest_started)
		ingest_shard_before_sleep(&as->ingest);
	publish_metrics(as);
}

static void on_stop(struct rt_shard *sh)
{
	struct api_shard *as = sh->app;
	if (as && as->http_started)
		h1_server_stop(&as->http);
	if (as && as->metrics_started)
		h1_server_stop(&as->metrics_http);
	if (as && as->grpc_started)
		h2_server_stop(&as->grpc);
	if (as && as->iam)
		client_iam_stop(as->iam);
}

static bool is_drained(struct rt_shard *sh)
{
	struct api_shard *as = sh->app;
	return (!as->http_started || h1_server_drained(&as->http)) &&
	       (!as->metrics_started || h1_server_drained(&as->metrics_http)) &&
	       (!as->grpc_started || h2_server_drained(&as->grpc)) &&
	       (!as->ingest_started || ingest_shard_drained(&as->ingest)) && db_conn_idle(&as->db) &&
	       db_pool_idle(&as->tx_pool);
}

static void on_exit_shard(struct rt_shard *sh)
{
	struct api_shard *as = sh->app;
	if (!as)
		return;
	if (as->http_started)
		h1_server_fini(&as->http);
	if (as->metrics_started)
		h1_server_fini(&as->metrics_http);
	if (as->grpc_started)
		h2_server_fini(&as->grpc);
	if (as->ingest_started)
		ingest_shard_fini(&as->ingest);
	if (as->db.conninfo)
		db_conn_fini(&as->db);
	db_pool_fini(&as->tx_pool);
	client_rewards_free(as->rewards);
	client_iam_free(as->iam);
	client_ags_http_free(as->ags_http);
	client_creds_release(as->creds);
	auth_cache_free(as->auth_cache);
	user_cache_free(as->user_cache);
	free(as->rows_by_goal);
	free(as);
	sh->app = NULL;
}

const struct rt_hooks api_hooks = {
	.on_start = on_start,
	.before_sleep = before_sleep,
	.on_stop = on_stop,
	.is_drained = is_drained,
	.on_exit = on_exit_shard,
};
