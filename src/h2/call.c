/*
 * gRPC calls on HTTP/2 streams: request headers checked as grpc-go checks
 * them, messages reassembled (zero-copy when one arrives whole), handlers
 * invoked, responses fed to nghttp2 by a data source that ends with
 * trailers. Shard thread only. A call is freed (to a per-server pool) when
 * neither its stream, nor a handler, nor a running callback (`pins`) holds it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/obs.h"
#include "h2_private.h"

#define NV_STATIC(n, v)                                                             \
	{ (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,               \
	  NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE }

static const char *const status_text[] = {
	"0", "1", "2", "3", "4", "5", "6", "7", "8",
	"9", "10", "11", "12", "13", "14", "15", "16",
};

/* Response bytes of this call not yet taken by nghttp2. */
static size_t out_pending(const struct h2_call *call)
{
	return call->out.len - call->out_off;
}

/* Keeps the connection's total of pending response bytes in step after
 * `out` changed from `before` pending bytes. */
static void out_account(struct h2_call *call, size_t before)
{
	if (call->conn)
		call->conn->queued = call->conn->queued - before + out_pending(call);
}

/* Drops what was not sent yet. */
static void out_drop(struct h2_call *call)
{
	size_t before = out_pending(call);
	buf_reset(&call->out);
	call->out_off = 0;
	out_account(call, before);
}

/* ---- pool ---------------------------------------------------------------- */

static void call_bufs_fini(struct h2_call *call)
{
	buf_fini(&call->hdr_bytes);
	buf_fini(&call->hdr_index);
	buf_fini(&call->msg);
	buf_fini(&call->out);
	buf_fini(&call->status_msg);
}

/* Keeps small buffers for the next call, drops big ones. */
static void keep_or_drop(struct buf *b)
{
	if (b->cap > H2_POOL_KEEP_BYTES)
		buf_fini(b);
	else
		buf_reset(b);
}

struct h2_call *h2_call_new(struct h2_server *s, struct h2_conn *c, int32_t stream_id)
{
	struct h2_call *call = s->free_calls;
	if (call) {
		s->free_calls = call->pool_next;
		s->n_free_calls--;
	} else {
		call = calloc(1, sizeof(*call));
		if (!call)
			return NULL;
	}
	struct buf keep[5] = { call->hdr_bytes, call->hdr_index, call->msg, call->out,
			       call->status_msg };
	memset(call, 0, sizeof(*call));
	call->hdr_bytes = keep[0];
	call->hdr_index = keep[1];
	call->msg = keep[2];
	call->out = keep[3];
	call->status_msg = keep[4];
	call->srv = s;
	call->conn = c;
	call->stream_id = stream_id;
	call->stream_open = true;
	s->n_calls++;
	return call;
}

static void call_release(struct h2_call *call)
{
	struct h2_server *s = call->srv;
	if (s->n_free_calls >= H2_POOL_MAX) {
		call_bufs_fini(call);
		free(call);
		return;
	}
	keep_or_drop(&call->hdr_bytes);
	keep_or_drop(&call->hdr_index);
	keep_or_drop(&call->msg);
	keep_or_drop(&call->out);
	keep_or_drop(&call->status_msg);
	call->pool_next = s->free_calls;
	s->free_calls = call;
	s->n_free_calls++;
}

void h2_call_maybe_free(struct h2_call *call)
{
	if (call->stream_open || call->held || call->pins > 0)
		return;
	h2_deadline_remove(call->srv, call);
	call_release(call);
}

void h2_call_pool_fini(struct h2_server *s)
{
	while (s->free_calls) {
		struct h2_call *call = s->free_calls;
		s->free_calls = call->pool_next;
		call_bufs_fini(call);
		free(call);
	}
	s->n_free_calls = 0;
}

/* ---- events to the handler ----------------------------------------------- */

static void tell(struct h2_call *call, enum h2_call_event ev)
{
	if (!call->held || call->finished || !call->on_event)
		return;
	call->pins++;
	call->on_event(call, ev);
	call->pins--;
}

static void mark_cancelled(struct h2_call *call)
{
	if (call->cancelled)
		return;
	call->cancelled = true;
	tell(call, H2_CALL_CANCELLED);
}

void h2_call_tell_stop(struct h2_call *call)
{
	if (call->stop_told || !call->held || call->finished)
		return;
	call->stop_told = true;
	tell(call, H2_CALL_STOPPING);
}

/* ---- response ------------------------------------------------------------ */

static void set_status(struct h2_call *call, enum grpc_status status, const char *msg)
{
	call->status = status;
	buf_reset(&call->status_msg);
	if (msg)
		h2_percent_encode(&call->status_msg, msg, strlen(msg));
}

