/*
 * Shard threads: ring set-up (with the best flags the kernel accepts), the
 * event loop, start-up handshake and orderly stop. After on_start returns, a
 * shard thread only ever waits inside io_uring_enter.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "challenged/obs.h"
#include "rt_private.h"

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct rt_shard *rt_runtime_shard(struct rt_runtime *rt, unsigned id)
{
	return rt->shards[id];
}

unsigned rt_owner_shard(const char *user_id, size_t len, unsigned n_shards)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)user_id[i];
		h *= 0x100000001b3ull;
	}
	return (unsigned)(h % n_shards);
}

/* SINGLE_ISSUER + DEFER_TASKRUN where the kernel has them, then
 * COOP_TASKRUN, then nothing: older kernels refuse unknown flags with
 * -EINVAL, so step down rather than fail. */
static int ring_setup(struct rt_shard *sh, unsigned entries)
{
	static const unsigned tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
		0,
	};
	int ret = -EINVAL;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct io_uring_params p = { .flags = tries[i] };
		p.flags |= IORING_SETUP_CQSIZE;
		p.cq_entries = entries * 4;
		ret = io_uring_queue_init_params(entries, &sh->ring, &p);
		if (ret == 0) {
			sh->ring_flags = tries[i];
			return 0;
		}
		if (ret != -EINVAL)
			break;
	}
	return ret;
}

static void on_doorbell(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)op, (void)res, (void)flags;
	rt_mailbox_drain(sh);
}

static void on_wake(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags)
{
	(void)op, (void)res, (void)flags;
	/* Only rt_runtime_stop writes the eventfd. */
	if (!sh->stopping) {
		sh->stopping = true;
		if (sh->rt->cfg.hooks.on_stop)
			sh->rt->cfg.hooks.on_stop(sh);
	}
}

static void on_tick(struct rt_shard *sh, struct rt_timer *t)
{
	rt_deadlines_expire(sh);
	rt_timer_arm(sh, t, RT_TICK_MS);
}

static void dispatch(struct rt_shard *sh, struct io_uring_cqe *cqe)
{
	struct rt_op *op = io_uring_cqe_get_data(cqe);
	if (op)
		op->complete(sh, op, cqe->res, cqe->flags);
}

static void loop(struct rt_shard *sh)
{
	const struct rt_hooks *hooks = &sh->rt->cfg.hooks;
	uint64_t drain_deadline = 0;

	for (;;) {
		if (sh->self_wake) {
			sh->self_wake = false;
			rt_mailbox_drain(sh);
		}
		if (hooks->before_sleep)
			hooks->before_sleep(sh);
		rt_mailbox_ring_doorbells(sh);
		rt_buffers_publish(sh);

		if (sh->stopping) {
			if (!drain_deadline)
				drain_deadline = sh->now_ms + (uint64_t)sh->rt->cfg.drain_timeout_ms;
			/* Leave only when every shard is drained at once: until
			 * then another shard may still send us work for the
			 * users we own. The tick wakes us to look again. */
			bool drained = !hooks->is_drained || hooks->is_drained(sh);
			if (drained != sh->drained) {
				sh->drained = drained;
				if (drained)
					atomic_fetch_add(&sh->rt->drained, 1);
				else
					atomic_fetch_sub(&sh->rt->drained, 1);
			}
			if (atomic_load(&sh->rt->drained) == sh->n_shards)
				break;
			if (sh->now_ms >= drain_deadline) {
				obs_warn("drain deadline passed, stopping with work in flight",
					 "\"shard\":%u", sh->id);
				break;
			}
		}

		/* Our own mailbox messages need no kernel round trip. */
		unsigned wait = sh->self_wake ? 0 : 1;
		int ret = io_uring_submit_and_wait(&sh->ring, wait);
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EBUSY) {
			obs_error("io_uring_submit_and_wait failed", "\"shard\":%u,\"errno\":%d",
				  sh->id, -ret);
			break;
		}
		sh->now_ms = monotonic_ms();

		struct io_uring_cqe *cqe;
		unsigned head, count = 0;
		io_uring_for_each_cqe(&sh->ring, head, cqe) {
			dispatch(sh, cqe);
			count++;
		}
		io_uring_cq_advance(&sh->ring, count);
	}
}

static void pin_to_cpu(struct rt_shard *sh)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu <= 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET((int)(sh->id % (unsigned)ncpu), &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		obs_warn("could not pin shard to its CPU", "\"shard\":%u", sh->id);
}

static void report_started(struct rt_runtime *rt, bool failed)
{
	pthread_mutex_lock(&rt->start_lock);
	rt->started++;
	if (failed)
		rt->start_failed = true;
	pthread_cond_broadcast(&rt->start_cond);
	pthread_mutex_unlock(&rt->start_lock);
}

static int shard_setup(struct rt_shard *sh)
{
	const struct rt_config *cfg = &sh->rt->cfg;
	int ret = ring_setup(sh, cfg->ring_entries);
	if (ret < 0) {
		obs_error("io_uring setup failed", "\"shard\":%u,\"errno\":%d", sh->id, -ret);
		return ret;
	}
	ret = rt_buffers_init(sh, cfg->buf_count, cfg->buf_size);
	if (ret < 0) {
		obs_error("buffer ring registration failed", "\"shard\":%u,\"errno\":%d", sh->id, -ret);
		io_uring_queue_exit(&sh->ring);
		return ret;
	}
	sh->now_ms = monotonic_ms();
	sh->doorbell_op.complete = on_doorbell;
	sh->wake_op.complete = on_wake;
	rt_timer_init(&sh->tick, on_tick);
	return 0;
}

