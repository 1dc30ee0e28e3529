/*
 * The runtime for real: two shards on their own rings bounce messages
 * through the mailboxes (many per doorbell and one at a time), fire a ring
 * timer and a deadline, and stop in order when asked.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "challenged/rt.h"
#include "check.h"

#define ROUND_TRIPS 2000
#define BURST 256

struct ping {
	struct rt_msg msg;
	unsigned hops;
};

struct state {
	struct rt_runtime *rt;
	_Atomic unsigned delivered;
	_Atomic unsigned timer_fired;
	_Atomic unsigned deadline_fired;
	_Atomic unsigned drained_calls;
	_Atomic unsigned exits;
};

static struct state st;

struct shard_app {
	struct rt_timer timer;
	struct rt_deadline_list list;
	struct rt_deadline deadline;
};

static void on_ping(struct rt_shard *sh, struct rt_msg *msg)
{
	struct ping *p = (struct ping *)msg;
	st.delivered++;
	if (++p->hops >= ROUND_TRIPS) {
		free(p);
		return;
	}
	rt_mailbox_send(sh, (sh->id + 1) % sh->n_shards, &p->msg);
}

static void on_timer(struct rt_shard *sh, struct rt_timer *t)
{
	(void)t;
	st.timer_fired++;
	/* Launch the traffic from shard 0 once both shards run. */
	for (unsigned i = 0; i < BURST; i++) {
		struct ping *p = calloc(1, sizeof(*p));
		p->msg.run = on_ping;
		rt_mailbox_send(sh, 1, &p->msg);
	}
}

static void on_deadline(struct rt_shard *sh, struct rt_deadline *d)
{
	(void)sh, (void)d;
	st.deadline_fired++;
}

static int on_start(struct rt_shard *sh)
{
	struct shard_app *app = calloc(1, sizeof(*app));
	sh->app = app;
	rt_timer_init(&app->timer, on_timer);
	rt_deadline_list_init(sh, &app->list, 150);
	app->deadline.expire = on_deadline;
	rt_deadline_add(sh, &app->list, &app->deadline);
	if (sh->id == 0)
		rt_timer_arm(sh, &app->timer, 20);
	return 0;
}

static bool is_drained(struct rt_shard *sh)
{
	(void)sh;
	st.drained_calls++;
	return true;
}

static void on_exit_shard(struct rt_shard *sh)
{
	free(sh->app);
	st.exits++;
}

int main(void)
{
	/* owner shard: FNV-1a 64, stable across runs and builds */
	CHECK_INT_EQ(rt_owner_shard("", 0, 7), 0xcbf29ce484222325ull % 7);
	CHECK_INT_EQ(rt_owner_shard("user-1", 6, 1), 0);
	unsigned a = rt_owner_shard("user-1", 6, 16);
	CHECK_INT_EQ(rt_owner_shard("user-1", 6, 16), a);

	struct rt_config cfg = {
		.shards = 2,
		.ring_entries = 256,
		.buf_count = 64,
		.buf_size = 4096,
		.drain_timeout_ms = 1000,
		.hooks = { .on_start = on_start, .is_drained = is_drained, .on_exit = on_exit_shard },
	};
	int ret = rt_runtime_start(&cfg, &st.rt);
	if (ret == -EPERM || ret == -ENOSYS) {
		fprintf(stderr, "io_uring not available here\n");
		return TEST_SKIP;
	}
	CHECK_INT_EQ(ret, 0);

	/* Wait (bounded) for every message to finish its trips and the
	 * deadline to pass. Polling a counter, not sleeping blindly. */
	for (int i = 0; i < 1000; i++) {
		if (st.delivered == (unsigned)BURST * ROUND_TRIPS && st.deadline_fired == 2)
			break;
		usleep(10000);
	}
	CHECK_INT_EQ(st.timer_fired, 1);
	CHECK_INT_EQ(st.delivered, (unsigned)BURST * ROUND_TRIPS);
	CHECK_INT_EQ(st.deadline_fired, 2);

	rt_runtime_stop(st.rt);
	rt_runtime_join(st.rt);
	CHECK_INT_EQ(st.exits, 2);
	CHECK(st.drained_calls >= 2);
	return 0;
}
