/*
 * gRPC client over h2c (prior knowledge) on nghttp2's old API, driven with
 * mem_recv/mem_send so the worker owns the socket: many unary calls share a
 * connection, each in a stream slot whose body the data callback streams
 * out; the outcome is the grpc-status trailer. Runs on the connection's
 * worker thread; nghttp2 callbacks fire only inside input and flush.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static struct lg_stream *stream_of(nghttp2_session *s, int32_t id)
{
	return nghttp2_session_get_stream_user_data(s, id);
}

static int parse_int(const uint8_t *v, size_t len)
{
	int x = 0;

	if (len == 0 || len > 4)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user_data)
{
	struct lg_stream *st;

	(void)flags;
	(void)user_data;
	if (frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	st = stream_of(session, frame->hd.stream_id);
	if (!st)
		return 0;
	if (namelen == 7 && memcmp(name, ":status", 7) == 0)
		st->http_status = parse_int(value, valuelen);
	else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
		st->grpc_status = parse_int(value, valuelen);
	return 0;
}

static int outcome(const struct lg_stream *st, uint32_t error_code)
{
	if (st->timed_out)
		return LG_ST_TIMEOUT;
	if (st->grpc_status >= 0 && st->grpc_status <= 16)
		return LG_ST_GRPC + st->grpc_status;
	if (error_code != NGHTTP2_NO_ERROR)
		return LG_ST_RESET;
	/* No grpc-status: report the HTTP status when it says something. */
	if (st->http_status >= 100 && st->http_status < 600 && st->http_status != 200)
		return st->http_status;
	return LG_ST_PROTO;
}

static void slot_release(struct lg_conn *c, struct lg_stream *st, int result, uint64_t now)
{
	struct lg_req r = st->req;

	st->active = false;
	c->free_slots[c->nfree++] = (uint32_t)(st - c->streams);
	c->inflight--;
	lg_worker_complete(c->w, c, &r, result, now);
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
			   void *user_data)
{
	struct lg_conn *c = user_data;
	struct lg_stream *st = stream_of(session, stream_id);

	if (!st || !st->active)
		return 0;
	slot_release(c, st, outcome(st, error_code), lg_now());
	return 0;
}

static ssize_t on_read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
			    size_t length, uint32_t *data_flags, nghttp2_data_source *source,
			    void *user_data)
{
	struct lg_stream *st = source->ptr;
	size_t n = st->body_len - st->body_off;

	(void)session;
	(void)stream_id;
	(void)user_data;
	if (n > length)
		n = length;
	memcpy(buf, st->body + st->body_off, n);
	st->body_off += (uint32_t)n;
	if (st->body_off == st->body_len)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

int lg_h2c_callbacks_new(nghttp2_session_callbacks **out)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb) != 0)
		return -ENOMEM;
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	*out = cb;
	return 0;
}

int lg_h2c_open(struct lg_conn *c)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20 },
	};

	if (!c->streams) {
		c->streams = calloc(c->depth, sizeof(*c->streams));
		c->free_slots = calloc(c->depth, sizeof(*c->free_slots));
		if (!c->streams || !c->free_slots)
			return -ENOMEM;
	}
	c->nfree = 0;
	for (uint32_t i = c->depth; i-- > 0;) {
		c->streams[i].conn = c;
		c->streams[i].active = false;
		c->free_slots[c->nfree++] = i;
	}
	if (nghttp2_session_client_new(&c->h2, c->w->h2_callbacks, c) != 0) {
		c->h2 = NULL;
		return -ENOMEM;
	}
	/* Responses are small; a large connection window saves WINDOW_UPDATE traffic. */
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 2) != 0 ||
	    nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, 1 << 24) != 0) {
		lg_h2c_close(c);
		return -ENOMEM;
	}
	lg_conn_mark_dirty(c);
	return 0;
}

int lg_h2c_send(struct lg_conn *c, const struct lg_pick *p, const struct lg_req *r)
{
	const struct lg_config *cfg = c->w->cfg;
	struct lg_stream *st;
	nghttp2_data_provider prd;
	int32_t id;
	int rc;

	if (c->nfree == 0)
		return -EBUSY;
	st = &c->streams[c->free_slots[c->nfree - 1]];
	rc = lg_scenario_grpc(c->w, p, st);
	if (rc < 0)
		return rc;
#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), \
		   NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE }
	nghttp2_nv nva[] = {
		NV(":method", "POST"),
		NV(":scheme", "http"),
		NV(":path", st->path),
		NV(":authority", cfg->authority),
		NV("content-type", "application/grpc"),
		NV("te", "trailers"),
		NV("user-agent", "challenged-loadgen"),
	};
#undef NV
	prd.source.ptr = st;
	prd.read_callback = on_read_body;
	st->req = *r;
	st->http_status = 0;
	st->grpc_status = -1;
	st->timed_out = false;
	id = nghttp2_submit_request(c->h2, NULL, nva, sizeof(nva) / sizeof(nva[0]), &prd, st);
	if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
		/* 2^30 streams used up: finish what is in flight, then reconnect. */
		c->close_after = true;
		lg_conn_mark_dirty(c);
		return -EAGAIN;
	}
	if (id < 0)
		return -ENOMEM;
	st->stream_id = id;
	st->active = true;
	c->nfree--;
	c->inflight++;
	lg_conn_mark_dirty(c);
	return 0;
}

int lg_h2c_input(struct lg_conn *c, const char *p, size_t len)
{
	ssize_t n = nghttp2_session_mem_recv(c->h2, (const uint8_t *)p, len);

	if (n < 0)
		return -EPROTO;
	lg_conn_mark_dirty(c);
	return (int)n;
}

int lg_h2c_flush(struct lg_conn *c)
{
	const uint8_t *data;
	ssize_t n;

	while ((n = nghttp2_session_mem_send(c->h2, &data)) > 0)
		buf_append(&c->out, data, (size_t)n);
	if (n < 0 || c->out.failed)
		return -EPROTO;
	if (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2))
		return -EPIPE;
	return 0;
}

void lg_h2c_expire(struct lg_conn *c, uint64_t now, uint64_t timeout_ns)
{
	for (uint32_t i = 0; i < c->depth; i++) {
		struct lg_stream *st = &c->streams[i];

		if (!st->active || st->timed_out || now - st->req.sent < timeout_ns)
			continue;
		st->timed_out = true;
		/* The stream closes (and is counted) once the RST_STREAM goes out. */
		nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, st->stream_id, NGHTTP2_CANCEL);
		lg_conn_mark_dirty(c);
	}
}

void lg_h2c_fail_all(struct lg_conn *c, int st, uint64_t now)
{
	for (uint32_t i = 0; c->inflight > 0 && i < c->depth; i++)
		if (c->streams[i].active)
			slot_release(c, &c->streams[i], c->streams[i].timed_out ? LG_ST_TIMEOUT : st,
				     now);
}

/* Ends the session; the caller failed what was in flight first. */
void lg_h2c_close(struct lg_conn *c)
{
	nghttp2_session_del(c->h2);
	c->h2 = NULL;
}

void lg_h2c_free(struct lg_conn *c)
{
	free(c->streams);
	free(c->free_slots);
	c->streams = NULL;
	c->free_slots = NULL;
}
