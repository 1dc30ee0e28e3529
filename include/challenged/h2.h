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
struct h2_mem;

/* req/len: the request message (without the 5-byte gRPC prefix), valid only
 * during the call of the handler: copy what an asynchronous answer needs. */
typedef void h2_handler_fn(struct h2_call *call, const uint8_t *req, size_t len);

struct h2_method {
	const char *path;        /* "/package.Service/Method" */
	h2_handler_fn *handle;
	void *ctx;               /* h2_call_method_ctx */
	bool streaming_requests; /* see above */
	/* the handler answers with h2_call_send (server streaming, Watch);
	 * implied by streaming_requests */
	bool streaming_responses;
};

/* A zero field takes its default. */
struct h2_limits {
	uint32_t max_concurrent_streams;  /* SETTINGS_MAX_CONCURRENT_STREAMS, default 1000 */
	uint32_t max_message_bytes;       /* request message limit, default 4 MiB */
	uint32_t max_header_list_bytes;   /* default 16 KiB */
	uint32_t max_resets_per_second;   /* rapid reset guard, default 1000 */
	uint32_t max_control_frames_per_second; /* PING / SETTINGS flood guard, default 1000 */
	/* no stream open for this long: GOAWAY + close; also how long the peer
	 * may leave our output unread. Default 300000 (5 min); < 0: never. */
	int idle_timeout_ms;
};

struct h2_server_config {
	const struct h2_method *methods;
	size_t n_methods;
	/* path not found among methods: NULL = UNIMPLEMENTED "unknown service" */
	h2_handler_fn *fallback;
	struct h2_limits limits;
	unsigned max_conns;               /* per shard; 0: default 10000 */
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
	/* private below: the fields above are the original contract */
	struct rt_deadline_list write_list;  /* output not accepted by the peer */
	struct rt_timer accept_retry;
	struct rt_timer deadline_timer;      /* earliest grpc-timeout */
	uint64_t deadline_armed_at;          /* ms the timer fires at, 0 = idle */
	void **deadlines;        /* min-heap of calls by deadline */
	size_t n_deadlines, cap_deadlines;
	void *free_calls;        /* pool of call objects, reused */
	unsigned n_free_calls;
	unsigned n_held;         /* calls handed to handlers, not yet finished */
	struct h2_mem *mem;      /* block cache of the nghttp2 sessions */
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

/* Per-call slot for the handler's own state (NULL until set). */
void h2_call_set_data(struct h2_call *c, void *data);
void *h2_call_data(const struct h2_call *c);

/*
 * What a held call (handed to its handler, not yet finished) is told:
 * H2_CALL_CANCELLED when h2_call_cancelled becomes true, H2_CALL_STOPPING
 * when the server starts its graceful stop. A handler that waits without an
 * end of its own (a watch, a long poll) registers fn and finishes from it;
 * fn may call h2_call_finish. Each event is told at most once.
 */
enum h2_call_event {
	H2_CALL_CANCELLED,
	H2_CALL_STOPPING,
};
typedef void h2_call_event_fn(struct h2_call *call, enum h2_call_event ev);
void h2_call_on_event(struct h2_call *c, h2_call_event_fn *fn);

/* Server streaming: sends one response message now (copied). Returns 0,
 * -ECANCELED once the call is cancelled or finished, or -ENOBUFS while more
 * than 8 MiB wait for the peer (flow control). */
int h2_call_send(struct h2_call *c, const uint8_t *msg, size_t len);
/*
 * Ends the call: for unary calls with status GRPC_OK, msg/len is the
 * response message (copied; may be empty, msg may then be NULL); streaming
 * methods send msg as a last message only when it is not NULL. Then trailers
 * grpc-status and grpc-message (message may be NULL; percent-encoded on the
 * wire). After it the call is gone.
 */
void h2_call_finish(struct h2_call *c, enum grpc_status status, const char *message,
		    const uint8_t *msg, size_t len);

/* ---- grpc.health.v1.Health --------------------------------------------------- */

/*
 * The Check and Watch methods, to be listed among an h2_server's methods.
 * Overall status "" is SERVING for as long as the server runs; any other
 * service name is unknown (Check: NOT_FOUND; Watch: SERVICE_UNKNOWN). Watch
 * sends the status once and stays open until the client cancels or the
 * server stops (then it finishes with OK).
 */
void h2_health_methods(const struct h2_method **methods, size_t *n);

#endif
