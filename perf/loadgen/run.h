/*
 * loadgen's run-time: the read-only run configuration, the per-thread worker
 * (one epoll loop, its connections and its counters) and the seams between
 * the worker, the two protocol clients (h1conn.c, h2conn.c), the scenarios
 * and the report. A worker's state is touched only by its thread, except the
 * published copy of its counters, which sits behind pub_lock.
 */
#ifndef LOADGEN_RUN_H
#define LOADGEN_RUN_H

#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "loadgen.h"

static inline uint64_t lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * LG_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* What a request does; the report breaks latency and status down by kind. */
enum lg_kind {
	LG_KIND_GET,
	LG_KIND_LIST,
	LG_KIND_CLAIM,
	LG_KIND_INITIALIZE,
	LG_KIND_SET_ACTIVE,
	LG_KIND_RANDOM_SELECT,
	LG_KIND_BATCH_SELECT,
	LG_KIND_LOGIN,
	LG_KIND_STAT,
	LG_KIND_COUNT,
};

enum lg_scenario {
	LG_SC_GET,
	LG_SC_LIST,
	LG_SC_API_MIX,
	LG_SC_INITIALIZE,
	LG_SC_SET_ACTIVE,
	LG_SC_EVENTS,
	LG_SC_SESSIONS,
};

/*
 * Outcome of a request, one index space: HTTP status codes as themselves,
 * gRPC status codes from LG_ST_GRPC, then failures that carry no status.
 */
#define LG_ST_GRPC 600
#define LG_ST_CONN_ERROR (LG_ST_GRPC + 17)
#define LG_ST_TIMEOUT (LG_ST_CONN_ERROR + 1)
#define LG_ST_PROTO (LG_ST_CONN_ERROR + 2)
#define LG_ST_RESET (LG_ST_CONN_ERROR + 3)  /* h2 stream reset before any grpc-status */
#define LG_ST_COUNT (LG_ST_CONN_ERROR + 4)

enum lg_auth {
	LG_AUTH_NONE,
	LG_AUTH_MOCK,
	LG_AUTH_JWT,
};

struct lg_goal_ref {
	char *challenge;
	char *goal;
};

/* Everything the run was asked to do; built by main.c, then read-only. */
struct lg_config {
	enum lg_scenario scenario;
	const char *scenario_name;
	const char *url;
	char host[256];
	char authority[300];  /* host:port as sent in Host / :authority */
	char base[1024];      /* URL path without a trailing slash */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool grpc;
	uint32_t threads;
	uint32_t connections;  /* all threads together */
	uint32_t streams;      /* gRPC streams in flight per connection */
	uint32_t pipeline;     /* HTTP/1.1 requests in flight per connection */
	double rate;           /* open loop when > 0: arrivals per second */
	double duration_s;     /* 0: bounded by requests only */
	uint64_t requests;     /* UINT64_MAX: bounded by duration only */
	double warmup_s;
	uint32_t think_min_ms, think_max_ms;
	uint32_t timeout_ms;
	uint32_t users;
	const char *ns;
	enum lg_auth auth;
	char **user_ids;          /* users entries, "user-000001"... */
	char **auth_lines;        /* per user, a whole header line with CRLF, or NULL */
	size_t *auth_line_lens;
	const char *claim_challenge, *claim_goal;
	const char *session_challenge;
	struct lg_goal_ref *goals;  /* set-active picks among these */
	size_t goal_count;
	struct buf extra_headers;   /* -H lines, each ending in CRLF */
	struct buf get_request;     /* the fixed request of the get scenario */
	uint64_t seed;
	bool quiet;
};

/* Counters of one kind of request. */
struct lg_kind_stats {
	uint64_t sent;
	uint64_t done;     /* answered or failed */
	uint64_t ok;       /* answered with an expected status */
	uint64_t status[LG_ST_COUNT];
	struct lg_hist hist;  /* latency of every answered request */
};

