/*
 * One worker thread: an edge-triggered epoll loop over its own connections.
 * Open loop sends each arrival when it is due (or as soon as a connection is
 * free, its latency still counted from the due time); closed loop keeps each
 * connection's slots busy, with optional think time. Owns all socket I/O,
 * connects and reconnects, timers, timeouts and the worker's counters; the
 * protocol files only turn requests into bytes and bytes into outcomes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "run.h"

#define READ_BUF (256u * 1024)
#define EVENTS_MAX 256
/* Timeouts and the stop flag are looked at this often. */
#define HOUSEKEEP_NS (20u * 1000 * 1000)
#define PUBLISH_NS (250u * 1000 * 1000)
#define BACKOFF_MIN_NS (10u * 1000 * 1000)
#define BACKOFF_MAX_NS LG_NS_PER_S

atomic_bool lg_stop;

void lg_stats_init(struct lg_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (int k = 0; k < LG_KIND_COUNT; k++)
		lg_hist_init(&s->kind[k].hist);
	s->first_ns = UINT64_MAX;
}

void lg_stats_merge(struct lg_stats *dst, const struct lg_stats *src)
{
	for (int k = 0; k < LG_KIND_COUNT; k++) {
		struct lg_kind_stats *d = &dst->kind[k];
		const struct lg_kind_stats *s = &src->kind[k];

		d->sent += s->sent;
		d->done += s->done;
		d->ok += s->ok;
		for (int i = 0; i < LG_ST_COUNT; i++)
			d->status[i] += s->status[i];
		lg_hist_merge(&d->hist, &s->hist);
	}
	dst->unsent += src->unsent;
	if (src->backlog_max > dst->backlog_max)
		dst->backlog_max = src->backlog_max;
	dst->connects += src->connects;
	dst->conn_failures += src->conn_failures;
	if (src->first_ns < dst->first_ns)
		dst->first_ns = src->first_ns;
	if (src->last_ns > dst->last_ns)
		dst->last_ns = src->last_ns;
}

/* ---- timers: a binary min-heap on the due time ---- */

static void timer_swap(struct lg_timer *a, struct lg_timer *b)
{
	struct lg_timer t = *a;

	*a = *b;
	*b = t;
}

