/*
 * HTTP/1.1 keep-alive client side of a connection: queue request bytes,
 * match each parsed response to the oldest request in flight (responses come
 * back in order), and tell the worker when the server wants the connection
 * closed. Runs on the connection's worker thread; does no socket I/O itself.
 */
#include <errno.h>
#include <stdlib.h>

#include "run.h"

int lg_h1c_open(struct lg_conn *c)
{
	if (!c->fifo) {
		c->fifo = calloc(c->depth, sizeof(*c->fifo));
		if (!c->fifo)
			return -ENOMEM;
	}
	c->fifo_head = 0;
	lg_h1_resp_init(&c->resp);
	buf_reset(&c->in);
	return 0;
}

void lg_h1c_free(struct lg_conn *c)
{
	free(c->fifo);
	c->fifo = NULL;
}

void lg_h1c_send(struct lg_conn *c, const struct lg_pick *p, const struct lg_req *r)
{
	c->fifo[(c->fifo_head + c->inflight) % c->depth] = *r;
	c->inflight++;
	lg_scenario_http(c->w->cfg, p, &c->out);
	lg_conn_mark_dirty(c);
}

/* The oldest request answered (or failed) with outcome st. */
static void pop(struct lg_conn *c, int st, uint64_t now)
{
	struct lg_req r = c->fifo[c->fifo_head];

	c->fifo_head = (c->fifo_head + 1) % c->depth;
	c->inflight--;
	lg_worker_complete(c->w, c, &r, st, now);
}

int lg_h1c_input(struct lg_conn *c, const char *p, size_t len, uint64_t now)
{
	size_t used = 0;
	const char *why = NULL;
	int n;

	while (used < len && !c->close_after) {
		if (c->inflight == 0)
			return -EPROTO;  /* bytes nobody asked for */
		n = lg_h1_resp_feed(&c->resp, p + used, len - used, &why);
		if (n < 0)
			return n;
		used += (size_t)n;
		if (c->resp.state != LG_H1_DONE)
			break;
		c->close_after = c->resp.close;
		pop(c, c->resp.status, now);
		lg_h1_resp_init(&c->resp);
	}
	return (int)used;
}

int lg_h1c_eof(struct lg_conn *c, uint64_t now)
{
	if (c->inflight == 0 || lg_h1_resp_eof(&c->resp) < 0)
		return -EPIPE;
	c->close_after = true;
	pop(c, c->resp.status, now);
	return 0;
}

void lg_h1c_fail_all(struct lg_conn *c, int st, uint64_t now)
{
	while (c->inflight > 0)
		pop(c, st, now);
}

uint64_t lg_h1c_oldest(const struct lg_conn *c)
{
	return c->inflight ? c->fifo[c->fifo_head].sent : UINT64_MAX;
}
