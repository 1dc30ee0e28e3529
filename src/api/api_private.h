/* Internals of src/api shared by its files. */
#ifndef CHALLENGED_API_PRIVATE_H
#define CHALLENGED_API_PRIVATE_H

#include "challenged/api.h"
#include "challenged/buf.h"
#include "body.h"
#include "challenged/client.h"
#include <protobuf-c/protobuf-c.h>

#include "challenged/h2.h"
#include "user_cache.h"

struct api_shard {
	struct rt_shard *sh;
	const struct api_global *g;
	struct h1_server http;
	struct h1_server metrics_http;            /* shard 0 only */
	struct h2_server grpc;
	bool grpc_started;
	struct ingest_shard ingest;
	bool ingest_started;
	bool metrics_started;
	struct obs_metrics metrics;
	struct db_conn db;
	struct db_pool tx_pool;                   /* claim transactions */
	struct client_http *ags_http;             /* NULL unless AGS is used */
	struct client_iam *iam;                   /* shard 0 with AGS only */
	struct client_creds *creds;               /* this shard's current IAM credentials */
	uint64_t kid_refresh_asked_ms;            /* last unknown-kid nudge sent to shard 0 */
	struct client_rewards *rewards;
	struct auth_cache *auth_cache;
	uint64_t token_verifications;             /* token cache misses */
	uint64_t token_cache_hits_before;         /* hits of caches replaced on a key change */
	struct user_cache *user_cache;            /* NULL unless enabled */
	const struct dom_row **rows_by_goal;      /* scratch, one per configured goal */
	struct rt_deadline_list query_deadlines;  /* API_QUERY_TIMEOUT_MS */
	struct rt_deadline_list health_deadlines; /* API_HEALTH_TIMEOUT_MS */
	struct rt_deadline_list claim_deadlines;  /* API_CLAIM_TIMEOUT_MS */
	bool http_started;
};

#define API_QUERY_TIMEOUT_MS 10000
#define API_HEALTH_TIMEOUT_MS 2000
#define API_CLAIM_TIMEOUT_MS 10000

/*
 * One REST request in flight. It may travel to the user's owner shard and
 * back, so it is heap-allocated and owns copies of everything it needs; the
 * connection pointer is used only on the origin shard.
 */
struct api_req {
	struct rt_msg msg;
	struct api_shard *origin;
	struct h1_conn *conn;           /* HTTP requests; NULL for gRPC calls */
	struct h2_call *call;           /* gRPC calls */
	struct arena *arena;            /* the connection's, or own_arena for gRPC */
	struct arena own_arena;
	enum api_route route;
	uint64_t start_us;
	char method[8];
	char path[128];

	char user_id[AUTH_SUB_MAX + 1];
	size_t user_len;
	bool active_only;

	/* the answer */
	int status;
	int grpc_code;                  /* with a gRPC-status JSON error body */
	const ProtobufCMessageDescriptor *grpc_response; /* gRPC: the answer's type */
	const char *content_type;
	const char *extra_headers;
	struct buf body;

	/* decoded inputs of gateway routes (copies in the connection's arena,
	 * which stays untouched until the answer is sent) */
	struct str challenge_id;
	struct str goal_id;
	const struct dom_goal *goal;
	const struct dom_challenge *challenge;
	bool is_active;
	bool replace_existing;
	bool exclude_active;
	int32_t count;
	struct body_list goal_ids;

	/* owner-side bookkeeping */
	struct api_shard *owner;
	struct db_query *query;
	struct rt_deadline deadline;
	struct dom_row *rows;           /* the user's rows read for this request */
	size_t n_rows;
	int n_active_rows;              /* active rows, removed goals included */
	const struct dom_goal **picked; /* batch/random: goals to activate */
	size_t n_picked;
	const struct dom_goal **replaced;
	size_t n_replaced;
	int total_active;
	int attempts;                   /* initialize: reads after a lost insert race */

	/* waiting for this user's accepted events to commit (buffered acks) */
	struct ingest_waiter events_wait;
	rt_msg_fn *events_resume;

