/*
 * Per-shard name resolution. getaddrinfo blocks, so it runs on one helper
 * thread per resolver (started on the first name that needs it). Requests
 * reach the helper through a mutex+condvar queue; answers come back on a
 * done list and an eventfd write, which a poll on the shard's ring turns
 * into callbacks on the shard. The shard thread itself never blocks here,
 * except in client_dns_free, which joins the helper.
 *
 * The poll's rt_op lives in a small "watch" that outlives its resolver when
 * freed with the poll in flight: the late completion frees the watch, and a
 * watch whose completion never comes (the ring was torn down) is released
 * when its shard thread exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "challenged/common.h"
#include "dns.h"

/* RFC 1035 limits a name to 253 characters in text form. */
#define HOST_MAX 253
/* "lookup " + host + ": " + the resolver's text. */
#define WHY_MAX (HOST_MAX + 128)
/* Outbound calls go to a handful of hosts; this only bounds the worst case. */
#define CACHE_MAX 64

struct answer {
	int err;
	socklen_t addr_len;
	struct sockaddr_storage addr; /* port 0 */
	char why[WHY_MAX];
};

struct client_dns_query {
	struct client_dns_query *next;
	client_dns_fn *done;            /* NULL once cancelled */
	void *ctx;
	uint16_t port;
	struct answer ans;              /* queries answered without the helper */
};

/* One name on its way through the helper, shared by every query for it. */
struct lookup {
	struct lookup *qnext;           /* request queue or done list, under lock */
	struct lookup *prev, *next;     /* the shard's in-flight list */
	struct client_dns_query *wait_head, *wait_tail;
	struct answer ans;              /* written by the helper */
	char host[];
};

struct cache_entry {
	struct cache_entry *next;
	uint64_t expires_ms;
	struct answer ans;
	char host[];
};

struct watch {
	struct rt_op op;
	struct client_dns *d;           /* NULL once orphaned by client_dns_free */
	struct watch *prev, *next;      /* this thread's orphans */
	int fd;
	bool armed;
};

struct client_dns {
	struct rt_shard *sh;
	unsigned ttl_ms;
	int efd;
	struct watch *w;

	/* shard thread only */
	struct lookup *inflight;        /* queued, running or done, not yet delivered */
	struct client_dns_query *ready_head, *ready_tail;
	struct cache_entry *cache;
	unsigned n_cache;
	unsigned n_queries;
	unsigned long lookups;
	bool kicked;                    /* efd written for the ready list */
	bool dispatching;               /* inside on_watch: defer the free */
	bool closing;

	/* shared with the helper */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct lookup *req_head, *req_tail;
	struct lookup *done_head, *done_tail;
	bool quit;
	bool thread_started;
	pthread_t thread;
};

/* ---- orphaned watches ------------------------------------------------- */

/* The list head is the thread-specific value, so the key's destructor gets
 * it at thread exit, after the shard has torn down its ring. */
static pthread_once_t orphan_once = PTHREAD_ONCE_INIT;
static pthread_key_t orphan_key;
static bool orphan_key_ok;

static void orphans_release(void *head)
{
	struct watch *w = head;
	while (w) {
		struct watch *next = w->next;
		close(w->fd);
		free(w);
		w = next;
	}
}

static void orphan_key_create(void)
{
	orphan_key_ok = pthread_key_create(&orphan_key, orphans_release) == 0;
}

static void orphan_add(struct watch *w)
{
	pthread_once(&orphan_once, orphan_key_create);
	w->prev = NULL;
	w->next = NULL;
	if (!orphan_key_ok)
		return; /* only a shard exit with the poll in flight leaks it */
	struct watch *head = pthread_getspecific(orphan_key);
	w->next = head;
	if (pthread_setspecific(orphan_key, w) != 0) {
		w->next = NULL;
		return;
	}
	if (head)
		head->prev = w;
}

static void orphan_remove(struct watch *w)
{
	if (!orphan_key_ok)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else if (pthread_getspecific(orphan_key) == w)
		pthread_setspecific(orphan_key, w->next);
	if (w->next)
		w->next->prev = w->prev;
}

/* ---- the helper thread ------------------------------------------------ */

static int map_gai_error(int rc, int sys_errno)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return -ENOENT;
	case EAI_AGAIN:
	case EAI_FAIL:
		return -EHOSTUNREACH;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return sys_errno > 0 ? -sys_errno : -EIO;
	default:
		return -EINVAL;
	}
}

