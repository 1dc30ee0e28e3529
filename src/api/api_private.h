/* Internals of src/api shared by its files. */
#ifndef CHALLENGED_API_PRIVATE_H
#define CHALLENGED_API_PRIVATE_H

#include "challenged/api.h"
#include "challenged/buf.h"
#include "user_cache.h"

struct api_shard {
	struct rt_shard *sh;
	const struct api_global *g;
	struct h1_server http;
	struct db_conn db;
	struct auth_cache *auth_cache;
	struct user_cache *user_cache;            /* NULL unless enabled */
	const struct dom_row **rows_by_goal;      /* scratch, one per configured goal */
	struct rt_deadline_list query_deadlines;  /* API_QUERY_TIMEOUT_MS */
	struct rt_deadline_list health_deadlines; /* API_HEALTH_TIMEOUT_MS */
	bool http_started;
};

#define API_QUERY_TIMEOUT_MS 10000
#define API_HEALTH_TIMEOUT_MS 2000

/*
 * One REST request in flight. It may travel to the user's owner shard and
 * back, so it is heap-allocated and owns copies of everything it needs; the
 * connection pointer is used only on the origin shard.
 */
struct api_req {
	struct rt_msg msg;
	struct api_shard *origin;
	struct h1_conn *conn;
	enum api_route route;
	uint64_t start_ms;
	char method[8];
	char path[128];

	char user_id[AUTH_SUB_MAX + 1];
	size_t user_len;
	bool active_only;

	/* the answer */
	int status;
	const char *content_type;
	const char *extra_headers;
	struct buf body;

	/* owner-side bookkeeping */
	struct api_shard *owner;
	struct db_query *query;
	struct rt_deadline deadline;
};

#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"

struct api_req *api_req_new(struct api_shard *as, struct h1_conn *c, const struct h1_request *r,
			    enum api_route route);
/* Sends req's answer from whichever shard holds it; frees req. */
void api_req_reply(struct api_shard *current, struct api_req *req);
/* Answers with a gRPC-status JSON body {"code":..,"message":..,"details":[]}. */
void api_req_grpc_error(struct api_shard *current, struct api_req *req, int http_status,
			int code, const char *message);
void api_req_text(struct api_shard *current, struct api_req *req, int status, const char *text);
/* Runs fn for req on the owner shard of req->user_id. */
void api_req_to_owner(struct api_shard *as, struct api_req *req, rt_msg_fn *fn);
struct api_shard *api_shard_of(struct rt_shard *sh);

/* Identity (auth.md): fills req->user_id or answers the error itself and
 * returns false. */
bool api_identify_optimized(struct api_shard *as, struct api_req *req, const struct h1_request *r);
bool api_identify_gateway(struct api_shard *as, struct api_req *req, const struct h1_request *r);

void api_list_start(struct api_shard *as, struct api_req *req);
void api_health_start(struct api_shard *as, struct api_req *req);

#endif
