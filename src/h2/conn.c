/*
 * One HTTP/2 connection on a shard: received bytes go straight from the
 * provided buffer into nghttp2_session_mem_recv, frames come out of mem_send
 * into a double buffer, and the connection-level abuse guards live here.
 * Shard thread only. Freed after its last kernel op and queued pump (`ops`);
 * never closed inside an nghttp2 callback (misbehaviour queues GOAWAY).
 */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "challenged/obs.h"
#include "h2_private.h"

/* ---- lifetime ------------------------------------------------------------ */

static void conn_free(struct h2_conn *c)
{
	struct h2_server *s = c->srv;
	/* every call left with its bytes accounted for */
	assert(!c->calls && c->queued == 0 && c->buffered == 0);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	close(c->fd);
	buf_fini(&c->out);
	buf_fini(&c->pending);
	free(c);
}

static void conn_put(struct h2_conn *c)
{
	if (--c->ops == 0 && c->state == H2_CONN_CLOSED)
		conn_free(c);
}

/* Every call still on a stream learns that the stream is gone. */
static void conn_detach_calls(struct h2_conn *c)
{
	while (c->calls)
		h2_call_on_stream_close(c->calls);
}

static void conn_close(struct h2_conn *c)
{
	if (c->state == H2_CONN_CLOSED)
		return;
	c->state = H2_CONN_CLOSED;
	rt_deadline_remove(&c->idle_deadline);
	rt_deadline_remove(&c->wr_deadline);
	conn_detach_calls(c);
	nghttp2_session_del(c->ng);
	c->ng = NULL;
	/* shutdown ends the multishot receive and any send with a final
	 * completion; the fd is closed only when all of them came back. */
	shutdown(c->fd, SHUT_RDWR);
	if (c->recv_armed)
		rt_cancel(c->srv->sh, &c->recv_op);
	if (c->ops == 0)
		conn_free(c);
}

void h2_conn_free_now(struct h2_conn *c)
{
	/* Shard exit after a drain timeout: no handler runs after this, so
	 * calls they still hold go too. */
	c->state = H2_CONN_CLOSED;
	while (c->calls) {
		struct h2_call *call = c->calls;
		h2_call_on_stream_close(call);
	}
	if (c->ng)
		nghttp2_session_del(c->ng);
	c->ng = NULL;
	conn_free(c);
}

/* ---- output -------------------------------------------------------------- */

static void send_rest(struct h2_conn *c)
{
	c->sending = true;
	c->ops++;
	rt_send(c->srv->sh, &c->send_op, c->fd, c->pending.data + c->sent,
		c->pending.len - c->sent);
}

static void arm_write_deadline(struct h2_conn *c)
{
	if (c->srv->cfg.limits.idle_timeout_ms >= 0)
		rt_deadline_add(c->srv->sh, &c->srv->write_list, &c->wr_deadline);
}

static void conn_flush(struct h2_conn *c)
{
	if (c->sending || c->state == H2_CONN_CLOSED || c->out.len == 0)
		return;
	struct buf tmp = c->pending;
	c->pending = c->out;
	c->out = tmp;
	buf_reset(&c->out);
	c->sent = 0;
	arm_write_deadline(c);
	send_rest(c);
}

/*
 * Our SETTINGS go out with MAX_CONCURRENT_STREAMS unlimited as far as
 * nghttp2 knows, and the wire says the real limit: nghttp2 1.52 answers a
 * stream over an acknowledged limit with a connection error, where grpc-go
 * (and RFC 9113 5.1.2, for a stream error) refuses only that stream. The
 * limit is enforced in on_begin_headers with RST_STREAM REFUSED_STREAM.
 */
