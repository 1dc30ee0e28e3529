/*
 * POST .../goals/{goal_id}/claim (spec api.md §5.4) on the user's owner
 * shard, on a connection reserved for the transaction:
 *   BEGIN; lock the goal's row (FOR UPDATE); read all the user's rows
 *   -> checks -> grant the reward -> mark claimed; COMMIT
 * The row lock makes concurrent claims (even from other instances) wait and
 * then see "claimed": exactly one grant. Any failure rolls back, so the row
 * stays completed and claimable; a 10 s deadline bounds the whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_private.h"
#include "challenged/domain_ops.h"
#include "challenged/obs.h"
#include "rows.h"


enum claim_phase { PHASE_WAIT_CONN, PHASE_READ, PHASE_GRANT, PHASE_MARK, PHASE_DONE };

static void on_rolled_back(void *ctx, enum db_error err, const char *msg)
{
	(void)err, (void)msg;
	struct db_conn *c = ctx;
	struct api_shard *as = api_shard_of(c->sh);
	db_pool_release(&as->tx_pool, c);
}

/* Ends the transaction (if any) and gives its connection back. */
static void end_tx(struct api_req *req)
{
	struct db_conn *c = req->tx;
	if (!c)
		return;
	req->tx = NULL;
	struct db_call call = { "tx_rollback", 0, NULL, NULL };
	if (db_group_send(c, &call, 1, NULL, on_rolled_back, c, NULL) < 0)
		/* The connection is gone, and with it the transaction. */
		db_pool_release(&req->owner->tx_pool, c);
}

static void finish_error(struct api_req *req, int http, int code, const char *msg)
{
	req->claim_phase = PHASE_DONE;
	end_tx(req);
	if (http == 503)
		api_req_unavailable(req->owner, req);
	else
		api_req_grpc_error(req->owner, req, http, code, msg);
}

static void db_failed(struct api_req *req, enum db_error err, const char *msg)
{
	char esc[256];
	obs_error("claim failed in the database", "\"goal\":\"%s\",\"error\":\"%s\"",
		  req->goal->id, obs_json_escape(msg ? msg : "", esc, sizeof(esc)));
	if (err == DB_ERR_UNAVAILABLE)
		finish_error(req, 503, 14, NULL);
	else
		finish_error(req, 500, 13, "Database error occurred");
}

static void on_marked_step(void *ctx, int index, PGresult *res, enum db_error err,
			   const char *msg)
{
	(void)msg;
	struct api_req *req = ctx;
	/* Zero rows marked is a failure (the reference's GOAL_NOT_COMPLETED). */
	if (index == 0 && err == DB_OK && strcmp(PQcmdTuples(res), "1") != 0)
		req->mark_missed = true;
}

static void on_marked(void *ctx, enum db_error err, const char *msg)
{
	struct api_req *req = ctx;
	req->query = NULL;
	if (err != DB_OK || req->mark_missed) {
		db_failed(req, err, err != DB_OK ? msg : "no completed, unclaimed row to mark");
		return;
	}
	/* COMMIT went through: the transaction is over. */
	struct db_conn *c = req->tx;
	req->tx = NULL;
	db_pool_release(&req->owner->tx_pool, c);
	req->claim_phase = PHASE_DONE;
	req->status = 200;
	req->content_type = CT_JSON;
	dom_render_claim(&req->body, req->goal, (int64_t)time(NULL));
	api_req_reply(req->owner, req);
}

static void on_granted(void *ctx, bool ok, const char *why)
{
	struct api_req *req = ctx;
	req->grant = NULL;
	if (!ok) {
		char esc[256], text[400];
		obs_error("reward grant failed", "\"error\":\"%s\"",
			  obs_json_escape(why ? why : "", esc, sizeof(esc)));
		snprintf(text, sizeof(text),
			 "Failed to grant reward via Platform Service after 3 retries (goal_id: %s)",
			 req->goal->id);
		finish_error(req, 500, 13, text);
		return;
	}
	req->claim_phase = PHASE_MARK;
	const char *params[2] = { req->user_id, req->goal->id };
	struct db_call calls[2] = {
		{ "claim_mark", 2, params, NULL },
		{ "tx_commit", 0, NULL, NULL },
	};
	req->mark_missed = false;
	if (db_group_send(req->tx, calls, 2, on_marked_step, on_marked, req, &req->query) < 0)
		db_failed(req, DB_ERR_UNAVAILABLE, "connection lost");
}

static void on_read_step(void *ctx, int index, PGresult *res, enum db_error err,
			 const char *msg)
{
	(void)msg;
	struct api_req *req = ctx;
	if (err != DB_OK)
		return;
	if (index == 1) { /* the locked row */
		req->found_row = rows_parse(req->owner->g->config, res, &req->claim_row) == 1;
	} else if (index == 2) { /* every row of the user, for prerequisites */
		int n = PQntuples(res);
		req->rows = malloc(sizeof(*req->rows) * (size_t)(n ? n : 1));
		if (req->rows)
			req->n_rows = rows_parse(req->owner->g->config, res, req->rows);
	}
}