static int timer_push(struct lg_worker *w, uint64_t at, struct lg_conn *c, bool reconnect)
{
	uint32_t i;

	if (w->ntimers == w->timers_cap) {
		uint32_t cap = w->timers_cap ? w->timers_cap * 2 : 64;
		struct lg_timer *t = realloc(w->timers, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		w->timers = t;
		w->timers_cap = cap;
	}
	i = w->ntimers++;
	w->timers[i] = (struct lg_timer){ at, c->idx, c->gen, reconnect };
	while (i > 0 && w->timers[(i - 1) / 2].at > w->timers[i].at) {
		timer_swap(&w->timers[(i - 1) / 2], &w->timers[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct lg_timer timer_pop(struct lg_worker *w)
{
	struct lg_timer top = w->timers[0];
	uint32_t i = 0;

	w->timers[0] = w->timers[--w->ntimers];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < w->ntimers && w->timers[l].at < w->timers[m].at)
			m = l;
		if (r < w->ntimers && w->timers[r].at < w->timers[m].at)
			m = r;
		if (m == i)
			break;
		timer_swap(&w->timers[i], &w->timers[m]);
		i = m;
	}
	return top;
}

/* ---- the ready queue: connections that can take another request ---- */

static bool has_room(const struct lg_worker *w, const struct lg_conn *c)
{
	if (c->state != LG_CONN_OPEN || c->close_after || c->inflight >= c->depth)
		return false;
	return w->open_loop || c->want > 0;
}

static void ready_push(struct lg_worker *w, struct lg_conn *c)
{
	if (c->queued || !has_room(w, c))
		return;
	c->queued = true;
	w->ready[(w->ready_head + w->ready_count++) % w->nconns] = c->idx;
}

static struct lg_conn *ready_pop(struct lg_worker *w)
{
	while (w->ready_count > 0) {
		struct lg_conn *c = &w->conns[w->ready[w->ready_head]];

		w->ready_head = (w->ready_head + 1) % w->nconns;
		w->ready_count--;
		c->queued = false;
		if (has_room(w, c))
			return c;
	}
	return NULL;
}

void lg_conn_mark_dirty(struct lg_conn *c)
{
	if (!c->dirty) {
		c->dirty = true;
		c->w->dirty[c->w->ndirty++] = c->idx;
	}
}

/* ---- counting ---- */

void lg_worker_complete(struct lg_worker *w, struct lg_conn *c, const struct lg_req *r,
			int st, uint64_t now)
{
	struct lg_kind_stats *k = &w->stats->kind[r->kind];
	const struct lg_config *cfg = w->cfg;

	w->inflight--;
	if (r->record) {
		k->done++;
		k->status[st]++;
		if (lg_kind_ok((enum lg_kind)r->kind, st))
			k->ok++;
		if (st < LG_ST_CONN_ERROR)
			lg_hist_record(&k->hist, now - r->t0);
		w->stats->last_ns = now;
	}
	if (!w->open_loop) {
		uint32_t span = cfg->think_max_ms - cfg->think_min_ms;

		if (cfg->think_max_ms == 0) {
			c->want++;
		} else {
			uint64_t ms = cfg->think_min_ms + (span ? lg_rng_below(&w->rng, span + 1) : 0);

			if (timer_push(w, now + ms * 1000000, c, false) < 0)
				c->want++;
		}
	}
	ready_push(w, c);
}

/* ---- connections ---- */

static uint64_t backoff_ns(uint32_t fails)
{
	uint64_t ns = BACKOFF_MIN_NS;

	while (fails-- > 1 && ns < BACKOFF_MAX_NS)
		ns *= 2;
	return ns < BACKOFF_MAX_NS ? ns : BACKOFF_MAX_NS;
}

static void conn_connect(struct lg_worker *w, struct lg_conn *c);

/*
 * Drops the connection: what was in flight fails with st, and unless the run
 * is over a new connection follows (after a backoff when connecting fails).
 */
static void conn_close(struct lg_worker *w, struct lg_conn *c, int st, bool failed, uint64_t now)
{
	if (c->state == LG_CONN_DOWN)
		return;
	if (w->cfg->grpc && c->h2) {
		lg_h2c_fail_all(c, st, now);
		lg_h2c_close(c);
	} else if (!w->cfg->grpc) {
		lg_h1c_fail_all(c, st, now);
	}
	close(c->fd);
	c->fd = -1;
	c->gen++;
	c->state = LG_CONN_DOWN;
	c->close_after = false;
	buf_reset(&c->out);
	c->out_off = 0;
	buf_reset(&c->in);
	if (failed)
		c->fails++;
	if (w->stopping)
		return;
	if (c->fails == 0 || timer_push(w, now + backoff_ns(c->fails), c, true) < 0)
		conn_connect(w, c);
}

static int conn_opened(struct lg_worker *w, struct lg_conn *c)
{
	int rc = w->cfg->grpc ? lg_h2c_open(c) : lg_h1c_open(c);

	if (rc < 0)
		return rc;
	c->state = LG_CONN_OPEN;
	c->fails = 0;
	w->stats->connects++;
	ready_push(w, c);
	return 0;
}

static void conn_connect(struct lg_worker *w, struct lg_conn *c)
{
	const struct lg_config *cfg = w->cfg;
	struct epoll_event ev;
	int one = 1, fd;

	fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->state = LG_CONN_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)c->gen << 32 | c->idx;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail_fd;
	if (connect(fd, (const struct sockaddr *)&cfg->addr, cfg->addr_len) == 0) {
		if (conn_opened(w, c) < 0)
			goto fail_fd;
		return;
	}
	if (errno == EINPROGRESS)
		return;
fail_fd:
	close(fd);
	c->fd = -1;
fail:
	c->state = LG_CONN_DOWN;
	c->fails++;
	w->stats->conn_failures++;
	c->gen++;
	/* Without memory for a timer the connection stays down; the run goes on. */
	timer_push(w, lg_now() + backoff_ns(c->fails), c, true);
}

static void conn_flush(struct lg_worker *w, struct lg_conn *c, uint64_t now)
{
	ssize_t n;

	if (c->state != LG_CONN_OPEN)
		return;
	if (w->cfg->grpc && lg_h2c_flush(c) < 0) {
		conn_close(w, c, LG_ST_CONN_ERROR, false, now);
		return;
	}
	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;  /* the EPOLLOUT edge brings us back */
			conn_close(w, c, LG_ST_CONN_ERROR, false, now);
			return;
		}
		c->out_off += (size_t)n;
	}
	buf_reset(&c->out);
	c->out_off = 0;
	if (c->close_after && c->inflight == 0)
		conn_close(w, c, LG_ST_CONN_ERROR, false, now);
}

