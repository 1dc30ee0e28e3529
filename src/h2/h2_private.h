/*
 * Internals shared by the files of src/h2: the connection and call objects,
 * the gRPC wire helpers (pure) and the hooks between server, connection and
 * call code. Nothing outside src/h2 (and its unit tests) includes it.
 */
#ifndef CHALLENGED_H2_PRIVATE_H
#define CHALLENGED_H2_PRIVATE_H

#include <nghttp2/nghttp2.h>

#include "challenged/buf.h"
#include "challenged/h2.h"

/* ---- sizes --------------------------------------------------------------- */

#define H2_DEFAULT_MAX_STREAMS 1000u
#define H2_DEFAULT_MAX_MESSAGE (4u << 20)
#define H2_DEFAULT_MAX_HEADER_LIST (16u << 10)
#define H2_DEFAULT_MAX_RESETS 1000u
#define H2_DEFAULT_MAX_CONTROL 1000u
#define H2_DEFAULT_IDLE_MS 300000
#define H2_DEFAULT_MAX_CONNS 10000u
/* Flow control: what a client may send before we grant more. Large enough
 * that one connection carries thousands of calls in flight. */
#define H2_CONN_WINDOW (16 << 20)
#define H2_STREAM_WINDOW (1 << 20)
/* Bytes of partly received request messages one connection may hold. */
#define H2_CONN_BUFFERED_MAX(max_message) \
	MAX((size_t)H2_CONN_WINDOW, 2 * (size_t)(max_message) + 10)
/* CONTINUATION frames accepted after one HEADERS (nghttp2's own cap, 8 in
 * fixed releases, is set above this as a backstop). */
#define H2_MAX_CONTINUATIONS 8
/* Bytes pulled from nghttp2 into `out` before waiting for the kernel. */
#define H2_OUT_HIGH_WATER (256u << 10)
/* Response bytes a streaming handler may queue ahead of the peer. */
#define H2_CALL_OUT_MAX (8u << 20)
/* Response bytes one connection may hold for a peer that does not read
 * them (flow control stalls it) before it counts as abuse. */
#define H2_CONN_OUT_MAX (256u << 20)
/* Call objects kept for reuse per server, and the buffer size they keep. */
#define H2_POOL_MAX 4096u
#define H2_POOL_KEEP_BYTES (64u << 10)

/* ---- gRPC wire helpers (wire.c, pure) ------------------------------------ */

/* Parses a grpc-timeout value ("1S", "250m", "100000u"...: at most 8 digits
 * and a unit of H M S m u n) into milliseconds, rounded up. Returns 0 or
 * -EINVAL. */
int h2_timeout_parse(const char *v, size_t len, uint64_t *ms);
/* Appends s percent-encoded as the gRPC spec asks of grpc-message: bytes
 * outside 0x20..0x7e and '%' become %XX. */
void h2_percent_encode(struct buf *out, const char *s, size_t len);
/* The 5-byte message prefix: flag byte and big-endian length. */
void h2_prefix_write(uint8_t out[5], bool compressed, uint32_t len);
/* "unknown service x" or "unknown method m for service x" for a path that
 * matched no method; known_service tells which. Fills out (NUL-terminated,
 * truncated to cap). */
void h2_unknown_message(char *out, size_t cap, const char *path, bool known_service);
/* The service part of "/pkg.Service/Method" (without slashes). */
struct str h2_path_service(const char *path, size_t len);

/* ---- protobuf bits for grpc.health.v1 (wire.c, pure) ---------------------- */

/* Reads field 1 (string service) of a HealthCheckRequest; unknown fields
 * are skipped. Returns 0 or -EINVAL (malformed). */
int h2_health_request_decode(const uint8_t *p, size_t len, struct str *service);
/* HealthCheckResponse{status} (status < 128): writes at most 2 bytes,
 * returns the count. */
size_t h2_health_response_encode(uint8_t out[2], unsigned status);

/* ---- nghttp2's memory (mem.c) ------------------------------------------------ */

struct h2_mem *h2_mem_new(void);
nghttp2_mem *h2_mem_nghttp2(struct h2_mem *m);
/* After every session using it was deleted. */
void h2_mem_free(struct h2_mem *m);

/* ---- calls ---------------------------------------------------------------- */

struct h2_conn;

struct h2_hdr {
	struct str name, value;
};

struct h2_call {
	struct h2_server *srv;
	struct h2_conn *conn;        /* NULL once the stream is gone */
	struct h2_call *prev, *next; /* the connection's calls with a live stream */
	struct h2_call *pool_next;
	int32_t stream_id;
	const struct h2_method *method;
	h2_handler_fn *handle;
	h2_call_event_fn *on_event;
	void *data;

	bool stream_open;    /* nghttp2 knows the stream and points to us */
	bool held;           /* the handler owns it: h2_call_finish is due */
	bool finished;       /* h2_call_finish was called */
	bool answered;       /* the response's end is queued (or dropped) */
	bool cancelled;
	bool stop_told;
	bool headers_ok;     /* request headers checked, method resolved */
	bool headers_sent;   /* response HEADERS submitted with a data source */
	bool deferred;       /* the data source waits for bytes */
	bool remote_closed;  /* END_STREAM received */
	bool got_message;    /* unary: the request message came */
	bool streaming;      /* responses are streamed (see h2_method) */
	unsigned pins;       /* callbacks in progress: not freed meanwhile */

