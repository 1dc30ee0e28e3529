/*
 * PUT {BASE_PATH}/v1/challenges/{challenge_id}/goals/{goal_id}/active
 * (spec api.md §5.3). One upsert on the owner shard: activation stamps
 * assigned_at, deactivation keeps it, a missing row is created either way.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_private.h"
#include "challenged/domain_ops.h"
#include "challenged/obs.h"

static void on_written(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	(void)res;
	struct api_req *req = ctx;
	struct api_shard *as = req->owner;
	req->query = NULL;
	if (err == DB_ERR_UNAVAILABLE) {
		api_req_unavailable(as, req);
		return;
	}
	if (err != DB_OK) {
		char text[512];
		snprintf(text, sizeof(text),
			 "failed to set goal active status: failed to update goal active status: "
			 "DATABASE_ERROR: database error during update goal active: %s", msg);
		api_req_grpc_error(as, req, 500, 13, text);
		return;
	}
	req->status = 200;
	req->content_type = CT_JSON;
	dom_render_set_active(&req->body, req->challenge_id.ptr, req->challenge_id.len,
			      req->goal_id.ptr, req->goal_id.len, req->is_active,
			      (int64_t)time(NULL));
	api_req_reply(as, req);
}

static void on_owner(struct rt_shard *sh, struct rt_msg *msg)
{
	struct api_req *req = container_of(msg, struct api_req, msg);
	struct api_shard *as = api_shard_of(sh);
	req->owner = as;
	if (as->user_cache)
		user_cache_drop(as->user_cache, req->user_id, req->user_len);
	const struct dom_goal *g = req->goal;
	const char *params[5] = { req->user_id, g->id, g->challenge->id, as->g->settings->namespace_,
				  req->is_active ? "true" : "false" };
	if (db_query_send(&as->db, "set_active", 5, params, NULL, on_written, req, &req->query) < 0) {
		api_req_unavailable(as, req);
		return;
	}
	api_req_arm_deadline(as, req, api_req_gateway_timeout);
}

void api_set_active_start(struct api_shard *as, struct api_req *req, const struct api_match *m,
			  const struct h1_request *r, const char *body, size_t len)
{
	struct body_field fields[] = {
		{ "is_active", "isActive", BODY_BOOL, &req->is_active, false },
	};
	if (!api_req_decode_body(as, req, body, len, fields, ARRAY_SIZE(fields)))
		return;
	if (!api_identify_gateway(as, req, r))
		return;
	if (api_req_path_ids(as, req, m, true))
		api_set_active_run(as, req);
}

void api_set_active_run(struct api_shard *as, struct api_req *req)
{
	req->goal = dom_config_goal(as->g->config, req->goal_id.ptr, req->goal_id.len);
	char text[700];
	if (!req->goal) {
		snprintf(text, sizeof(text),
			 "failed to set goal active status: goal '%s' not found in challenge '%s'",
			 req->goal_id.ptr, req->challenge_id.ptr);
		api_req_grpc_error(as, req, 500, 13, text);
		return;
	}
	if (strcmp(req->goal->challenge->id, req->challenge_id.ptr) != 0) {
		snprintf(text, sizeof(text),
			 "failed to set goal active status: goal '%s' does not belong to challenge '%s'",
			 req->goal_id.ptr, req->challenge_id.ptr);
		api_req_grpc_error(as, req, 500, 13, text);
		return;
	}
	api_req_to_owner(as, req, on_owner);
}