static void patch_settings(struct h2_conn *c, uint8_t *p, size_t n)
{
	c->settings_patched = true;
	if (n < 9 || p[3] != NGHTTP2_SETTINGS || (p[4] & NGHTTP2_FLAG_ACK))
		goto fail;
	size_t len = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
	if (n < 9 + len)
		goto fail;
	for (size_t off = 9; off + 6 <= 9 + len; off += 6) {
		if ((p[off] << 8 | p[off + 1]) != NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
			continue;
		uint32_t v = c->srv->cfg.limits.max_concurrent_streams;
		p[off + 2] = (uint8_t)(v >> 24);
		p[off + 3] = (uint8_t)(v >> 16);
		p[off + 4] = (uint8_t)(v >> 8);
		p[off + 5] = (uint8_t)v;
		return;
	}
fail:
	obs_warn("h2: first frame out is not our SETTINGS; concurrency limit not advertised",
		 "\"shard\":%u", c->srv->sh->id);
}

/* Pulls frames from nghttp2 and starts sending them; closes the connection
 * once nghttp2 wants neither to read nor to write and all bytes left. */
static void conn_pump(struct h2_conn *c)
{
	if (c->state == H2_CONN_CLOSED)
		return;
	while (c->out.len < H2_OUT_HIGH_WATER) {
		const uint8_t *data;
		ssize_t n = nghttp2_session_mem_send(c->ng, &data);
		if (n < 0) {
			obs_debug("h2: mem_send failed", "\"err\":\"%s\"", nghttp2_strerror((int)n));
			conn_close(c);
			return;
		}
		if (n == 0)
			break;
		size_t at = c->out.len;
		buf_append(&c->out, data, (size_t)n);
		if (c->out.failed) {
			conn_close(c);
			return;
		}
		if (!c->settings_patched)
			patch_settings(c, (uint8_t *)c->out.data + at, (size_t)n);
	}
	conn_flush(c);
	if (!c->sending && c->out.len == 0 && !nghttp2_session_want_read(c->ng) &&
	    !nghttp2_session_want_write(c->ng))
		conn_close(c);
}

static void on_pump_msg(struct rt_shard *sh, struct rt_msg *msg)
{
	(void)sh;
	struct h2_conn *c = container_of(msg, struct h2_conn, pump_msg);
	c->pump_queued = false;
	conn_pump(c);
	conn_put(c);
}

void h2_conn_wake(struct h2_conn *c)
{
	if (!c || c->state == H2_CONN_CLOSED || c->in_recv || c->pump_queued)
		return;
	c->pump_queued = true;
	c->ops++;
	rt_mailbox_send(c->srv->sh, c->srv->sh->id, &c->pump_msg);
}

static void on_send(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)sh, (void)flags;
	struct h2_conn *c = container_of(op, struct h2_conn, send_op);
	c->sending = false;
	if (c->state != H2_CONN_CLOSED) {
		if (res <= 0) {
			conn_close(c);
		} else if ((c->sent += (size_t)res) < c->pending.len) {
			arm_write_deadline(c);
			send_rest(c);
		} else {
			buf_reset(&c->pending);
			rt_deadline_remove(&c->wr_deadline);
			conn_pump(c);
		}
	}
	conn_put(c);
}

/* ---- abuse guards -------------------------------------------------------- */

static void window_tick(struct h2_conn *c)
{
	uint64_t now = c->srv->sh->now_ms;
	if (now - c->window_start_ms >= 1000) {
		c->window_start_ms = now;
		c->resets = 0;
		c->control = 0;
	}
}

void h2_conn_calm(struct h2_conn *c, const char *why)
{
	if (c->calming)
		return;
	c->calming = true;
	c->srv->n_rejected++;
	h2_conn_wake(c);
	obs_warn("h2: closing a misbehaving connection", "\"shard\":%u,\"why\":\"%s\"",
		 c->srv->sh->id, why);
	nghttp2_session_terminate_session(c->ng, NGHTTP2_ENHANCE_YOUR_CALM);
}

static void count_control(struct h2_conn *c, const char *why)
{
	window_tick(c);
	if (++c->control > c->srv->cfg.limits.max_control_frames_per_second)
		h2_conn_calm(c, why);
}

/* ---- nghttp2 callbacks --------------------------------------------------- */

