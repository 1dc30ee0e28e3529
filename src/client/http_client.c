/*
 * The ring HTTP/1.1 client: connection life cycle, the TLS engine pump and
 * the per-origin keep-alive pools. See http_client.h for the contract.
 *
 * A connection is owned by its origin's list from creation to close. It
 * carries at most one call; a call without a connection waits in its
 * origin's FIFO. Closing cancels the connection's ring operations and frees
 * it when the last completion came back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "challenged/common.h"
#include "dns.h"
#include "http_client.h"

#define PLAIN_RECV_BYTES (16 * 1024)
#define WHY_MAX 512

enum conn_state {
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_OPEN,    /* connected (TLS may still be shaking hands) */
	CONN_CLOSING, /* waiting for in-flight operations */
};

struct origin;
struct conn;

struct client_http_call {
	struct client_http *h;
	struct origin *o;
	struct conn *conn;           /* NULL while waiting */
	struct client_http_call *next_waiting;
	struct client_http_call *prev_waiting;
	struct buf request;
	char method[8];
	char url[600];               /* for error texts */
	uint64_t deadline_ms;
	client_http_fn *done;
	void *ctx;
};

struct conn {
	struct client_http *h;
	struct origin *o;
	struct conn *next, *prev;    /* origin's connections */
	enum conn_state state;
	int fd;
	unsigned inflight;           /* ring operations not yet completed */
	bool sending, receiving, handshaken, idle;
	bool reused;                 /* came from the idle pool for this call */
	bool answered;               /* response bytes arrived for this call */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[80];
	struct client_dns_query *dnsq;
	struct rt_op connect_op, send_op, recv_op;
	struct tls_client *tls;      /* NULL for http:// */
	char *plain_in;              /* plain receive buffer */
	size_t out_off;              /* bytes of call->request already handed on */
	struct client_response resp;
	struct client_http_call *call;
	uint64_t deadline_ms;        /* connect/handshake, or idle expiry; 0 = none */
};

struct origin {
	struct client_url url;       /* copy: the key */
	struct origin *next;
	struct conn conns;           /* sentinel of the connection list */
	unsigned n_conns;
	struct client_http_call waiting; /* sentinel of the FIFO */
};

struct client_http {
	struct rt_shard *sh;
	struct client_http_config cfg;
	struct client_dns *dns;
	struct origin *origins;
	struct rt_deadline_list sweep_list;
	struct rt_deadline sweeper;
	unsigned open_conns;
	uint64_t conns_opened;
	uint64_t answered;
	uint64_t errors;
};

static void pump(struct conn *c);
static int conn_open(struct client_http *h, struct origin *o, struct client_http_call *call);
static void conn_close(struct conn *c, int err, const char *why);
static void call_finish(struct client_http_call *call, int err, const char *why,
			const struct client_http_result *res);

/* ---- timeouts ---------------------------------------------------------- */

static void sweep_arm(struct client_http *h)
{
	if (!rt_deadline_active(&h->sweeper))
		rt_deadline_add(h->sh, &h->sweep_list, &h->sweeper);
}

static void on_sweep(struct rt_shard *sh, struct rt_deadline *d)
{
	struct client_http *h = container_of(d, struct client_http, sweeper);
	uint64_t now = sh->now_ms;
	bool any = false;
	for (struct origin *o = h->origins; o; o = o->next) {
		struct client_http_call *w = o->waiting.next_waiting;
		while (w != &o->waiting) {
			struct client_http_call *next = w->next_waiting;
			if (w->deadline_ms <= now)
				call_finish(w, -ETIMEDOUT, "context deadline exceeded", NULL);
			else
				any = true;
			w = next;
		}
		struct conn *c = o->conns.next;
		while (c != &o->conns) {
			struct conn *next = c->next;
			if (c->state != CONN_CLOSING) {
				if (c->call && c->call->deadline_ms <= now)
					conn_close(c, -ETIMEDOUT, "context deadline exceeded");
				else if (c->deadline_ms && c->deadline_ms <= now)
					/* Connected but not handshaken: TLS is what stalled. */
					conn_close(c, -ETIMEDOUT,
						   c->state == CONN_OPEN && !c->handshaken
							   ? "net/http: TLS handshake timeout"
							   : "dial tcp: i/o timeout");
				else
					any = true;
			}
			c = next;
		}
	}
	if (any)
		sweep_arm(h);
}

