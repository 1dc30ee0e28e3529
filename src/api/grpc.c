/*
 * service.Service over gRPC (spec api.md §4): each RPC decodes its protobuf
 * request into the same fields the REST route fills, identifies the caller
 * from metadata (the gateway's interceptor rules, auth.md §5), and runs the
 * same code as the REST route; the JSON answer is then turned into the
 * RPC's protobuf message by its descriptor (transcode.c), errors into
 * grpc-status and grpc-message. GetUserChallenges has gRPC's own display
 * rules (§5.1 "Behaviour (direct gRPC ...)").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_private.h"
#include "challenged/domain_ops.h"
#include "challenged/json.h"
#include "challenged/obs.h"
#include "rows.h"
#include "service.pb-c.h"
#include "transcode.h"

/* ---- answers ----------------------------------------------------------------- */

static const char *text_error_message(const struct api_req *req)
{
	if (req->status == 503)
		return "database unavailable";
	if (req->route == API_ROUTE_LIST)
		return "failed to retrieve challenges";
	if (req->route == API_ROUTE_INITIALIZE)
		return "failed to initialize player";
	return "Internal server error";
}

/* The message of a gRPC-status JSON error body, copied into msg. */
static void error_message(const struct api_req *req, char *msg, size_t cap)
{
	msg[0] = '\0';
	struct json_doc *doc;
	const char *why;
	if (json_parse(req->body.data, req->body.len, 8, &doc, &why) < 0)
		return;
	const struct json_value *m = json_get(json_doc_root(doc), "message");
	if (m && m->type == JSON_STRING)
		snprintf(msg, cap, "%.*s", (int)m->len, m->str);
	json_doc_free(doc);
}

void api_grpc_reply(struct api_req *req)
{
	if (req->status == 200) {
		struct buf pb;
		buf_init(&pb);
		if (transcode_json_to_pb(req->grpc_response, req->body.data, req->body.len, &pb) == 0)
			h2_call_finish(req->call, GRPC_OK, NULL, (const uint8_t *)pb.data, pb.len);
		else
			h2_call_finish(req->call, GRPC_INTERNAL, "failed to encode the response", NULL, 0);
		buf_fini(&pb);
		return;
	}
	if (req->grpc_code) {
		char msg[1024];
		error_message(req, msg, sizeof(msg));
		h2_call_finish(req->call, (enum grpc_status)req->grpc_code, msg, NULL, 0);
		return;
	}
	enum grpc_status code = req->status == 503 ? GRPC_UNAVAILABLE : GRPC_INTERNAL;
	h2_call_finish(req->call, code, text_error_message(req), NULL, 0);
}

/* ---- identity ------------------------------------------------------------------- */

static bool identify(struct api_shard *as, struct api_req *req)
{
	if (!as->g->settings->auth_enabled) {
		/* HTTP/2 metadata keys are lower case: x-mock-user-id and the
		 * gateway's grpcgateway- form (auth.md §5). */
		static const char *const keys[] = { "x-mock-user-id", "grpcgateway-x-mock-user-id" };
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			const struct str *h = h2_call_header(req->call, keys[i]);
			if (h && h->len > 0) {
				if (api_req_set_user(req, h->ptr, h->len))
					return true;
				api_req_grpc_error(as, req, 400, 3, "user id is longer than 256 bytes");
				return false;
			}
		}
		return api_req_set_user(req, "test-user-123", 13);
	}
	const struct str *h = h2_call_header(req->call, "authorization");
	if (!h) {
		api_req_grpc_error(as, req, 401, 16, "authorization metadata is missing");
		return false;
	}
	if (h->len == 0) {
		api_req_grpc_error(as, req, 401, 16, "authorization metadata length is 0");
		return false;
	}
	return api_identify_token(as, req, *h);
}

/* ---- requests --------------------------------------------------------------------- */

static struct api_req *new_req(struct h2_call *call, enum api_route route,
			       const ProtobufCMessageDescriptor *resp)
{
	struct api_shard *as = api_shard_of(h2_call_shard(call));
	struct api_req *req = api_req_new_grpc(as, call, route);
	if (!req) {
		h2_call_finish(call, GRPC_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
		return NULL;
	}
	req->grpc_response = resp;
	return req;
}

static struct str copy(struct api_req *req, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *p = arena_strndup(req->arena, s ? s : "", n);
	return (struct str){ p ? p : "", p ? n : 0 };
}

#define DECODE(type, fn, call, req, len)                                                 \
	type *msg = fn##__unpack(NULL, len, req);                                        \
	if (!msg) {                                                                      \
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "failed to decode the request", \
			       NULL, 0);                                                 \
		return;                                                                  \
	}

