/*
 * POST .../goals/batch-select and .../goals/random-select (spec api.md
 * §5.5, §5.6). Inputs are checked on the accepting shard; on the owner the
 * challenge's rows are read, the goals chosen, and the (optional)
 * deactivation plus the activation are written as one statement group, so
 * they commit or fail together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_private.h"
#include "challenged/domain_ops.h"
#include "challenged/obs.h"
#include "rows.h"

static const char *op_name(const struct api_req *req)
{
	return req->route == API_ROUTE_BATCH_SELECT ? "batch select" : "random select";
}

/* Errors after validation: "not found" texts become NotFound, the rest
 * Internal with the operation's prefix (the reference's classification). */
static void fail(struct api_req *req, enum db_error err, const char *what, const char *msg)
{
	struct api_shard *as = req->owner;
	if (err == DB_ERR_UNAVAILABLE) {
		api_req_unavailable(as, req);
		return;
	}
	char text[700];
	snprintf(text, sizeof(text), "%s: %s", what, msg ? msg : "");
	if (strstr(text, "not found")) {
		api_req_grpc_error(as, req, 404, 5, text);
		return;
	}
	char full[800];
	snprintf(full, sizeof(full), "failed to %s goals: %s", op_name(req), text);
	api_req_grpc_error(as, req, 500, 13, full);
}

static void on_step(void *ctx, int index, PGresult *res, enum db_error err, const char *msg)
{
	(void)msg;
	struct api_req *req = ctx;
	/* Statement 0 is the deactivation when replacing: its RETURNING lists
	 * the goals it turned off. */
	if (!req->replace_existing || index != 0 || err != DB_OK)
		return;
	int n = PQntuples(res);
	req->replaced = calloc((size_t)(n ? n : 1), sizeof(*req->replaced));
	if (!req->replaced)
		return;
	for (int i = 0; i < n; i++) {
		const struct dom_goal *g = dom_config_goal(req->owner->g->config, PQgetvalue(res, i, 0),
							   (size_t)PQgetlength(res, i, 0));
		if (g)
			req->replaced[req->n_replaced++] = g;
	}
}

static void on_written(void *ctx, enum db_error err, const char *msg)
{
	struct api_req *req = ctx;
	req->query = NULL;
	if (err != DB_OK) {
		fail(req, err, req->replace_existing ? "failed to update goals" : "failed to batch activate goals",
		     msg);
		return;
	}
	req->status = 200;
	req->content_type = CT_JSON;
	dom_render_selection(&req->body, req->challenge, req->picked, req->n_picked,
			     req->total_active, req->replaced, req->n_replaced, (int64_t)time(NULL));
	api_req_reply(req->owner, req);
}

static void write_selection(struct api_req *req)
{
	struct api_shard *as = req->owner;
	struct str *ids = calloc(req->n_picked ? req->n_picked : 1, sizeof(*ids));
	struct buf arr;
	buf_init(&arr);
	if (ids) {
		for (size_t i = 0; i < req->n_picked; i++)
			ids[i] = (struct str){ req->picked[i]->id, strlen(req->picked[i]->id) };
		rows_text_array(&arr, ids, req->n_picked);
	}
	buf_append_char(&arr, '\0');
	free(ids);
	if (!ids || arr.failed) {
		buf_fini(&arr);
		fail(req, DB_ERR_QUERY, "failed to batch activate goals", "out of memory");
		return;
	}
	const char *ns = as->g->settings->namespace_;
	const char *cid = req->challenge->id;
	const char *deact[2] = { req->user_id, cid };
	const char *act[4] = { req->user_id, cid, ns, arr.data };
	struct db_call calls[2];
	int n = 0;
	if (req->replace_existing)
		calls[n++] = (struct db_call){ "deactivate_challenge", 2, deact, NULL };
	calls[n++] = (struct db_call){ "activate_goals", 4, act, NULL };
	int ret = db_group_send(&as->db, calls, n, on_step, on_written, req, &req->query);
	buf_fini(&arr);
	if (ret < 0)
		api_req_unavailable(as, req);
}

static void choose_and_write(struct api_req *req)
{
	const struct dom_challenge *ch = req->challenge;
	if (req->route == API_ROUTE_RANDOM_SELECT) {
		req->picked = calloc(ch->n_goals ? ch->n_goals : 1, sizeof(*req->picked));
		if (!req->picked) {
			fail(req, DB_ERR_QUERY, "failed to select goals", "out of memory");
			return;
		}
		size_t pool = dom_random_pool(ch, req->rows, req->n_rows,
					      req->exclude_active || req->replace_existing,
					      req->picked);
		if (pool == 0) {
			char text[200];
			snprintf(text, sizeof(text),
				 "INSUFFICIENT_GOALS: no goals available for selection (available: 0, requested: %d)",
				 req->count);
			api_req_grpc_error(req->owner, req, 400, 3, text);
			return;
		}
		int picked = dom_random_pick(req->picked, pool, (size_t)req->count);
		if (picked < 0) {
			fail(req, DB_ERR_QUERY, "failed to select goals", "no randomness available");
			return;
		}
		req->n_picked = (size_t)picked;
	}
	req->total_active = dom_total_active(req->rows, req->n_rows, req->picked, req->n_picked,
					     req->replace_existing);
	write_selection(req);
}

