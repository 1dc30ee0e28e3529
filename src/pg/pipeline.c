/*
 * One shard's libpq connection in non-blocking pipeline mode, driven by
 * polls on the shard's ring: connect (PQconnectPoll), prepare every
 * statement, then send statements as callers ask and hand each result to its
 * caller in order. Shard thread only; nothing here blocks.
 *
 * Each connection attempt is a db_link that owns its poll operations. A
 * dead link lingers until its last poll completion arrived, so a late
 * completion never touches a newer connection that reused the fd number.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "challenged/common.h"
#include "challenged/db.h"
#include "challenged/obs.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000

enum item_kind { ITEM_PREPARE, ITEM_STATEMENT, ITEM_SYNC };

/* What one caller sent: n statements closed by one sync, so they run as
 * one implicit transaction and fail together. */
struct db_query {
	void *ctx;
	db_step_fn *step;        /* NULL once abandoned */
	db_done_fn *done;
	db_result_fn *single;    /* db_query_send's callback, via single_step */
	void *ctx_single;
	int n;
	enum db_error first_err;
	char first_msg[256];
	uint64_t sent_us;
};

/* One expected answer in the pipeline, in send order. */
struct db_item {
	struct db_item *next;
	enum item_kind kind;
	int index;               /* statement index within its query */
	bool answered;           /* a result was handed to the caller */
	struct db_query *q;      /* NULL for ITEM_PREPARE / the prepare sync */
};

struct db_link {
	struct db_conn *conn;   /* NULL once dead */
	PGconn *pg;
	int fd;
	struct rt_op rd, wr;
	bool rd_armed, wr_armed;
	bool connected;         /* PQconnectPoll finished */
};

static const struct db_statement *statements;
static size_t n_statements;

