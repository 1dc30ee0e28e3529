/*
 * GET {BASE_PATH}/v1/challenges/{challenge_id}/rotation (spec api.md §5.7):
 * config only, no user data, answered on the accepting shard.
 */
#include <stdio.h>
#include <time.h>

#include "api_private.h"
#include "challenged/domain_ops.h"

void api_rotation_start(struct api_shard *as, struct api_req *req, const struct api_match *m)
{
	if (api_req_path_ids(as, req, m, false))
		api_rotation_run(as, req);
}

void api_rotation_run(struct api_shard *as, struct api_req *req)
{
	const struct dom_challenge *ch =
		dom_config_challenge(as->g->config, req->challenge_id.ptr, req->challenge_id.len);
	if (!ch) {
		char text[300];
		snprintf(text, sizeof(text), "challenge not found: %s", req->challenge_id.ptr);
		api_req_grpc_error(as, req, 404, 5, text);
		return;
	}
	req->status = 200;
	req->content_type = CT_JSON;
	dom_render_rotation_us(&req->body, ch, dom_now_us());
	api_req_reply(as, req);
}
