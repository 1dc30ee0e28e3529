/*
 * gRPC over HTTP/2 cleartext (prior knowledge) on a shard: nghttp2 server
 * sessions fed from the shard's ring with nghttp2_session_mem_recv /
 * mem_send (no nghttp2 socket helpers), gRPC length-prefixed messages,
 * trailers, grpc-timeout, and the abuse limits. One h2_server per listener
 * per shard; everything runs on that shard's thread.
 *
 * A call is handed to its method's handler once the request message is
 * complete (unary and server-streaming methods). Methods flagged
 * streaming_requests (bidirectional, e.g. server reflection) get the handler
 * once per request message and once more with req == NULL when the client
 * half-closes. The handler must call h2_call_finish exactly once,
 * now or later on the same shard; until then the call object stays valid even
 * if the peer reset the stream, the deadline passed or the connection closed
 * (the answer is then dropped, and h2_call_cancelled tells).
 */
#ifndef CHALLENGED_H2_H
#define CHALLENGED_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/common.h"
#include "challenged/rt.h"

/* gRPC status codes */
enum grpc_status {
	GRPC_OK = 0,
	GRPC_CANCELLED = 1,
	GRPC_UNKNOWN = 2,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_ALREADY_EXISTS = 6,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_FAILED_PRECONDITION = 9,
	GRPC_ABORTED = 10,
	GRPC_OUT_OF_RANGE = 11,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_INTERNAL = 13,
	GRPC_UNAVAILABLE = 14,
	GRPC_DATA_LOSS = 15,
	GRPC_UNAUTHENTICATED = 16,
};

struct h2_call;
struct h2_server;

/* req/len: the request message (without the 5-byte gRPC prefix), valid only
 * during the call of the handler: copy what an asynchronous answer needs. */
typedef void h2_handler_fn(struct h2_call *call, const uint8_t *req, size_t len);

struct h2_method {
	const char *path;        /* "/package.Service/Method" */
	h2_handler_fn *handle;
	void *ctx;               /* h2_call_method_ctx */
	bool streaming_requests; /* see above */
};

struct h2_limits {
	uint32_t max_concurrent_streams;  /* SETTINGS_MAX_CONCURRENT_STREAMS, default 1000 */
	uint32_t max_message_bytes;       /* request message limit, default 4 MiB */
	uint32_t max_header_list_bytes;   /* default 16 KiB */
	uint32_t max_resets_per_second;   /* rapid reset guard, default 1000 */
	uint32_t max_control_frames_per_second; /* PING / SETTINGS flood guard, default 1000 */
	int idle_timeout_ms;              /* no stream open for this long: GOAWAY + close */
};

struct h2_server_config {
	const struct h2_method *methods;
	size_t n_methods;
	/* path not found among methods: NULL = UNIMPLEMENTED "unknown service" */
	h2_handler_fn *fallback;
	struct h2_limits limits;
	unsigned max_conns;
	void *ctx;                        /* h2_call_server_ctx */
};

/* h2_server is opaque to callers but embedded by the application: */
struct h2_server {
	struct rt_shard *sh;
	struct h2_server_config cfg;
	int listen_fd;
	struct rt_op accept_op;
	bool accept_armed;
	bool stopping;
	unsigned n_conns;
	void *conns;             /* private list of connections */
	struct rt_deadline_list idle_list;
	uint64_t n_calls, n_rejected;
};

/* Starts accepting on listen_fd (owned by the server from now on). */
int h2_server_init(struct h2_server *s, struct rt_shard *sh, int listen_fd,
		   const struct h2_server_config *cfg);
/* GOAWAY to every connection, stop accepting; calls in flight complete. */
void h2_server_stop(struct h2_server *s);
bool h2_server_drained(const struct h2_server *s);
/* Shard exit only, after a drain timeout: frees what is left. */
void h2_server_fini(struct h2_server *s);

/* ---- calls ---------------------------------------------------------------- */

struct rt_shard *h2_call_shard(const struct h2_call *c);
void *h2_call_method_ctx(const struct h2_call *c);
void *h2_call_server_ctx(const struct h2_call *c);
const char *h2_call_path(const struct h2_call *c);
/* First request header (metadata) named name (lower case), or NULL. */
const struct str *h2_call_header(const struct h2_call *c, const char *name);
/* Monotonic ms at which grpc-timeout expires, or 0 when none was sent. */
uint64_t h2_call_deadline_ms(const struct h2_call *c);
/* The peer reset the stream, the connection closed or the deadline passed. */
bool h2_call_cancelled(const struct h2_call *c);

/* Server streaming: sends one response message now (copied). */
int h2_call_send(struct h2_call *c, const uint8_t *msg, size_t len);
/*
 * Ends the call: for unary calls with status GRPC_OK, msg/len is the
 * response message (copied; may be empty); then trailers grpc-status and
 * grpc-message (percent-encoded). After it the call is gone.
 */
void h2_call_finish(struct h2_call *c, enum grpc_status status, const char *message,
		    const uint8_t *msg, size_t len);

#endif