void db_statements_set(const struct db_statement *stmts, size_t n)
{
	statements = stmts;
	n_statements = n;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void link_maybe_free(struct db_link *l)
{
	if (!l->conn && !l->rd_armed && !l->wr_armed)
		free(l);
}

static void record_error(struct db_query *q, enum db_error err, const char *msg)
{
	if (q->first_err != DB_OK)
		return;
	q->first_err = err;
	snprintf(q->first_msg, sizeof(q->first_msg), "%s", msg ? msg : "");
	size_t n = strlen(q->first_msg);
	while (n && (q->first_msg[n - 1] == '\n' || q->first_msg[n - 1] == ' '))
		q->first_msg[--n] = '\0';
}

static void step(struct db_item *it, PGresult *res, enum db_error err, const char *msg)
{
	if (it->answered)
		return;
	it->answered = true;
	if (err != DB_OK)
		record_error(it->q, err, msg);
	if (it->q->step)
		it->q->step(it->q->ctx, it->index, res, err, msg);
}

static void finish(struct db_query *q)
{
	if (q->done)
		q->done(q->ctx, q->first_err, q->first_err == DB_OK ? NULL : q->first_msg);
	free(q);
}

static void queue_push(struct db_conn *c, struct db_item *it)
{
	it->next = NULL;
	if (c->tail)
		c->tail->next = it;
	else
		c->head = it;
	c->tail = it;
	c->depth++;
}

static struct db_item *queue_pop(struct db_conn *c)
{
	struct db_item *it = c->head;
	if (!it)
		return NULL;
	c->head = it->next;
	if (!c->head)
		c->tail = NULL;
	c->depth--;
	return it;
}

static void fail_pending(struct db_conn *c, const char *why)
{
	struct db_item *it;
	while ((it = queue_pop(c)) != NULL) {
		if (it->kind == ITEM_STATEMENT)
			step(it, NULL, DB_ERR_UNAVAILABLE, why);
		else if (it->kind == ITEM_SYNC && it->q)
			finish(it->q);
		free(it);
	}
}

static void schedule_retry(struct db_conn *c)
{
	if (c->stopping)
		return;
	c->backoff_ms = c->backoff_ms ? (c->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->backoff_ms * 2) : RETRY_MIN_MS;
	rt_timer_arm(c->sh, &c->retry, c->backoff_ms);
}

/* Drops the current link: pending callers get DB_ERR_UNAVAILABLE. */
static void connection_lost(struct db_conn *c, const char *why)
{
	struct db_link *l = c->link;
	if (l) {
		if (c->state == DB_STATE_READY)
			obs_warn("database connection lost", "\"shard\":%u,\"reason\":\"%s\"", c->sh->id,
				 why);
		c->link = NULL;
		l->conn = NULL;
		if (l->rd_armed)
			rt_cancel(c->sh, &l->rd);
		if (l->wr_armed)
			rt_cancel(c->sh, &l->wr);
		PQfinish(l->pg);
		l->pg = NULL;
		link_maybe_free(l);
	}
	c->state = DB_STATE_DOWN;
	c->need_flush = false;
	fail_pending(c, why);
	schedule_retry(c);
}

static void arm(struct db_link *l, bool write)
{
	struct db_conn *c = l->conn;
	if (write) {
		if (l->wr_armed)
			return;
		l->wr_armed = true;
		rt_poll(c->sh, &l->wr, l->fd, POLLOUT, false);
	} else {
		if (l->rd_armed)
			return;
		l->rd_armed = true;
		rt_poll(c->sh, &l->rd, l->fd, POLLIN, false);
	}
}

static void send_prepares(struct db_conn *c)
{
	PGconn *pg = c->link->pg;
	for (size_t i = 0; i < n_statements; i++) {
		if (!PQsendPrepare(pg, statements[i].name, statements[i].sql, statements[i].n_params,
				   NULL))
			goto fail;
		struct db_item *it = calloc(1, sizeof(*it));
		if (!it)
			goto fail;
		it->kind = ITEM_PREPARE;
		queue_push(c, it);
	}
	struct db_item *sync = calloc(1, sizeof(*sync));
	if (!sync || !PQpipelineSync(pg)) {
		free(sync);
		goto fail;
	}
	sync->kind = ITEM_SYNC;
	queue_push(c, sync);
	c->state = DB_STATE_PREPARING;
	c->need_flush = true;
	return;
fail:
	connection_lost(c, PQerrorMessage(pg));
}

static void on_notice(void *arg, const char *message)
{
	(void)arg, (void)message; /* statements we send raise none worth logging */
}

static void on_connected(struct db_conn *c)
{
	struct db_link *l = c->link;
	l->connected = true;
	PQsetNoticeProcessor(l->pg, on_notice, NULL);
	if (PQsetnonblocking(l->pg, 1) != 0 || !PQenterPipelineMode(l->pg)) {
		connection_lost(c, PQerrorMessage(l->pg));
		return;
	}
	send_prepares(c);
	if (c->link)
		arm(c->link, false);
}

static void continue_connect(struct db_conn *c)
{
	struct db_link *l = c->link;
	switch (PQconnectPoll(l->pg)) {
	case PGRES_POLLING_READING:
		l->fd = PQsocket(l->pg);
		arm(l, false);
		break;
	case PGRES_POLLING_WRITING:
		l->fd = PQsocket(l->pg);
		arm(l, true);
		break;
	case PGRES_POLLING_OK:
		on_connected(c);
		break;
	default:
		connection_lost(c, PQerrorMessage(l->pg));
		break;
	}
}

/* Hands every complete result to its caller, in order. */
static void drain_results(struct db_conn *c)
{
	PGconn *pg = c->link->pg;
	while (c->head && c->link && !PQisBusy(pg)) {
		struct db_item *it = c->head;
		PGresult *res = PQgetResult(pg);
		if (it->kind == ITEM_SYNC) {
			if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
				PQclear(res);
				connection_lost(c, "pipeline out of step");
				return;
			}
			PQclear(res);
			queue_pop(c);
			if (it->q) {
				c->latency_us_sum += now_us() - it->q->sent_us;
				finish(it->q);
			} else if (c->state == DB_STATE_PREPARING) {
				c->state = DB_STATE_READY;
				c->backoff_ms = 0;
				obs_info("database connected", "\"shard\":%u", c->sh->id);
			}
			free(it);
			continue;
		}
		if (!res) {
			/* End of this statement's results. */
			queue_pop(c);
			if (it->kind == ITEM_STATEMENT)
				step(it, NULL, DB_ERR_QUERY, "no result");
			free(it);
			continue;
		}
		ExecStatusType st = PQresultStatus(res);
		if (it->kind == ITEM_PREPARE) {
			if (st != PGRES_COMMAND_OK) {
				char esc[256];
				obs_error("preparing a statement failed", "\"shard\":%u,\"error\":\"%s\"",
					  c->sh->id,
					  obs_json_escape(PQresultErrorMessage(res), esc, sizeof(esc)));
				PQclear(res);
				connection_lost(c, "prepare failed");
				return;
			}
		} else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			step(it, res, DB_OK, NULL);
		} else if (st == PGRES_PIPELINE_ABORTED) {
			c->n_errors++;
			step(it, NULL, DB_ERR_QUERY, "statement skipped: an earlier one in its group failed");
		} else {
			c->n_errors++;
			step(it, res, DB_ERR_QUERY, PQresultErrorMessage(res));
		}
		PQclear(res);
	}
}

