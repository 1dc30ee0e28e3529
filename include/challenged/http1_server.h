/*
 * HTTP/1.1 connections on a shard: accept, receive, parse, hand complete
 * requests to a handler one at a time (so pipelined requests are answered in
 * order), send responses, enforce limits and timeouts. One h1_server per
 * listener per shard; everything runs on that shard's thread.
 */
#ifndef CHALLENGED_HTTP1_SERVER_H
#define CHALLENGED_HTTP1_SERVER_H

#include "challenged/arena.h"
#include "challenged/http1.h"
#include "challenged/rt.h"

struct h1_conn;
struct h1_server;

/*
 * Called once per complete request. req and body point into the connection's
 * input buffer and are valid only during the call: copy what an asynchronous
 * answer needs (into h1_conn_arena). The handler must eventually call
 * h1_respond exactly once, during the call or later on the same shard.
 */
typedef void h1_handler_fn(struct h1_server *srv, struct h1_conn *c,
			   const struct h1_request *req, const char *body, size_t body_len);

struct h1_server {
	struct rt_shard *sh;
	struct h1_limits limits;
	h1_handler_fn *handle;
	void *ctx;
	int listen_fd;
	struct rt_op accept_op;
	bool accept_armed;
	struct rt_timer accept_retry;
	bool stopping;
	unsigned n_conns;
	unsigned max_conns;
	struct h1_conn *conns;      /* every open connection (for stop) */
	struct rt_deadline_list idle_list;   /* keep-alive, no request started */
	struct rt_deadline_list header_list; /* request started, not complete */
	struct rt_deadline_list write_list;  /* response bytes not accepted by the peer */
	uint64_t n_accepted, n_refused, n_requests;
};

struct h1_server_config {
	struct h1_limits limits;
	unsigned max_conns;
	int header_timeout_ms;
	int idle_timeout_ms;
	int write_timeout_ms;
	h1_handler_fn *handle;
	void *ctx;
};

/* Starts accepting on listen_fd (owned by the server from now on). */
int h1_server_init(struct h1_server *s, struct rt_shard *sh, int listen_fd,
		   const struct h1_server_config *cfg);
/* Stops accepting and closes idle connections; busy ones close after
 * their current response. */
void h1_server_stop(struct h1_server *s);
/* True once every connection is gone and no operation is in flight. */
bool h1_server_drained(const struct h1_server *s);
/* Frees connections still open (after a drain timeout); shard exit only,
 * right before the ring is torn down. */
void h1_server_fini(struct h1_server *s);

/*
 * Answers the request being handled on c. extra is NULL or preformatted
 * "Name: value\r\n" lines. Safe to call after the peer went away (the answer
 * is dropped). Copies body.
 */
void h1_respond(struct h1_conn *c, int status, const char *content_type,
		const char *body, size_t len, const char *extra);
/* Per-request arena, reset after the response. */
struct arena *h1_conn_arena(struct h1_conn *c);
/* The owning shard of the connection. */
struct rt_shard *h1_conn_shard(const struct h1_conn *c);

#endif
