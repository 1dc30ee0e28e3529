/*
 * challenges.json tree -> raw_config with Go encoding/json's decoding rules
 * (config.md §1.4): keys matched case-insensitively member by member in
 * document order (so the last duplicate wins and repeated objects merge),
 * unknown keys ignored, null leaves a value alone (nil for slices and the
 * rotation pointer), integers must be integral int64. Start-up only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dom_private.h"

struct dec {
	struct arena *a;
	char *err;
	size_t err_len;
};

/* Go's text for the JSON value in an UnmarshalTypeError. */
static void value_desc(const struct json_value *v, char *out, size_t len)
{
	switch (v->type) {
	case JSON_STRING:
		snprintf(out, len, "string");
		break;
	case JSON_BOOL:
		snprintf(out, len, "bool");
		break;
	case JSON_ARRAY:
		snprintf(out, len, "array");
		break;
	case JSON_OBJECT:
		snprintf(out, len, "object");
		break;
	case JSON_INT:
		snprintf(out, len, "number %" PRId64, v->i);
		break;
	case JSON_UINT:
		snprintf(out, len, "number %" PRIu64, v->u);
		break;
	case JSON_DOUBLE:
		snprintf(out, len, "number %g", v->d);
		break;
	default:
		snprintf(out, len, "null");
		break;
	}
}

/*
 * "json: cannot unmarshal <value> into Go struct field <Struct>.<path> of
 * type <type>", Go's message; a number into a non-number field is just
 * "number", a number that does not fit an int field carries its text.
 */
static int type_error(struct dec *d, const struct json_value *v, const char *strct,
		      const char *path, const char *type)
{
	char desc[64];
	if (v->type == JSON_INT || v->type == JSON_UINT || v->type == JSON_DOUBLE) {
		if (strcmp(type, "int") == 0)
			value_desc(v, desc, sizeof(desc));
		else
			snprintf(desc, sizeof(desc), "number");
	} else {
		value_desc(v, desc, sizeof(desc));
	}
	snprintf(d->err, d->err_len,
		 "json: cannot unmarshal %s into Go struct field %s.%s of type %s", desc, strct,
		 path, type);
	return -1;
}

static int nomem(struct dec *d)
{
	snprintf(d->err, d->err_len, "out of memory");
	return -1;
}

static int dec_string(struct dec *d, const struct json_value *v, const char **dst,
		      const char *strct, const char *path, const char *type)
{
	if (v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_STRING)
		return type_error(d, v, strct, path, type);
	*dst = v->str;
	return 0;
}

static int dec_bool(struct dec *d, const struct json_value *v, bool *dst, const char *strct,
		    const char *path)
{
	if (v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_BOOL)
		return type_error(d, v, strct, path, "bool");
	*dst = v->b;
	return 0;
}

static int dec_int(struct dec *d, const struct json_value *v, int64_t *dst, const char *strct,
		   const char *path)
{
	if (v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_INT)
		return type_error(d, v, strct, path, "int");
	*dst = v->i;
	return 0;
}

/*
 * Go decodes a JSON array into a slice element by element, reusing the
 * elements already there (up to the slice's capacity) and ending the slice at
 * the array's length. Grows *arr to hold n elements of size sz, keeping the
 * first *len and zeroing the new tail.
 */
static int slice_fit(struct dec *d, void **arr, size_t *len, size_t *cap, size_t n, size_t sz)
{
	if (n > *cap) {
		char *p = arena_alloc(d->a, n * sz);
		if (!p)
			return nomem(d);
		if (*len)
			memcpy(p, *arr, *len * sz);
		memset(p + *len * sz, 0, (n - *len) * sz);
		*arr = p;
		*cap = n;
	}
	return 0;
}

