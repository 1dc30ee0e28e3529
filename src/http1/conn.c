/*
 * The HTTP/1.1 connection state machine on a shard: multishot accept and
 * receive, one request handled at a time (pipelined requests wait in the
 * input buffer, so answers keep their order), double-buffered output so
 * bytes being sent are never moved, and three deadline lists (idle, request,
 * write) that make slow or silent peers harmless. Shard thread only.
 *
 * A connection is freed only after its last kernel operation completed and
 * its handler answered: `ops` counts both.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "challenged/http1_server.h"
#include "challenged/obs.h"

enum conn_state {
	CONN_READ_HEAD,     /* waiting for (the rest of) a request head */
	CONN_READ_BODY,     /* Content-Length body */
	CONN_READ_CHUNKED,  /* chunked body */
	CONN_HANDLING,      /* the handler (or an error answer) owns the turn */
	CONN_CLOSED,
};

/* Input accepted beyond one maximal request while a request is handled. */
#define PIPELINE_SLACK (64 * 1024)

struct h1_conn {
	struct h1_server *srv;
	struct h1_conn *prev, *next;
	int fd;
	enum conn_state state;
	unsigned ops;             /* kernel ops in flight + a pending handler */
	bool recv_armed;
	bool sending;
	bool close_after_write;
	bool peer_closed;
	bool timing_request;      /* rd_deadline is on the header list */

	struct buf in;
	struct h1_request req;
	size_t head_len;
	const char *parsed_base;  /* in.data when the head was parsed */
	size_t decoded;           /* chunked: payload bytes at in.data + head_len */
	size_t consumed;          /* bytes of `in` the current request occupies */
	struct h1_chunked chunked;

	struct buf out;           /* appended to while `pending` is in flight */
	struct buf pending;       /* being sent: the kernel reads it */
	size_t sent;

	struct rt_op recv_op, send_op;
	struct rt_deadline rd_deadline, wr_deadline;
	struct arena arena;
};

static void conn_process(struct h1_conn *c);
static void conn_parse(struct h1_conn *c);

struct arena *h1_conn_arena(struct h1_conn *c)
{
	return &c->arena;
}

struct rt_shard *h1_conn_shard(const struct h1_conn *c)
{
	return c->srv->sh;
}

/* ---- lifetime ------------------------------------------------------------ */

static void conn_free(struct h1_conn *c)
{
	struct h1_server *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	close(c->fd);
	buf_fini(&c->in);
	buf_fini(&c->out);
	buf_fini(&c->pending);
	arena_fini(&c->arena);
	free(c);
}

static void conn_put(struct h1_conn *c)
{
	if (--c->ops == 0 && c->state == CONN_CLOSED)
		conn_free(c);
}

static void conn_close(struct h1_conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSED;
	rt_deadline_remove(&c->rd_deadline);
	rt_deadline_remove(&c->wr_deadline);
	/* shutdown ends the multishot receive and any send with a final
	 * completion; the fd is closed only when all of them came back. */
	shutdown(c->fd, SHUT_RDWR);
	if (c->recv_armed)
		rt_cancel(c->srv->sh, &c->recv_op);
	if (c->ops == 0)
		conn_free(c);
}

/* ---- output -------------------------------------------------------------- */

static void send_rest(struct h1_conn *c)
{
	c->sending = true;
	c->ops++;
	rt_send(c->srv->sh, &c->send_op, c->fd, c->pending.data + c->sent,
		c->pending.len - c->sent);
}

static void arm_idle_if_quiet(struct h1_conn *c)
{
	if (c->state == CONN_READ_HEAD && c->in.len == 0 && !c->sending && c->out.len == 0) {
		c->timing_request = false;
		rt_deadline_add(c->srv->sh, &c->srv->idle_list, &c->rd_deadline);
	}
}

/* Starts sending `out` unless a send is in flight; closes when asked to and
 * everything went out. */
