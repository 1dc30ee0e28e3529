/*
 * Internals of src/domain shared between its files: the decoded-but-unchecked
 * config model (raw_*), the string hash table, and the private store behind
 * dom_config.index. Nothing outside src/domain includes this.
 */
#ifndef CHALLENGED_DOM_PRIVATE_H
#define CHALLENGED_DOM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/arena.h"
#include "challenged/domain.h"
#include "challenged/json.h"

/*
 * The config as Go's encoding/json would leave it in its structs: strings
 * default to "" and point into the json_doc (NUL-terminated), numbers and
 * bools default to zero, and nothing is checked yet.
 */
struct raw_rotation {
	bool enabled;
	const char *type;
	const char *schedule;
	bool reset_progress;
	bool allow_reselection;
};

struct raw_goal {
	const char *id;
	const char *name;
	const char *description;
	const char *event_source;
	bool default_assigned;
	const char *stat_code;
	const char *op;
	int64_t target_value;
	const char *progress_mode;
	const char *reward_type;
	const char *reward_id;
	int64_t quantity;
	const char **prereqs;
	size_t n_prereqs, cap_prereqs;
	struct raw_rotation *rotation; /* NULL = absent (a Go nil pointer) */
};

struct raw_challenge {
	const char *id;
	const char *name;
	const char *description;
	struct raw_goal *goals;
	size_t n_goals, cap_goals;
};

struct raw_config {
	struct raw_challenge *challenges;
	size_t n_challenges, cap_challenges;
};

/* Decodes root into cfg (allocating from a); 0, or -1 with err filled. */
int dom_raw_decode(const struct json_value *root, struct raw_config *cfg, struct arena *a,
		   char *err, size_t err_len);
/* Loader step 3: challenge ids onto goals (implicit), default progressMode. */
void dom_raw_defaults(struct raw_config *cfg);
/* First validation failure (config.md §1.3), without the "config validation
 * failed: " prefix; 0 when valid, -1 with err filled, -ENOMEM. */
int dom_raw_validate(const struct raw_config *cfg, char *err, size_t err_len);

/* Open-addressing table from byte strings to pointers, allocated in an arena. */
struct dom_table_slot {
	const char *key;
	size_t len;
	uint64_t hash;
	const void *val;
};

struct dom_table {
	struct dom_table_slot *slots;
	size_t mask;
	size_t count;
};

int dom_table_init(struct dom_table *t, struct arena *a, size_t expected);
/* Inserts key unless present; returns the existing value or NULL when added. */
const void *dom_table_put(struct dom_table *t, const char *key, size_t len, const void *val);
const void *dom_table_get(const struct dom_table *t, const char *key, size_t len);

/* The goals that share one stat code, config order. */
struct dom_stat_group {
	const struct dom_goal **goals;
	size_t n;
};

/* What dom_config.index points to; dom_config is its first member. */
struct dom_store {
	struct dom_config cfg;
	struct arena arena;
	struct dom_table goals_by_id;
	struct dom_table challenges_by_id;
	struct dom_table stats; /* stat code -> struct dom_stat_group */
	char *static_json;      /* every list_json / list_json_head, malloc'd */
	size_t static_json_len;
	size_t render_reserve;  /* upper bound of dom_render_list's output */
	const struct dom_goal **defaults; /* defaultAssigned goals, config order */
	size_t n_defaults;
};

/* Builds the final model from a validated raw config; 0 or -ENOMEM. */
int dom_store_build(struct dom_store *st, const struct raw_config *raw);
int dom_store_index(struct dom_store *st);
/* Collects the defaultAssigned goals (ops_initialize.c); 0 or -ENOMEM. */
int dom_store_index_defaults(struct dom_store *st);
/* Pre-renders the static list JSON (api.md §5.1) at load time now. */
int dom_store_render(struct dom_store *st, int64_t now);

/* Civil-date helpers (proleptic Gregorian, UTC). */
int64_t dom_days_from_civil(int64_t y, unsigned m, unsigned d);
void dom_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (20 bytes, no NUL) at out. */
void dom_time_put(int64_t seconds, char *out);

/* Displayed progress and status given the current period start of the
 * goal's schedule in µs (ignored when the goal does not rotate). */
void dom_row_display_at(const struct dom_row *row, int64_t period_start_us,
			int64_t *progress, enum dom_status *status);

/*
 * JSON pieces shared by the write-endpoint answers (ops_json.c). proto
 * selects protojson string escaping, else Go encoding/json's.
 */
/* Config integers become the proto's int32 by wrapping, as Go's int32(). */
static inline int32_t dom_int32_wrap(int64_t v)
{
	return (int32_t)(uint32_t)(uint64_t)v;
}
void dom_json_str(struct buf *b, const char *s, bool proto);
/* The whole second a µs timestamp falls in (floor). */
int64_t dom_us_to_seconds(int64_t us);
/* "RFC3339" of whole seconds. */
void dom_json_time(struct buf *b, int64_t seconds);
/* "RFC3339" of a µs timestamp (floored to the second), "" for -1 (NULL). */
void dom_json_time_us(struct buf *b, int64_t us);
/* {"statCode":..,"operator":..,"targetValue":N}, every field present. */
void dom_json_requirement(struct buf *b, const struct dom_goal *g, bool proto);
/* {"type":..,"rewardId":..,"quantity":N}, every field present. */
void dom_json_reward(struct buf *b, const struct dom_goal *g, bool proto);
/* The stored row of goal id among rows, or NULL; rows without a goal
 * (removed from the config) never match. */
const struct dom_row *dom_rows_find(const struct dom_row *rows, size_t n, const char *id);

#endif