/* grpc-status and grpc-message, after nv[0..n) */
static size_t status_nv(struct h2_call *call, nghttp2_nv *nv, size_t n)
{
	const char *code = (unsigned)call->status < ARRAY_SIZE(status_text)
				   ? status_text[call->status]
				   : status_text[GRPC_UNKNOWN];
	nv[n++] = (nghttp2_nv){ (uint8_t *)"grpc-status", (uint8_t *)code, 11, strlen(code),
				NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE };
	if (call->status_msg.len > 0 && !call->status_msg.failed)
		nv[n++] = (nghttp2_nv){ (uint8_t *)"grpc-message",
					(uint8_t *)call->status_msg.data, 12,
					call->status_msg.len, NGHTTP2_NV_FLAG_NO_COPY_NAME };
	return n;
}

static ssize_t on_read(nghttp2_session *ng, int32_t stream_id, uint8_t *dst, size_t length,
		       uint32_t *flags, nghttp2_data_source *src, void *user)
{
	(void)stream_id, (void)user;
	struct h2_call *call = src->ptr;
	size_t avail = out_pending(call);
	size_t n = MIN(avail, length);
	if (n > 0) {
		memcpy(dst, call->out.data + call->out_off, n);
		call->out_off += n;
		call->conn->queued -= n;
		if (call->out_off == call->out.len) {
			buf_reset(&call->out);
			call->out_off = 0;
		}
	}
	if (n < avail || !call->answered) {
		if (n > 0)
			return (ssize_t)n;
		call->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
	nghttp2_nv nv[2];
	size_t nvlen = status_nv(call, nv, 0);
	if (nghttp2_submit_trailer(ng, call->stream_id, nv, nvlen) != 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	return (ssize_t)n;
}

static int submit_headers(struct h2_call *call)
{
	static const nghttp2_nv nv[] = {
		NV_STATIC(":status", "200"),
		NV_STATIC("content-type", "application/grpc"),
	};
	nghttp2_data_provider prd = { .source.ptr = call, .read_callback = on_read };
	int rv = nghttp2_submit_response(call->conn->ng, call->stream_id, nv, ARRAY_SIZE(nv), &prd);
	if (rv == 0)
		call->headers_sent = true;
	return rv;
}

/* The response ends: trailers after whatever `out` holds, or trailers-only
 * HEADERS (with an HTTP status other than 200 for requests that were not
 * gRPC at all). */
static void submit_end(struct h2_call *call, const char *http_status)
{
	call->answered = true;
	h2_deadline_remove(call->srv, call);
	struct h2_conn *c = call->conn;
	if (!c || !call->stream_open || c->state != H2_CONN_OPEN)
		return;
	nghttp2_session *ng = c->ng;
	if (call->headers_sent) {
		if (call->deferred) {
			call->deferred = false;
			nghttp2_session_resume_data(ng, call->stream_id);
		}
	} else if (out_pending(call) > 0) {
		if (submit_headers(call) != 0)
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, call->stream_id,
						  NGHTTP2_INTERNAL_ERROR);
	} else {
		nghttp2_nv nv[4] = {
			{ (uint8_t *)":status", (uint8_t *)http_status, 7, strlen(http_status),
			  NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE },
			NV_STATIC("content-type", "application/grpc"),
		};
		size_t n = status_nv(call, nv, 2);
		if (nghttp2_submit_response(ng, call->stream_id, nv, n, NULL) != 0)
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, call->stream_id,
						  NGHTTP2_INTERNAL_ERROR);
	}
	h2_conn_wake(c);
}

static void answer_http(struct h2_call *call, const char *http_status, enum grpc_status status,
			const char *msg)
{
	if (call->answered)
		return;
	out_drop(call); /* queued messages are dropped */
	set_status(call, status, msg);
	submit_end(call, http_status);
	if (call->held && !call->finished)
		mark_cancelled(call);
}

void h2_call_answer(struct h2_call *call, enum grpc_status status, const char *msg)
{
	answer_http(call, "200", status, msg);
}

