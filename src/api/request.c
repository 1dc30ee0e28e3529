/*
 * Life of a REST request: created on the shard that accepted the
 * connection, maybe sent to the user's owner shard for its data, and always
 * answered back on the origin shard, where the connection lives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_private.h"
#include "challenged/json.h"
#include "challenged/obs.h"

static uint64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void copy_str(char *dst, size_t cap, struct str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

struct api_req *api_req_new(struct api_shard *as, struct h1_conn *c, const struct h1_request *r,
			    enum api_route route)
{
	struct api_req *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->origin = as;
	req->conn = c;
	req->arena = h1_conn_arena(c);
	req->route = route;
	req->start_us = monotonic_us();
	copy_str(req->method, sizeof(req->method), r->method);
	copy_str(req->path, sizeof(req->path), r->path);
	buf_init(&req->body);
	return req;
}

static enum obs_route metrics_route(enum api_route r)
{
	switch (r) {
	case API_ROUTE_LIST:
		return OBS_ROUTE_LIST;
	case API_ROUTE_INITIALIZE:
		return OBS_ROUTE_INITIALIZE;
	case API_ROUTE_SET_ACTIVE:
		return OBS_ROUTE_SET_ACTIVE;
	case API_ROUTE_CLAIM:
		return OBS_ROUTE_CLAIM;
	case API_ROUTE_BATCH_SELECT:
		return OBS_ROUTE_BATCH_SELECT;
	case API_ROUTE_RANDOM_SELECT:
		return OBS_ROUTE_RANDOM_SELECT;
	case API_ROUTE_ROTATION:
		return OBS_ROUTE_ROTATION;
	case API_ROUTE_HEALTH:
		return OBS_ROUTE_HEALTH;
	case API_ROUTE_APIDOCS:
		return OBS_ROUTE_APIDOCS;
	default:
		return OBS_ROUTE_OTHER;
	}
}

struct api_req *api_req_new_grpc(struct api_shard *as, struct h2_call *call, enum api_route route)
{
	struct api_req *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->origin = as;
	req->call = call;
	arena_init(&req->own_arena, 1024);
	req->arena = &req->own_arena;
	req->route = route;
	req->start_us = monotonic_us();
	snprintf(req->method, sizeof(req->method), "GRPC");
	snprintf(req->path, sizeof(req->path), "%s", h2_call_path(call));
	buf_init(&req->body);
	return req;
}

static void finish(struct api_req *req)
{
	const struct settings *st = req->origin->g->settings;
	if (req->body.failed) {
		req->status = 500;
		req->content_type = CT_TEXT;
		buf_reset(&req->body);
		buf_append_str(&req->body, "Internal server error\n");
	}
	if (req->call)
		api_grpc_reply(req);
	else
		h1_respond(req->conn, req->status, req->content_type, req->body.data,
			   req->body.len, req->extra_headers);
	uint64_t took_us = monotonic_us() - req->start_us;
	obs_http_observe(&req->origin->metrics, metrics_route(req->route), req->status, took_us);
	if (st->access_log) {
		char path[256];
		obs_info("request", "\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"duration_us\":%llu",
			 req->method, obs_json_escape(req->path, path, sizeof(path)), req->status,
			 (unsigned long long)took_us);
	}
	buf_fini(&req->body);
	free(req->rows);
	free(req->picked);
	free(req->replaced);
	if (req->call)
		arena_fini(&req->own_arena);
	free(req);
}

static void on_reply(struct rt_shard *sh, struct rt_msg *msg)
{
	(void)sh;
	finish(container_of(msg, struct api_req, msg));
}

void api_req_reply(struct api_shard *current, struct api_req *req)
{
	rt_deadline_remove(&req->deadline);
	if (current == req->origin) {
		finish(req);
		return;
	}
	req->msg.run = on_reply;
	rt_mailbox_send(current->sh, req->origin->sh->id, &req->msg);
}

void api_req_grpc_error(struct api_shard *current, struct api_req *req, int http_status,
			int code, const char *message)
{
	req->grpc_code = code;
	req->status = http_status;
	req->content_type = CT_JSON;
	buf_reset(&req->body);
	buf_append_str(&req->body, "{\"code\":");
	buf_append_i64(&req->body, code);
	buf_append_str(&req->body, ",\"message\":");
	json_write_string_proto(&req->body, message, strlen(message));
	buf_append_str(&req->body, ",\"details\":[]}");
	api_req_reply(current, req);
}

void api_req_text(struct api_shard *current, struct api_req *req, int status, const char *text)
{
	req->status = status;
	req->content_type = CT_TEXT;
	buf_reset(&req->body);
	buf_append_str(&req->body, text);
	buf_append_char(&req->body, '\n');
	api_req_reply(current, req);
}

void api_req_to_owner(struct api_shard *as, struct api_req *req, rt_msg_fn *fn)
{
	unsigned owner = rt_owner_shard(req->user_id, req->user_len, as->sh->n_shards);
	if (owner == as->sh->id) {
		fn(as->sh, &req->msg);
		return;
	}
	req->msg.run = fn;
	rt_mailbox_send(as->sh, owner, &req->msg);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes in into the arena; -1 on a bad escape. */