static void on_rows(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	struct api_req *req = ctx;
	req->query = NULL;
	if (err != DB_OK) {
		fail(req, err, "failed to get user progress", msg);
		return;
	}
	int n = PQntuples(res);
	req->rows = malloc(sizeof(*req->rows) * (size_t)(n ? n : 1));
	if (!req->rows) {
		fail(req, DB_ERR_QUERY, "failed to get user progress", "out of memory");
		return;
	}
	req->n_rows = rows_parse(req->owner->g->config, res, req->rows);
	choose_and_write(req);
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
	const char *params[2] = { req->user_id, req->challenge->id };
	if (db_query_send(&as->db, "challenge_rows", 2, params, NULL, on_rows, req, &req->query) < 0) {
		api_req_unavailable(as, req);
		return;
	}
	api_req_arm_deadline(as, req, api_req_gateway_timeout);
}

static bool find_challenge(struct api_shard *as, struct api_req *req)
{
	req->challenge =
		dom_config_challenge(as->g->config, req->challenge_id.ptr, req->challenge_id.len);
	if (req->challenge)
		return true;
	char text[300];
	snprintf(text, sizeof(text), "challenge '%s' not found", req->challenge_id.ptr);
	api_req_grpc_error(as, req, 404, 5, text);
	return false;
}

void api_batch_select_start(struct api_shard *as, struct api_req *req, const struct api_match *m,
			    const struct h1_request *r, const char *body, size_t len)
{
	struct body_field fields[] = {
		{ "goal_ids", "goalIds", BODY_STRING_LIST, &req->goal_ids, false },
		{ "replace_existing", "replaceExisting", BODY_BOOL, &req->replace_existing, false },
	};
	if (!api_req_decode_body(as, req, body, len, fields, ARRAY_SIZE(fields)))
		return;
	if (!api_identify_gateway(as, req, r))
		return;
	if (api_req_path_ids(as, req, m, false))
		api_batch_select_run(as, req);
}

void api_batch_select_run(struct api_shard *as, struct api_req *req)
{
	if (req->goal_ids.n == 0) {
		api_req_grpc_error(as, req, 400, 3, "goal_ids cannot be empty");
		return;
	}
	if (!find_challenge(as, req))
		return;
	size_t n = req->goal_ids.n;
	req->picked = calloc(n, sizeof(*req->picked));
	if (!req->picked) {
		api_req_grpc_error(as, req, 503, 8, "out of memory");
		return;
	}
	char text[700];
	for (size_t i = 0; i < n; i++) {
		struct str id = req->goal_ids.items[i];
		const struct dom_goal *g = dom_config_goal(as->g->config, id.ptr, id.len);
		if (!g) {
			snprintf(text, sizeof(text), "goal '%.*s' not found", (int)MIN(id.len, 300),
				 id.ptr);
			api_req_grpc_error(as, req, 404, 5, text);
			return;
		}
		if (g->challenge != req->challenge) {
			snprintf(text, sizeof(text),
				 "failed to batch select goals: goal '%s' does not belong to challenge '%s'",
				 g->id, req->challenge->id);
			api_req_grpc_error(as, req, 500, 13, text);
			return;
		}
		/* Our choice: a duplicate is the caller's mistake (400), where the
		 * reference fails inside Postgres with a 500. */
		for (size_t k = 0; k < i; k++)
			if (req->picked[k] == g) {
				snprintf(text, sizeof(text), "duplicate goal id '%s' in goal_ids", g->id);
				api_req_grpc_error(as, req, 400, 3, text);
				return;
			}
		req->picked[i] = g;
	}
	req->n_picked = n;
	api_req_to_owner(as, req, on_owner);
}

void api_random_select_start(struct api_shard *as, struct api_req *req,
			     const struct api_match *m, const struct h1_request *r,
			     const char *body, size_t len)
{
	struct body_field fields[] = {
		{ "count", "count", BODY_INT32, &req->count, false },
		{ "replace_existing", "replaceExisting", BODY_BOOL, &req->replace_existing, false },
		{ "exclude_active", "excludeActive", BODY_BOOL, &req->exclude_active, false },
	};
	if (!api_req_decode_body(as, req, body, len, fields, ARRAY_SIZE(fields)))
		return;
	if (!api_identify_gateway(as, req, r))
		return;
	if (api_req_path_ids(as, req, m, false))
		api_random_select_run(as, req);
}

void api_random_select_run(struct api_shard *as, struct api_req *req)
{
	if (req->count <= 0) {
		api_req_grpc_error(as, req, 400, 3, "count must be greater than 0");
		return;
	}
	if (!find_challenge(as, req))
		return;
	api_req_to_owner(as, req, on_owner);
}
