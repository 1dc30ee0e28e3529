/*
 * POST {BASE_PATH}/v1/challenges/initialize (spec api.md §5.2) on the
 * user's owner shard. One read of every row of the user decides: none means
 * a first login (insert the default goals; the rows the insert really
 * created decide who reports them as new), otherwise the fast path with the
 * in-memory rotation reset, persisted before answering.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_private.h"
#include "challenged/domain_ops.h"
#include "challenged/obs.h"
#include "rows.h"

static void read_rows(struct api_shard *as, struct api_req *req);

static void fail(struct api_req *req, enum db_error err, const char *msg)
{
	struct api_shard *as = req->owner;
	if (err == DB_ERR_UNAVAILABLE) {
		api_req_unavailable(as, req);
		return;
	}
	char esc[256];
	obs_error("initialize failed", "\"error\":\"%s\"", obs_json_escape(msg, esc, sizeof(esc)));
	api_req_text(as, req, 500, "Internal server error");
}

static void answer(struct api_req *req, const struct dom_row *rows, size_t n, int new_assignments,
		   int total_active)
{
	req->status = 200;
	req->content_type = CT_JSON;
	dom_render_initialize(&req->body, rows, n, new_assignments, total_active,
			      (int64_t)time(NULL));
	api_req_reply(req->owner, req);
}

/* ---- first login --------------------------------------------------------- */