	/* claim's transaction */
	struct db_waiter waiter;
	struct db_conn *tx;
	struct client_grant *grant;
	int claim_phase;
	bool found_row;
	bool mark_missed;               /* claim_mark updated no row */
	struct dom_row claim_row;
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
/* A token named a kid the IAM keys lack: ask shard 0 for an early JWKS
 * refresh (rate-limited here and there). */
void api_unknown_kid(struct api_shard *as);

/* Answers a gRPC call from req's HTTP-shaped answer (grpc.c). */
void api_grpc_reply(struct api_req *req);
/* A request for a gRPC call (its own arena; answered with h2_call_finish). */
struct api_req *api_req_new_grpc(struct api_shard *as, struct h2_call *call, enum api_route route);
/* GetUserChallenges' body, by the gRPC display rules (api.md §5.1). */
void api_render_list_grpc(struct buf *b, const struct dom_config *cfg,
			  const struct dom_row *const *rows_by_goal, int64_t now_us);
/* Verifies a bearer token (the "Bearer " prefix optional) for gateway-style
 * callers; answers 403/500 itself and returns false on failure. */
bool api_identify_token(struct api_shard *as, struct api_req *req, struct str token);

/* Sets req's user id; false when it is empty or longer than AUTH_SUB_MAX. */
bool api_req_set_user(struct api_req *req, const char *id, size_t len);

/* Identity (auth.md): fills req->user_id or answers the error itself and
 * returns false. */
bool api_identify_optimized(struct api_shard *as, struct api_req *req, const struct h1_request *r);
bool api_identify_gateway(struct api_shard *as, struct api_req *req, const struct h1_request *r);

/* Gateway path parameters: percent-decoded into the arena, checked for the
 * reference's "is required" errors and our length/control-character limit.
 * Answers the 400 itself and returns false on failure. */
bool api_req_path_ids(struct api_shard *as, struct api_req *req, const struct api_match *m,
		      bool need_goal);
/* The same checks for ids already in req (gRPC messages carry them). */
bool api_req_check_ids(struct api_shard *as, struct api_req *req, bool need_goal);
/* Read-your-events (on the owner shard): true when req may read the user's
 * rows now; otherwise resume(owner shard, &req->msg) runs once the user's
 * accepted events committed (or req is answered 503 at the deadline). */
bool api_req_after_events(struct api_shard *as, struct api_req *req, rt_msg_fn *resume);
/* The database is unreachable or saturated: a fast 503 in the route's style. */
void api_req_unavailable(struct api_shard *as, struct api_req *req);
/* A gateway route's query outlived its deadline: 504 DeadlineExceeded. */
void api_req_gateway_timeout(struct rt_shard *sh, struct rt_deadline *d);
/* Decodes a gateway body into fields; answers the 400 itself on failure. */
bool api_req_decode_body(struct api_shard *as, struct api_req *req, const char *body, size_t len,
			 struct body_field *fields, size_t n_fields);
/* Starts req's owner-side work with the shard's standard request deadline. */
void api_req_arm_deadline(struct api_shard *as, struct api_req *req,
			  void (*expire)(struct rt_shard *, struct rt_deadline *));

void api_list_start(struct api_shard *as, struct api_req *req);
void api_initialize_start(struct api_shard *as, struct api_req *req);
/* The gateway write routes: decode the body, then identify the caller
 * (the reference's order), then check and run. */
void api_set_active_start(struct api_shard *as, struct api_req *req, const struct api_match *m,
			  const struct h1_request *r, const char *body, size_t len);
void api_claim_start(struct api_shard *as, struct api_req *req, const struct api_match *m,
		     const struct h1_request *r, const char *body, size_t len);
void api_batch_select_start(struct api_shard *as, struct api_req *req, const struct api_match *m,
			    const struct h1_request *r, const char *body, size_t len);
void api_random_select_start(struct api_shard *as, struct api_req *req,
			     const struct api_match *m, const struct h1_request *r,
			     const char *body, size_t len);
void api_rotation_start(struct api_shard *as, struct api_req *req, const struct api_match *m);

/* What follows the protocol-specific decoding and identification: checks
 * and work on decoded fields of req (shared by REST and gRPC). */
void api_set_active_run(struct api_shard *as, struct api_req *req);
void api_claim_run(struct api_shard *as, struct api_req *req);
void api_batch_select_run(struct api_shard *as, struct api_req *req);
void api_random_select_run(struct api_shard *as, struct api_req *req);
void api_rotation_run(struct api_shard *as, struct api_req *req);
void api_health_start(struct api_shard *as, struct api_req *req);

#endif