static int decode_param(struct arena *a, struct str in, struct str *out)
{
	char *dst = arena_alloc(a, in.len + 1);
	if (!dst)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < in.len; i++) {
		char c = in.ptr[i];
		if (c == '%') {
			if (i + 2 >= in.len)
				return -1;
			int hi = hexval(in.ptr[i + 1]);
			int lo = hexval(in.ptr[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		dst[n++] = c;
	}
	dst[n] = '\0';
	*out = (struct str){ dst, n };
	return 0;
}

/* Ids longer than this or holding control characters can name nothing. */
#define ID_MAX 256

static bool id_ok(struct str s)
{
	if (s.len > ID_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f)
			return false;
	return true;
}

static bool decode_id(struct api_shard *as, struct api_req *req, struct str raw, struct str *out,
		      const char *name)
{
	if (decode_param(req->arena, raw, out) == 0)
		return true;
	char msg[128];
	snprintf(msg, sizeof(msg), "invalid %s: malformed percent-encoding", name);
	api_req_grpc_error(as, req, 400, 3, msg);
	return false;
}

static bool check_id(struct api_shard *as, struct api_req *req, struct str *out, const char *name)
{
	char msg[128];
	if (out->len == 0) {
		snprintf(msg, sizeof(msg), "%s is required", name);
		api_req_grpc_error(as, req, 400, 3, msg);
		return false;
	}
	if (!id_ok(*out)) {
		snprintf(msg, sizeof(msg),
			 "invalid %s: longer than %d bytes or holds control characters", name, ID_MAX);
		api_req_grpc_error(as, req, 400, 3, msg);
		return false;
	}
	return true;
}

bool api_req_check_ids(struct api_shard *as, struct api_req *req, bool need_goal)
{
	if (!check_id(as, req, &req->challenge_id, "challenge_id"))
		return false;
	return !need_goal || check_id(as, req, &req->goal_id, "goal_id");
}

bool api_req_path_ids(struct api_shard *as, struct api_req *req, const struct api_match *m,
		      bool need_goal)
{
	if (!decode_id(as, req, m->challenge_id, &req->challenge_id, "challenge_id"))
		return false;
	if (need_goal && !decode_id(as, req, m->goal_id, &req->goal_id, "goal_id"))
		return false;
	return api_req_check_ids(as, req, need_goal);
}

void api_req_unavailable(struct api_shard *as, struct api_req *req)
{
	if (req->route == API_ROUTE_LIST || req->route == API_ROUTE_INITIALIZE)
		api_req_text(as, req, 503, "Service unavailable: database not reachable");
	else
		api_req_grpc_error(as, req, 503, 14, "database unavailable");
}

void api_req_gateway_timeout(struct rt_shard *sh, struct rt_deadline *d)
{
	struct api_req *req = container_of(d, struct api_req, deadline);
	if (req->query)
		db_query_abandon(req->query);
	req->query = NULL;
	api_req_grpc_error(api_shard_of(sh), req, 504, 4, "context deadline exceeded");
}

bool api_req_decode_body(struct api_shard *as, struct api_req *req, const char *body, size_t len,
			 struct body_field *fields, size_t n_fields)
{
	char err[300];
	if (body_decode(body, len, fields, n_fields, req->arena, err, sizeof(err)) == 0)
		return true;
	api_req_grpc_error(as, req, 400, 3, err);
	return false;
}

void api_req_arm_deadline(struct api_shard *as, struct api_req *req,
			  void (*expire)(struct rt_shard *, struct rt_deadline *))
{
	req->deadline.expire = expire;
	rt_deadline_add(as->sh, &as->query_deadlines, &req->deadline);
}

static void on_events_committed(struct ingest_waiter *w)
{
	struct api_req *req = container_of(w, struct api_req, events_wait);
	rt_deadline_remove(&req->deadline);
	req->events_resume(req->owner->sh, &req->msg);
}

static void on_events_wait_expired(struct rt_shard *sh, struct rt_deadline *d)
{
	struct api_req *req = container_of(d, struct api_req, deadline);
	struct api_shard *as = api_shard_of(sh);
	ingest_read_barrier_cancel(&as->ingest, &req->events_wait);
	api_req_unavailable(as, req);
}

bool api_req_after_events(struct api_shard *as, struct api_req *req, rt_msg_fn *resume)
{
	if (!as->ingest_started)
		return true;
	req->events_wait.ready = on_events_committed;
	if (ingest_read_barrier(&as->ingest, req->user_id, req->user_len, &req->events_wait))
		return true;
	req->owner = as;
	req->events_resume = resume;
	req->deadline.expire = on_events_wait_expired;
	rt_deadline_add(as->sh, &as->query_deadlines, &req->deadline);
	return false;
}