static void on_readable(struct db_conn *c)
{
	struct db_link *l = c->link;
	if (!PQconsumeInput(l->pg)) {
		connection_lost(c, PQerrorMessage(l->pg));
		return;
	}
	drain_results(c);
	if (c->link)
		arm(c->link, false);
}

static void on_link_poll(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags, bool write)
{
	(void)sh, (void)flags;
	struct db_link *l = write ? container_of(op, struct db_link, wr)
				  : container_of(op, struct db_link, rd);
	if (write)
		l->wr_armed = false;
	else
		l->rd_armed = false;
	struct db_conn *c = l->conn;
	if (!c) {
		link_maybe_free(l);
		return;
	}
	if (res < 0) {
		connection_lost(c, "poll failed");
		return;
	}
	if (!l->connected) {
		continue_connect(c);
		return;
	}
	if (write)
		c->need_flush = true;
	else
		on_readable(c);
}

static void on_rd(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	on_link_poll(sh, op, res, flags, false);
}

static void on_wr(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	on_link_poll(sh, op, res, flags, true);
}

static void start_connect(struct db_conn *c)
{
	struct db_link *l = calloc(1, sizeof(*l));
	if (!l) {
		schedule_retry(c);
		return;
	}
	l->conn = c;
	l->rd.complete = on_rd;
	l->wr.complete = on_wr;
	l->pg = PQconnectStart(c->conninfo);
	c->link = l;
	c->state = DB_STATE_CONNECTING;
	c->n_reconnects++;
	if (!l->pg || PQstatus(l->pg) == CONNECTION_BAD) {
		connection_lost(c, l->pg ? PQerrorMessage(l->pg) : "out of memory");
		return;
	}
	l->fd = PQsocket(l->pg);
	arm(l, true);
}

/*
 * Start-up only (on_start runs before the shard serves, where blocking is
 * allowed): connect and prepare synchronously, so the shard answers its
 * first request with a ready connection. Returns false when Postgres is not
 * there; the caller then connects in the background as after an outage.
 */
static bool connect_now(struct db_conn *c)
{
	PGconn *pg = PQconnectdb(c->conninfo);
	if (!pg || PQstatus(pg) != CONNECTION_OK)
		goto fail;
	PQsetNoticeProcessor(pg, on_notice, NULL);
	for (size_t i = 0; i < n_statements; i++) {
		PGresult *r = PQprepare(pg, statements[i].name, statements[i].sql,
					statements[i].n_params, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok) {
			char esc[256];
			obs_error("preparing a statement failed", "\"shard\":%u,\"error\":\"%s\"",
				  c->sh->id, obs_json_escape(PQresultErrorMessage(r), esc, sizeof(esc)));
		}
		PQclear(r);
		if (!ok)
			goto fail;
	}
	if (PQsetnonblocking(pg, 1) != 0 || !PQenterPipelineMode(pg))
		goto fail;
	struct db_link *l = calloc(1, sizeof(*l));
	if (!l)
		goto fail;
	l->conn = c;
	l->rd.complete = on_rd;
	l->wr.complete = on_wr;
	l->pg = pg;
	l->fd = PQsocket(pg);
	l->connected = true;
	c->link = l;
	c->state = DB_STATE_READY;
	c->n_reconnects++;
	arm(l, false);
	return true;
fail:
	PQfinish(pg);
	return false;
}

static void on_retry(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct db_conn *c = container_of(t, struct db_conn, retry);
	if (!c->stopping && c->state == DB_STATE_DOWN)
		start_connect(c);
}

int db_conn_init(struct db_conn *c, struct rt_shard *sh, const char *conninfo)
{
	memset(c, 0, sizeof(*c));
	c->sh = sh;
	c->conninfo = strdup(conninfo);
	if (!c->conninfo)
		return -ENOMEM;
	c->max_depth = 8192;
	rt_timer_init(&c->retry, on_retry);
	if (!connect_now(c))
		start_connect(c);
	return 0;
}

