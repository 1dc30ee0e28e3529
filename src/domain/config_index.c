/*
 * Lookup tables of a loaded config: goal by id, challenge by id, goals by
 * stat code (config order), default goals (ops_initialize.c). Built once at
 * load into the config's arena and read-only afterwards, so every shard may
 * query them without locks.
 */
#include <errno.h>
#include <string.h>

#include "dom_private.h"

static uint64_t hash_bytes(const char *s, size_t len)
{
	/* FNV-1a: ids are short, and the table only needs a fair spread. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int dom_table_init(struct dom_table *t, struct arena *a, size_t expected)
{
	size_t cap = 8;
	while (cap < expected * 2)
		cap *= 2;
	t->slots = arena_alloc(a, cap * sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	memset(t->slots, 0, cap * sizeof(*t->slots));
	t->mask = cap - 1;
	t->count = 0;
	return 0;
}

static struct dom_table_slot *find(const struct dom_table *t, const char *key, size_t len,
				   uint64_t h)
{
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		struct dom_table_slot *s = &t->slots[i];
		if (!s->key)
			return s;
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
	}
}

/* The table never fills: dom_table_init sized it for twice the keys. */
const void *dom_table_put(struct dom_table *t, const char *key, size_t len, const void *val)
{
	uint64_t h = hash_bytes(key, len);
	struct dom_table_slot *s = find(t, key, len, h);
	if (s->key)
		return s->val;
	s->key = key;
	s->len = len;
	s->hash = h;
	s->val = val;
	t->count++;
	return NULL;
}

const void *dom_table_get(const struct dom_table *t, const char *key, size_t len)
{
	if (!t->slots)
		return NULL;
	struct dom_table_slot *s = find(t, key, len, hash_bytes(key, len));
	return s->key ? s->val : NULL;
}

/* Groups goals by stat code in two passes: count, then fill in order. */
static int index_stats(struct dom_store *st)
{
	struct dom_config *cfg = &st->cfg;
	struct dom_stat_group *groups = arena_alloc(&st->arena, cfg->n_goals * sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	size_t n_groups = 0;
	for (size_t i = 0; i < cfg->n_goals; i++) {
		const char *code = cfg->goals[i]->stat_code;
		size_t len = strlen(code);
		struct dom_stat_group *g = (struct dom_stat_group *)dom_table_get(&st->stats, code, len);
		if (!g) {
			g = &groups[n_groups++];
			g->goals = NULL;
			g->n = 0;
			dom_table_put(&st->stats, code, len, g);
		}
		g->n++;
	}
	for (size_t i = 0; i < n_groups; i++) {
		groups[i].goals = arena_alloc(&st->arena, groups[i].n * sizeof(*groups[i].goals));
		if (!groups[i].goals)
			return -ENOMEM;
		groups[i].n = 0;
	}
	for (size_t i = 0; i < cfg->n_goals; i++) {
		const char *code = cfg->goals[i]->stat_code;
		struct dom_stat_group *g =
			(struct dom_stat_group *)dom_table_get(&st->stats, code, strlen(code));
		g->goals[g->n++] = cfg->goals[i];
	}
	return 0;
}

int dom_store_index(struct dom_store *st)
{
	struct dom_config *cfg = &st->cfg;
	if (dom_table_init(&st->goals_by_id, &st->arena, cfg->n_goals) ||
	    dom_table_init(&st->challenges_by_id, &st->arena, cfg->n_challenges) ||
	    dom_table_init(&st->stats, &st->arena, cfg->n_goals))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_goals; i++) {
		const struct dom_goal *g = cfg->goals[i];
		dom_table_put(&st->goals_by_id, g->id, strlen(g->id), g);
	}
	for (size_t i = 0; i < cfg->n_challenges; i++) {
		const struct dom_challenge *c = &cfg->challenges[i];
		dom_table_put(&st->challenges_by_id, c->id, strlen(c->id), c);
	}
	if (index_stats(st))
		return -ENOMEM;
	return dom_store_index_defaults(st);
}

const struct dom_goal *dom_config_goal(const struct dom_config *cfg, const char *id, size_t len)
{
	const struct dom_store *st = cfg->index;
	return dom_table_get(&st->goals_by_id, id, len);
}

const struct dom_challenge *dom_config_challenge(const struct dom_config *cfg,
						 const char *id, size_t len)
{
	const struct dom_store *st = cfg->index;
	return dom_table_get(&st->challenges_by_id, id, len);
}

const struct dom_goal *const *dom_config_goals_by_stat(const struct dom_config *cfg,
							const char *code, size_t len,
							size_t *count)
{
	const struct dom_store *st = cfg->index;
	const struct dom_stat_group *g = dom_table_get(&st->stats, code, len);
	if (!g) {
		*count = 0;
		return NULL;
	}
	*count = g->n;
	return g->goals;
}