static void on_read(void *ctx, enum db_error err, const char *msg)
{
	struct api_req *req = ctx;
	req->query = NULL;
	if (err != DB_OK || !req->rows) {
		db_failed(req, err, err != DB_OK ? msg : "out of memory");
		return;
	}
	struct dom_error e;
	if (dom_claim_check(req->goal, req->found_row ? &req->claim_row : NULL, req->rows,
			    req->n_rows, (int64_t)time(NULL), &e) < 0) {
		finish_error(req, e.http, e.code, e.message);
		return;
	}
	req->claim_phase = PHASE_GRANT;
	if (client_reward_grant(req->owner->rewards, req->goal, req->user_id, req->deadline.at_ms,
				on_granted, req, &req->grant) < 0)
		on_granted(req, false, "out of memory");
}

static void on_conn(struct db_waiter *w, struct db_conn *c)
{
	struct api_req *req = container_of(w, struct api_req, waiter);
	req->tx = c;
	req->claim_phase = PHASE_READ;
	const char *params[2] = { req->user_id, req->goal->id };
	struct db_call calls[3] = {
		{ "tx_begin", 0, NULL, NULL },
		{ "claim_lock", 2, params, NULL },
		{ "user_rows", 1, params, NULL },
	};
	if (db_group_send(c, calls, 3, on_read_step, on_read, req, &req->query) < 0)
		db_failed(req, DB_ERR_UNAVAILABLE, "connection lost");
}

static void on_deadline(struct rt_shard *sh, struct rt_deadline *d)
{
	(void)sh;
	struct api_req *req = container_of(d, struct api_req, deadline);
	switch (req->claim_phase) {
	case PHASE_WAIT_CONN:
		db_pool_cancel(&req->owner->tx_pool, &req->waiter);
		finish_error(req, 500, 13, "Database error occurred");
		break;
	case PHASE_GRANT: {
		client_grant_abandon(req->grant);
		char text[400];
		snprintf(text, sizeof(text),
			 "Failed to grant reward via Platform Service after 3 retries (goal_id: %s)",
			 req->goal->id);
		finish_error(req, 500, 13, text);
		break;
	}
	default:
		if (req->query)
			db_query_abandon(req->query);
		req->query = NULL;
		finish_error(req, 500, 13, "Database error occurred");
		break;
	}
}

static void on_owner(struct rt_shard *sh, struct rt_msg *msg)
{
	struct api_req *req = container_of(msg, struct api_req, msg);
	struct api_shard *as = api_shard_of(sh);
	req->owner = as;
	if (!api_req_after_events(as, req, on_owner))
		return;
	if (as->user_cache)
		user_cache_drop(as->user_cache, req->user_id, req->user_len);
	req->claim_phase = PHASE_WAIT_CONN;
	req->waiter.ready = on_conn;
	req->deadline.expire = on_deadline;
	rt_deadline_add(sh, &as->claim_deadlines, &req->deadline);
	if (db_pool_acquire(&as->tx_pool, &req->waiter) < 0)
		finish_error(req, 503, 14, NULL);
}

void api_claim_start(struct api_shard *as, struct api_req *req, const struct api_match *m,
		     const struct h1_request *r, const char *body, size_t len)
{
	/* The gateway decodes the body as a ClaimRewardRequest (its ids are
	 * then overridden by the path): content ignored, malformed JSON not. */
	struct str ignored_c, ignored_g;
	struct body_field fields[] = {
		{ "challenge_id", "challengeId", BODY_STRING, &ignored_c, false },
		{ "goal_id", "goalId", BODY_STRING, &ignored_g, false },
	};
	if (!api_req_decode_body(as, req, body, len, fields, ARRAY_SIZE(fields)))
		return;
	if (!api_identify_gateway(as, req, r))
		return;
	if (api_req_path_ids(as, req, m, true))
		api_claim_run(as, req);
}

void api_claim_run(struct api_shard *as, struct api_req *req)
{
	req->goal = dom_config_goal(as->g->config, req->goal_id.ptr, req->goal_id.len);
	if (!req->goal || strcmp(req->goal->challenge->id, req->challenge_id.ptr) != 0) {
		char text[700];
		snprintf(text, sizeof(text),
			 "Goal not found or removed from config (goal_id: %s, challenge_id: %s)",
			 req->goal_id.ptr, req->challenge_id.ptr);
		api_req_grpc_error(as, req, 404, 5, text);
		return;
	}
	api_req_to_owner(as, req, on_owner);
}