/* ---- calls ------------------------------------------------------------- */

static void waiting_remove(struct client_http_call *call)
{
	if (!call->next_waiting)
		return;
	call->prev_waiting->next_waiting = call->next_waiting;
	call->next_waiting->prev_waiting = call->prev_waiting;
	call->next_waiting = call->prev_waiting = NULL;
}

static void call_finish(struct client_http_call *call, int err, const char *why,
			const struct client_http_result *res)
{
	waiting_remove(call);
	if (call->conn)
		call->conn->call = NULL;
	if (err < 0)
		call->h->errors++;
	else
		call->h->answered++;
	if (call->done) {
		if (err < 0) {
			char text[WHY_MAX + 700];
			snprintf(text, sizeof(text), "%s \"%s\": %s", call->method, call->url,
				 why ? why : "request failed");
			call->done(call->ctx, err, text, NULL);
		} else {
			call->done(call->ctx, 0, NULL, res);
		}
	}
	buf_fini(&call->request);
	free(call);
}

void client_http_abandon(struct client_http_call *call)
{
	call->done = NULL;
}

const char *client_http_send_error(int err)
{
	return err == -EAGAIN ? "lookup: too many host name lookups pending" : "out of memory";
}

/* ---- connection I/O ---------------------------------------------------- */

/* strerror as Go prints it: "connection refused", not "Connection refused". */
static const char *errno_text(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] + 32);
	return buf;
}

/* A connection's slot came free: the oldest waiting call dials a new one. */
static void dial_waiter(struct client_http *h, struct origin *o)
{
	struct client_http_call *w = o->waiting.next_waiting;
	if (w == &o->waiting || o->n_conns >= h->cfg.max_conns_per_origin)
		return;
	waiting_remove(w);
	int ret = conn_open(h, o, w);
	if (ret < 0) {
		char why[WHY_MAX];
		snprintf(why, sizeof(why), "dial tcp: %s", client_http_send_error(ret));
		call_finish(w, ret, why, NULL);
	}
}

static void op_done(struct conn *c)
{
	c->inflight--;
	if (c->state == CONN_CLOSING && c->inflight == 0) {
		struct client_http *h = c->h;
		struct origin *o = c->o;
		if (c->fd >= 0)
			close(c->fd);
		c->prev->next = c->next;
		c->next->prev = c->prev;
		o->n_conns--;
		h->open_conns--;
		client_response_fini(&c->resp);
		free(c->tls);
		free(c->plain_in);
		free(c);
		dial_waiter(h, o);
	}
}

static void conn_close(struct conn *c, int err, const char *why)
{
	if (c->state == CONN_CLOSING)
		return;
	if (c->call)
		call_finish(c->call, err, why, NULL);
	if (c->dnsq) {
		client_dns_cancel(c->dnsq);
		c->dnsq = NULL;
	}
	c->state = CONN_CLOSING;
	/* Keep the struct alive through op_done: one pseudo-operation. */
	c->inflight++;
	if (c->fd >= 0 && (c->sending || c->receiving || c->inflight > 1)) {
		shutdown(c->fd, SHUT_RDWR);
		if (c->receiving)
			rt_cancel(c->h->sh, &c->recv_op);
		if (c->sending)
			rt_cancel(c->h->sh, &c->send_op);
		rt_cancel(c->h->sh, &c->connect_op);
	}
	op_done(c);
}

static void start_call(struct conn *c, struct client_http_call *call)
{
	c->call = call;
	call->conn = c;
	c->reused = c->idle;
	c->answered = false;
	c->idle = false;
	c->deadline_ms = c->handshaken ? 0 : c->deadline_ms;
	c->out_off = 0;
	client_response_reset(&c->resp);
	pump(c);
}