static void arm_wake(struct rt_shard *sh)
{
	struct io_uring_sqe *sqe = rt_sqe(sh);
	io_uring_prep_read(sqe, sh->wake_fd, &sh->wake_value, sizeof(sh->wake_value), 0);
	io_uring_sqe_set_data(sqe, &sh->wake_op);
}

static void *shard_main(void *arg)
{
	struct rt_shard *sh = arg;
	struct rt_runtime *rt = sh->rt;
	pin_to_cpu(sh);
	if (shard_setup(sh) < 0) {
		report_started(rt, true);
		return NULL;
	}
	arm_wake(sh);
	rt_timer_arm(sh, &sh->tick, RT_TICK_MS);
	int ret = rt->cfg.hooks.on_start ? rt->cfg.hooks.on_start(sh) : 0;
	report_started(rt, ret < 0);

	/* Wait until every shard started: they may message each other. */
	pthread_mutex_lock(&rt->start_lock);
	while (rt->started < rt->n)
		pthread_cond_wait(&rt->start_cond, &rt->start_lock);
	bool failed = rt->start_failed;
	pthread_mutex_unlock(&rt->start_lock);

	if (ret == 0 && !failed) {
		if (atomic_load(&rt->stop_requested) && !sh->stopping) {
			sh->stopping = true;
			if (rt->cfg.hooks.on_stop)
				rt->cfg.hooks.on_stop(sh);
		}
		loop(sh);
	}
	if (rt->cfg.hooks.on_exit)
		rt->cfg.hooks.on_exit(sh);
	rt_buffers_fini(sh);
	io_uring_queue_exit(&sh->ring);
	return NULL;
}

static void runtime_free(struct rt_runtime *rt)
{
	for (unsigned i = 0; i < rt->n; i++) {
		struct rt_shard *sh = rt->shards[i];
		if (!sh)
			continue;
		if (sh->wake_fd >= 0)
			close(sh->wake_fd);
		free(sh->doorbell_pending);
		free(sh);
	}
	pthread_mutex_destroy(&rt->start_lock);
	pthread_cond_destroy(&rt->start_cond);
	free(rt->shards);
	free(rt);
}

int rt_runtime_start(const struct rt_config *cfg, struct rt_runtime **out)
{
	struct rt_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	rt->cfg = *cfg;
	rt->n = cfg->shards;
	pthread_mutex_init(&rt->start_lock, NULL);
	pthread_cond_init(&rt->start_cond, NULL);
	rt->shards = calloc(rt->n, sizeof(*rt->shards));
	if (!rt->shards)
		goto fail;
	for (unsigned i = 0; i < rt->n; i++) {
		struct rt_shard *sh = calloc(1, sizeof(*sh));
		if (!sh)
			goto fail;
		rt->shards[i] = sh;
		sh->id = i;
		sh->n_shards = rt->n;
		sh->rt = rt;
		sh->app_global = cfg->app;
		sh->wake_fd = eventfd(0, EFD_CLOEXEC);
		sh->doorbell_pending = calloc(rt->n, sizeof(bool));
		if (sh->wake_fd < 0 || !sh->doorbell_pending)
			goto fail;
		rt_mailbox_init(&sh->inbox);
	}

	unsigned created = 0;
	for (unsigned i = 0; i < rt->n; i++) {
		if (pthread_create(&rt->shards[i]->thread, NULL, shard_main, rt->shards[i]) != 0)
			break;
		created++;
	}
	if (created < rt->n) {
		/* Let the started ones through the handshake, then stop them. */
		pthread_mutex_lock(&rt->start_lock);
		rt->start_failed = true;
		rt->started += rt->n - created;
		pthread_cond_broadcast(&rt->start_cond);
		pthread_mutex_unlock(&rt->start_lock);
		for (unsigned i = 0; i < created; i++)
			pthread_join(rt->shards[i]->thread, NULL);
		goto fail;
	}

	pthread_mutex_lock(&rt->start_lock);
	while (rt->started < rt->n)
		pthread_cond_wait(&rt->start_cond, &rt->start_lock);
	bool failed = rt->start_failed;
	pthread_mutex_unlock(&rt->start_lock);
	if (failed) {
		for (unsigned i = 0; i < rt->n; i++)
			pthread_join(rt->shards[i]->thread, NULL);
		runtime_free(rt);
		return -EIO;
	}
	*out = rt;
	return 0;
fail:
	runtime_free(rt);
	return -ENOMEM;
}

void rt_runtime_stop(struct rt_runtime *rt)
{
	atomic_store(&rt->stop_requested, true);
	for (unsigned i = 0; i < rt->n; i++) {
		uint64_t one = 1;
		ssize_t w = write(rt->shards[i]->wake_fd, &one, sizeof(one));
		(void)w;
	}
}

void rt_runtime_join(struct rt_runtime *rt)
{
	for (unsigned i = 0; i < rt->n; i++)
		pthread_join(rt->shards[i]->thread, NULL);
	runtime_free(rt);
}