static void answer_fail(struct answer *a, const char *host, int err, const char *text)
{
	a->err = err;
	a->addr_len = 0;
	snprintf(a->why, sizeof(a->why), "lookup %s: %s", host, text);
}

static void run_lookup(struct lookup *lk)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		/* no AI_ADDRCONFIG: "localhost" must resolve without a network */
	};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(lk->host, NULL, &hints, &res);
	if (rc != 0) {
		int e = errno;
		char buf[96];
		const char *text = rc == EAI_SYSTEM ? strerror_r(e, buf, sizeof(buf)) : gai_strerror(rc);
		answer_fail(&lk->ans, lk->host, map_gai_error(rc, e), text);
		return;
	}
	const struct addrinfo *pick = NULL;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
		if (ai->ai_family == AF_INET6 && !pick)
			pick = ai;
	}
	if (pick && pick->ai_addrlen <= sizeof(lk->ans.addr)) {
		lk->ans.err = 0;
		lk->ans.addr_len = pick->ai_addrlen;
		memcpy(&lk->ans.addr, pick->ai_addr, pick->ai_addrlen);
		lk->ans.why[0] = '\0';
	} else {
		answer_fail(&lk->ans, lk->host, -ENOENT, "no IPv4 or IPv6 address");
	}
	freeaddrinfo(res);
}