static void conn_flush(struct h1_conn *c)
{
	if (c->sending || c->state == CONN_CLOSED)
		return;
	if (c->out.len == 0) {
		rt_deadline_remove(&c->wr_deadline);
		if (c->close_after_write || (c->peer_closed && c->state != CONN_HANDLING))
			conn_close(c);
		else
			arm_idle_if_quiet(c);
		return;
	}
	struct buf tmp = c->pending;
	c->pending = c->out;
	c->out = tmp;
	buf_reset(&c->out);
	c->sent = 0;
	rt_deadline_add(c->srv->sh, &c->srv->write_list, &c->wr_deadline);
	send_rest(c);
}

static void on_send(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)flags;
	struct h1_conn *c = container_of(op, struct h1_conn, send_op);
	c->sending = false;
	if (c->state != CONN_CLOSED) {
		if (res <= 0) {
			conn_close(c);
		} else if ((c->sent += (size_t)res) < c->pending.len) {
			rt_deadline_add(sh, &c->srv->write_list, &c->wr_deadline);
			send_rest(c);
		} else {
			buf_reset(&c->pending);
			conn_flush(c);
		}
	}
	conn_put(c);
}

static void write_response(struct h1_conn *c, int status, const char *content_type,
			   const char *body, size_t len, const char *extra)
{
	bool keep_alive = c->req.keep_alive && !c->close_after_write && !c->srv->stopping &&
			  !c->peer_closed;
	h1_write_head(&c->out, status, content_type, len, keep_alive, extra);
	buf_append(&c->out, body, len);
	if (!keep_alive)
		c->close_after_write = true;
}

/* A request that cannot be read: answer in plain text and close, since the
 * stream is no longer in step. */
static void reject(struct h1_conn *c, int status, const char *why)
{
	c->state = CONN_HANDLING;
	c->close_after_write = true;
	rt_deadline_remove(&c->rd_deadline);
	c->timing_request = false;
	char body[256];
	size_t n = strlen(why);
	if (n > sizeof(body) - 1)
		n = sizeof(body) - 1;
	memcpy(body, why, n);
	body[n++] = '\n';
	write_response(c, status, "text/plain; charset=utf-8", body, n, NULL);
	conn_flush(c);
}

void h1_respond(struct h1_conn *c, int status, const char *content_type,
		const char *body, size_t len, const char *extra)
{
	if (c->state == CONN_CLOSED) {
		conn_put(c);
		return;
	}
	write_response(c, status, content_type, body, len, extra);
	c->srv->n_requests++;
	buf_consume(&c->in, c->consumed);
	c->consumed = 0;
	arena_reset(&c->arena);
	c->state = CONN_READ_HEAD;
	if (c->out.failed) {
		conn_close(c);
	} else if (!c->close_after_write) {
		conn_process(c);
	}
	conn_flush(c);
	conn_put(c);
}

/* ---- input --------------------------------------------------------------- */

static void dispatch(struct h1_conn *c, const char *body, size_t body_len)
{
	/* The head was parsed when it arrived; if the buffer has moved since
	 * (more body bytes made it grow), parse it again so the request's
	 * pointers are current. Same bytes, same result. */
	if (c->parsed_base != c->in.data) {
		int status;
		const char *why;
		h1_parse_head(c->in.data, c->head_len, &c->srv->limits, &c->req, &status, &why);
		body = c->in.data + c->head_len;
	}
	c->state = CONN_HANDLING;
	rt_deadline_remove(&c->rd_deadline);
	c->timing_request = false;
	c->ops++; /* the handler's answer */
	c->srv->handle(c->srv, c, &c->req, body, body_len);
}

/* Returns true when the chunked body is complete (c->consumed is set). */
static bool read_chunked(struct h1_conn *c)
{
	char *start = c->in.data + c->head_len + c->decoded;
	size_t len = c->in.len - c->head_len - c->decoded;
	const char *why = NULL;
	ssize_t rest = h1_chunked_decode(&c->chunked, start, &len, c->srv->limits.max_body, &why);
	c->decoded += len;
	if (rest == -EAGAIN) {
		/* Every raw byte was consumed into payload or decoder state. */
		c->in.len = c->head_len + c->decoded;
		return false;
	}
	if (rest < 0) {
		reject(c, rest == -EFBIG ? 413 : 400, why ? why : "malformed chunked body");
		return false;
	}
	/* The bytes after the body (a pipelined request) follow the payload. */
	c->in.len = c->head_len + c->decoded + (size_t)rest;
	c->consumed = c->head_len + c->decoded;
	return true;
}