struct lg_stats {
	struct lg_kind_stats kind[LG_KIND_COUNT];
	uint64_t unsent;      /* due (open loop) but never sent before the end */
	uint64_t backlog_max; /* most arrivals waiting for a free connection */
	uint64_t connects;
	uint64_t conn_failures;
	uint64_t first_ns, last_ns;  /* recorded window: first send .. last answer */
};

void lg_stats_init(struct lg_stats *s);
void lg_stats_merge(struct lg_stats *dst, const struct lg_stats *src);

/* One request in flight. t0 is its due time (open loop) or send time (closed). */
struct lg_req {
	uint64_t t0;
	uint64_t sent;
	uint8_t kind;
	bool record;  /* after the warm-up */
};

/* What the scenario chose for the next request. */
struct lg_pick {
	enum lg_kind kind;
	uint32_t user;   /* index into cfg->user_ids */
	uint32_t goal;   /* set-active: index into cfg->goals */
	bool flag;       /* set-active: is_active */
};

/* Per-connection scenario state (the sessions scenario walks its steps). */
struct lg_session {
	uint32_t user;
	uint8_t step;
};

#define LG_GRPC_BODY_MAX 512

struct lg_stream {
	struct lg_conn *conn;
	struct lg_req req;
	const char *path;
	int32_t stream_id;
	int http_status;
	int grpc_status;
	bool timed_out;
	bool active;
	uint32_t body_len, body_off;
	char body[LG_GRPC_BODY_MAX];
};

enum lg_conn_state {
	LG_CONN_DOWN,        /* no socket; a reconnect timer may be pending */
	LG_CONN_CONNECTING,
	LG_CONN_OPEN,
};

struct lg_conn {
	struct lg_worker *w;
	uint32_t idx;
	uint32_t gen;          /* bumped on close; stale epoll events and timers carry the old one */
	int fd;
	enum lg_conn_state state;
	bool queued;           /* in the worker's ready queue */
	bool dirty;            /* in the worker's flush list */
	bool close_after;      /* the server said Connection: close */
	uint32_t depth;        /* most requests in flight */
	uint32_t inflight;
	uint32_t want;         /* closed loop: requests ready to go out */
	uint32_t fails;        /* connect failures in a row, for the backoff */
	struct buf out;
	size_t out_off;
	struct buf in;         /* HTTP/1: bytes of a response not yet parsed */
	struct lg_session sess;
	/* HTTP/1.1 */
	struct lg_h1_resp resp;
	struct lg_req *fifo;   /* depth entries, oldest at fifo_head */
	uint32_t fifo_head;
	/* gRPC over h2c */
	nghttp2_session *h2;
	struct lg_stream *streams;  /* depth slots */
	uint32_t *free_slots;
	uint32_t nfree;
};

struct lg_timer {
	uint64_t at;
	uint32_t conn;
	uint32_t gen;
	bool reconnect;  /* else a closed-loop think time ending */
};

struct lg_worker {
	const struct lg_config *cfg;
	uint32_t index;
	pthread_t thread;
	int epfd;
	struct lg_rng rng;
	struct lg_conn *conns;
	uint32_t nconns;
	uint32_t *ready;       /* ring of conn indices with room for a request */
	uint32_t ready_head, ready_count;
	uint32_t *dirty;
	uint32_t ndirty;
	struct lg_timer *timers;  /* binary min-heap on at */
	uint32_t ntimers, timers_cap;
	bool open_loop;
	struct lg_sched sched;
	uint64_t next_k;       /* open loop: next arrival to send */
	uint64_t quota;        /* closed loop: requests left to start */
	uint64_t start_ns, warm_ns, end_ns;
	uint64_t deadline_ns;  /* give up on what is still in flight */
	uint64_t inflight;
	uint64_t seq;          /* event ids */
	bool stopping;
	atomic_bool finished;
	struct lg_stats *stats;
	pthread_mutex_t pub_lock;
	struct lg_stats *pub;  /* copy for the progress line, under pub_lock */
	uint64_t pub_at;
	char *rbuf;  /* one read's worth plus a carried-over partial head */
	nghttp2_session_callbacks *h2_callbacks;
};

