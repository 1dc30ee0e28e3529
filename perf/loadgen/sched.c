/*
 * Open-loop arrival schedule: when each of a worker's requests is due. Pure
 * arithmetic on the arrival index, so any worker can tell how far behind it
 * is (due - sent) without keeping a queue of timestamps.
 */
#include <errno.h>
#include <math.h>

#include "loadgen.h"

uint64_t lg_split(uint64_t total, uint32_t workers, uint32_t index)
{
	return total / workers + (index < total % workers ? 1 : 0);
}

int lg_sched_init(struct lg_sched *s, double rate, uint32_t workers, uint32_t index,
		  uint64_t start_ns, uint64_t end_ns, uint64_t total)
{
	double in_window;
	uint64_t limit = UINT64_MAX;

	if (!(rate > 0) || !isfinite(rate) || workers == 0 || index >= workers)
		return -EINVAL;
	s->start_ns = start_ns;
	s->rate = rate;
	s->workers = workers;
	s->index = index;
	if (end_ns != UINT64_MAX) {
		/* Global arrivals strictly before end: i < (end - start) * rate. */
		in_window = ceil((double)(end_ns - start_ns) * rate / 1e9);
		limit = lg_split((uint64_t)in_window, workers, index);
	}
	if (total != UINT64_MAX && lg_split(total, workers, index) < limit)
		limit = lg_split(total, workers, index);
	s->limit = limit;
	return 0;
}

uint64_t lg_sched_at(const struct lg_sched *s, uint64_t k)
{
	double i = (double)k * s->workers + s->index;

	return s->start_ns + (uint64_t)(i * 1e9 / s->rate);
}

uint64_t lg_sched_due(const struct lg_sched *s, uint64_t now)
{
	double i, k;
	uint64_t due;

	if (now < s->start_ns)
		return 0;
	/* Global arrivals with i / rate <= elapsed, then this worker's share. */
	i = floor((double)(now - s->start_ns) * s->rate / 1e9);
	k = i < s->index ? 0 : floor((i - s->index) / s->workers) + 1;
	due = k >= (double)s->limit ? s->limit : (uint64_t)k;
	/* Float rounding may put the boundary one arrival off; lg_sched_at decides. */
	while (due > 0 && lg_sched_at(s, due - 1) > now)
		due--;
	while (due < s->limit && lg_sched_at(s, due) <= now)
		due++;
	return due;
}