static void on_inserted(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	struct api_req *req = ctx;
	req->query = NULL;
	if (err != DB_OK) {
		fail(req, err, msg);
		return;
	}
	int created = PQntuples(res);
	if (created == 0) {
		/* A concurrent first call won: answer as a returning player. */
		if (++req->attempts > 2) {
			fail(req, DB_ERR_QUERY, "rows vanished while initializing");
			return;
		}
		read_rows(req->owner, req);
		return;
	}
	size_t n;
	const struct dom_goal *const *defaults = dom_default_goals(req->owner->g->config, &n);
	int64_t now = (int64_t)time(NULL);
	struct dom_row *rows = calloc(n, sizeof(*rows));
	if (!rows) {
		fail(req, DB_ERR_QUERY, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		rows[i].goal = defaults[i];
		rows[i].status = DOM_STATUS_NOT_STARTED;
		rows[i].is_active = true;
		rows[i].completed_at_us = rows[i].claimed_at_us = -1;
		rows[i].assigned_at_us = rows[i].updated_at_us = rows[i].created_at_us = now * 1000000;
		int64_t exp = dom_goal_next_expiry(defaults[i], now);
		rows[i].expires_at_us = exp < 0 ? -1 : exp * 1000000;
	}
	answer(req, rows, n, created, (int)n);
	free(rows);
}

static void insert_defaults(struct api_shard *as, struct api_req *req)
{
	size_t n;
	const struct dom_goal *const *defaults = dom_default_goals(as->g->config, &n);
	int64_t now = (int64_t)time(NULL);
	struct buf goals, challenges, expires;
	buf_init(&goals);
	buf_init(&challenges);
	buf_init(&expires);
	buf_append_char(&expires, '{');
	struct str *gids = calloc(n, sizeof(*gids)), *cids = calloc(n, sizeof(*cids));
	for (size_t i = 0; gids && cids && i < n; i++) {
		gids[i] = (struct str){ defaults[i]->id, strlen(defaults[i]->id) };
		cids[i] = (struct str){ defaults[i]->challenge->id, strlen(defaults[i]->challenge->id) };
		int64_t exp = dom_goal_next_expiry(defaults[i], now);
		if (i)
			buf_append_char(&expires, ',');
		if (exp < 0) {
			buf_append_str(&expires, "NULL");
		} else {
			buf_append_char(&expires, '"');
			rows_timestamp(&expires, exp);
			buf_append_char(&expires, '"');
		}
	}
	buf_append_char(&expires, '}');
	if (gids && cids) {
		rows_text_array(&goals, gids, n);
		rows_text_array(&challenges, cids, n);
	}
	buf_append_char(&goals, '\0');
	buf_append_char(&challenges, '\0');
	buf_append_char(&expires, '\0');
	int ret = -ENOMEM;
	if (gids && cids && !goals.failed && !challenges.failed && !expires.failed) {
		const char *params[5] = { req->user_id, as->g->settings->namespace_, goals.data,
					  challenges.data, expires.data };
		ret = db_query_send(&as->db, "init_insert", 5, params, NULL, on_inserted, req,
				    &req->query);
	}
	free(gids);
	free(cids);
	buf_fini(&goals);
	buf_fini(&challenges);
	buf_fini(&expires);
	if (ret == -ENOMEM)
		fail(req, DB_ERR_QUERY, "out of memory");
	else if (ret < 0)
		api_req_unavailable(as, req);
}

/* ---- returning player ---------------------------------------------------- */

static void on_reset_written(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	(void)res;
	struct api_req *req = ctx;
	req->query = NULL;
	if (err != DB_OK) {
		/* The reference logs this and answers anyway. */
		char esc[256];
		obs_warn("initialize: persisting the rotation reset failed", "\"error\":\"%s\"",
			 obs_json_escape(msg, esc, sizeof(esc)));
	}
	answer(req, req->rows, req->n_rows, 0, req->n_active_rows);
}

/* Writes the rows the rotation reset changed; answers when done. */
static void persist_resets(struct api_req *req, const bool *changed)
{
	struct api_shard *as = req->owner;
	struct buf goals, progress, status, completed;
	buf_init(&goals);
	buf_init(&progress);
	buf_init(&status);
	buf_init(&completed);
	const char *sep = "";
	buf_append_char(&goals, '{');
	buf_append_char(&progress, '{');
	buf_append_char(&status, '{');
	buf_append_char(&completed, '{');
	for (size_t i = 0; i < req->n_rows; i++) {
		if (!changed[i])
			continue;
		const struct dom_row *r = &req->rows[i];
		buf_append_str(&goals, sep);
		struct str id = { r->goal->id, strlen(r->goal->id) };
		struct buf one;
		buf_init(&one);
		rows_text_array(&one, &id, 1); /* {"id"}: take the quoted element */
		buf_append(&goals, one.data + 1, one.len - 2);
		buf_fini(&one);
		buf_append_str(&progress, sep);
		buf_append_i64(&progress, r->progress);
		buf_append_str(&status, sep);
		buf_append_str(&status, dom_status_name(r->status));
		buf_append_str(&completed, sep);
		if (r->completed_at_us < 0) {
			buf_append_str(&completed, "NULL");
		} else {
			buf_append_char(&completed, '"');
			rows_timestamp(&completed, r->completed_at_us / 1000000);
			buf_append_char(&completed, '"');
		}
		sep = ",";
	}
	buf_append_str(&goals, "}");
	buf_append_str(&progress, "}");
	buf_append_str(&status, "}");
	buf_append_str(&completed, "}");
	buf_append_char(&goals, '\0');
	buf_append_char(&progress, '\0');
	buf_append_char(&status, '\0');
	buf_append_char(&completed, '\0');
	int ret = -ENOMEM;
	if (!goals.failed && !progress.failed && !status.failed && !completed.failed) {
		const char *params[5] = { req->user_id, goals.data, progress.data, status.data,
					  completed.data };
		ret = db_query_send(&as->db, "init_reset", 5, params, NULL, on_reset_written, req,
				    &req->query);
	}
	buf_fini(&goals);
	buf_fini(&progress);
	buf_fini(&status);
	buf_fini(&completed);
	if (ret < 0)
		on_reset_written(req, NULL, DB_ERR_UNAVAILABLE, "could not send the reset");
}

static void on_rows(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	struct api_req *req = ctx;
	struct api_shard *as = req->owner;
	req->query = NULL;
	if (err != DB_OK) {
		fail(req, err, msg);
		return;
	}
	int n = PQntuples(res);
	if (n == 0) {
		insert_defaults(as, req);
		return;
	}
	/* The fast path lists active rows (ordered by challenge, goal in SQL). */
	free(req->rows);
	req->rows = malloc(sizeof(*req->rows) * (size_t)n);
	bool *changed = calloc((size_t)n, sizeof(bool));
	if (!req->rows || !changed) {
		free(changed);
		fail(req, DB_ERR_QUERY, "out of memory");
		return;
	}
	req->n_active_rows = 0;
	for (int i = 0; i < n; i++)
		if (PQgetvalue(res, i, 6)[0] == 't') /* is_active, see ROW_COLUMNS */
			req->n_active_rows++;
	size_t parsed = rows_parse(as->g->config, res, req->rows);
	size_t kept = 0;
	int64_t now = (int64_t)time(NULL);
	bool any = false;
	for (size_t i = 0; i < parsed; i++) {
		if (!req->rows[i].is_active)
			continue;
		req->rows[kept] = req->rows[i];
		changed[kept] = dom_initialize_reset(&req->rows[kept], now);
		any |= changed[kept];
		kept++;
	}
	req->n_rows = kept;
	if (any)
		persist_resets(req, changed);
	else
		answer(req, req->rows, req->n_rows, 0, req->n_active_rows);
	free(changed);
}

static void read_rows(struct api_shard *as, struct api_req *req)
{
	const char *params[1] = { req->user_id };
	if (db_query_send(&as->db, "init_rows", 1, params, NULL, on_rows, req, &req->query) < 0)
		api_req_unavailable(as, req);
}

static void on_deadline(struct rt_shard *sh, struct rt_deadline *d)
{
	struct api_req *req = container_of(d, struct api_req, deadline);
	if (req->query)
		db_query_abandon(req->query);
	req->query = NULL;
	api_req_text(api_shard_of(sh), req, 500, "Internal server error");
}

static void on_owner(struct rt_shard *sh, struct rt_msg *msg)
{
	struct api_req *req = container_of(msg, struct api_req, msg);
	struct api_shard *as = api_shard_of(sh);
	req->owner = as;
	if (!api_req_after_events(as, req, on_owner))
		return;
	size_t n;
	dom_default_goals(as->g->config, &n);
	if (n == 0) {
		answer(req, NULL, 0, 0, 0);
		return;
	}
	if (as->user_cache)
		user_cache_drop(as->user_cache, req->user_id, req->user_len);
	api_req_arm_deadline(as, req, on_deadline);
	read_rows(as, req);
}

void api_initialize_start(struct api_shard *as, struct api_req *req)
{
	api_req_to_owner(as, req, on_owner);
}