void db_conn_fini(struct db_conn *c)
{
	/* Shard exit only: the ring goes away next, so no completion will come
	 * back for the link's polls; release it here. */
	c->stopping = true;
	rt_timer_cancel(c->sh, &c->retry);
	struct db_link *l = c->link;
	c->link = NULL;
	if (l) {
		PQfinish(l->pg);
		free(l);
	}
	c->state = DB_STATE_DOWN;
	fail_pending(c, "shutting down");
	free(c->conninfo);
	c->conninfo = NULL;
}

void db_conn_flush(struct db_conn *c)
{
	if (!c->need_flush || !c->link || !c->link->connected)
		return;
	int r = PQflush(c->link->pg);
	if (r < 0) {
		connection_lost(c, PQerrorMessage(c->link->pg));
		return;
	}
	c->need_flush = false;
	if (r == 1)
		arm(c->link, true);
}

bool db_conn_ready(const struct db_conn *c)
{
	return c->state == DB_STATE_READY;
}

bool db_conn_idle(const struct db_conn *c)
{
	return c->head == NULL;
}

int db_group_send(struct db_conn *c, const struct db_call *calls, int n,
		  db_step_fn *step_fn, db_done_fn *done_fn, void *ctx, struct db_query **handle)
{
	if (c->state != DB_STATE_READY)
		return -ENOTCONN;
	if (n <= 0)
		return -EINVAL;
	if (c->depth + (unsigned)n + 1 > c->max_depth)
		return -EBUSY;
	struct db_query *q = calloc(1, sizeof(*q));
	struct db_item *items = NULL;
	if (!q)
		return -ENOMEM;
	PGconn *pg = c->link->pg;
	for (int i = 0; i < n; i++) {
		struct db_item *it = calloc(1, sizeof(*it));
		if (!it || !PQsendQueryPrepared(pg, calls[i].stmt, calls[i].n_params, calls[i].values,
						calls[i].lengths, NULL, 0)) {
			/* libpq has buffered part of the group: the stream
			 * cannot be trusted any more, start over. */
			free(it);
			goto broken;
		}
		it->kind = ITEM_STATEMENT;
		it->index = i;
		it->q = q;
		it->next = items;
		items = it;
	}
	struct db_item *sync = calloc(1, sizeof(*sync));
	if (!sync || !PQpipelineSync(pg)) {
		free(sync);
		goto broken;
	}
	/* items was built in reverse */
	struct db_item *ordered = NULL;
	while (items) {
		struct db_item *next = items->next;
		items->next = ordered;
		ordered = items;
		items = next;
	}
	while (ordered) {
		struct db_item *next = ordered->next;
		queue_push(c, ordered);
		ordered = next;
	}
	sync->kind = ITEM_SYNC;
	sync->q = q;
	queue_push(c, sync);
	q->ctx = ctx;
	q->step = step_fn;
	q->done = done_fn;
	q->n = n;
	q->sent_us = now_us();
	c->need_flush = true;
	c->n_queries++;
	if (handle)
		*handle = q;
	return 0;
broken:
	while (items) {
		struct db_item *next = items->next;
		free(items);
		items = next;
	}
	free(q);
	connection_lost(c, PQerrorMessage(pg));
	return -ENOTCONN;
}

static void single_step(void *ctx, int index, PGresult *res, enum db_error err, const char *msg)
{
	(void)index;
	struct db_query *q = ctx;
	if (q->single)
		q->single(q->ctx_single, res, err, msg);
}

int db_query_send(struct db_conn *c, const char *stmt, int n_params,
		  const char *const *values, const int *lengths,
		  db_result_fn *fn, void *ctx, struct db_query **handle)
{
	struct db_call call = { stmt, n_params, values, lengths };
	struct db_query *q;
	int ret = db_group_send(c, &call, 1, single_step, NULL, NULL, &q);
	if (ret < 0)
		return ret;
	q->ctx = q;
	q->single = fn;
	q->ctx_single = ctx;
	if (handle)
		*handle = q;
	return 0;
}

void db_query_abandon(struct db_query *q)
{
	q->step = NULL;
	q->done = NULL;
	q->single = NULL;
}