/* The connection finished a response (or came up) and may take a waiter. */
static void conn_release(struct conn *c)
{
	struct origin *o = c->o;
	struct client_http_call *w = o->waiting.next_waiting;
	if (w != &o->waiting) {
		waiting_remove(w);
		start_call(c, w);
		return;
	}
	c->idle = true;
	c->deadline_ms = c->h->sh->now_ms + c->h->cfg.idle_timeout_ms;
	/* Most recently used first: cold connections age out at the tail. */
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->next = o->conns.next;
	c->prev = &o->conns;
	o->conns.next->prev = c;
	o->conns.next = c;
	sweep_arm(c->h);
}

/* Bytes of the response arrived: parse, and finish the call when complete. */
static bool take_response_bytes(struct conn *c, const char *p, size_t len)
{
	if (!c->call) {
		/* Nothing was asked: a server talking out of turn. */
		conn_close(c, -EPROTO, NULL);
		return false;
	}
	c->answered = true;
	while (len > 0) {
		bool done = false;
		const char *why = NULL;
		ssize_t n = client_response_feed(&c->resp, p, len, &done, &why);
		if (n < 0) {
			conn_close(c, (int)n, why);
			return false;
		}
		p += n;
		len -= (size_t)n;
		if (done) {
			struct client_http_result res = { c->resp.status, c->resp.body.data,
							  c->resp.body.len };
			bool reuse = c->resp.keep_alive && len == 0;
			call_finish(c->call, 0, NULL, &res);
			if (!reuse) {
				conn_close(c, 0, NULL);
				return false;
			}
			conn_release(c);
			return true;
		}
	}
	return true;
}

static void waiting_push_front(struct origin *o, struct client_http_call *call)
{
	call->next_waiting = o->waiting.next_waiting;
	call->prev_waiting = &o->waiting;
	o->waiting.next_waiting->prev_waiting = call;
	o->waiting.next_waiting = call;
}

/*
 * A reused keep-alive connection that the server closed before answering
 * (its idle timeout raced our request) did not process the request: the
 * call goes back to the head of the queue and dials a fresh connection once
 * this one is gone, as Go's transport does (errServerClosedIdle).
 */
static bool retry_on_fresh_conn(struct conn *c)
{
	struct client_http_call *call = c->call;
	if (!call || !c->reused || c->answered)
		return false;
	c->call = NULL;
	call->conn = NULL;
	waiting_push_front(c->o, call);
	return true;
}

static void take_eof(struct conn *c)
{
	if (retry_on_fresh_conn(c)) {
		conn_close(c, 0, NULL);
		return;
	}
	if (c->call) {
		const char *why = NULL;
		if (c->out_off > 0 && client_response_eof(&c->resp, &why) == 0) {
			struct client_http_result res = { c->resp.status, c->resp.body.data,
							  c->resp.body.len };
			call_finish(c->call, 0, NULL, &res);
		} else {
			conn_close(c, -EPIPE, why ? why : "EOF");
			return;
		}
	}
	conn_close(c, 0, NULL);
}

static void on_send(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)sh;
	(void)flags;
	struct conn *c = container_of(op, struct conn, send_op);
	c->sending = false;
	if (c->state == CONN_CLOSING) {
		op_done(c);
		return;
	}
	if (res <= 0) {
		char why[WHY_MAX], e[64];
		snprintf(why, sizeof(why), "write tcp %s: %s", c->addr_text,
			 errno_text(res < 0 ? -res : EPIPE, e, sizeof(e)));
		conn_close(c, res < 0 ? res : -EPIPE, why);
		op_done(c);
		return;
	}
	if (c->tls)
		br_ssl_engine_sendrec_ack(tls_client_engine(c->tls), (size_t)res);
	else
		c->out_off += (size_t)res;
	pump(c);
	op_done(c);
}