/* A request has started arriving: its whole reading (head and body) must
 * finish within the header timeout, however slowly the bytes trickle in. */
static void time_request(struct h1_conn *c)
{
	if (c->timing_request && rt_deadline_active(&c->rd_deadline))
		return;
	c->timing_request = true;
	rt_deadline_add(c->srv->sh, &c->srv->header_list, &c->rd_deadline);
}

/* Parses and dispatches as many requests as the input holds, one at a time. */
static void conn_process(struct h1_conn *c)
{
	conn_parse(c);
	if ((c->state == CONN_READ_HEAD && c->in.len > 0) || c->state == CONN_READ_BODY ||
	    c->state == CONN_READ_CHUNKED)
		time_request(c);
}

static void conn_parse(struct h1_conn *c)
{
	while (c->state != CONN_CLOSED && c->state != CONN_HANDLING) {
		if (c->state == CONN_READ_HEAD) {
			if (c->in.len == 0)
				return;
			int status = 400;
			const char *why = "malformed request";
			int n = h1_parse_head(c->in.data, c->in.len, &c->srv->limits, &c->req,
					      &status, &why);
			if (n == -EAGAIN)
				return;
			if (n < 0) {
				reject(c, status, why);
				return;
			}
			c->head_len = (size_t)n;
			c->parsed_base = c->in.data;
			if (c->req.chunked) {
				h1_chunked_init(&c->chunked);
				c->decoded = 0;
				c->state = CONN_READ_CHUNKED;
			} else {
				c->state = CONN_READ_BODY;
			}
		}
		if (c->state == CONN_READ_BODY) {
			size_t need = c->head_len + (size_t)c->req.content_length;
			if (c->in.len < need)
				return;
			c->consumed = need;
			dispatch(c, c->in.data + c->head_len, (size_t)c->req.content_length);
		} else if (c->state == CONN_READ_CHUNKED) {
			if (!read_chunked(c))
				return;
			dispatch(c, c->in.data + c->head_len, c->decoded);
		}
	}
}

static void on_recv(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	struct h1_conn *c = container_of(op, struct h1_conn, recv_op);
	bool more = flags & IORING_CQE_F_MORE;
	if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
		unsigned bid = rt_cqe_buffer_id(flags);
		if (c->state != CONN_CLOSED) {
			size_t limit = c->srv->limits.max_head + c->srv->limits.max_body + PIPELINE_SLACK;
			if (c->in.len + (size_t)res > limit) {
				rt_buf_recycle(sh, bid);
				conn_close(c);
			} else {
				buf_append(&c->in, rt_buf_data(sh, bid), (size_t)res);
				rt_buf_recycle(sh, bid);
				if (c->in.failed) {
					conn_close(c);
				} else {
					conn_process(c);
					conn_flush(c);
				}
			}
		} else {
			rt_buf_recycle(sh, bid);
		}
	} else if (res == 0 && c->state != CONN_CLOSED) {
		/* The peer finished sending; answer what it asked, then close. */
		c->peer_closed = true;
		if (c->state != CONN_HANDLING && !c->sending && c->out.len == 0)
			conn_close(c);
	} else if (res < 0 && res != -ENOBUFS && c->state != CONN_CLOSED) {
		conn_close(c);
	}

	if (!more) {
		c->recv_armed = false;
		if (c->state != CONN_CLOSED && !c->peer_closed && (res > 0 || res == -ENOBUFS)) {
			c->recv_armed = true;
			c->ops++;
			rt_recv_multishot(sh, &c->recv_op, c->fd);
		}
		conn_put(c);
	}
}

/* ---- timeouts ------------------------------------------------------------ */

static void on_read_deadline(struct rt_shard *sh, struct rt_deadline *d)
{
	(void)sh;
	struct h1_conn *c = container_of(d, struct h1_conn, rd_deadline);
	if (c->state == CONN_READ_HEAD && c->in.len == 0)
		conn_close(c); /* idle keep-alive connection */
	else if (c->state != CONN_HANDLING && c->state != CONN_CLOSED)
		reject(c, 408, "request not received in time");
}