	/* request headers, pseudo-headers included: "name\0value\0" pairs
	 * in hdr_bytes, indexed by hdr_index (struct h2_hdr[] once complete) */
	struct buf hdr_bytes;
	struct buf hdr_index;
	size_t n_hdrs;
	const char *path;           /* into hdr_bytes once indexed */

	/* request message being reassembled */
	uint8_t prefix[5];
	unsigned prefix_got;
	uint32_t msg_len;
	struct buf msg;

	/* response bytes for the data source, then the trailers */
	struct buf out;
	size_t out_off;
	enum grpc_status status;
	struct buf status_msg;      /* percent-encoded grpc-message */

	uint64_t deadline_ms;       /* 0: none */
	size_t heap_idx;            /* 1-based in srv->deadlines; 0: not there */
};

struct h2_call *h2_call_new(struct h2_server *s, struct h2_conn *c, int32_t stream_id);
/* Frees (to the pool) when neither the stream nor a handler holds it. */
void h2_call_maybe_free(struct h2_call *call);
void h2_call_pool_fini(struct h2_server *s);
/* The nghttp2 callbacks' halves that concern one call. Return 0 or an
 * nghttp2 error code for the callback to pass back. */
int h2_call_on_header(struct h2_call *call, const uint8_t *name, size_t namelen,
		      const uint8_t *value, size_t valuelen);
void h2_call_on_headers_done(struct h2_call *call, bool end_stream);
void h2_call_on_data(struct h2_call *call, const uint8_t *data, size_t len);
void h2_call_on_end_stream(struct h2_call *call);
/* The stream closed (peer reset, answered, or the connection went away). */
void h2_call_on_stream_close(struct h2_call *call);
/* grpc-timeout passed. */
void h2_call_on_deadline(struct h2_call *call);
/* Graceful stop: held calls with an event callback are told. */
void h2_call_tell_stop(struct h2_call *call);
/* Answers with status and ends the call from the server's side (errors that
 * no handler sees, deadlines); a held call is cancelled. */
void h2_call_answer(struct h2_call *call, enum grpc_status status, const char *msg);

/* deadline heap (server.c) */
void h2_deadline_add(struct h2_server *s, struct h2_call *call);
void h2_deadline_remove(struct h2_server *s, struct h2_call *call);

/* ---- connections --------------------------------------------------------- */

enum h2_conn_state {
	H2_CONN_OPEN,
	H2_CONN_CLOSED,
};

struct h2_conn {
	struct h2_server *srv;
	struct h2_conn *prev, *next;
	int fd;
	enum h2_conn_state state;
	unsigned ops;             /* kernel ops in flight + a queued pump message */
	bool recv_armed;
	bool sending;
	bool in_recv;             /* inside mem_recv: the caller pumps afterwards */
	bool pump_queued;
	bool settings_patched;
	bool calming;             /* GOAWAY ENHANCE_YOUR_CALM queued: input ignored */
	bool goaway_sent;         /* graceful GOAWAY queued */
	nghttp2_session *ng;

	unsigned n_streams;       /* calls with a live stream */
	struct h2_call *calls;
	size_t buffered;          /* request bytes held in calls' msg buffers */
	size_t queued;            /* response bytes in calls' out buffers */

	/* per-second windows of the abuse guards */
	uint64_t window_start_ms;
	unsigned resets, control;
	/* the header block being received */
	bool in_block;            /* HEADERS seen, END_HEADERS not yet */
	unsigned continuations;
	size_t block_bytes;       /* compressed, as framed */
	size_t list_bytes;        /* decoded, counted as SETTINGS_MAX_HEADER_LIST_SIZE */

	struct buf out;           /* appended to while `pending` is in flight */
	struct buf pending;       /* being sent: the kernel reads it */
	size_t sent;

	struct rt_op recv_op, send_op;
	struct rt_msg pump_msg;
	struct rt_deadline idle_deadline, wr_deadline;
};

void h2_conn_open(struct h2_server *s, int fd);
/* Queues a pump for the end of this loop turn (or lets the running
 * mem_recv pump): answers submitted outside nghttp2 callbacks go out in one
 * send per connection per turn. */
void h2_conn_wake(struct h2_conn *c);
void h2_conn_stop(struct h2_conn *c);
/* GOAWAY ENHANCE_YOUR_CALM; the connection closes once it is sent, and no
 * more input is looked at. Safe inside nghttp2 callbacks. */
void h2_conn_calm(struct h2_conn *c, const char *why);
/* Shard exit only: frees the connection and its calls at once. */
void h2_conn_free_now(struct h2_conn *c);
/* The call's stream closed: unlinks it and starts the idle countdown when
 * it was the last. */
void h2_conn_unlink_call(struct h2_conn *c, struct h2_call *call);

#endif