static void on_set_active(struct h2_call *call, const uint8_t *data, size_t len)
{
	DECODE(Service__SetGoalActiveRequest, service__set_goal_active_request, call, data, len);
	struct api_req *req = new_req(call, API_ROUTE_SET_ACTIVE,
				      &service__set_goal_active_response__descriptor);
	if (req) {
		struct api_shard *as = req->origin;
		req->challenge_id = copy(req, msg->challenge_id);
		req->goal_id = copy(req, msg->goal_id);
		req->is_active = msg->is_active;
		if (identify(as, req) && api_req_check_ids(as, req, true))
			api_set_active_run(as, req);
	}
	service__set_goal_active_request__free_unpacked(msg, NULL);
}

static void on_claim(struct h2_call *call, const uint8_t *data, size_t len)
{
	DECODE(Service__ClaimRewardRequest, service__claim_reward_request, call, data, len);
	struct api_req *req = new_req(call, API_ROUTE_CLAIM,
				      &service__claim_reward_response__descriptor);
	if (req) {
		struct api_shard *as = req->origin;
		req->challenge_id = copy(req, msg->challenge_id);
		req->goal_id = copy(req, msg->goal_id);
		if (identify(as, req) && api_req_check_ids(as, req, true))
			api_claim_run(as, req);
	}
	service__claim_reward_request__free_unpacked(msg, NULL);
}

static void on_batch_select(struct h2_call *call, const uint8_t *data, size_t len)
{
	DECODE(Service__BatchSelectRequest, service__batch_select_request, call, data, len);
	struct api_req *req = new_req(call, API_ROUTE_BATCH_SELECT,
				      &service__goal_selection_response__descriptor);
	if (req) {
		struct api_shard *as = req->origin;
		req->challenge_id = copy(req, msg->challenge_id);
		req->replace_existing = msg->replace_existing;
		req->goal_ids.n = msg->n_goal_ids;
		req->goal_ids.items = arena_alloc(req->arena, sizeof(struct str) *
								 (msg->n_goal_ids ? msg->n_goal_ids : 1));
		for (size_t i = 0; req->goal_ids.items && i < msg->n_goal_ids; i++)
			req->goal_ids.items[i] = copy(req, msg->goal_ids[i]);
		if (!req->goal_ids.items)
			api_req_grpc_error(as, req, 503, 8, "out of memory");
		else if (identify(as, req) && api_req_check_ids(as, req, false))
			api_batch_select_run(as, req);
	}
	service__batch_select_request__free_unpacked(msg, NULL);
}

static void on_random_select(struct h2_call *call, const uint8_t *data, size_t len)
{
	DECODE(Service__RandomSelectRequest, service__random_select_request, call, data, len);
	struct api_req *req = new_req(call, API_ROUTE_RANDOM_SELECT,
				      &service__goal_selection_response__descriptor);
	if (req) {
		struct api_shard *as = req->origin;
		req->challenge_id = copy(req, msg->challenge_id);
		req->count = msg->count;
		req->replace_existing = msg->replace_existing;
		req->exclude_active = msg->exclude_active;
		if (identify(as, req) && api_req_check_ids(as, req, false))
			api_random_select_run(as, req);
	}
	service__random_select_request__free_unpacked(msg, NULL);
}

static void on_rotation(struct h2_call *call, const uint8_t *data, size_t len)
{
	DECODE(Service__GetRotationStatusRequest, service__get_rotation_status_request, call, data,
	       len);
	struct api_req *req = new_req(call, API_ROUTE_ROTATION,
				      &service__get_rotation_status_response__descriptor);
	if (req) {
		struct api_shard *as = req->origin;
		req->challenge_id = copy(req, msg->challenge_id);
		if (identify(as, req) && api_req_check_ids(as, req, false))
			api_rotation_run(as, req);
	}
	service__get_rotation_status_request__free_unpacked(msg, NULL);
}

static void on_health(struct h2_call *call, const uint8_t *data, size_t len)
{
	(void)data, (void)len;
	struct api_req *req = new_req(call, API_ROUTE_HEALTH,
				      &service__health_check_response__descriptor);
	if (req && identify(req->origin, req))
		api_health_start(req->origin, req);
}

static void on_initialize(struct h2_call *call, const uint8_t *data, size_t len)
{
	(void)data, (void)len;
	struct api_req *req = new_req(call, API_ROUTE_INITIALIZE,
				      &service__initialize_response__descriptor);
	if (req && identify(req->origin, req))
		api_initialize_start(req->origin, req);
}

static void on_list(struct h2_call *call, const uint8_t *data, size_t len)
{
	DECODE(Service__GetChallengesRequest, service__get_challenges_request, call, data, len);
	struct api_req *req = new_req(call, API_ROUTE_LIST,
				      &service__get_challenges_response__descriptor);
	if (req) {
		req->active_only = msg->active_only;
		if (identify(req->origin, req))
			api_list_start(req->origin, req);
	}
	service__get_challenges_request__free_unpacked(msg, NULL);
}