static void on_write_deadline(struct rt_shard *sh, struct rt_deadline *d)
{
	(void)sh;
	conn_close(container_of(d, struct h1_conn, wr_deadline));
}

/* ---- accepting ----------------------------------------------------------- */

static void conn_open(struct h1_server *s, int fd)
{
	struct h1_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		s->n_refused++;
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->srv = s;
	c->fd = fd;
	c->state = CONN_READ_HEAD;
	c->recv_op.complete = on_recv;
	c->send_op.complete = on_send;
	c->rd_deadline.expire = on_read_deadline;
	c->wr_deadline.expire = on_write_deadline;
	arena_init(&c->arena, 8192);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	s->n_accepted++;
	c->recv_armed = true;
	c->ops++;
	rt_recv_multishot(s->sh, &c->recv_op, fd);
	rt_deadline_add(s->sh, &s->idle_list, &c->rd_deadline);
}

static void arm_accept(struct h1_server *s)
{
	s->accept_armed = true;
	rt_accept_multishot(s->sh, &s->accept_op, s->listen_fd);
}

static void on_accept(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)sh;
	struct h1_server *s = container_of(op, struct h1_server, accept_op);
	if (res >= 0) {
		if (s->stopping || s->n_conns >= s->max_conns) {
			/* Over the limit: refuse at once rather than queue. */
			close(res);
			s->n_refused++;
		} else {
			conn_open(s, res);
		}
	}
	if (flags & IORING_CQE_F_MORE)
		return;
	s->accept_armed = false;
	if (s->stopping)
		return;
	if (res < 0 && res != -ECANCELED) {
		/* fd exhaustion and the like: back off a little before retrying */
		obs_warn("accept failed", "\"shard\":%u,\"errno\":%d", s->sh->id, -res);
		rt_timer_arm(s->sh, &s->accept_retry, 50);
		return;
	}
	arm_accept(s);
}

static void on_accept_retry(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct h1_server *s = container_of(t, struct h1_server, accept_retry);
	if (!s->stopping && !s->accept_armed)
		arm_accept(s);
}

int h1_server_init(struct h1_server *s, struct rt_shard *sh, int listen_fd,
		   const struct h1_server_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->sh = sh;
	s->limits = cfg->limits;
	s->handle = cfg->handle;
	s->ctx = cfg->ctx;
	s->listen_fd = listen_fd;
	s->max_conns = cfg->max_conns;
	s->accept_op.complete = on_accept;
	rt_timer_init(&s->accept_retry, on_accept_retry);
	rt_deadline_list_init(sh, &s->idle_list, (uint64_t)cfg->idle_timeout_ms);
	rt_deadline_list_init(sh, &s->header_list, (uint64_t)cfg->header_timeout_ms);
	rt_deadline_list_init(sh, &s->write_list, (uint64_t)cfg->write_timeout_ms);
	arm_accept(s);
	return 0;
}

void h1_server_stop(struct h1_server *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	rt_timer_cancel(s->sh, &s->accept_retry);
	if (s->accept_armed)
		rt_cancel(s->sh, &s->accept_op);
	/* New connections now go to listeners of shards still accepting, or
	 * are refused once every shard stopped. */
	close(s->listen_fd);
	s->listen_fd = -1;
	struct h1_conn *c = s->conns;
	while (c) {
		struct h1_conn *next = c->next;
		if (c->state == CONN_READ_HEAD && c->in.len == 0 && !c->sending && c->out.len == 0)
			conn_close(c);
		else
			c->close_after_write = true;
		c = next;
	}
}

bool h1_server_drained(const struct h1_server *s)
{
	return s->n_conns == 0 && !s->accept_armed;
}

void h1_server_fini(struct h1_server *s)
{
	/* Only connections that outlived the drain deadline are left; their
	 * kernel operations die with the ring right after this. */
	while (s->conns) {
		struct h1_conn *c = s->conns;
		c->state = CONN_CLOSED;
		conn_free(c);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
}
