/*
 * Allocation failure at the allocator edge (STYLE.md §9): the Nth malloc,
 * calloc or realloc fails. Merge answers -ENOMEM and leaves the buffer as it
 * was, take answers NULL and keeps everything, restore drops only what it
 * cannot store, and params report -ENOMEM; never a crash or a leak.
 */
#include <stdlib.h>

#include "evt_test.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);

static long fail_at = -1, calls;

static bool should_fail(void)
{
	return fail_at >= 0 && ++calls == fail_at;
}

void *__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return should_fail() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

static void fail_nth(long n)
{
	calls = 0;
	fail_at = n;
}

/* One scenario with the Nth allocation failing; returns whether any
 * allocation failed (false once N passes the scenario's count). */
static bool scenario(const struct dom_config *cfg, long n)
{
	const struct dom_goal *g = goal_of(cfg, "kills");
	fail_nth(n);
	struct evt_buffer *b = evt_buffer_new(200);
	if (!b)
		return true;
	char user[32];
	size_t kept = 0;
	for (int i = 0; i < 150; i++) {
		int len = snprintf(user, sizeof(user), "user-%d", i);
		struct evt_update u = login_of(g);
		int rc = evt_buffer_merge(b, user, (size_t)len, &u);
		CHECK(rc == 0 || rc == -ENOMEM);
		kept += rc == 0;
		CHECK_INT_EQ(evt_buffer_size(b), kept);
	}
	struct evt_batch *batch = evt_buffer_take(b);
	if (!batch) {
		CHECK_INT_EQ(evt_buffer_size(b), kept); /* unchanged */
		evt_buffer_free(b);
		return true;
	}
	CHECK_INT_EQ(evt_batch_size(batch), kept);
	for (int i = 0; i < 10; i++) {
		int len = snprintf(user, sizeof(user), "new-%d", i);
		struct evt_update u = login_of(g);
		int rc = evt_buffer_merge(b, user, (size_t)len, &u);
		CHECK(rc == 0 || rc == -ENOMEM);
	}
	size_t before = evt_buffer_size(b);
	evt_buffer_restore(b, batch);
	CHECK(evt_buffer_size(b) >= before);
	CHECK(evt_buffer_size(b) <= before + kept);
	batch = evt_buffer_take(b);
	if (batch) {
		struct buf p[EVT_FLUSH_PARAMS];
		for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
			buf_init(&p[i]);
		int rc = evt_batch_params(batch, T_2025_06_15_1400, p);
		CHECK(rc == 0 || rc == -ENOMEM);
		for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
			buf_fini(&p[i]);
		evt_batch_free(batch);
	}
	evt_buffer_free(b);
	return calls >= n;
}

int main(void)
{
	struct dom_config *cfg = test_config();
	long n = 1;
	while (scenario(cfg, n))
		n++;
	CHECK(n > 20); /* the scenario does allocate that often */
	fail_at = -1;
	dom_config_free(cfg);
	return 0;
}
