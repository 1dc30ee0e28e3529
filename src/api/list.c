/*
 * GET {BASE_PATH}/v1/challenges (spec api.md §5.1): identify the caller on
 * the accepting shard, read the user's rows on the user's owner shard, render
 * from the pre-rendered config fragments there, answer on the origin.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_private.h"
#include "rows.h"
#include "challenged/obs.h"

/* Renders the list body from the user's rows and answers. */
static void render_and_reply(struct api_shard *as, struct api_req *req,
			     const struct dom_row *rows, size_t n)
{
	const struct dom_config *cfg = as->g->config;
	const struct dom_row **by_goal = as->rows_by_goal;
	memset(by_goal, 0, sizeof(*by_goal) * cfg->n_goals);
	for (size_t i = 0; i < n; i++)
		if (!req->active_only || rows[i].is_active)
			by_goal[rows[i].goal->index] = &rows[i];
	req->status = 200;
	req->content_type = CT_JSON;
	if (req->call)
		api_render_list_grpc(&req->body, cfg, by_goal, dom_now_us());
	else
		dom_render_list_us(&req->body, cfg, by_goal, dom_now_us());
	api_req_reply(as, req);
}

static void on_rows(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	struct api_req *req = ctx;
	struct api_shard *as = req->owner;
	req->query = NULL;
	if (err == DB_ERR_UNAVAILABLE) {
		api_req_unavailable(as, req);
		return;
	}
	if (err != DB_OK) {
		char esc[256];
		obs_error("listing challenges failed", "\"error\":\"%s\"",
			  obs_json_escape(msg, esc, sizeof(esc)));
		api_req_text(as, req, 500, "Internal server error");
		return;
	}
	int n = PQntuples(res);
	struct dom_row *rows = malloc(sizeof(*rows) * (size_t)(n > 0 ? n : 1));
	if (!rows) {
		api_req_text(as, req, 500, "Internal server error");
		return;
	}
	size_t kept = rows_parse(as->g->config, res, rows);
	if (as->user_cache)
		user_cache_put(as->user_cache, req->user_id, req->user_len, rows, kept);
	render_and_reply(as, req, rows, kept);
	free(rows);
}

static void on_deadline(struct rt_shard *sh, struct rt_deadline *d)
{
	struct api_req *req = container_of(d, struct api_req, deadline);
	if (req->query)
		db_query_abandon(req->query);
	req->query = NULL;
	api_req_text(api_shard_of(sh), req, 503, "Service unavailable: database did not answer in time");
}

/* On the owner shard. */
static void list_on_owner(struct rt_shard *sh, struct rt_msg *msg)
{
	struct api_req *req = container_of(msg, struct api_req, msg);
	struct api_shard *as = api_shard_of(sh);
	req->owner = as;
	if (!api_req_after_events(as, req, list_on_owner))
		return;
	if (as->user_cache) {
		size_t n;
		const struct dom_row *rows =
			user_cache_get(as->user_cache, req->user_id, req->user_len, &n);
		if (rows) {
			render_and_reply(as, req, rows, n);
			return;
		}
	}
	const char *params[1] = { req->user_id };
	int lengths[1] = { (int)req->user_len };
	/* The cache keeps every row so it can answer both variants. */
	bool all = !req->active_only || as->user_cache;
	int ret = db_query_send(&as->db, all ? "list_all" : "list_active", 1, params,
				lengths, on_rows, req, &req->query);
	if (ret < 0) {
		/* Postgres unreachable or saturated: say so at once. */
		api_req_unavailable(as, req);
		return;
	}
	req->deadline.expire = on_deadline;
	rt_deadline_add(sh, &as->query_deadlines, &req->deadline);
}

void api_list_start(struct api_shard *as, struct api_req *req)
{
	api_req_to_owner(as, req, list_on_owner);
}