/* Set by SIGINT: workers stop issuing and drain. */
extern atomic_bool lg_stop;

/* worker.c */
int lg_worker_init(struct lg_worker *w, const struct lg_config *cfg, uint32_t index,
		   uint64_t start_ns);
void lg_worker_fini(struct lg_worker *w);
void *lg_worker_main(void *arg);
/* A request ended with outcome st (an index of lg_kind_stats.status). */
void lg_worker_complete(struct lg_worker *w, struct lg_conn *c, const struct lg_req *r,
			int st, uint64_t now);
void lg_conn_mark_dirty(struct lg_conn *c);

/* scenario.c */
int lg_scenario_parse(const char *name, enum lg_scenario *out);
const char *lg_kind_name(enum lg_kind kind);
bool lg_kind_ok(enum lg_kind kind, int st);
void lg_scenario_pick(struct lg_worker *w, struct lg_conn *c, struct lg_pick *p);
/* Appends the HTTP/1.1 request bytes for p to out. */
void lg_scenario_http(const struct lg_config *cfg, const struct lg_pick *p, struct buf *out);
/* Fills the gRPC body and path for p; -ENOBUFS if it does not fit. */
int lg_scenario_grpc(struct lg_worker *w, const struct lg_pick *p, struct lg_stream *s);

/* h1conn.c: HTTP/1.1 keep-alive client */
int lg_h1c_open(struct lg_conn *c);
void lg_h1c_send(struct lg_conn *c, const struct lg_pick *p, const struct lg_req *r);
/* Parses input; returns bytes used (keep the rest) or -EPROTO. */
int lg_h1c_input(struct lg_conn *c, const char *p, size_t len, uint64_t now);
/* The peer closed: 0 if that ended a body-to-close response. */
int lg_h1c_eof(struct lg_conn *c, uint64_t now);
void lg_h1c_fail_all(struct lg_conn *c, int st, uint64_t now);
uint64_t lg_h1c_oldest(const struct lg_conn *c);
void lg_h1c_free(struct lg_conn *c);

/* h2conn.c: gRPC client over h2c */
int lg_h2c_callbacks_new(nghttp2_session_callbacks **out);
int lg_h2c_open(struct lg_conn *c);
int lg_h2c_send(struct lg_conn *c, const struct lg_pick *p, const struct lg_req *r);
int lg_h2c_input(struct lg_conn *c, const char *p, size_t len);
/* Moves pending frames into c->out; -EPIPE when the session is over. */
int lg_h2c_flush(struct lg_conn *c);
void lg_h2c_expire(struct lg_conn *c, uint64_t now, uint64_t timeout_ns);
void lg_h2c_fail_all(struct lg_conn *c, int st, uint64_t now);
void lg_h2c_close(struct lg_conn *c);
void lg_h2c_free(struct lg_conn *c);

/* tokens.c: fills cfg->auth_lines with one Bearer line per user (cache may be NULL) */
int lg_tokens_prepare(struct lg_config *cfg, const struct lg_key *key, const char *cache);

/* report.c */
struct lg_progress {
	struct lg_stats *total;     /* scratch for the merge */
	struct lg_kind_stats *all;  /* scratch: every kind folded together */
	uint64_t prev_done;
	uint64_t prev_ns;
};

void lg_report_progress(const struct lg_config *cfg, struct lg_worker *workers,
			struct lg_progress *pr, uint64_t start_ns, uint64_t now);
/* The measured window runs from window_start_ns (after the warm-up) to the last answer. */
void lg_report_summary(const struct lg_config *cfg, const struct lg_stats *total,
		       uint64_t window_start_ns, uint64_t wall_ns);

#endif
