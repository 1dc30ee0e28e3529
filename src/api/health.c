/*
 * GET {BASE_PATH}/healthz (spec api.md §5.8): a database round trip with a
 * 2 s deadline on the accepting shard's own connection.
 */
#include "api_private.h"

static void unhealthy(struct api_shard *as, struct api_req *req)
{
	api_req_grpc_error(as, req, 503, 14, "database connectivity check failed");
}

static void on_ping(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	(void)res, (void)msg;
	struct api_req *req = ctx;
	req->query = NULL;
	if (err != DB_OK) {
		unhealthy(req->origin, req);
		return;
	}
	req->status = 200;
	req->content_type = CT_JSON;
	buf_append_str(&req->body, "{\"status\":\"healthy\"}");
	api_req_reply(req->origin, req);
}

static void on_deadline(struct rt_shard *sh, struct rt_deadline *d)
{
	(void)sh;
	struct api_req *req = container_of(d, struct api_req, deadline);
	if (req->query)
		db_query_abandon(req->query);
	req->query = NULL;
	unhealthy(req->origin, req);
}

void api_health_start(struct api_shard *as, struct api_req *req)
{
	if (db_query_send(&as->db, "ping", 0, NULL, NULL, on_ping, req, &req->query) < 0) {
		unhealthy(as, req);
		return;
	}
	req->deadline.expire = on_deadline;
	rt_deadline_add(as->sh, &as->health_deadlines, &req->deadline);
}