/* Feeds bytes to the protocol; HTTP/1 keeps what it could not parse yet. */
static int conn_input(struct lg_worker *w, struct lg_conn *c, char *p, size_t len, uint64_t now)
{
	int used;

	if (w->cfg->grpc)
		return lg_h2c_input(c, p, len) < 0 ? -EPROTO : 0;
	used = lg_h1c_input(c, p, len, now);
	if (used < 0)
		return used;
	if ((size_t)used < len && !c->close_after) {
		if (len - (size_t)used > LG_H1_HEAD_MAX)
			return -EPROTO;
		buf_append(&c->in, p + used, len - (size_t)used);
	}
	return 0;
}

static void conn_readable(struct lg_worker *w, struct lg_conn *c, uint64_t now)
{
	size_t keep;
	ssize_t n;

	for (;;) {
		/* Unparsed bytes of the last read go first (at most a head). */
		keep = c->in.len;
		if (keep)
			memcpy(w->rbuf, c->in.data, keep);
		buf_reset(&c->in);
		n = recv(c->fd, w->rbuf + keep, READ_BUF, 0);
		if (n < 0 && errno == EINTR) {
			buf_append(&c->in, w->rbuf, keep);
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			buf_append(&c->in, w->rbuf, keep);
			return;
		}
		if (n <= 0) {
			if (n == 0 && !w->cfg->grpc && keep == 0 &&
			    (c->inflight == 0 || lg_h1c_eof(c, now) == 0)) {
				/* A clean close between (or ending) responses. */
				conn_close(w, c, LG_ST_CONN_ERROR, false, now);
			} else {
				/* Reset, or closed mid-response: back off before retrying. */
				conn_close(w, c, LG_ST_CONN_ERROR, n < 0 || c->inflight > 0, now);
			}
			return;
		}
		if (conn_input(w, c, w->rbuf, keep + (size_t)n, now) < 0) {
			conn_close(w, c, LG_ST_PROTO, false, now);
			return;
		}
		if (c->close_after && c->inflight == 0) {
			conn_close(w, c, LG_ST_CONN_ERROR, false, now);
			return;
		}
		if ((size_t)n < READ_BUF)
			return;  /* drained: the next arrival raises a new edge */
	}
}

