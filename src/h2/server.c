/*
 * The h2 listener on a shard: multishot accept with the connection limit,
 * the grpc-timeout deadlines (a min-heap of calls behind one ring timer, as
 * deadlines differ per call), graceful stop and drain. Shard thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "challenged/obs.h"
#include "h2_private.h"

/* ---- deadlines ----------------------------------------------------------- */

static struct h2_call *heap_at(struct h2_server *s, size_t i)
{
	return s->deadlines[i];
}

static void heap_set(struct h2_server *s, size_t i, struct h2_call *call)
{
	s->deadlines[i] = call;
	call->heap_idx = i + 1;
}

static void sift_up(struct h2_server *s, size_t i)
{
	struct h2_call *call = heap_at(s, i);
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		struct h2_call *p = heap_at(s, parent);
		if (p->deadline_ms <= call->deadline_ms)
			break;
		heap_set(s, i, p);
		i = parent;
	}
	heap_set(s, i, call);
}

static void sift_down(struct h2_server *s, size_t i)
{
	struct h2_call *call = heap_at(s, i);
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t best = call->deadline_ms;
		if (l < s->n_deadlines && heap_at(s, l)->deadline_ms < best) {
			m = l;
			best = heap_at(s, l)->deadline_ms;
		}
		if (r < s->n_deadlines && heap_at(s, r)->deadline_ms < best)
			m = r;
		if (m == i)
			break;
		heap_set(s, i, heap_at(s, m));
		i = m;
	}
	heap_set(s, i, call);
}

static void deadline_timer_arm(struct h2_server *s)
{
	if (s->n_deadlines == 0)
		return;
	uint64_t at = heap_at(s, 0)->deadline_ms;
	if (s->deadline_armed_at && s->deadline_armed_at <= at)
		return;
	uint64_t now = s->sh->now_ms;
	s->deadline_armed_at = at;
	rt_timer_arm(s->sh, &s->deadline_timer, at > now ? at - now : 1);
}

void h2_deadline_add(struct h2_server *s, struct h2_call *call)
{
	if (s->n_deadlines == s->cap_deadlines) {
		size_t cap = s->cap_deadlines ? 2 * s->cap_deadlines : 64;
		void **p = realloc(s->deadlines, cap * sizeof(*p));
		if (!p) {
			/* No memory for the heap: the call runs without its
			 * deadline rather than failing. */
			return;
		}
		s->deadlines = p;
		s->cap_deadlines = cap;
	}
	s->n_deadlines++;
	heap_set(s, s->n_deadlines - 1, call);
	sift_up(s, s->n_deadlines - 1);
	deadline_timer_arm(s);
}

void h2_deadline_remove(struct h2_server *s, struct h2_call *call)
{
	if (!call->heap_idx)
		return;
	size_t i = call->heap_idx - 1;
	call->heap_idx = 0;
	struct h2_call *last = heap_at(s, --s->n_deadlines);
	if (i == s->n_deadlines)
		return;
	heap_set(s, i, last);
	sift_down(s, i);
	sift_up(s, last->heap_idx - 1);
}

static void on_deadline_timer(struct rt_shard *sh, struct rt_timer *t)
{
	struct h2_server *s = container_of(t, struct h2_server, deadline_timer);
	s->deadline_armed_at = 0;
	while (s->n_deadlines > 0 && heap_at(s, 0)->deadline_ms <= sh->now_ms) {
		struct h2_call *call = heap_at(s, 0);
		h2_deadline_remove(s, call);
		h2_call_on_deadline(call);
	}
	deadline_timer_arm(s);
}

/* ---- accepting ----------------------------------------------------------- */

static void arm_accept(struct h2_server *s)
{
	s->accept_armed = true;
	rt_accept_multishot(s->sh, &s->accept_op, s->listen_fd);
}

static void on_accept(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)sh;
	struct h2_server *s = container_of(op, struct h2_server, accept_op);
	if (res >= 0) {
		if (s->stopping || s->n_conns >= s->cfg.max_conns) {
			/* Over the limit: refuse at once rather than queue. */
			close(res);
			s->n_rejected++;
		} else {
			h2_conn_open(s, res);
		}
	}
	if (flags & IORING_CQE_F_MORE)
		return;
	s->accept_armed = false;
	if (s->stopping)
		return;
	if (res < 0 && res != -ECANCELED) {
		obs_warn("h2: accept failed", "\"shard\":%u,\"errno\":%d", s->sh->id, -res);
		rt_timer_arm(s->sh, &s->accept_retry, 50);
		return;
	}
	arm_accept(s);
}

static void on_accept_retry(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct h2_server *s = container_of(t, struct h2_server, accept_retry);
	if (!s->stopping && !s->accept_armed)
		arm_accept(s);
}

/* ---- server -------------------------------------------------------------- */

static void apply_defaults(struct h2_server_config *cfg)
{
	struct h2_limits *l = &cfg->limits;
	if (!l->max_concurrent_streams)
		l->max_concurrent_streams = H2_DEFAULT_MAX_STREAMS;
	if (!l->max_message_bytes)
		l->max_message_bytes = H2_DEFAULT_MAX_MESSAGE;
	if (!l->max_header_list_bytes)
		l->max_header_list_bytes = H2_DEFAULT_MAX_HEADER_LIST;
	if (!l->max_resets_per_second)
		l->max_resets_per_second = H2_DEFAULT_MAX_RESETS;
	if (!l->max_control_frames_per_second)
		l->max_control_frames_per_second = H2_DEFAULT_MAX_CONTROL;
	if (!l->idle_timeout_ms)
		l->idle_timeout_ms = H2_DEFAULT_IDLE_MS;
	if (!cfg->max_conns)
		cfg->max_conns = H2_DEFAULT_MAX_CONNS;
}

int h2_server_init(struct h2_server *s, struct rt_shard *sh, int listen_fd,
		   const struct h2_server_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->mem = h2_mem_new();
	if (!s->mem) {
		close(listen_fd);
		s->listen_fd = -1;
		return -ENOMEM;
	}
	s->sh = sh;
	s->cfg = *cfg;
	apply_defaults(&s->cfg);
	s->listen_fd = listen_fd;
	s->accept_op.complete = on_accept;
	rt_timer_init(&s->accept_retry, on_accept_retry);
	rt_timer_init(&s->deadline_timer, on_deadline_timer);
	int idle = s->cfg.limits.idle_timeout_ms;
	rt_deadline_list_init(sh, &s->idle_list, idle > 0 ? (uint64_t)idle : 0);
	rt_deadline_list_init(sh, &s->write_list, idle > 0 ? (uint64_t)idle : 0);
	arm_accept(s);
	return 0;
}

void h2_server_stop(struct h2_server *s)
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
	struct h2_conn *c = s->conns;
	while (c) {
		/* h2_conn_stop may close c, never another connection */
		struct h2_conn *next = c->next;
		h2_conn_stop(c);
		c = next;
	}
}

bool h2_server_drained(const struct h2_server *s)
{
	return s->n_conns == 0 && !s->accept_armed && s->n_held == 0;
}

void h2_server_fini(struct h2_server *s)
{
	/* Only what outlived the drain deadline is left; kernel operations
	 * die with the ring right after this. */
	while (s->conns)
		h2_conn_free_now(s->conns);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	h2_call_pool_fini(s);
	h2_mem_free(s->mem);
	s->mem = NULL;
	free(s->deadlines);
	s->deadlines = NULL;
	s->n_deadlines = s->cap_deadlines = 0;
}