static void *helper_main(void *arg)
{
	struct client_dns *d = arg;
	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->quit && !d->req_head)
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->quit)
			break;
		struct lookup *lk = d->req_head;
		d->req_head = lk->qnext;
		if (!d->req_head)
			d->req_tail = NULL;
		pthread_mutex_unlock(&d->lock);

		run_lookup(lk);

		pthread_mutex_lock(&d->lock);
		lk->qnext = NULL;
		if (d->done_tail)
			d->done_tail->qnext = lk;
		else
			d->done_head = lk;
		d->done_tail = lk;
		/* efd stays open until client_dns_free has joined us. */
		uint64_t one = 1;
		ssize_t wr = write(d->efd, &one, sizeof(one));
		(void)wr;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static int helper_start(struct client_dns *d)
{
	/* Signals belong to the main thread, not to a thread stuck in a
	 * lookup. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&d->thread, NULL, helper_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -EAGAIN;
	char name[16];
	snprintf(name, sizeof(name), "dns-%u", d->sh->id);
	pthread_setname_np(d->thread, name);
	d->thread_started = true;
	return 0;
}

/* ---- the cache -------------------------------------------------------- */

static struct cache_entry *cache_find(struct client_dns *d, const char *host)
{
	for (struct cache_entry *e = d->cache; e; e = e->next)
		if (strcasecmp(e->host, host) == 0)
			return e;
	return NULL;
}

/* Makes room when full: expired entries first, else the one expiring
 * soonest. */
static void cache_evict(struct client_dns *d)
{
	uint64_t now = d->sh->now_ms;
	struct cache_entry **pp = &d->cache, **soonest = NULL;
	while (*pp) {
		struct cache_entry *e = *pp;
		if (e->expires_ms <= now) {
			*pp = e->next;
			free(e);
			d->n_cache--;
			continue;
		}
		if (!soonest || e->expires_ms < (*soonest)->expires_ms)
			soonest = pp;
		pp = &e->next;
	}
	if (d->n_cache >= CACHE_MAX && soonest) {
		struct cache_entry *e = *soonest;
		*soonest = e->next;
		free(e);
		d->n_cache--;
	}
}

static void cache_put(struct client_dns *d, const char *host, const struct answer *a)
{
	if (a->err == -ENOMEM)
		return; /* says nothing about the name */
	unsigned ttl = a->err ? MIN(d->ttl_ms, CLIENT_DNS_FAIL_TTL_MS) : d->ttl_ms;
	struct cache_entry *e = cache_find(d, host);
	if (!e) {
		if (ttl == 0)
			return;
		if (d->n_cache >= CACHE_MAX)
			cache_evict(d);
		size_t len = strlen(host);
		e = malloc(sizeof(*e) + len + 1);
		if (!e)
			return;
		memcpy(e->host, host, len + 1);
		e->next = d->cache;
		d->cache = e;
		d->n_cache++;
	}
	e->ans = *a;
	e->expires_ms = d->sh->now_ms + ttl;
}

static void cache_clear(struct client_dns *d)
{
	while (d->cache) {
		struct cache_entry *e = d->cache;
		d->cache = e->next;
		free(e);
	}
	d->n_cache = 0;
}

/* ---- delivery on the shard -------------------------------------------- */

static void arm(struct client_dns *d)
{
	if (d->w->armed)
		return;
	rt_poll(d->sh, &d->w->op, d->efd, POLLIN, false);
	d->w->armed = true;
}

/* Wakes our own poll for answers that need no helper: they still complete
 * on a later loop turn, never inside client_dns_resolve. */
static void kick(struct client_dns *d)
{
	if (!d->kicked) {
		uint64_t one = 1;
		ssize_t wr = write(d->efd, &one, sizeof(one));
		(void)wr;
		d->kicked = true;
	}
	arm(d);
}

static void deliver(struct client_dns *d, struct client_dns_query *q, const struct answer *a)
{
	if (q->done && !d->closing) {
		if (a->err) {
			q->done(q->ctx, a->err, a->why, NULL, 0);
		} else {
			struct sockaddr_storage ss;
			memcpy(&ss, &a->addr, a->addr_len);
			if (ss.ss_family == AF_INET)
				((struct sockaddr_in *)&ss)->sin_port = htons(q->port);
			else
				((struct sockaddr_in6 *)&ss)->sin6_port = htons(q->port);
			q->done(q->ctx, 0, NULL, (const struct sockaddr *)&ss, a->addr_len);
		}
	}
	free(q);
	d->n_queries--;
}

static void inflight_remove(struct client_dns *d, struct lookup *lk)
{
	if (lk->prev)
		lk->prev->next = lk->next;
	else
		d->inflight = lk->next;
	if (lk->next)
		lk->next->prev = lk->prev;
}

static void lookup_free(struct client_dns *d, struct lookup *lk, bool answer)
{
	while (lk->wait_head) {
		struct client_dns_query *q = lk->wait_head;
		lk->wait_head = q->next;
		if (answer) {
			deliver(d, q, &lk->ans);
		} else {
			free(q);
			d->n_queries--;
		}
	}
	free(lk);
}

static void destroy(struct client_dns *d)
{
	pthread_mutex_lock(&d->lock);
	d->quit = true;
	d->req_head = d->req_tail = NULL;
	d->done_head = d->done_tail = NULL;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (d->thread_started)
		pthread_join(d->thread, NULL);

	/* Every lookup, whatever list it was on, is still in flight here. */
	while (d->inflight) {
		struct lookup *lk = d->inflight;
		inflight_remove(d, lk);
		lookup_free(d, lk, false);
	}
	while (d->ready_head) {
		struct client_dns_query *q = d->ready_head;
		d->ready_head = q->next;
		free(q);
	}
	struct watch *w = d->w;
	if (w->armed) {
		w->d = NULL;
		rt_cancel(d->sh, &w->op);
		orphan_add(w);
	} else {
		close(w->fd);
		free(w);
	}
	cache_clear(d);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static void on_watch(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)sh, (void)res, (void)flags;
	struct watch *w = container_of(op, struct watch, op);
	w->armed = false;
	struct client_dns *d = w->d;
	if (!d) {
		orphan_remove(w);
		close(w->fd);
		free(w);
		return;
	}
	/* Reset the counter before taking the lists: a write after this
	 * point wakes the next poll. */
	uint64_t v;
	ssize_t rd = read(d->efd, &v, sizeof(v));
	(void)rd;
	d->kicked = false;

	pthread_mutex_lock(&d->lock);
	struct lookup *done = d->done_head;
	d->done_head = d->done_tail = NULL;
	pthread_mutex_unlock(&d->lock);
	struct client_dns_query *ready = d->ready_head;
	d->ready_head = d->ready_tail = NULL;

	/* Callbacks may resolve again, cancel, or free d: queries they add
	 * wait for the next wake-up, and a free waits for the end of this. */
	d->dispatching = true;
	while (done) {
		struct lookup *lk = done;
		done = lk->qnext;
		inflight_remove(d, lk);
		cache_put(d, lk->host, &lk->ans);
		lookup_free(d, lk, true);
	}
	while (ready) {
		struct client_dns_query *q = ready;
		ready = q->next;
		deliver(d, q, &q->ans);
	}
	d->dispatching = false;
	if (d->closing) {
		destroy(d);
		return;
	}
	if (d->inflight || d->ready_head)
		arm(d);
}

/* ---- the interface ---------------------------------------------------- */

struct client_dns *client_dns_new(struct rt_shard *sh, unsigned ttl_ms)
{
	struct client_dns *d = calloc(1, sizeof(*d));
	struct watch *w = calloc(1, sizeof(*w));
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!d || !w || fd < 0)
		goto fail;
	d->sh = sh;
	d->ttl_ms = ttl_ms;
	d->efd = fd;
	d->w = w;
	w->op.complete = on_watch;
	w->d = d;
	w->fd = fd;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	return d;
fail:
	if (fd >= 0)
		close(fd);
	free(w);
	free(d);
	return NULL;
}

