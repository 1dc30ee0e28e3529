/*
 * Which goals an event moves (spec events.md §3.1-§3.3, §4): pure functions
 * over the shared read-only config, callable from any shard. They allocate
 * nothing; the config's stat-code index keeps them cheap enough to run per
 * event without a precomputed table.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "challenged/events.h"

int evt_truncate(double v, int64_t *out)
{
	/* Every double strictly between these converts to an int32 after
	 * truncation; NaN fails both comparisons. */
	if (!(v > -2147483649.0 && v < 2147483648.0))
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

static bool tracked_by(const struct dom_goal *const *goals, size_t n, enum dom_event_source src)
{
	for (size_t i = 0; i < n; i++)
		if (goals[i]->source == src)
			return true;
	return false;
}

size_t evt_login_updates(const struct dom_config *cfg, struct evt_update *out, size_t cap)
{
	size_t count = 0;
	for (size_t i = 0; i < cfg->n_goals; i++) {
		const struct dom_goal *g = cfg->goals[i];
		if (g->source != DOM_SOURCE_LOGIN)
			continue;
		size_t n;
		const struct dom_goal *const *same = dom_config_goals_by_stat(
			cfg, g->stat_code, strlen(g->stat_code), &n);
		/* Each stat code once (§3.1 step 4): only its first login goal
		 * in config order emits the code's updates. */
		size_t first = 0;
		while (first < n && same[first]->source != DOM_SOURCE_LOGIN)
			first++;
		if (first == n || same[first] != g)
			continue;
		for (size_t k = 0; k < n && count < cap; k++)
			out[count++] = (struct evt_update){ .goal = same[k], .inc = 1 };
	}
	return count;
}

size_t evt_stat_updates(const struct dom_config *cfg, const char *stat_code, size_t len,
			int64_t value, int64_t inc, struct evt_update *out, size_t cap)
{
	size_t n;
	const struct dom_goal *const *same = dom_config_goals_by_stat(cfg, stat_code, len, &n);
	if (!tracked_by(same, n, DOM_SOURCE_STATISTIC))
		return 0;
	/* §4 step 2: a negative value skips every goal of the code. */
	if (value < 0)
		return 0;
	size_t count = 0;
	for (size_t k = 0; k < n && count < cap; k++)
		out[count++] = (struct evt_update){
			.goal = same[k], .has_value = true, .value = value, .inc = inc,
		};
	return count;
}
