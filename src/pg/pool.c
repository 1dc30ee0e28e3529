/*
 * Per-shard connections reserved for multi-round-trip transactions; see
 * db.h. Shard thread only.
 */
#include <errno.h>
#include <string.h>

#include "challenged/db.h"

int db_pool_init(struct db_pool *p, struct rt_shard *sh, const char *conninfo, unsigned n)
{
	memset(p, 0, sizeof(*p));
	p->n = n > DB_POOL_MAX ? DB_POOL_MAX : n;
	p->max_waiting = 4096;
	for (unsigned i = 0; i < p->n; i++) {
		int ret = db_conn_init(&p->conns[i], sh, conninfo);
		if (ret < 0) {
			p->n = i;
			return ret;
		}
	}
	return 0;
}

void db_pool_fini(struct db_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		db_conn_fini(&p->conns[i]);
	p->n = 0;
}

void db_pool_flush(struct db_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		db_conn_flush(&p->conns[i]);
}

bool db_pool_idle(const struct db_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->busy[i] || !db_conn_idle(&p->conns[i]))
			return false;
	return p->head == NULL;
}

static int free_ready(struct db_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!p->busy[i] && db_conn_ready(&p->conns[i]))
			return (int)i;
	return -1;
}

static bool any_ready(const struct db_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (db_conn_ready(&p->conns[i]))
			return true;
	return false;
}

int db_pool_acquire(struct db_pool *p, struct db_waiter *w)
{
	if (!any_ready(p))
		return -ENOTCONN;
	int i = free_ready(p);
	if (i >= 0 && !p->head) {
		p->busy[i] = true;
		w->ready(w, &p->conns[i]);
		return 0;
	}
	if (p->waiting >= p->max_waiting)
		return -EBUSY;
	w->next = NULL;
	if (p->tail)
		p->tail->next = w;
	else
		p->head = w;
	p->tail = w;
	p->waiting++;
	return 0;
}

void db_pool_cancel(struct db_pool *p, struct db_waiter *w)
{
	struct db_waiter **pp = &p->head, *prev = NULL;
	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (p->tail == w)
		p->tail = prev;
	p->waiting--;
}

void db_pool_release(struct db_pool *p, struct db_conn *c)
{
	unsigned i = (unsigned)(c - p->conns);
	p->busy[i] = false;
	/* Hand it on while it is usable; waiters on a dead pool time out. */
	while (p->head && db_conn_ready(c) && !p->busy[i]) {
		struct db_waiter *w = p->head;
		p->head = w->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting--;
		p->busy[i] = true;
		w->ready(w, c);
	}
}