void client_dns_free(struct client_dns *d)
{
	if (!d)
		return;
	if (d->dispatching) {
		d->closing = true;
		return;
	}
	destroy(d);
}

unsigned long client_dns_lookups(const struct client_dns *d)
{
	return d->lookups;
}

void client_dns_cancel(struct client_dns_query *q)
{
	/* The query stays queued (the lists are singly linked) and is
	 * dropped silently when its answer comes. */
	if (q)
		q->done = NULL;
}

/* Printable ASCII without spaces: anything else is no host name, and
 * naming it in a log line would be unsafe. */
static bool host_ok(const char *host, size_t len)
{
	if (len == 0 || len > HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (host[i] <= ' ' || host[i] > '~')
			return false;
	return true;
}

static bool parse_literal(const char *name, struct answer *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	if (inet_pton(AF_INET, name, &sin.sin_addr) == 1) {
		memcpy(&a->addr, &sin, sizeof(sin));
		a->addr_len = sizeof(sin);
	} else if (inet_pton(AF_INET6, name, &sin6.sin6_addr) == 1) {
		memcpy(&a->addr, &sin6, sizeof(sin6));
		a->addr_len = sizeof(sin6);
	} else {
		return false;
	}
	a->err = 0;
	a->why[0] = '\0';
	return true;
}

static void make_ready(struct client_dns *d, struct client_dns_query *q)
{
	if (d->ready_tail)
		d->ready_tail->next = q;
	else
		d->ready_head = q;
	d->ready_tail = q;
	kick(d);
}

static struct lookup *inflight_find(struct client_dns *d, const char *name)
{
	for (struct lookup *lk = d->inflight; lk; lk = lk->next)
		if (strcasecmp(lk->host, name) == 0)
			return lk;
	return NULL;
}

/* A new lookup for the helper, or NULL with *err set. */
static struct lookup *lookup_start(struct client_dns *d, const char *name, int *err)
{
	size_t len = strlen(name);
	struct lookup *lk = calloc(1, sizeof(*lk) + len + 1);
	if (!lk) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(lk->host, name, len + 1);
	if (!d->thread_started && (*err = helper_start(d)) < 0) {
		free(lk);
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	if (d->req_tail)
		d->req_tail->qnext = lk;
	else
		d->req_head = lk;
	d->req_tail = lk;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);

	lk->next = d->inflight;
	if (d->inflight)
		d->inflight->prev = lk;
	d->inflight = lk;
	d->lookups++;
	arm(d);
	return lk;
}

int client_dns_resolve(struct client_dns *d, const char *host, uint16_t port, client_dns_fn *done,
		       void *ctx, struct client_dns_query **q_out)
{
	if (d->n_queries >= CLIENT_DNS_MAX_PENDING)
		return -EAGAIN;
	struct client_dns_query *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->done = done;
	q->ctx = ctx;
	q->port = port;

	/* "[::1]" as in a URL is the literal ::1. */
	char name[HOST_MAX + 1];
	size_t len = host ? strlen(host) : 0;
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (!host_ok(host, len)) {
		q->ans.err = -EINVAL;
		snprintf(q->ans.why, sizeof(q->ans.why), "lookup: invalid host name");
		make_ready(d, q);
		goto queued;
	}
	memcpy(name, host, len);
	name[len] = '\0';

	struct cache_entry *e;
	struct lookup *lk;
	if (parse_literal(name, &q->ans)) {
		make_ready(d, q);
	} else if ((e = cache_find(d, name)) && e->expires_ms > d->sh->now_ms) {
		q->ans = e->ans;
		make_ready(d, q);
	} else if ((lk = inflight_find(d, name)) != NULL) {
		lk->wait_tail->next = q;
		lk->wait_tail = q;
	} else {
		int err = 0;
		lk = lookup_start(d, name, &err);
		if (!lk) {
			free(q);
			return err;
		}
		lk->wait_head = lk->wait_tail = q;
	}
queued:
	d->n_queries++;
	if (q_out)
		*q_out = q;
	return 0;
}
