/*
 * Log-linear latency histogram: fixed buckets, no allocation, so recording
 * is an index computation and an increment on the worker's hot path. Each
 * worker owns its histograms; the report merges them after the run (and the
 * progress line merges published copies under a lock).
 */
#include <string.h>

#include "loadgen.h"

#define LINEAR_END (2u * LG_HIST_SUB)
#define TOP_US (UINT64_C(1) << LG_HIST_TOP_BITS)

void lg_hist_init(struct lg_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

unsigned lg_hist_index(uint64_t us)
{
	unsigned e, shift;

	if (us >= TOP_US)
		us = TOP_US - 1;
	if (us < LINEAR_END)
		return (unsigned)us;
	e = 63u - (unsigned)__builtin_clzll(us);
	shift = e - LG_HIST_SUB_BITS;
	return LINEAR_END + (e - LG_HIST_SUB_BITS - 1) * LG_HIST_SUB +
	       (unsigned)(us >> shift) - LG_HIST_SUB;
}

uint64_t lg_hist_low_us(unsigned idx)
{
	unsigned octave, sub;

	if (idx < LINEAR_END)
		return idx;
	octave = (idx - LINEAR_END) / LG_HIST_SUB;
	sub = (idx - LINEAR_END) % LG_HIST_SUB + LG_HIST_SUB;
	return (uint64_t)sub << (octave + 1);
}

uint64_t lg_hist_high_us(unsigned idx)
{
	if (idx < LINEAR_END)
		return idx;
	return lg_hist_low_us(idx) + (UINT64_C(1) << ((idx - LINEAR_END) / LG_HIST_SUB + 1)) - 1;
}

void lg_hist_record(struct lg_hist *h, uint64_t ns)
{
	h->b[lg_hist_index(ns / 1000)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src)
{
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

uint64_t lg_hist_percentile(const struct lg_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	double r;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min_ns;
	if (p >= 100)
		return h->max_ns;
	r = p / 100.0 * (double)h->count;
	rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen < rank)
			continue;
		/*
		 * Every ns value that maps to this bucket is below (high + 1) us;
		 * the last bucket also holds the clamped values, bounded by max.
		 */
		v = (lg_hist_high_us(i) + 1) * 1000 - 1;
		if (v > h->max_ns || i == LG_HIST_BUCKETS - 1)
			v = h->max_ns;
		if (v < h->min_ns)
			v = h->min_ns;
		return v;
	}
	return h->max_ns;
}

double lg_hist_mean_ns(const struct lg_hist *h)
{
	return h->count ? (double)h->sum_ns / (double)h->count : 0.0;
}