static void on_event(struct lg_worker *w, const struct epoll_event *ev, uint64_t now)
{
	struct lg_conn *c = &w->conns[(uint32_t)ev->data.u64];
	int err = 0;
	socklen_t len = sizeof(err);

	if ((uint32_t)(ev->data.u64 >> 32) != c->gen || c->state == LG_CONN_DOWN)
		return;  /* an event for a socket closed earlier in this batch */
	if (c->state == LG_CONN_CONNECTING) {
		if (!(ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0 ||
		    conn_opened(w, c) < 0) {
			w->stats->conn_failures++;
			conn_close(w, c, LG_ST_CONN_ERROR, true, now);
			return;
		}
	}
	if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_readable(w, c, now);
	if (c->state == LG_CONN_OPEN && (ev->events & EPOLLOUT) && c->out_off < c->out.len)
		lg_conn_mark_dirty(c);
}

/* ---- issuing requests ---- */

static int issue(struct lg_worker *w, struct lg_conn *c, uint64_t t0, uint64_t now)
{
	struct lg_req r = { t0, now, 0, t0 >= w->warm_ns };
	struct lg_pick p;
	int rc = 0;

	lg_scenario_pick(w, c, &p);
	r.kind = (uint8_t)p.kind;
	if (w->cfg->grpc)
		rc = lg_h2c_send(c, &p, &r);
	else
		lg_h1c_send(c, &p, &r);
	if (rc < 0)
		return rc;
	w->inflight++;
	if (r.record) {
		w->stats->kind[p.kind].sent++;
		if (now < w->stats->first_ns)
			w->stats->first_ns = now;
	}
	return 0;
}

static void dispatch_open(struct lg_worker *w, uint64_t now)
{
	uint64_t due = lg_sched_due(&w->sched, now), backlog;
	struct lg_conn *c;

	while (w->next_k < due && (c = ready_pop(w)) != NULL) {
		if (issue(w, c, lg_sched_at(&w->sched, w->next_k), now) < 0)
			break;
		w->next_k++;
		ready_push(w, c);
	}
	backlog = due - w->next_k;
	if (backlog > w->stats->backlog_max && lg_sched_at(&w->sched, w->next_k) >= w->warm_ns)
		w->stats->backlog_max = backlog;
}

static void dispatch_closed(struct lg_worker *w, uint64_t now)
{
	struct lg_conn *c;

	if (now < w->start_ns)
		return;  /* connections are still being opened */
	while (w->quota > 0 && (c = ready_pop(w)) != NULL) {
		while (c->want > 0 && w->quota > 0 && c->inflight < c->depth) {
			if (issue(w, c, now, now) < 0)
				break;
			c->want--;
			w->quota--;
		}
	}
}

/* ---- the loop ---- */

static void run_timers(struct lg_worker *w, uint64_t now)
{
	while (w->ntimers > 0 && w->timers[0].at <= now) {
		struct lg_timer t = timer_pop(w);
		struct lg_conn *c = &w->conns[t.conn];

		if (!t.reconnect) {
			c->want++;
			ready_push(w, c);
		} else if (t.gen == c->gen && c->state == LG_CONN_DOWN && !w->stopping) {
			conn_connect(w, c);
		}
	}
}

static void expire(struct lg_worker *w, uint64_t now)
{
	uint64_t limit = (uint64_t)w->cfg->timeout_ms * 1000000;

	for (uint32_t i = 0; i < w->nconns; i++) {
		struct lg_conn *c = &w->conns[i];

		if (c->state != LG_CONN_OPEN || c->inflight == 0)
			continue;
		if (w->cfg->grpc)
			lg_h2c_expire(c, now, limit);
		else if (now - lg_h1c_oldest(c) >= limit)
			conn_close(w, c, LG_ST_TIMEOUT, false, now);
	}
}

static void publish(struct lg_worker *w, uint64_t now)
{
	pthread_mutex_lock(&w->pub_lock);
	memcpy(w->pub, w->stats, sizeof(*w->pub));
	pthread_mutex_unlock(&w->pub_lock);
	w->pub_at = now + PUBLISH_NS;
}

/* Stop issuing: the end of the window, the request count, or SIGINT. */
static void maybe_stop(struct lg_worker *w, uint64_t now)
{
	bool done_issuing = w->open_loop ? w->next_k >= w->sched.limit : w->quota == 0;

	if (!w->stopping && (now >= w->end_ns || atomic_load(&lg_stop))) {
		w->stopping = true;
		w->deadline_ns = now + (uint64_t)w->cfg->timeout_ms * 1000000;
		if (w->open_loop) {
			/* Arrivals due before the stop may still go out until the deadline. */
			w->sched.limit = lg_sched_due(&w->sched, now < w->end_ns ? now : w->end_ns);
		}
		w->quota = 0;
	} else if (!w->stopping && done_issuing) {
		w->stopping = true;
		w->deadline_ns = UINT64_MAX;
	}
}

static uint64_t next_wake(const struct lg_worker *w, uint64_t now)
{
	uint64_t at = now + HOUSEKEEP_NS;

	if (w->open_loop && w->next_k < w->sched.limit && w->ready_count > 0) {
		uint64_t due = lg_sched_at(&w->sched, w->next_k);

		if (due < at)
			at = due;
	}
	if (!w->open_loop && now < w->start_ns && w->start_ns < at)
		at = w->start_ns;
	if (w->ntimers > 0 && w->timers[0].at < at)
		at = w->timers[0].at;
	if (w->pub_at < at)
		at = w->pub_at;
	return at > now ? at - now : 0;
}

static bool finished(const struct lg_worker *w, uint64_t now)
{
	bool issuing_left = w->open_loop ? w->next_k < w->sched.limit : w->quota > 0;

	if (!w->stopping)
		return false;
	if (now >= w->deadline_ns)
		return true;
	return w->inflight == 0 && !issuing_left;
}

static void flush_dirty(struct lg_worker *w, uint64_t now)
{
	/* conn_flush may close a connection, which marks nothing dirty. */
	for (uint32_t i = 0; i < w->ndirty; i++) {
		struct lg_conn *c = &w->conns[w->dirty[i]];

		c->dirty = false;
		conn_flush(w, c, now);
	}
	w->ndirty = 0;
}

static void drain_end(struct lg_worker *w, uint64_t now)
{
	if (w->open_loop && w->next_k < w->sched.limit) {
		for (uint64_t k = w->next_k; k < w->sched.limit; k++)
			if (lg_sched_at(&w->sched, k) >= w->warm_ns)
				w->stats->unsent++;
	}
	for (uint32_t i = 0; i < w->nconns; i++)
		conn_close(w, &w->conns[i], LG_ST_TIMEOUT, false, now);
}

void *lg_worker_main(void *arg)
{
	struct lg_worker *w = arg;
	struct epoll_event evs[EVENTS_MAX];
	uint64_t now = lg_now(), housekeep = now;

	for (uint32_t i = 0; i < w->nconns; i++)
		conn_connect(w, &w->conns[i]);
	for (;;) {
		uint64_t wait_ns = next_wake(w, now);
		struct timespec ts = { (time_t)(wait_ns / LG_NS_PER_S), (long)(wait_ns % LG_NS_PER_S) };
		int n = epoll_pwait2(w->epfd, evs, EVENTS_MAX, &ts, NULL);

		now = lg_now();
		for (int i = 0; i < n; i++)
			on_event(w, &evs[i], now);
		run_timers(w, now);
		if (now >= housekeep) {
			expire(w, now);
			housekeep = now + HOUSEKEEP_NS;
		}
		maybe_stop(w, now);
		if (w->open_loop)
			dispatch_open(w, now);
		else
			dispatch_closed(w, now);
		flush_dirty(w, now);
		if (now >= w->pub_at)
			publish(w, now);
		if (finished(w, now))
			break;
	}
	w->stopping = true;
	drain_end(w, now);
	publish(w, now);
	atomic_store(&w->finished, true);
	return NULL;
}

int lg_worker_init(struct lg_worker *w, const struct lg_config *cfg, uint32_t index,
		   uint64_t start_ns)
{
	uint64_t end = cfg->duration_s > 0 ?
		start_ns + (uint64_t)((cfg->warmup_s + cfg->duration_s) * 1e9) : UINT64_MAX;
	uint32_t depth = cfg->grpc ? cfg->streams : cfg->pipeline;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->index = index;
	w->epfd = -1;
	w->rng.s = cfg->seed * 0x100000001b3u + index + 1;
	w->nconns = (uint32_t)lg_split(cfg->connections, cfg->threads, index);
	w->start_ns = start_ns;
	w->warm_ns = start_ns + (uint64_t)(cfg->warmup_s * 1e9);
	w->end_ns = end;
	w->deadline_ns = UINT64_MAX;
	w->open_loop = cfg->rate > 0;
	w->quota = cfg->requests == UINT64_MAX ? UINT64_MAX :
		lg_split(cfg->requests, cfg->threads, index);
	w->pub_at = start_ns + PUBLISH_NS;
	pthread_mutex_init(&w->pub_lock, NULL);
	if (w->open_loop &&
	    lg_sched_init(&w->sched, cfg->rate, cfg->threads, index, start_ns, end,
			  cfg->requests) < 0)
		return -EINVAL;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->conns = calloc(w->nconns, sizeof(*w->conns));
	w->ready = calloc(w->nconns, sizeof(*w->ready));
	w->dirty = calloc(w->nconns, sizeof(*w->dirty));
	w->stats = malloc(sizeof(*w->stats));
	w->pub = malloc(sizeof(*w->pub));
	w->rbuf = malloc(READ_BUF + LG_H1_HEAD_MAX);
	if (w->epfd < 0 || !w->conns || !w->ready || !w->dirty || !w->stats || !w->pub || !w->rbuf)
		return -ENOMEM;
	if (cfg->grpc && lg_h2c_callbacks_new(&w->h2_callbacks) < 0)
		return -ENOMEM;
	lg_stats_init(w->stats);
	lg_stats_init(w->pub);
	for (uint32_t i = 0; i < w->nconns; i++) {
		struct lg_conn *c = &w->conns[i];

		c->w = w;
		c->idx = i;
		c->fd = -1;
		c->depth = depth;
		c->want = w->open_loop ? 0 : depth;
		buf_init(&c->out);
		buf_init(&c->in);
	}
	return 0;
}

void lg_worker_fini(struct lg_worker *w)
{
	for (uint32_t i = 0; w->conns && i < w->nconns; i++) {
		struct lg_conn *c = &w->conns[i];

		if (c->fd >= 0)
			close(c->fd);
		if (c->h2)
			lg_h2c_close(c);
		lg_h1c_free(c);
		lg_h2c_free(c);
		buf_fini(&c->out);
		buf_fini(&c->in);
	}
	if (w->h2_callbacks)
		nghttp2_session_callbacks_del(w->h2_callbacks);
	if (w->epfd >= 0)
		close(w->epfd);
	pthread_mutex_destroy(&w->pub_lock);
	free(w->conns);
	free(w->ready);
	free(w->dirty);
	free(w->stats);
	free(w->pub);
	free(w->rbuf);
	free(w->timers);
}