static int on_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd, void *user)
{
	(void)ng;
	struct h2_conn *c = user;
	size_t max = c->srv->cfg.limits.max_header_list_bytes;
	if (hd->type == NGHTTP2_HEADERS) {
		c->continuations = 0;
		c->block_bytes = hd->length;
		c->list_bytes = 0;
	} else if (hd->type == NGHTTP2_CONTINUATION) {
		c->continuations++;
		c->block_bytes += hd->length;
	} else {
		return 0;
	}
	c->in_block = !(hd->flags & NGHTTP2_FLAG_END_HEADERS);
	/* CVE-2024-27316 style floods: a header block that never ends, or
	 * one bigger than we said we accept, costs the connection. */
	if (c->continuations > H2_MAX_CONTINUATIONS || c->block_bytes > max) {
		h2_conn_calm(c, "header block too large or too many CONTINUATION frames");
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_conn *c = user;
	struct h2_server *s = c->srv;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	int32_t id = frame->hd.stream_id;
	struct h2_call *call = NULL;
	if (!c->calming && !c->goaway_sent && !s->stopping &&
	    c->n_streams < s->cfg.limits.max_concurrent_streams)
		call = h2_call_new(s, c, id);
	if (!call) {
		s->n_rejected++;
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	nghttp2_session_set_stream_user_data(ng, id, call);
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;
	c->n_streams++;
	/* The idle countdown stops once the headers are complete: a header
	 * block that never ends keeps a connection busy for nothing. */
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user)
{
	(void)flags;
	struct h2_conn *c = user;
	c->list_bytes += namelen + valuelen + 32;
	if (c->list_bytes > c->srv->cfg.limits.max_header_list_bytes) {
		h2_conn_calm(c, "header list too large");
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* trailers carry nothing we use */
	struct h2_call *call = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (!call)
		return 0;
	return h2_call_on_header(call, name, namelen, value, valuelen);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_conn *c = user;
	struct h2_call *call;
	bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
	switch (frame->hd.type) {
	case NGHTTP2_HEADERS:
		call = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
		if (!call)
			break;
		if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
			rt_deadline_remove(&c->idle_deadline);
			h2_call_on_headers_done(call, end);
		} else if (end) {
			h2_call_on_end_stream(call);
		}
		break;
	case NGHTTP2_DATA:
		/* Empty DATA without END_STREAM does nothing but cost us. */
		if (frame->hd.length == 0 && !end)
			count_control(c, "empty DATA flood");
		call = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
		if (call && end)
			h2_call_on_end_stream(call);
		break;
	case NGHTTP2_RST_STREAM:
		/* CVE-2023-44487: streams opened and reset at once make us work
		 * while the client's concurrency stays zero. */
		window_tick(c);
		if (++c->resets > c->srv->cfg.limits.max_resets_per_second)
			h2_conn_calm(c, "rapid reset");
		break;
	case NGHTTP2_PING:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
			count_control(c, "PING flood");
		break;
	case NGHTTP2_SETTINGS:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
			count_control(c, "SETTINGS flood");
		break;
	case NGHTTP2_PRIORITY:
		count_control(c, "PRIORITY flood");
		break;
	default:
		break;
	}
	return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id,
			 const uint8_t *data, size_t len, void *user)
{
	(void)flags, (void)user;
	struct h2_call *call = nghttp2_session_get_stream_user_data(ng, stream_id);
	if (call)
		h2_call_on_data(call, data, len);
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t error_code,
			   void *user)
{
	(void)error_code, (void)user;
	struct h2_call *call = nghttp2_session_get_stream_user_data(ng, stream_id);
	if (call)
		h2_call_on_stream_close(call);
	return 0;
}

/* After our END_STREAM the client may still be sending: tell it to stop, as
 * grpc-go does, so the stream does not hold a concurrency slot. Decided when
 * the frame leaves, by when the client's own END_STREAM (usually in the
 * same packet as its message) has been read. */
static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	(void)user;
	if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    nghttp2_session_get_stream_remote_close(ng, frame->hd.stream_id) == 0)
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
					  NGHTTP2_NO_ERROR);
	return 0;
}

void h2_conn_unlink_call(struct h2_conn *c, struct h2_call *call)
{
	if (call->prev)
		call->prev->next = call->next;
	else
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	call->prev = call->next = NULL;
	c->buffered -= call->msg.len;
	if (--c->n_streams == 0 && c->state == H2_CONN_OPEN &&
	    c->srv->cfg.limits.idle_timeout_ms >= 0)
		rt_deadline_add(c->srv->sh, &c->srv->idle_list, &c->idle_deadline);
}

/* ---- session set-up ------------------------------------------------------ */

static nghttp2_session_callbacks *callbacks;
static pthread_once_t callbacks_once = PTHREAD_ONCE_INIT;

/* Shared read-only by every shard: nghttp2 copies them into each session. */
static void callbacks_create(void)
{
	if (nghttp2_session_callbacks_new(&callbacks) != 0)
		return;
	nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, on_begin_frame);
	nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_send);
}