void h2_call_on_deadline(struct h2_call *call)
{
	if (!call->answered)
		h2_call_answer(call, GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
}

static int queue_message(struct h2_call *call, const uint8_t *msg, size_t len)
{
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	uint8_t prefix[5];
	h2_prefix_write(prefix, false, (uint32_t)len);
	size_t before = out_pending(call);
	if (call->out_off > 0 && call->out_off >= call->out.len / 2) {
		/* a stream the peer reads slowly never drains completely:
		 * reclaim what was sent rather than growing forever */
		buf_consume(&call->out, call->out_off);
		call->out_off = 0;
	}
	buf_append(&call->out, prefix, sizeof(prefix));
	buf_append(&call->out, msg, len);
	out_account(call, before);
	if (call->out.failed) {
		out_drop(call);
		return -ENOMEM;
	}
	struct h2_conn *c = call->conn;
	if (c && c->queued > H2_CONN_OUT_MAX)
		h2_conn_calm(c, "peer leaves too many answers unread");
	return 0;
}

/* ---- public call API ----------------------------------------------------- */

struct rt_shard *h2_call_shard(const struct h2_call *c)
{
	return c->srv->sh;
}

void *h2_call_method_ctx(const struct h2_call *c)
{
	return c->method ? c->method->ctx : NULL;
}

void *h2_call_server_ctx(const struct h2_call *c)
{
	return c->srv->cfg.ctx;
}

const char *h2_call_path(const struct h2_call *c)
{
	return c->path ? c->path : "";
}

const struct str *h2_call_header(const struct h2_call *c, const char *name)
{
	const struct h2_hdr *h = (const struct h2_hdr *)c->hdr_index.data;
	size_t len = strlen(name);
	for (size_t i = 0; i < c->n_hdrs; i++)
		if (str_eq(h[i].name, name, len))
			return &h[i].value;
	return NULL;
}

uint64_t h2_call_deadline_ms(const struct h2_call *c)
{
	return c->deadline_ms;
}

bool h2_call_cancelled(const struct h2_call *c)
{
	return c->cancelled;
}

void h2_call_set_data(struct h2_call *c, void *data)
{
	c->data = data;
}

void *h2_call_data(const struct h2_call *c)
{
	return c->data;
}

void h2_call_on_event(struct h2_call *c, h2_call_event_fn *fn)
{
	c->on_event = fn;
}

int h2_call_send(struct h2_call *c, const uint8_t *msg, size_t len)
{
	if (c->finished || c->answered || c->cancelled || !c->stream_open)
		return -ECANCELED;
	if (out_pending(c) + len > H2_CALL_OUT_MAX)
		return -ENOBUFS;
	int rv = queue_message(c, msg, len);
	if (rv < 0)
		return rv;
	if (!c->headers_sent) {
		if (submit_headers(c) != 0)
			return -ENOMEM;
	} else if (c->deferred) {
		c->deferred = false;
		nghttp2_session_resume_data(c->conn->ng, c->stream_id);
	}
	h2_conn_wake(c->conn);
	return 0;
}

void h2_call_finish(struct h2_call *c, enum grpc_status status, const char *message,
		    const uint8_t *msg, size_t len)
{
	if (c->finished) {
		obs_error("h2: call finished twice", "\"path\":\"%s\"", h2_call_path(c));
		return;
	}
	c->finished = true;
	if (c->held) {
		c->held = false;
		c->srv->n_held--;
	}
	if (!c->answered && !c->cancelled && c->stream_open) {
		if (status == GRPC_OK && (msg || !c->streaming) && queue_message(c, msg, len) < 0) {
			status = GRPC_RESOURCE_EXHAUSTED;
			message = "server out of memory";
		}
		set_status(c, status, message);
		submit_end(c, "200");
	}
	h2_call_maybe_free(c);
}

/* ---- request ------------------------------------------------------------- */

/* Where a header sits in hdr_bytes while the block still arrives (the
 * buffer may move); turned into struct h2_hdr in place once complete. */
struct hdr_off {
	size_t name, name_len, value, value_len;
};
_Static_assert(sizeof(struct hdr_off) == sizeof(struct h2_hdr), "indexed in place");

int h2_call_on_header(struct h2_call *call, const uint8_t *name, size_t namelen,
		      const uint8_t *value, size_t valuelen)
{
	size_t need = namelen + valuelen + 2;
	char *p = buf_reserve(&call->hdr_bytes, need);
	struct hdr_off *o = (struct hdr_off *)buf_reserve(&call->hdr_index, sizeof(*o));
	if (!p || !o)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* nghttp2 resets the stream */
	size_t at = call->hdr_bytes.len;
	memcpy(p, name, namelen);
	p[namelen] = '\0';
	memcpy(p + namelen + 1, value, valuelen);
	p[need - 1] = '\0';
	*o = (struct hdr_off){ at, namelen, at + namelen + 1, valuelen };
	call->hdr_bytes.len += need;
	call->hdr_index.len += sizeof(*o);
	call->n_hdrs++;
	return 0;
}

static void index_headers(struct h2_call *call)
{
	struct h2_hdr *h = (struct h2_hdr *)call->hdr_index.data;
	const char *base = call->hdr_bytes.data;
	for (size_t i = 0; i < call->n_hdrs; i++) {
		struct hdr_off o;
		memcpy(&o, &h[i], sizeof(o));
		h[i] = (struct h2_hdr){ { base + o.name, o.name_len }, { base + o.value, o.value_len } };
	}
}

/* application/grpc, application/grpc+proto, application/grpc;charset=... */
static bool grpc_content_type(const struct str *ct)
{
	static const char want[] = "application/grpc";
	size_t n = sizeof(want) - 1;
	if (!ct || ct->len < n || strncasecmp(ct->ptr, want, n) != 0)
		return false;
	return ct->len == n || ct->ptr[n] == '+' || ct->ptr[n] == ';';
}

static bool resolve_method(struct h2_call *call)
{
	const struct h2_server_config *cfg = &call->srv->cfg;
	for (size_t i = 0; i < cfg->n_methods; i++) {
		if (strcmp(cfg->methods[i].path, call->path) == 0) {
			call->method = &cfg->methods[i];
			call->handle = call->method->handle;
			call->streaming = call->method->streaming_requests ||
					  call->method->streaming_responses;
			return true;
		}
	}
	if (cfg->fallback) {
		call->handle = cfg->fallback;
		return true;
	}
	struct str svc = h2_path_service(call->path, strlen(call->path));
	bool known = false;
	for (size_t i = 0; i < cfg->n_methods && !known; i++) {
		const char *mp = cfg->methods[i].path;
		struct str ms = h2_path_service(mp, strlen(mp));
		known = ms.len == svc.len && memcmp(ms.ptr, svc.ptr, svc.len) == 0;
	}
	char why[512];
	h2_unknown_message(why, sizeof(why), call->path, known);
	h2_call_answer(call, GRPC_UNIMPLEMENTED, why);
	return false;
}

void h2_call_on_headers_done(struct h2_call *call, bool end_stream)
{
	index_headers(call);
	const struct str *method = h2_call_header(call, ":method");
	const struct str *path = h2_call_header(call, ":path");
	char why[160];
	if (!method || !path) {
		/* nghttp2's own checks reset such streams first */
		h2_call_answer(call, GRPC_INTERNAL, "malformed request headers");
		return;
	}
	call->path = path->ptr;
	if (!str_eq(*method, "POST", 4)) {
		snprintf(why, sizeof(why), "Received a HEADERS frame with :method \"%.*s\" which should be POST",
			 (int)MIN(method->len, 64), method->ptr);
		answer_http(call, "405", GRPC_INTERNAL, why);
		return;
	}
	const struct str *ct = h2_call_header(call, "content-type");
	if (!grpc_content_type(ct)) {
		snprintf(why, sizeof(why), "invalid gRPC request content-type \"%.*s\"",
			 ct ? (int)MIN(ct->len, 64) : 0, ct ? ct->ptr : "");
		answer_http(call, "415", GRPC_INVALID_ARGUMENT, why);
		return;
	}
	if (!resolve_method(call))
		return;
	const struct str *timeout = h2_call_header(call, "grpc-timeout");
	if (timeout) {
		uint64_t ms;
		if (h2_timeout_parse(timeout->ptr, timeout->len, &ms) < 0) {
			h2_call_answer(call, GRPC_INTERNAL, "malformed grpc-timeout");
			return;
		}
		call->deadline_ms = call->srv->sh->now_ms + ms;
		h2_deadline_add(call->srv, call);
	}
	call->headers_ok = true;
	if (end_stream)
		h2_call_on_end_stream(call);
}

/* Hands one complete request message (or NULL: half-close of a
 * streaming_requests call) to the handler. */
static void deliver(struct h2_call *call, const uint8_t *p, size_t n)
{
	if (!call->held) {
		call->held = true;
		call->srv->n_held++;
	}
	call->pins++;
	call->handle(call, p, n);
	call->pins--;
	/* Dispatched after the stop began: it will not be told otherwise. */
	if (call->srv->stopping)
		h2_call_tell_stop(call);
}

/* Whether messages are still wanted on this call. */
static bool accepting(const struct h2_call *call)
{
	return call->headers_ok && !call->answered && !call->finished;
}

static bool streaming_in(const struct h2_call *call)
{
	return call->method && call->method->streaming_requests;
}

/* A complete message: checks the count for unary-request methods. */
static void on_message(struct h2_call *call, const uint8_t *p, size_t n)
{
	if (!streaming_in(call)) {
		if (call->got_message) {
			/* grpc-go (since 1.75) answers INTERNAL */
			h2_call_answer(call, GRPC_INTERNAL,
				       "grpc: received more than one request message for a "
				       "unary or server-streaming RPC");
			return;
		}
		call->got_message = true;
	}
	deliver(call, p, n);
}

void h2_call_on_data(struct h2_call *call, const uint8_t *data, size_t len)
{
	struct h2_conn *c = call->conn;
	uint32_t max = call->srv->cfg.limits.max_message_bytes;
	char why[128];
	while (len > 0 && accepting(call)) {
		if (call->prefix_got < 5) {
			size_t take = MIN(5 - call->prefix_got, len);
			memcpy(call->prefix + call->prefix_got, data, take);
			call->prefix_got += (unsigned)take;
			data += take;
			len -= take;
			if (call->prefix_got < 5)
				return;
			call->msg_len = (uint32_t)call->prefix[1] << 24 | (uint32_t)call->prefix[2] << 16 |
					(uint32_t)call->prefix[3] << 8 | call->prefix[4];
			if (call->prefix[0] == 1) {
				h2_call_answer(call, GRPC_UNIMPLEMENTED,
					       "grpc: compressed request messages are not supported "
					       "(no grpc-encoding is implemented)");
				return;
			}
			if (call->prefix[0] != 0) {
				snprintf(why, sizeof(why), "grpc: received unexpected payload format %u",
					 call->prefix[0]);
				h2_call_answer(call, GRPC_INTERNAL, why);
				return;
			}
			if (call->msg_len > max) {
				snprintf(why, sizeof(why),
					 "grpc: received message larger than max (%u vs. %u)",
					 call->msg_len, max);
				h2_call_answer(call, GRPC_RESOURCE_EXHAUSTED, why);
				return;
			}
		}
		if (call->msg.len == 0 && len >= call->msg_len) {
			/* The whole message is in this chunk: no copy. */
			const uint8_t *p = data;
			data += call->msg_len;
			len -= call->msg_len;
			call->prefix_got = 0;
			if (len > 0 && !streaming_in(call)) {
				/* a second message right behind: refused before
				 * the handler runs, whatever its speed */
				call->got_message = true;
			}
			on_message(call, p, call->msg_len);
			continue;
		}
		size_t take = MIN(call->msg_len - call->msg.len, len);
		if (c->buffered + take > H2_CONN_BUFFERED_MAX(max)) {
			/* Many large messages trickling in at once: flow control
			 * alone lets a connection park window-sized parts of
			 * each, so the connection has a budget too. */
			c->buffered -= call->msg.len;
			buf_reset(&call->msg);
			h2_call_answer(call, GRPC_RESOURCE_EXHAUSTED,
				       "grpc: too many request bytes in flight on this connection");
			return;
		}
		buf_append(&call->msg, data, take);
		c->buffered += take;
		data += take;
		len -= take;
		if (call->msg.failed) {
			c->buffered -= call->msg.len;
			buf_reset(&call->msg);
			h2_call_answer(call, GRPC_RESOURCE_EXHAUSTED, "server out of memory");
			return;
		}
		if (call->msg.len < call->msg_len)
			return;
		c->buffered -= call->msg.len;
		call->prefix_got = 0;
		if (len > 0 && !streaming_in(call))
			call->got_message = true;
		call->pins++;
		on_message(call, (const uint8_t *)call->msg.data, call->msg.len);
		call->pins--;
		buf_reset(&call->msg);
	}
}

void h2_call_on_end_stream(struct h2_call *call)
{
	call->remote_closed = true;
	if (!accepting(call))
		return;
	if (call->prefix_got > 0) {
		h2_call_answer(call, GRPC_INTERNAL, "grpc: request ended in the middle of a message");
		return;
	}
	if (streaming_in(call))
		deliver(call, NULL, 0);
	else if (!call->got_message)
		h2_call_answer(call, GRPC_INTERNAL,
			       "grpc: no request message for a unary or server-streaming RPC");
}

void h2_call_on_stream_close(struct h2_call *call)
{
	if (!call->stream_open)
		return;
	out_drop(call);
	struct h2_conn *c = call->conn;
	call->stream_open = false;
	call->conn = NULL;
	if (c)
		h2_conn_unlink_call(c, call);
	buf_reset(&call->msg);
	h2_deadline_remove(call->srv, call);
	if (!call->answered) {
		/* reset by the peer, or the connection went away */
		call->answered = true;
		call->pins++;
		mark_cancelled(call);
		call->pins--;
	}
	h2_call_maybe_free(call);
}