static void on_recv(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)sh;
	(void)flags;
	struct conn *c = container_of(op, struct conn, recv_op);
	c->receiving = false;
	if (c->state == CONN_CLOSING) {
		op_done(c);
		return;
	}
	if (res < 0) {
		char why[WHY_MAX], e[64];
		snprintf(why, sizeof(why), "read tcp %s: %s", c->addr_text,
			 errno_text(-res, e, sizeof(e)));
		if (retry_on_fresh_conn(c))
			conn_close(c, 0, NULL);
		else
			conn_close(c, res, why);
	} else if (res == 0) {
		if (c->tls)
			br_ssl_engine_close(tls_client_engine(c->tls));
		take_eof(c);
	} else if (c->tls) {
		br_ssl_engine_recvrec_ack(tls_client_engine(c->tls), (size_t)res);
		pump(c);
	} else if (take_response_bytes(c, c->plain_in, (size_t)res)) {
		pump(c);
	}
	op_done(c);
}

static void queue_send(struct conn *c, const void *p, size_t len)
{
	c->sending = true;
	c->inflight++;
	rt_send(c->h->sh, &c->send_op, c->fd, p, len);
}

static void queue_recv(struct conn *c, void *p, size_t len)
{
	c->receiving = true;
	c->inflight++;
	rt_recv(c->h->sh, &c->recv_op, c->fd, p, len);
}

static void pump_plain(struct conn *c)
{
	struct client_http_call *call = c->call;
	if (call && !c->sending && c->out_off < call->request.len)
		queue_send(c, call->request.data + c->out_off, call->request.len - c->out_off);
	if (!c->receiving)
		queue_recv(c, c->plain_in, PLAIN_RECV_BYTES);
}

/*
 * BearSSL's engine loop: hand it request bytes, drain decrypted response
 * bytes, and keep one send of its outgoing records and one receive into its
 * incoming record buffer in flight whenever it wants them. The two halves of
 * the bidirectional buffer are independent, so a pending receive into the
 * record buffer does not conflict with the other calls.
 */
static void pump_tls(struct conn *c)
{
	br_ssl_engine_context *eng = tls_client_engine(c->tls);
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED) {
			int err = br_ssl_engine_last_error(eng);
			if (err != BR_ERR_OK) {
				char why[WHY_MAX];
				snprintf(why, sizeof(why), "tls: %s (%s)", tls_error_text(err),
					 c->o->url.host);
				conn_close(c, -EPROTO, why);
			} else {
				take_eof(c);
			}
			return;
		}
		if ((st & BR_SSL_SENDAPP) && !c->handshaken) {
			c->handshaken = true;
			if (c->call)
				c->deadline_ms = 0;
		}
		if ((st & BR_SSL_SENDREC) && !c->sending) {
			size_t len;
			unsigned char *p = br_ssl_engine_sendrec_buf(eng, &len);
			queue_send(c, p, len);
		}
		if (st & BR_SSL_RECVAPP) {
			size_t len;
			unsigned char *p = br_ssl_engine_recvapp_buf(eng, &len);
			br_ssl_engine_recvapp_ack(eng, len);
			if (!take_response_bytes(c, (const char *)p, len))
				return;
			continue;
		}
		struct client_http_call *call = c->call;
		if ((st & BR_SSL_SENDAPP) && call && c->out_off < call->request.len) {
			size_t len;
			unsigned char *p = br_ssl_engine_sendapp_buf(eng, &len);
			size_t n = call->request.len - c->out_off;
			if (n > len)
				n = len;
			memcpy(p, call->request.data + c->out_off, n);
			c->out_off += n;
			br_ssl_engine_sendapp_ack(eng, n);
			if (c->out_off == call->request.len)
				br_ssl_engine_flush(eng, 0);
			continue;
		}
		if ((st & BR_SSL_RECVREC) && !c->receiving) {
			size_t len;
			unsigned char *p = br_ssl_engine_recvrec_buf(eng, &len);
			queue_recv(c, p, len);
		}
		return;
	}
}

static void pump(struct conn *c)
{
	if (c->state != CONN_OPEN)
		return;
	if (c->tls)
		pump_tls(c);
	else
		pump_plain(c);
}

