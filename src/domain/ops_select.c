/*
 * Batch and random goal selection (api.md §5.5, §5.6): the random-select
 * candidate pool, the uniform pick (partial Fisher-Yates over getrandom(2),
 * never rand()), totalActiveGoals, and the GoalSelectionResponse JSON.
 * Pure apart from reading the kernel's CSPRNG; any thread.
 */
#include <errno.h>
#include <sys/random.h>

#include "challenged/common.h"
#include "challenged/domain_ops.h"
#include "dom_private.h"

static bool done(const struct dom_row *r)
{
	return r->status == DOM_STATUS_COMPLETED || r->status == DOM_STATUS_CLAIMED;
}

/*
 * The reference consults only the challenge's own rows, so a prerequisite in
 * another challenge is never met. Checking the row's challenge keeps that
 * rule even when the caller hands in more rows.
 */
static bool prerequisites_unmet(const struct dom_goal *g, const struct dom_row *rows, size_t n)
{
	for (size_t i = 0; i < g->n_prerequisites; i++) {
		const struct dom_row *r = dom_rows_find(rows, n, g->prerequisites[i]);
		if (!r || r->goal->challenge != g->challenge || !done(r))
			return true;
	}
	return false;
}

size_t dom_random_pool(const struct dom_challenge *ch, const struct dom_row *rows, size_t n_rows,
		       bool exclude_active, const struct dom_goal **pool)
{
	size_t n = 0;
	for (size_t i = 0; i < ch->n_goals; i++) {
		const struct dom_goal *g = &ch->goals[i];
		const struct dom_row *r = dom_rows_find(rows, n_rows, g->id);
		if (r && done(r))
			continue;
		if (exclude_active && r && r->is_active)
			continue;
		if (prerequisites_unmet(g, rows, n_rows))
			continue;
		pool[n++] = g;
	}
	return n;
}

/* Random words from the kernel, fetched a few at a time. */
struct rng {
	uint64_t w[16];
	size_t pos, len;
};

static int rng_fill(struct rng *r, size_t want)
{
	size_t len = MIN(want, ARRAY_SIZE(r->w)) * sizeof(r->w[0]);
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom((char *)r->w + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	r->pos = 0;
	r->len = len / sizeof(r->w[0]);
	return 0;
}

/*
 * Uniform in [0, bound) without modulo bias: words below 2^64 mod bound are
 * redrawn, so every residue is hit by the same number of words. want is
 * how many more words the caller expects to need (one batched syscall).
 */
static int rng_below(struct rng *r, uint64_t bound, size_t want, uint64_t *out)
{
	uint64_t threshold = (0 - bound) % bound;
	for (;;) {
		if (r->pos == r->len && rng_fill(r, want))
			return -EIO;
		uint64_t x = r->w[r->pos++];
		if (x >= threshold) {
			*out = x % bound;
			return 0;
		}
	}
}

int dom_random_pick(const struct dom_goal **pool, size_t n, size_t count)
{
	struct rng r = { .pos = 0, .len = 0 };
	size_t k = MIN(count, n);
	for (size_t i = 0; i < k; i++) {
		uint64_t j;
		if (rng_below(&r, n - i, k - i, &j))
			return -EIO;
		const struct dom_goal *t = pool[i];
		pool[i] = pool[i + j];
		pool[i + j] = t;
	}
	return (int)k;
}

int dom_total_active(const struct dom_row *rows, size_t n_rows,
		     const struct dom_goal *const *selected, size_t n_selected, bool replace)
{
	int total = (int)n_selected;
	if (replace)
		return total;
	/* Rows of goals removed from the config still count as active. */
	for (size_t i = 0; i < n_rows; i++)
		total += rows[i].is_active;
	for (size_t i = 0; i < n_selected; i++) {
		const struct dom_row *r = dom_rows_find(rows, n_rows, selected[i]->id);
		if (r && r->is_active)
			total--;
	}
	return total;
}

static void render_selected(struct buf *b, const struct dom_goal *g, int64_t now)
{
	buf_append_str(b, "{\"goalId\":");
	dom_json_str(b, g->id, true);
	buf_append_str(b, ",\"name\":");
	dom_json_str(b, g->name, true);
	buf_append_str(b, ",\"description\":");
	dom_json_str(b, g->description, true);
	buf_append_str(b, ",\"requirement\":");
	dom_json_requirement(b, g, true);
	buf_append_str(b, ",\"reward\":");
	dom_json_reward(b, g, true);
	buf_append_str(b, ",\"status\":\"not_started\",\"progress\":0,\"target\":");
	json_write_i64(b, dom_int32_wrap(g->target_value));
	buf_append_str(b, ",\"isActive\":true,\"assignedAt\":");
	dom_json_time(b, now);
	buf_append_str(b, ",\"expiresAt\":");
	int64_t expiry = dom_goal_next_expiry(g, now);
	if (expiry >= 0)
		dom_json_time(b, expiry);
	else
		buf_append(b, "\"\"", 2);
	buf_append_char(b, '}');
}

void dom_render_selection(struct buf *out, const struct dom_challenge *ch,
			  const struct dom_goal *const *selected, size_t n_selected,
			  int total_active, const struct dom_goal *const *replaced,
			  size_t n_replaced, int64_t now)
{
	buf_append_str(out, "{\"selectedGoals\":[");
	for (size_t i = 0; i < n_selected; i++) {
		if (i)
			buf_append_char(out, ',');
		render_selected(out, selected[i], now);
	}
	buf_append_str(out, "],\"challengeId\":");
	dom_json_str(out, ch->id, true);
	buf_append_str(out, ",\"totalActiveGoals\":");
	json_write_i64(out, total_active);
	buf_append_str(out, ",\"replacedGoals\":[");
	for (size_t i = 0; i < n_replaced; i++) {
		if (i)
			buf_append_char(out, ',');
		dom_json_str(out, replaced[i]->id, true);
	}
	buf_append_str(out, "]}");
}
