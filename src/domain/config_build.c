/*
 * Validated raw_config -> the immutable dom_config model: strings copied
 * into the config's arena (the JSON tree is freed after loading), enums
 * resolved, goals numbered in config order. Start-up only.
 */
#include <errno.h>
#include <string.h>

#include "dom_private.h"

static const char *dup_str(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

static enum dom_schedule schedule_of(const char *s)
{
	if (strcmp(s, "daily") == 0)
		return DOM_SCHEDULE_DAILY;
	if (strcmp(s, "weekly") == 0)
		return DOM_SCHEDULE_WEEKLY;
	if (strcmp(s, "monthly") == 0)
		return DOM_SCHEDULE_MONTHLY;
	return DOM_SCHEDULE_NONE;
}

/* A present but disabled rotation block is ignored entirely (config.md §1.1). */
static void build_rotation(struct dom_rotation *out, const struct raw_rotation *r)
{
	memset(out, 0, sizeof(*out));
	out->schedule = DOM_SCHEDULE_NONE;
	if (!r || !r->enabled)
		return;
	out->enabled = true;
	out->schedule = schedule_of(r->schedule);
	out->reset_progress = r->reset_progress;
	out->allow_reselection = r->allow_reselection;
}

static int build_goal(struct arena *a, struct dom_goal *g, const struct raw_goal *r,
		      const struct dom_challenge *c, uint32_t index)
{
	memset(g, 0, sizeof(*g));
	g->id = dup_str(a, r->id);
	g->name = dup_str(a, r->name);
	g->description = dup_str(a, r->description);
	g->challenge = c;
	g->index = index;
	g->source = strcmp(r->event_source, "login") == 0 ? DOM_SOURCE_LOGIN : DOM_SOURCE_STATISTIC;
	g->default_assigned = r->default_assigned;
	g->stat_code = dup_str(a, r->stat_code);
	g->op = dup_str(a, r->op);
	g->target_value = r->target_value;
	g->mode = strcmp(r->progress_mode, "relative") == 0 ? DOM_MODE_RELATIVE : DOM_MODE_ABSOLUTE;
	g->reward_type = strcmp(r->reward_type, "ITEM") == 0 ? DOM_REWARD_ITEM : DOM_REWARD_WALLET;
	g->reward_id = dup_str(a, r->reward_id);
	g->reward_quantity = r->quantity;
	build_rotation(&g->rotation, r->rotation);
	if (!g->id || !g->name || !g->description || !g->stat_code || !g->op || !g->reward_id)
		return -ENOMEM;
	if (r->n_prereqs) {
		const char **p = arena_alloc(a, r->n_prereqs * sizeof(*p));
		if (!p)
			return -ENOMEM;
		for (size_t i = 0; i < r->n_prereqs; i++)
			if (!(p[i] = dup_str(a, r->prereqs[i])))
				return -ENOMEM;
		g->prerequisites = p;
		g->n_prerequisites = r->n_prereqs;
	}
	return 0;
}

int dom_store_build(struct dom_store *st, const struct raw_config *raw)
{
	struct arena *a = &st->arena;
	struct dom_config *cfg = &st->cfg;
	size_t n_goals = 0;
	for (size_t i = 0; i < raw->n_challenges; i++)
		n_goals += raw->challenges[i].n_goals;

	cfg->challenges = arena_alloc(a, raw->n_challenges * sizeof(*cfg->challenges));
	cfg->goals = arena_alloc(a, (n_goals ? n_goals : 1) * sizeof(*cfg->goals));
	if (!cfg->challenges || !cfg->goals)
		return -ENOMEM;
	cfg->n_challenges = raw->n_challenges;
	cfg->n_goals = 0;
	cfg->n_rotating = 0;
	for (size_t i = 0; i < raw->n_challenges; i++) {
		const struct raw_challenge *rc = &raw->challenges[i];
		struct dom_challenge *c = &cfg->challenges[i];
		memset(c, 0, sizeof(*c));
		c->id = dup_str(a, rc->id);
		c->name = dup_str(a, rc->name);
		c->description = dup_str(a, rc->description);
		c->goals = arena_alloc(a, rc->n_goals * sizeof(*c->goals));
		if (!c->id || !c->name || !c->description || !c->goals)
			return -ENOMEM;
		c->n_goals = rc->n_goals;
		for (size_t j = 0; j < rc->n_goals; j++) {
			struct dom_goal *g = &c->goals[j];
			int err = build_goal(a, g, &rc->goals[j], c, (uint32_t)cfg->n_goals);
			if (err)
				return err;
			cfg->goals[cfg->n_goals++] = g;
			if (g->rotation.enabled)
				cfg->n_rotating++;
		}
	}
	return 0;
}