static void on_connect(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)flags;
	struct conn *c = container_of(op, struct conn, connect_op);
	if (c->state == CONN_CLOSING) {
		op_done(c);
		return;
	}
	if (res < 0) {
		char why[WHY_MAX], e[64];
		snprintf(why, sizeof(why), "dial tcp %s: connect: %s", c->addr_text,
			 errno_text(-res, e, sizeof(e)));
		conn_close(c, res, why);
		op_done(c);
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = CONN_OPEN;
	if (!c->tls) {
		c->handshaken = true;
		if (c->call)
			c->deadline_ms = 0;
	}
	(void)sh;
	pump(c);
	op_done(c);
}

static void address_text(struct conn *c)
{
	char host[64] = "?";
	uint16_t port = 0;
	if (c->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&c->addr;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(c->addr_text, sizeof(c->addr_text), "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&c->addr;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(c->addr_text, sizeof(c->addr_text), "[%s]:%u", host, port);
	}
}

static void on_resolved(void *ctx, int err, const char *why, const struct sockaddr *addr,
			socklen_t addr_len)
{
	struct conn *c = ctx;
	c->dnsq = NULL;
	if (err < 0) {
		char text[WHY_MAX];
		snprintf(text, sizeof(text), "dial tcp: %s", why ? why : "lookup failed");
		conn_close(c, err, text);
		return;
	}
	if (addr_len > sizeof(c->addr)) {
		conn_close(c, -EAFNOSUPPORT, "dial tcp: unusable address");
		return;
	}
	memcpy(&c->addr, addr, addr_len);
	c->addr_len = addr_len;
	address_text(c);
	c->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		int e_no = errno;
		char text[WHY_MAX], e[64];
		snprintf(text, sizeof(text), "dial tcp %s: socket: %s", c->addr_text,
			 errno_text(e_no, e, sizeof(e)));
		conn_close(c, -e_no, text);
		return;
	}
	c->state = CONN_CONNECTING;
	c->inflight++;
	rt_connect(c->h->sh, &c->connect_op, c->fd, (const struct sockaddr *)&c->addr,
		   c->addr_len);
}

static int conn_open(struct client_http *h, struct origin *o, struct client_http_call *call)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->h = h;
	c->o = o;
	c->fd = -1;
	c->connect_op.complete = on_connect;
	c->send_op.complete = on_send;
	c->recv_op.complete = on_recv;
	client_response_init(&c->resp, h->cfg.max_head, h->cfg.max_body);
	if (o->url.tls) {
		c->tls = malloc(sizeof(*c->tls));
		if (!c->tls || tls_client_init(c->tls, h->cfg.trust, o->url.host) < 0) {
			client_response_fini(&c->resp);
			free(c->tls);
			free(c);
			return -ENOMEM;
		}
	} else {
		c->plain_in = malloc(PLAIN_RECV_BYTES);
		if (!c->plain_in) {
			client_response_fini(&c->resp);
			free(c);
			return -ENOMEM;
		}
	}
	c->next = o->conns.next;
	c->prev = &o->conns;
	o->conns.next->prev = c;
	o->conns.next = c;
	o->n_conns++;
	h->open_conns++;
	h->conns_opened++;
	c->state = CONN_RESOLVING;
	c->deadline_ms = h->sh->now_ms + h->cfg.connect_timeout_ms;
	c->call = call;
	call->conn = c;
	sweep_arm(h);
	int ret = client_dns_resolve(h->dns, o->url.host, o->url.port, on_resolved, c, &c->dnsq);
	if (ret < 0) {
		c->call = NULL;
		call->conn = NULL;
		conn_close(c, 0, NULL);
		return ret;
	}
	return 0;
}

/* ---- origins and calls ------------------------------------------------- */

static struct origin *origin_get(struct client_http *h, const struct client_url *url)
{
	for (struct origin *o = h->origins; o; o = o->next)
		if (o->url.tls == url->tls && o->url.port == url->port &&
		    strcmp(o->url.host, url->host) == 0)
			return o;
	struct origin *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->url = *url;
	o->conns.next = o->conns.prev = &o->conns;
	o->waiting.next_waiting = o->waiting.prev_waiting = &o->waiting;
	o->next = h->origins;
	h->origins = o;
	return o;
}

