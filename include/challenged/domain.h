/*
 * The challenge configuration and the goal rules: pure functions, no I/O
 * beyond reading the config file at start-up. A loaded dom_config is
 * immutable and shared read-only by every shard.
 *
 * Times are seconds since the Unix epoch, UTC, unless a name says _us
 * (microseconds, as Postgres stores TIMESTAMP).
 */
#ifndef CHALLENGED_DOMAIN_H
#define CHALLENGED_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/buf.h"

enum dom_event_source { DOM_SOURCE_LOGIN, DOM_SOURCE_STATISTIC };
enum dom_progress_mode { DOM_MODE_ABSOLUTE, DOM_MODE_RELATIVE };
enum dom_reward_type { DOM_REWARD_ITEM, DOM_REWARD_WALLET };
enum dom_schedule { DOM_SCHEDULE_NONE, DOM_SCHEDULE_DAILY, DOM_SCHEDULE_WEEKLY, DOM_SCHEDULE_MONTHLY };
enum dom_status { DOM_STATUS_NOT_STARTED, DOM_STATUS_IN_PROGRESS, DOM_STATUS_COMPLETED, DOM_STATUS_CLAIMED };

struct dom_challenge;

struct dom_rotation {
	bool enabled;
	enum dom_schedule schedule;
	bool reset_progress;
	bool allow_reselection;
};

struct dom_goal {
	const char *id;
	const char *name;
	const char *description;          /* "" when absent */
	const struct dom_challenge *challenge;
	uint32_t index;                   /* position among all goals, config order */
	enum dom_event_source source;
	bool default_assigned;
	const char *stat_code;
	const char *op;                   /* always ">=" after validation */
	int64_t target_value;
	enum dom_progress_mode mode;
	enum dom_reward_type reward_type;
	const char *reward_id;
	int64_t reward_quantity;
	const char **prerequisites;
	size_t n_prerequisites;
	struct dom_rotation rotation;
	/* Static JSON of the list endpoint, rendered at load: from the opening
	 * brace through the static "status" (and "locked", and the start-time
	 * "expiresAt"/"expiresInSeconds" of rotating goals), without the
	 * closing brace; api.md §5.1. */
	const char *list_json;
	size_t list_json_len;
};

struct dom_challenge {
	const char *id;
	const char *name;
	const char *description;          /* "" when absent */
	struct dom_goal *goals;
	size_t n_goals;
	/* Static JSON up to and including "goals":[ */
	const char *list_json_head;
	size_t list_json_head_len;
};

struct dom_config {
	struct dom_challenge *challenges;
	size_t n_challenges;
	const struct dom_goal **goals;    /* all goals, config order (by index) */
	size_t n_goals;
	size_t n_rotating;
	/* private lookup tables follow in the implementation */
	void *index;
};

/*
 * Loads and validates the file at path (spec config.md §1.2-§1.4). now is
 * the process start time used for the pre-rendered static expiry. Returns 0
 * and *out, or -1 with err holding the whole message the reference prints,
 * e.g. "config validation failed: invalid goal 'x' in challenge 'y':
 * target_value must be positive" or "failed to read config file: ...".
 */
int dom_config_load(const char *path, int64_t now, struct dom_config **out,
		    char *err, size_t err_len);
int dom_config_parse(const char *text, size_t len, int64_t now,
		     struct dom_config **out, char *err, size_t err_len);
void dom_config_free(struct dom_config *cfg);

const struct dom_goal *dom_config_goal(const struct dom_config *cfg, const char *id, size_t len);
const struct dom_challenge *dom_config_challenge(const struct dom_config *cfg,
						 const char *id, size_t len);
/*
 * The goals whose requirement.statCode is code, in config order, and their
 * number in *count; NULL and 0 for an unknown code. The array lives as long
 * as cfg.
 */
const struct dom_goal *const *dom_config_goals_by_stat(const struct dom_config *cfg,
							const char *code, size_t len,
							size_t *count);
/* The first goal of c (config order) with rotation enabled, or NULL: the one
 * whose rotation block the rotation-status endpoint reports (api.md §5.7). */
const struct dom_goal *dom_challenge_rotation(const struct dom_challenge *c);

/* Rotation boundaries (spec api.md §5.0). -1 for DOM_SCHEDULE_NONE. */
int64_t dom_period_start(enum dom_schedule s, int64_t now);
int64_t dom_period_end(enum dom_schedule s, int64_t now);
/* Next boundary if the goal rotates, else -1. */
int64_t dom_goal_next_expiry(const struct dom_goal *g, int64_t now);

/* One stored user_goal_progress row, as far as the rules need it. */
struct dom_row {
	const struct dom_goal *goal;
	int32_t progress;
	enum dom_status status;
	bool is_active;
	bool has_baseline;
	int32_t baseline;
	int64_t completed_at_us; /* -1 when NULL */
	int64_t claimed_at_us;   /* -1 when NULL */
	int64_t updated_at_us;
	int64_t created_at_us;
	int64_t assigned_at_us;  /* -1 when NULL */
	int64_t expires_at_us;   /* -1 when NULL */
};

/* Displayed (progress, status) of a row now (api.md §5.0). A relative
 * delta beyond INT32_MAX (only possible with a negative baseline) saturates;
 * dom_render_list prints it exactly, as the reference's Go int does. */
void dom_row_display(const struct dom_row *row, int64_t now, int32_t *progress,
		     enum dom_status *status);
bool dom_rotation_occurred(const struct dom_goal *g, int64_t updated_at_us, int64_t now);

const char *dom_status_name(enum dom_status s);
/* Returns 0 and *s, or -1 for an unknown name. */
int dom_status_parse(const char *name, size_t len, enum dom_status *s);

/*
 * Postgres TIMESTAMP text ("2025-06-15 14:03:11.123456") to microseconds.
 * Also accepts a 'T' separator, up to 7 year digits, more than six fraction
 * digits (truncated) and a zone suffix ("Z", "+HH", "+HH:MM"), which is
 * applied. Returns 0, or -EINVAL for anything else (e.g. "infinity").
 */
int dom_time_parse_pg(const char *text, size_t len, int64_t *us);
/* RFC3339 UTC, second precision, "Z" suffix; writes 20 chars + NUL. Years
 * outside 0000-9999 keep their last four digits. */
void dom_time_format(int64_t seconds, char out[21]);

/*
 * Appends the body of GET /v1/challenges (api.md §5.1), byte for byte as the
 * reference: challenges and goals in config order, each goal's static JSON
 * followed by its dynamic fields. rows_by_goal is indexed by goal index and
 * holds NULL where the user has no (matching) row.
 */
void dom_render_list(struct buf *out, const struct dom_config *cfg,
		     const struct dom_row *const *rows_by_goal, int64_t now);
/* The same with the clock in microseconds: expiresInSeconds is then the
 * truncated whole seconds left, as the reference computes it. */
void dom_render_list_us(struct buf *out, const struct dom_config *cfg,
			const struct dom_row *const *rows_by_goal, int64_t now_us);

/* Wall clock in microseconds since the epoch. */
int64_t dom_now_us(void);

#endif
