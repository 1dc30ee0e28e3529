/* Arrival schedule: exact spacing, interleaving across workers, due counts, bounds. */
#include "sched.c"

#include "challenged/common.h"
#include "check.h"

static void test_single(void)
{
	struct lg_sched s;

	CHECK_INT_EQ(lg_sched_init(&s, 1000, 1, 0, 5000, UINT64_MAX, UINT64_MAX), 0);
	CHECK_INT_EQ(lg_sched_at(&s, 0), 5000);
	CHECK_INT_EQ(lg_sched_at(&s, 1), 5000 + 1000000);
	/* No drift after a billion arrivals (11.6 days at 1000/s). */
	CHECK_INT_EQ(lg_sched_at(&s, 1000000000), 5000 + UINT64_C(1000000000) * 1000000);
	CHECK_INT_EQ(lg_sched_due(&s, 4999), 0);
	CHECK_INT_EQ(lg_sched_due(&s, 5000), 1);
	CHECK_INT_EQ(lg_sched_due(&s, 5000 + 999999), 1);
	CHECK_INT_EQ(lg_sched_due(&s, 5000 + 1000000), 2);
	CHECK_INT_EQ(s.limit, UINT64_MAX);
}

static void test_bad(void)
{
	struct lg_sched s;

	CHECK_INT_EQ(lg_sched_init(&s, 0, 1, 0, 0, UINT64_MAX, UINT64_MAX), -EINVAL);
	CHECK_INT_EQ(lg_sched_init(&s, -1, 1, 0, 0, UINT64_MAX, UINT64_MAX), -EINVAL);
	CHECK_INT_EQ(lg_sched_init(&s, 10, 0, 0, 0, UINT64_MAX, UINT64_MAX), -EINVAL);
	CHECK_INT_EQ(lg_sched_init(&s, 10, 2, 2, 0, UINT64_MAX, UINT64_MAX), -EINVAL);
}

/* Three workers at 3000/s: together they tick every 1/3000 s, in turn. */
static void test_interleave(void)
{
	struct lg_sched s[3];
	uint64_t next[3] = { 0 }, prev = 0;

	for (uint32_t w = 0; w < 3; w++)
		CHECK_INT_EQ(lg_sched_init(&s[w], 3000, 3, w, 0, UINT64_MAX, UINT64_MAX), 0);
	for (uint64_t i = 0; i < 30000; i++) {
		uint32_t w = (uint32_t)(i % 3);
		uint64_t t = lg_sched_at(&s[w], next[w]++);

		CHECK_INT_EQ(t, (uint64_t)((double)i * 1e9 / 3000));
		CHECK(i == 0 || t > prev);
		prev = t;
	}
}

/* due(t) counts exactly the arrivals at or before t, at awkward rates too. */
static void test_due_consistent(void)
{
	const double rates[] = { 1, 7, 333.3, 1e5, 2.5e6 };

	for (size_t r = 0; r < ARRAY_SIZE(rates); r++) {
		for (uint32_t w = 0; w < 4; w++) {
			struct lg_sched s;

			CHECK_INT_EQ(lg_sched_init(&s, rates[r], 4, w, 123, UINT64_MAX, UINT64_MAX), 0);
			for (uint64_t k = 0; k < 2000; k += 37) {
				uint64_t t = lg_sched_at(&s, k);

				CHECK_INT_EQ(lg_sched_due(&s, t), k + 1);
				CHECK_INT_EQ(lg_sched_due(&s, t - 1), k);
			}
		}
	}
}

static void test_limits(void)
{
	struct lg_sched s[3];
	uint64_t sum = 0;

	/* 10 s at 100/s is 1000 arrivals, split 334/333/333. */
	for (uint32_t w = 0; w < 3; w++) {
		CHECK_INT_EQ(lg_sched_init(&s[w], 100, 3, w, 0, 10 * LG_NS_PER_S, UINT64_MAX), 0);
		sum += s[w].limit;
		CHECK(lg_sched_at(&s[w], s[w].limit - 1) < 10 * LG_NS_PER_S);
		CHECK(lg_sched_at(&s[w], s[w].limit) >= 10 * LG_NS_PER_S);
		CHECK_INT_EQ(lg_sched_due(&s[w], 100 * LG_NS_PER_S), s[w].limit);
	}
	CHECK_INT_EQ(sum, 1000);
	CHECK_INT_EQ(s[0].limit, 334);
	/* A request count smaller than the window wins. */
	CHECK_INT_EQ(lg_sched_init(&s[0], 100, 3, 0, 0, 10 * LG_NS_PER_S, 10), 0);
	CHECK_INT_EQ(s[0].limit, 4);
	CHECK_INT_EQ(lg_sched_init(&s[2], 100, 3, 2, 0, UINT64_MAX, 10), 0);
	CHECK_INT_EQ(s[2].limit, 3);
	CHECK_INT_EQ(lg_split(10, 3, 0) + lg_split(10, 3, 1) + lg_split(10, 3, 2), 10);
	CHECK_INT_EQ(lg_split(2, 3, 2), 0);
}

int main(void)
{
	test_single();
	test_bad();
	test_interleave();
	test_due_consistent();
	test_limits();
	return 0;
}