static int dec_on_expiry(struct dec *d, const struct json_value *v, struct raw_rotation *r)
{
	if (v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_OBJECT)
		return type_error(d, v, "RotationConfig", "challenges.goals.rotation.onExpiry",
				  "domain.OnExpiryConfig");
	for (uint32_t i = 0; i < v->len; i++) {
		const struct json_member *m = &v->members[i];
		int rc = 0;
		if (json_key_fold_eq(m->key, m->key_len, "resetProgress"))
			rc = dec_bool(d, &m->value, &r->reset_progress, "OnExpiryConfig",
				      "challenges.goals.rotation.onExpiry.resetProgress");
		else if (json_key_fold_eq(m->key, m->key_len, "allowReselection"))
			rc = dec_bool(d, &m->value, &r->allow_reselection, "OnExpiryConfig",
				      "challenges.goals.rotation.onExpiry.allowReselection");
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_rotation(struct dec *d, const struct json_value *v, struct raw_goal *g)
{
	if (v->type == JSON_NULL) {
		g->rotation = NULL;
		return 0;
	}
	if (v->type != JSON_OBJECT)
		return type_error(d, v, "Goal", "challenges.goals.rotation", "domain.RotationConfig");
	if (!g->rotation) {
		g->rotation = arena_alloc(d->a, sizeof(*g->rotation));
		if (!g->rotation)
			return nomem(d);
		memset(g->rotation, 0, sizeof(*g->rotation));
	}
	struct raw_rotation *r = g->rotation;
	for (uint32_t i = 0; i < v->len; i++) {
		const struct json_member *m = &v->members[i];
		const char *k = m->key;
		size_t kl = m->key_len;
		int rc = 0;
		if (json_key_fold_eq(k, kl, "enabled"))
			rc = dec_bool(d, &m->value, &r->enabled, "RotationConfig",
				      "challenges.goals.rotation.enabled");
		else if (json_key_fold_eq(k, kl, "type"))
			rc = dec_string(d, &m->value, &r->type, "RotationConfig",
					"challenges.goals.rotation.type", "domain.RotationType");
		else if (json_key_fold_eq(k, kl, "schedule"))
			rc = dec_string(d, &m->value, &r->schedule, "RotationConfig",
					"challenges.goals.rotation.schedule",
					"domain.RotationSchedule");
		else if (json_key_fold_eq(k, kl, "onExpiry"))
			rc = dec_on_expiry(d, &m->value, r);
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_requirement(struct dec *d, const struct json_value *v, struct raw_goal *g)
{
	if (v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_OBJECT)
		return type_error(d, v, "Goal", "challenges.goals.requirement", "domain.Requirement");
	for (uint32_t i = 0; i < v->len; i++) {
		const struct json_member *m = &v->members[i];
		const char *k = m->key;
		size_t kl = m->key_len;
		int rc = 0;
		if (json_key_fold_eq(k, kl, "statCode"))
			rc = dec_string(d, &m->value, &g->stat_code, "Requirement",
					"challenges.goals.requirement.statCode", "string");
		else if (json_key_fold_eq(k, kl, "operator"))
			rc = dec_string(d, &m->value, &g->op, "Requirement",
					"challenges.goals.requirement.operator", "string");
		else if (json_key_fold_eq(k, kl, "targetValue"))
			rc = dec_int(d, &m->value, &g->target_value, "Requirement",
				     "challenges.goals.requirement.targetValue");
		else if (json_key_fold_eq(k, kl, "progressMode"))
			rc = dec_string(d, &m->value, &g->progress_mode, "Requirement",
					"challenges.goals.requirement.progressMode",
					"domain.ProgressMode");
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_reward(struct dec *d, const struct json_value *v, struct raw_goal *g)
{
	if (v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_OBJECT)
		return type_error(d, v, "Goal", "challenges.goals.reward", "domain.Reward");
	for (uint32_t i = 0; i < v->len; i++) {
		const struct json_member *m = &v->members[i];
		const char *k = m->key;
		size_t kl = m->key_len;
		int rc = 0;
		if (json_key_fold_eq(k, kl, "type"))
			rc = dec_string(d, &m->value, &g->reward_type, "Reward",
					"challenges.goals.reward.type", "string");
		else if (json_key_fold_eq(k, kl, "rewardId"))
			rc = dec_string(d, &m->value, &g->reward_id, "Reward",
					"challenges.goals.reward.rewardId", "string");
		else if (json_key_fold_eq(k, kl, "quantity"))
			rc = dec_int(d, &m->value, &g->quantity, "Reward",
				     "challenges.goals.reward.quantity");
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_prereqs(struct dec *d, const struct json_value *v, struct raw_goal *g)
{
	if (v->type == JSON_NULL) {
		g->n_prereqs = 0;
		return 0;
	}
	if (v->type != JSON_ARRAY)
		return type_error(d, v, "Goal", "challenges.goals.prerequisites", "[]string");
	void *arr = (void *)g->prereqs;
	if (slice_fit(d, &arr, &g->n_prereqs, &g->cap_prereqs, v->len, sizeof(*g->prereqs)))
		return -1;
	g->prereqs = arr;
	for (uint32_t i = 0; i < v->len; i++) {
		int rc = dec_string(d, &v->items[i], &g->prereqs[i], "Goal",
				    "challenges.goals.prerequisites", "string");
		if (rc)
			return rc;
	}
	g->n_prereqs = v->len;
	return 0;
}

static int dec_goal(struct dec *d, const struct json_value *v, struct raw_goal *g)
{
	/* A null element is a nil *Goal in Go (which then crashes the
	 * validator); here it becomes an empty goal that fails validation. */
	if (v->type == JSON_NULL) {
		memset(g, 0, sizeof(*g));
		return 0;
	}
	if (v->type != JSON_OBJECT)
		return type_error(d, v, "Challenge", "challenges.goals", "domain.Goal");
	const char *ignored_challenge_id = NULL;
	for (uint32_t i = 0; i < v->len; i++) {
		const struct json_member *m = &v->members[i];
		const char *k = m->key;
		size_t kl = m->key_len;
		const struct json_value *val = &m->value;
		int rc = 0;
		if (json_key_fold_eq(k, kl, "goalId"))
			rc = dec_string(d, val, &g->id, "Goal", "challenges.goals.goalId", "string");
		else if (json_key_fold_eq(k, kl, "name"))
			rc = dec_string(d, val, &g->name, "Goal", "challenges.goals.name", "string");
		else if (json_key_fold_eq(k, kl, "description"))
			rc = dec_string(d, val, &g->description, "Goal",
					"challenges.goals.description", "string");
		else if (json_key_fold_eq(k, kl, "challengeId"))
			rc = dec_string(d, val, &ignored_challenge_id, "Goal",
					"challenges.goals.challengeId", "string");
		else if (json_key_fold_eq(k, kl, "eventSource"))
			rc = dec_string(d, val, &g->event_source, "Goal",
					"challenges.goals.eventSource", "domain.EventSource");
		else if (json_key_fold_eq(k, kl, "defaultAssigned"))
			rc = dec_bool(d, val, &g->default_assigned, "Goal",
				      "challenges.goals.defaultAssigned");
		else if (json_key_fold_eq(k, kl, "requirement"))
			rc = dec_requirement(d, val, g);
		else if (json_key_fold_eq(k, kl, "reward"))
			rc = dec_reward(d, val, g);
		else if (json_key_fold_eq(k, kl, "prerequisites"))
			rc = dec_prereqs(d, val, g);
		else if (json_key_fold_eq(k, kl, "rotation"))
			rc = dec_rotation(d, val, g);
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_goals(struct dec *d, const struct json_value *v, struct raw_challenge *c)
{
	if (v->type == JSON_NULL) {
		c->n_goals = 0;
		return 0;
	}
	if (v->type != JSON_ARRAY)
		return type_error(d, v, "Challenge", "challenges.goals", "[]*domain.Goal");
	void *arr = c->goals;
	if (slice_fit(d, &arr, &c->n_goals, &c->cap_goals, v->len, sizeof(*c->goals)))
		return -1;
	c->goals = arr;
	for (uint32_t i = 0; i < v->len; i++) {
		int rc = dec_goal(d, &v->items[i], &c->goals[i]);
		if (rc)
			return rc;
	}
	c->n_goals = v->len;
	return 0;
}

static int dec_challenge(struct dec *d, const struct json_value *v, struct raw_challenge *c)
{
	if (v->type == JSON_NULL) {
		memset(c, 0, sizeof(*c));
		return 0;
	}
	if (v->type != JSON_OBJECT)
		return type_error(d, v, "Config", "challenges", "domain.Challenge");
	for (uint32_t i = 0; i < v->len; i++) {
		const struct json_member *m = &v->members[i];
		const char *k = m->key;
		size_t kl = m->key_len;
		int rc = 0;
		if (json_key_fold_eq(k, kl, "challengeId"))
			rc = dec_string(d, &m->value, &c->id, "Challenge", "challenges.challengeId",
					"string");
		else if (json_key_fold_eq(k, kl, "name"))
			rc = dec_string(d, &m->value, &c->name, "Challenge", "challenges.name",
					"string");
		else if (json_key_fold_eq(k, kl, "description"))
			rc = dec_string(d, &m->value, &c->description, "Challenge",
					"challenges.description", "string");
		else if (json_key_fold_eq(k, kl, "goals"))
			rc = dec_goals(d, &m->value, c);
		if (rc)
			return rc;
	}
	return 0;
}

static int dec_challenges(struct dec *d, const struct json_value *v, struct raw_config *cfg)
{
	if (v->type == JSON_NULL) {
		cfg->n_challenges = 0;
		return 0;
	}
	if (v->type != JSON_ARRAY)
		return type_error(d, v, "Config", "challenges", "[]*domain.Challenge");
	void *arr = cfg->challenges;
	if (slice_fit(d, &arr, &cfg->n_challenges, &cfg->cap_challenges, v->len,
		      sizeof(*cfg->challenges)))
		return -1;
	cfg->challenges = arr;
	for (uint32_t i = 0; i < v->len; i++) {
		int rc = dec_challenge(d, &v->items[i], &cfg->challenges[i]);
		if (rc)
			return rc;
	}
	cfg->n_challenges = v->len;
	return 0;
}

int dom_raw_decode(const struct json_value *root, struct raw_config *cfg, struct arena *a,
		   char *err, size_t err_len)
{
	struct dec d = { .a = a, .err = err, .err_len = err_len };
	memset(cfg, 0, sizeof(*cfg));
	if (root->type == JSON_NULL)
		return 0;
	if (root->type != JSON_OBJECT) {
		char desc[64];
		value_desc(root, desc, sizeof(desc));
		if (root->type == JSON_INT || root->type == JSON_UINT || root->type == JSON_DOUBLE)
			snprintf(desc, sizeof(desc), "number");
		snprintf(err, err_len, "json: cannot unmarshal %s into Go value of type config.Config",
			 desc);
		return -1;
	}
	for (uint32_t i = 0; i < root->len; i++) {
		const struct json_member *m = &root->members[i];
		if (json_key_fold_eq(m->key, m->key_len, "challenges") &&
		    dec_challenges(&d, &m->value, cfg))
			return -1;
	}
	return 0;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

void dom_raw_defaults(struct raw_config *cfg)
{
	for (size_t i = 0; i < cfg->n_challenges; i++) {
		struct raw_challenge *c = &cfg->challenges[i];
		c->id = or_empty(c->id);
		c->name = or_empty(c->name);
		c->description = or_empty(c->description);
		for (size_t j = 0; j < c->n_goals; j++) {
			struct raw_goal *g = &c->goals[j];
			g->id = or_empty(g->id);
			g->name = or_empty(g->name);
			g->description = or_empty(g->description);
			g->event_source = or_empty(g->event_source);
			g->stat_code = or_empty(g->stat_code);
			g->op = or_empty(g->op);
			g->reward_type = or_empty(g->reward_type);
			g->reward_id = or_empty(g->reward_id);
			if (!g->progress_mode || !*g->progress_mode)
				g->progress_mode = "absolute";
			for (size_t k = 0; k < g->n_prereqs; k++)
				g->prereqs[k] = or_empty(g->prereqs[k]);
			if (g->rotation) {
				g->rotation->type = or_empty(g->rotation->type);
				g->rotation->schedule = or_empty(g->rotation->schedule);
			}
		}
	}
}
