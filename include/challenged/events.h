/*
 * Event ingestion rules (spec events.md §3-§7), without I/O: which goals an
 * event moves, the per-shard coalescing buffer keyed (user, goal) with the
 * reference's merge rules, and the rows of one flush as the parameters of a
 * single UPDATE ... FROM unnest(...) statement whose SQL keeps every rule of
 * §6 (EVT_FLUSH_SQL). The buffer belongs to one shard (the owner of its
 * users) and is not thread-safe.
 */
#ifndef CHALLENGED_EVENTS_H
#define CHALLENGED_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/buf.h"
#include "challenged/domain.h"

/* One goal's update from one event. */
struct evt_update {
	const struct dom_goal *goal;
	bool has_value;     /* statistic events carry the absolute value */
	int64_t value;      /* truncated toward zero, 0 <= value <= INT32_MAX */
	int64_t inc;        /* truncated toward zero */
};

/*
 * Converts a statistic's double as the reference does (truncation toward
 * zero). Returns 0 and *out, or -ERANGE for NaN, infinities and values
 * outside int32 — our choice: such an event is refused with INVALID_ARGUMENT
 * instead of poisoning a whole flush batch as the reference's does.
 */
int evt_truncate(double v, int64_t *out);

/*
 * The updates of a login (§3.1, §3.3): +1 (no value) for every goal whose
 * stat code is tracked by at least one login goal. Returns the count
 * written to out (at most cap; cap >= cfg->n_goals always suffices).
 */
size_t evt_login_updates(const struct dom_config *cfg, struct evt_update *out, size_t cap);

/*
 * The updates of a statistic event (§3.2 steps 6-8, §4 step 2): nothing
 * unless a statistic goal tracks stat_code; then every goal with that stat
 * code (config order) gets (value, inc), except that a negative value skips
 * them all. Returns the count written.
 */
size_t evt_stat_updates(const struct dom_config *cfg, const char *stat_code, size_t len,
			int64_t value, int64_t inc, struct evt_update *out, size_t cap);

/* ---- the coalescing buffer ------------------------------------------------ */

struct evt_buffer;

struct evt_buffer *evt_buffer_new(size_t max_entries);
void evt_buffer_free(struct evt_buffer *b);
size_t evt_buffer_size(const struct evt_buffer *b);   /* distinct (user, goal) keys */

/*
 * Merges one update for user (§5.2): a new key is stored; an update without
 * a value adds its inc to the stored entry (saturating int64; the flush
 * statement clamps); an update with a value replaces the entry. The key is
 * (user bytes, goal pointer), so unlike the reference a ':' in a user or
 * goal id is harmless (deliberate: such goals do progress). Returns 0,
 * -ENOSPC when a new key would pass max_entries, -ENOMEM, or -EINVAL for a
 * user id with a NUL byte or invalid UTF-8, which Postgres would refuse and
 * so fail the whole flush (in every error case nothing changed; the caller
 * answers an error).
 */
int evt_buffer_merge(struct evt_buffer *b, const char *user, size_t user_len,
		     const struct evt_update *u);

/* Everything buffered so far, taken out for one flush. */
struct evt_batch;

/* Moves every entry into a new batch (NULL when empty or out of memory;
 * then the buffer is unchanged). */
struct evt_batch *evt_buffer_take(struct evt_buffer *b);
/* A failed flush: puts the batch's entries back unless the buffer holds a
 * newer entry for the same key (the newer one wins). Frees the batch.
 * Restored keys do not count against max_entries (the size may pass it;
 * merges of new keys are refused until a flush succeeds); entries are
 * dropped only when memory runs out, with an error logged. */
void evt_buffer_restore(struct evt_buffer *b, struct evt_batch *batch);
void evt_batch_free(struct evt_batch *batch);
size_t evt_batch_size(const struct evt_batch *batch);
/* The i-th entry's user id (for dropping cached rows after the commit),
 * NUL-terminated, valid until the batch is freed. */
const char *evt_batch_user(const struct evt_batch *batch, size_t i, size_t *len);

/*
 * The parameters of EVT_FLUSH_SQL for this batch at flush time now:
 * EVT_FLUSH_PARAMS Postgres array literals written into params[i] (each
 * reset first, then NUL-terminated; len excludes the NUL). Rows are the copy
 * rows of §5.5 step 4, in this order: $1 user ids, $2 goal ids, $3 progress
 * (NULL for pure increments), $4 progress mode, $5 inc, $6 target,
 * $7 rotation boundary and $8 new expiry (UTC "YYYY-MM-DD HH:MM:SS" of the
 * goal's period at now when it rotates, else NULL), $9 allow reselection and
 * $10 reset progress (the goal's when it rotates, else false), $11 challenge
 * ids (informational). Returns 0, or -ENOMEM when a buffer failed to grow.
 */
#define EVT_FLUSH_PARAMS 11
int evt_batch_params(const struct evt_batch *batch, int64_t now, struct buf params[EVT_FLUSH_PARAMS]);

/* The flush statement: UPDATE user_goal_progress ... FROM unnest($1..$11),
 * the text of sql/events_flush.sql (every rule of §6.3, with our clamping
 * departures documented there). Only existing, active rows change; claimed
 * rows only with reselection. */
extern const char EVT_FLUSH_SQL[];

#endif