static int session_new(struct h2_conn *c)
{
	const struct h2_limits *lim = &c->srv->cfg.limits;
	pthread_once(&callbacks_once, callbacks_create);
	if (!callbacks)
		return -ENOMEM;
	nghttp2_option *opt;
	if (nghttp2_option_new(&opt) != 0)
		return -ENOMEM;
	nghttp2_option_set_no_closed_streams(opt, 1);
	/* nghttp2's own guards stay on as backstops, looser than ours so
	 * ours answer first (with ENHANCE_YOUR_CALM). */
	nghttp2_option_set_max_continuations(opt, H2_MAX_CONTINUATIONS * 2);
	nghttp2_option_set_stream_reset_rate_limit(opt, 2 * (uint64_t)lim->max_resets_per_second,
						   lim->max_resets_per_second);
	int rv = nghttp2_session_server_new3(&c->ng, callbacks, c, opt,
					     h2_mem_nghttp2(c->srv->mem));
	nghttp2_option_del(opt);
	if (rv != 0)
		return -ENOMEM;

	nghttp2_settings_entry iv[] = {
		/* patched on the wire: see patch_settings */
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 0xffffffffu },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, lim->max_header_list_bytes },
	};
	if (nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, iv, ARRAY_SIZE(iv)) != 0 ||
	    nghttp2_session_set_local_window_size(c->ng, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW) != 0) {
		nghttp2_session_del(c->ng);
		c->ng = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- input --------------------------------------------------------------- */

static void conn_feed(struct h2_conn *c, const uint8_t *data, size_t len)
{
	if (c->calming || !nghttp2_session_want_read(c->ng))
		return;
	c->in_recv = true;
	ssize_t n = nghttp2_session_mem_recv(c->ng, data, len);
	c->in_recv = false;
	if (n < 0 && !c->calming) {
		if (n == NGHTTP2_ERR_BAD_CLIENT_MAGIC || n == NGHTTP2_ERR_NOMEM) {
			/* not HTTP/2 at all, or no memory to say goodbye */
			obs_debug("h2: closing after a receive error", "\"err\":\"%s\"",
				  nghttp2_strerror((int)n));
			conn_close(c);
			return;
		}
		/* a flood nghttp2 caught itself (too many CONTINUATION frames
		 * for a block it ignores, unread SETTINGS/PING ACKs) */
		h2_conn_calm(c, nghttp2_strerror((int)n));
	}
	conn_pump(c);
}

static void on_recv(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	struct h2_conn *c = container_of(op, struct h2_conn, recv_op);
	bool more = flags & IORING_CQE_F_MORE;
	if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
		unsigned bid = rt_cqe_buffer_id(flags);
		if (c->state != H2_CONN_CLOSED)
			conn_feed(c, (const uint8_t *)rt_buf_data(sh, bid), (size_t)res);
		rt_buf_recycle(sh, bid);
	} else if (res == 0 && c->state != H2_CONN_CLOSED) {
		/* The peer is gone (HTTP/2 has no half-close of its own). */
		conn_close(c);
	} else if (res < 0 && res != -ENOBUFS && c->state != H2_CONN_CLOSED) {
		conn_close(c);
	}

	if (!more) {
		c->recv_armed = false;
		if (c->state != H2_CONN_CLOSED && (res > 0 || res == -ENOBUFS)) {
			c->recv_armed = true;
			c->ops++;
			rt_recv_multishot(sh, &c->recv_op, c->fd);
		}
		conn_put(c);
	}
}

/* ---- timeouts ------------------------------------------------------------ */

static void on_idle(struct rt_shard *sh, struct rt_deadline *d)
{
	(void)sh;
	struct h2_conn *c = container_of(d, struct h2_conn, idle_deadline);
	if (c->state != H2_CONN_OPEN || (c->n_streams > 0 && !c->in_block))
		return;
	nghttp2_session_terminate_session(c->ng, NGHTTP2_NO_ERROR);
	conn_pump(c);
}

static void on_write_stalled(struct rt_shard *sh, struct rt_deadline *d)
{
	(void)sh;
	conn_close(container_of(d, struct h2_conn, wr_deadline));
}

/* ---- open and stop ------------------------------------------------------- */

void h2_conn_open(struct h2_server *s, int fd)
{
	struct h2_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		s->n_rejected++;
		return;
	}
	c->srv = s;
	c->fd = fd;
	if (session_new(c) < 0) {
		free(c);
		close(fd);
		s->n_rejected++;
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = H2_CONN_OPEN;
	c->window_start_ms = s->sh->now_ms;
	c->recv_op.complete = on_recv;
	c->send_op.complete = on_send;
	c->pump_msg.run = on_pump_msg;
	c->idle_deadline.expire = on_idle;
	c->wr_deadline.expire = on_write_stalled;
	c->next = s->conns;
	if (c->next)
		c->next->prev = c;
	s->conns = c;
	s->n_conns++;
	c->recv_armed = true;
	c->ops++;
	rt_recv_multishot(s->sh, &c->recv_op, fd);
	if (s->cfg.limits.idle_timeout_ms >= 0)
		rt_deadline_add(s->sh, &s->idle_list, &c->idle_deadline);
	/* The server preface (our SETTINGS) needs no client bytes first. */
	conn_pump(c);
}

void h2_conn_stop(struct h2_conn *c)
{
	if (c->state == H2_CONN_CLOSED)
		return;
	if (!c->goaway_sent && !c->calming) {
		c->goaway_sent = true;
		nghttp2_submit_goaway(c->ng, NGHTTP2_FLAG_NONE,
				      nghttp2_session_get_last_proc_stream_id(c->ng),
				      NGHTTP2_NO_ERROR, NULL, 0);
	}
	rt_deadline_remove(&c->idle_deadline);
	struct h2_conn *keep = c;
	c->ops++; /* a handler told to stop may answer; keep c meanwhile */
	for (struct h2_call *call = c->calls, *next; call; call = next) {
		next = call->next;
		h2_call_tell_stop(call);
	}
	conn_pump(c);
	conn_put(keep);
}