int client_http_send(struct client_http *h, const struct client_url *origin, const char *method,
		     const char *path, const char *const *headers, const char *body,
		     size_t body_len, uint64_t timeout_ms, client_http_fn *done, void *ctx,
		     struct client_http_call **out)
{
	struct origin *o = origin_get(h, origin);
	struct client_http_call *call = o ? calloc(1, sizeof(*call)) : NULL;
	if (!call)
		return -ENOMEM;
	buf_init(&call->request);
	if (client_request_write(&call->request, method, origin->host_header, path, headers, body,
				 body_len) < 0 ||
	    call->request.failed) {
		buf_fini(&call->request);
		free(call);
		return -ENOMEM;
	}
	call->h = h;
	call->o = o;
	call->done = done;
	call->ctx = ctx;
	call->deadline_ms = h->sh->now_ms + timeout_ms;
	/* Go prints the method capitalised: Post, Put, Get. */
	snprintf(call->method, sizeof(call->method), "%c%s", method[0], method + 1);
	for (char *m = call->method + 1; *m; m++)
		*m = (char)(*m >= 'A' && *m <= 'Z' ? *m + 32 : *m);
	snprintf(call->url, sizeof(call->url), "%s://%s%s", origin->tls ? "https" : "http",
		 origin->host_header, path);
	if (out)
		*out = call;

	for (struct conn *c = o->conns.next; c != &o->conns; c = c->next) {
		if (c->idle && c->state == CONN_OPEN) {
			/* Unlinked from the head: the most recently used one. */
			start_call(c, call);
			return 0;
		}
	}
	if (o->n_conns < h->cfg.max_conns_per_origin) {
		int ret = conn_open(h, o, call);
		if (ret < 0) {
			buf_fini(&call->request);
			free(call);
			return ret;
		}
		return 0;
	}
	call->next_waiting = &o->waiting;
	call->prev_waiting = o->waiting.prev_waiting;
	o->waiting.prev_waiting->next_waiting = call;
	o->waiting.prev_waiting = call;
	sweep_arm(h);
	return 0;
}

/* ---- life cycle -------------------------------------------------------- */

struct client_http *client_http_new(struct rt_shard *sh, const struct client_http_config *cfg)
{
	struct client_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->sh = sh;
	h->cfg = *cfg;
	if (!h->cfg.max_conns_per_origin)
		h->cfg.max_conns_per_origin = 1;
	h->dns = client_dns_new(sh, 60000);
	if (!h->dns) {
		free(h);
		return NULL;
	}
	rt_deadline_list_init(sh, &h->sweep_list, RT_TICK_MS);
	h->sweeper.expire = on_sweep;
	return h;
}

void client_http_free(struct client_http *h)
{
	if (!h)
		return;
	rt_deadline_remove(&h->sweeper);
	while (h->origins) {
		struct origin *o = h->origins;
		h->origins = o->next;
		while (o->waiting.next_waiting != &o->waiting) {
			struct client_http_call *w = o->waiting.next_waiting;
			w->done = NULL;
			call_finish(w, -ECANCELED, NULL, NULL);
		}
		while (o->conns.next != &o->conns) {
			struct conn *c = o->conns.next;
			if (c->call) {
				c->call->done = NULL;
				call_finish(c->call, -ECANCELED, NULL, NULL);
			}
			if (c->dnsq)
				client_dns_cancel(c->dnsq);
			if (c->fd >= 0)
				close(c->fd);
			c->prev->next = c->next;
			c->next->prev = c->prev;
			client_response_fini(&c->resp);
			free(c->tls);
			free(c->plain_in);
			free(c);
		}
		free(o);
	}
	client_dns_free(h->dns);
	free(h);
}

unsigned client_http_open_conns(const struct client_http *h)
{
	return h->open_conns;
}

uint64_t client_http_conns_opened(const struct client_http *h)
{
	return h->conns_opened;
}

uint64_t client_http_answered(const struct client_http *h)
{
	return h->answered;
}

uint64_t client_http_errors(const struct client_http *h)
{
	return h->errors;
}
