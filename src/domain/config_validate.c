/*
 * The validation rules of config.md §1.3 with their exact messages, first
 * failure wins: challenges in file order (own checks, duplicate id, then each
 * goal's checks and duplicate id), prerequisites last. Start-up only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dom_private.h"

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* The goal's own checks; the inner message only, 0 when valid. */
static int check_goal(const struct raw_goal *g, char *err, size_t len)
{
	if (!*g->id)
		return fail(err, len, "goal ID cannot be empty");
	if (!*g->name)
		return fail(err, len, "goal name cannot be empty");
	if (!*g->event_source)
		return fail(err, len, "event_source cannot be empty");
	if (!streq(g->event_source, "login") && !streq(g->event_source, "statistic"))
		return fail(err, len,
				"invalid event_source '%s' (must be 'login' or 'statistic')",
				g->event_source);
	if (!streq(g->progress_mode, "absolute") && !streq(g->progress_mode, "relative"))
		return fail(err, len,
				"invalid progressMode '%s' (must be 'absolute' or 'relative')",
				g->progress_mode);
	const struct raw_rotation *r = g->rotation;
	if (r && r->enabled) {
		if (!streq(r->type, "global"))
			return fail(err, len, "invalid rotation type '%s' (must be 'global')",
					r->type);
		if (!streq(r->schedule, "daily") && !streq(r->schedule, "weekly") &&
		    !streq(r->schedule, "monthly"))
			return fail(err, len,
					"invalid rotation schedule '%s' (must be 'daily', 'weekly', or 'monthly')",
					r->schedule);
		if (!streq(g->progress_mode, "relative"))
			return fail(err, len, "rotation requires progressMode 'relative', got '%s'",
					g->progress_mode);
	}
	if (!*g->stat_code)
		return fail(err, len, "stat_code cannot be empty");
	if (!streq(g->op, ">="))
		return fail(err, len, "unsupported operator '%s' (only '>=' supported)", g->op);
	if (g->target_value <= 0)
		return fail(err, len, "target_value must be positive");
	if (!streq(g->reward_type, "ITEM") && !streq(g->reward_type, "WALLET"))
		return fail(err, len,
				"unsupported reward type '%s' (only 'ITEM' or 'WALLET' allowed)",
				g->reward_type);
	if (!*g->reward_id)
		return fail(err, len, "reward_id cannot be empty");
	if (g->quantity <= 0)
		return fail(err, len, "reward quantity must be positive");
	return 0;
}

static int check_challenge(const struct raw_challenge *c, char *err, size_t len)
{
	if (!*c->id)
		return fail(err, len, "challenge ID cannot be empty");
	if (!*c->name)
		return fail(err, len, "challenge name cannot be empty");
	if (c->n_goals == 0)
		return fail(err, len, "challenge must have at least one goal");
	return 0;
}

static int check_prerequisites(const struct raw_config *cfg, const struct dom_table *goal_ids,
			       char *err, size_t len)
{
	for (size_t i = 0; i < cfg->n_challenges; i++) {
		const struct raw_challenge *c = &cfg->challenges[i];
		for (size_t j = 0; j < c->n_goals; j++) {
			const struct raw_goal *g = &c->goals[j];
			for (size_t k = 0; k < g->n_prereqs; k++) {
				const char *p = g->prereqs[k];
				if (!dom_table_get(goal_ids, p, strlen(p)))
					return fail(err, len,
							"goal '%s' has invalid prerequisite: '%s' does not exist",
							g->id, p);
			}
		}
	}
	return 0;
}

static int validate(const struct raw_config *cfg, struct arena *a, char *err, size_t len)
{
	char inner[1024];
	size_t n_goals = 0;
	if (cfg->n_challenges == 0)
		return fail(err, len, "config must have at least one challenge");
	for (size_t i = 0; i < cfg->n_challenges; i++)
		n_goals += cfg->challenges[i].n_goals;

	struct dom_table challenge_ids, goal_ids;
	if (dom_table_init(&challenge_ids, a, cfg->n_challenges) ||
	    dom_table_init(&goal_ids, a, n_goals))
		return -ENOMEM;

	for (size_t i = 0; i < cfg->n_challenges; i++) {
		const struct raw_challenge *c = &cfg->challenges[i];
		if (check_challenge(c, inner, sizeof(inner)))
			return fail(err, len, "invalid challenge '%s': %s", c->id, inner);
		if (dom_table_put(&challenge_ids, c->id, strlen(c->id), c))
			return fail(err, len, "duplicate challenge ID: %s", c->id);
		for (size_t j = 0; j < c->n_goals; j++) {
			const struct raw_goal *g = &c->goals[j];
			if (check_goal(g, inner, sizeof(inner)))
				return fail(err, len, "invalid goal '%s' in challenge '%s': %s",
						g->id, c->id, inner);
			if (dom_table_put(&goal_ids, g->id, strlen(g->id), g))
				return fail(err, len, "duplicate goal ID: %s", g->id);
		}
	}
	return check_prerequisites(cfg, &goal_ids, err, len);
}

int dom_raw_validate(const struct raw_config *cfg, char *err, size_t err_len)
{
	struct arena a;
	arena_init(&a, 0);
	int rc = validate(cfg, &a, err, err_len);
	arena_fini(&a);
	return rc;
}
