/* Histogram layout, recording, percentiles within the 1.6 % bucket bound, merging. */
#include "hist.c"

#include "check.h"

static void test_layout(void)
{
	/* Buckets tile [0, 2^27) us without gaps or overlaps. */
	CHECK_INT_EQ(lg_hist_low_us(0), 0);
	for (unsigned i = 0; i + 1 < LG_HIST_BUCKETS; i++) {
		CHECK_INT_EQ(lg_hist_high_us(i) + 1, lg_hist_low_us(i + 1));
		CHECK_INT_EQ(lg_hist_index(lg_hist_low_us(i)), i);
		CHECK_INT_EQ(lg_hist_index(lg_hist_high_us(i)), i);
		/* From 64 us up, a bucket is at most 1/64 of its lower bound wide. */
		if (lg_hist_low_us(i) >= 64)
			CHECK((double)(lg_hist_high_us(i) - lg_hist_low_us(i) + 1) /
				      (double)lg_hist_low_us(i) <= 1.0 / 64 + 1e-12);
	}
	CHECK_INT_EQ(lg_hist_high_us(LG_HIST_BUCKETS - 1), (UINT64_C(1) << 27) - 1);
	CHECK_INT_EQ(lg_hist_index(UINT64_C(1) << 40), LG_HIST_BUCKETS - 1);
	CHECK_INT_EQ(lg_hist_index(127), 127);
	CHECK_INT_EQ(lg_hist_index(128), 128);
	CHECK_INT_EQ(lg_hist_index(129), 128);
	CHECK_INT_EQ(lg_hist_index(130), 129);
}

static void test_empty(void)
{
	struct lg_hist h;

	lg_hist_init(&h);
	CHECK_INT_EQ(lg_hist_percentile(&h, 50), 0);
	CHECK(lg_hist_mean_ns(&h) == 0.0);
}

static void near(uint64_t got, uint64_t want)
{
	double err = ((double)got - (double)want) / (double)want;

	if (err < -0.0001 || err > 1.0 / 64 + 0.001) {
		fprintf(stderr, "got %llu want %llu (err %.4f)\n", (unsigned long long)got,
			(unsigned long long)want, err);
		CHECK(!"percentile outside the bucket bound");
	}
}

static void test_uniform(void)
{
	static struct lg_hist h;

	/* 1..100000 us, one of each: pXX is XX% of 100 ms. */
	lg_hist_init(&h);
	for (uint64_t us = 1; us <= 100000; us++)
		lg_hist_record(&h, us * 1000);
	CHECK_INT_EQ(h.count, 100000);
	near(lg_hist_percentile(&h, 50), 50000 * 1000);
	near(lg_hist_percentile(&h, 90), 90000 * 1000);
	near(lg_hist_percentile(&h, 99), 99000 * 1000);
	near(lg_hist_percentile(&h, 99.9), 99900 * 1000);
	CHECK_INT_EQ(lg_hist_percentile(&h, 100), 100000 * 1000);
	CHECK_INT_EQ(lg_hist_percentile(&h, 0), 1000);
	CHECK(lg_hist_mean_ns(&h) == 50000.5 * 1000);
}

static void test_exact_small_and_clip(void)
{
	struct lg_hist h;

	lg_hist_init(&h);
	lg_hist_record(&h, 5500); /* 5.5 us: bucket 5 */
	lg_hist_record(&h, 5700);
	/* Highest equivalent value of bucket 5 is 5999 ns, clipped to the max. */
	CHECK_INT_EQ(lg_hist_percentile(&h, 50), 5700);
	CHECK_INT_EQ(h.min_ns, 5500);
	/* Beyond the top: last bucket, exact max. */
	lg_hist_record(&h, UINT64_C(500) * LG_NS_PER_S);
	CHECK_INT_EQ(h.b[LG_HIST_BUCKETS - 1], 1);
	CHECK_INT_EQ(lg_hist_percentile(&h, 100), UINT64_C(500) * LG_NS_PER_S);
	CHECK_INT_EQ(lg_hist_percentile(&h, 99), UINT64_C(500) * LG_NS_PER_S);
}

static void test_merge(void)
{
	static struct lg_hist a, b, all;

	lg_hist_init(&a);
	lg_hist_init(&b);
	lg_hist_init(&all);
	for (uint64_t i = 0; i < 5000; i++) {
		uint64_t v = (i * 7919) % 300000 * 1000 + 1;

		lg_hist_record(i % 3 ? &a : &b, v);
		lg_hist_record(&all, v);
	}
	lg_hist_merge(&a, &b);
	CHECK_INT_EQ(a.count, all.count);
	CHECK_INT_EQ(a.sum_ns, all.sum_ns);
	CHECK_INT_EQ(a.min_ns, all.min_ns);
	CHECK_INT_EQ(a.max_ns, all.max_ns);
	CHECK(memcmp(a.b, all.b, sizeof(a.b)) == 0);
	/* Merging an empty histogram changes nothing (its min is UINT64_MAX). */
	lg_hist_init(&b);
	lg_hist_merge(&a, &b);
	CHECK_INT_EQ(a.min_ns, all.min_ns);
	CHECK_INT_EQ(lg_hist_percentile(&a, 99), lg_hist_percentile(&all, 99));
}

static void test_bimodal(void)
{
	struct lg_hist h;

	/* 990 fast (1 ms), 10 slow (250 ms): p99 is fast, p99.9 slow. */
	lg_hist_init(&h);
	for (int i = 0; i < 990; i++)
		lg_hist_record(&h, 1000000);
	for (int i = 0; i < 10; i++)
		lg_hist_record(&h, 250000000);
	near(lg_hist_percentile(&h, 99), 1000000);
	near(lg_hist_percentile(&h, 99.9), 250000000);
	near(lg_hist_percentile(&h, 50), 1000000);
}

int main(void)
{
	test_layout();
	test_empty();
	test_uniform();
	test_exact_small_and_clip();
	test_merge();
	test_bimodal();
	return 0;
}