static const struct h2_method methods[] = {
	{ "/service.Service/GetUserChallenges", on_list, NULL, false, false },
	{ "/service.Service/InitializePlayer", on_initialize, NULL, false, false },
	{ "/service.Service/SetGoalActive", on_set_active, NULL, false, false },
	{ "/service.Service/ClaimGoalReward", on_claim, NULL, false, false },
	{ "/service.Service/BatchSelectGoals", on_batch_select, NULL, false, false },
	{ "/service.Service/RandomSelectGoals", on_random_select, NULL, false, false },
	{ "/service.Service/GetRotationStatus", on_rotation, NULL, false, false },
	{ "/service.Service/HealthCheck", on_health, NULL, false, false },
};

void api_grpc_methods(const struct h2_method **out, size_t *n)
{
	*out = methods;
	*n = ARRAY_SIZE(methods);
}

/* ---- GetUserChallenges' own display rules ---------------------------------------- */

static void put_str(struct buf *b, const char *key, const char *v)
{
	buf_append_str(b, key);
	json_write_string_proto(b, v, strlen(v));
}

static void put_time_us(struct buf *b, const char *key, int64_t us)
{
	char t[21] = "";
	if (us >= 0)
		dom_time_format(us / 1000000, t);
	put_str(b, key, t);
}

static void render_goal(struct buf *b, const struct dom_goal *g, const struct dom_row *row,
			int64_t now_us)
{
	put_str(b, "{\"goalId\":", g->id);
	put_str(b, ",\"name\":", g->name);
	put_str(b, ",\"description\":", g->description);
	put_str(b, ",\"requirement\":{\"statCode\":", g->stat_code);
	put_str(b, ",\"operator\":", g->op);
	buf_printf(b, ",\"targetValue\":%d}", (int32_t)g->target_value);
	put_str(b, ",\"reward\":{\"type\":", g->reward_type == DOM_REWARD_ITEM ? "ITEM" : "WALLET");
	put_str(b, ",\"rewardId\":", g->reward_id);
	buf_printf(b, ",\"quantity\":%d},\"prerequisites\":[", (int32_t)g->reward_quantity);
	for (size_t i = 0; i < g->n_prerequisites; i++) {
		if (i)
			buf_append_char(b, ',');
		json_write_string_proto(b, g->prerequisites[i], strlen(g->prerequisites[i]));
	}
	int64_t now = now_us / 1000000;
	int32_t progress = 0;
	enum dom_status status = DOM_STATUS_NOT_STARTED;
	if (row)
		dom_row_display(row, now, &progress, &status);
	buf_printf(b, "],\"progress\":%d", progress);
	put_str(b, ",\"status\":", dom_status_name(status));
	/* gRPC: locked only when the user has no row and there are prerequisites */
	buf_printf(b, ",\"locked\":%s", !row && g->n_prerequisites ? "true" : "false");
	put_time_us(b, ",\"completedAt\":", row ? row->completed_at_us : -1);
	put_time_us(b, ",\"claimedAt\":", row ? row->claimed_at_us : -1);
	buf_printf(b, ",\"isActive\":%s", row && row->is_active ? "true" : "false");
	/* expiry from config per request, with or without a row */
	int64_t exp = dom_goal_next_expiry(g, now);
	put_time_us(b, ",\"expiresAt\":", exp >= 0 ? exp * 1000000 : -1);
	int64_t left = exp >= 0 ? (exp * 1000000 - now_us) / 1000000 : 0;
	buf_printf(b, ",\"expiresInSeconds\":%lld}", (long long)(left > 0 ? left : 0));
}

void api_render_list_grpc(struct buf *b, const struct dom_config *cfg,
			  const struct dom_row *const *rows_by_goal, int64_t now_us)
{
	buf_append_str(b, "{\"challenges\":[");
	for (size_t i = 0; i < cfg->n_challenges; i++) {
		const struct dom_challenge *c = &cfg->challenges[i];
		if (i)
			buf_append_char(b, ',');
		put_str(b, "{\"challengeId\":", c->id);
		put_str(b, ",\"name\":", c->name);
		put_str(b, ",\"description\":", c->description);
		buf_append_str(b, ",\"goals\":[");
		for (size_t j = 0; j < c->n_goals; j++) {
			if (j)
				buf_append_char(b, ',');
			const struct dom_goal *g = &c->goals[j];
			render_goal(b, g, rows_by_goal[g->index], now_us);
		}
		buf_append_str(b, "]}");
	}
	buf_append_str(b, "]}");
}
