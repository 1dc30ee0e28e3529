/*
 * The goal rules behind the REST write endpoints (spec api.md §5.2-§5.7) and
 * the JSON of their answers: pure functions over the config and a user's
 * rows, no I/O, so every branch is unit-tested without a database. The
 * handlers in src/api read rows, call these, write what they decide.
 *
 * JSON conventions: gateway answers (set-active, claim, batch/random select,
 * rotation) are protobuf-JSON: every field present, zero values included,
 * proto field order, strings escaped with json_write_string_proto. The
 * initialize answer is the reference's hand-built Go encoding/json output
 * (json_write_string) followed by one '\n'.
 */
#ifndef CHALLENGED_DOMAIN_OPS_H
#define CHALLENGED_DOMAIN_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/buf.h"
#include "challenged/domain.h"

/* ---- initialize (§5.2) ---------------------------------------------------- */

/* Goals with defaultAssigned, in config order (our choice for the
 * reference's unspecified hash-map order). */
const struct dom_goal *const *dom_default_goals(const struct dom_config *cfg, size_t *n);

/*
 * The returning player's rotation reset, applied in memory to one active row
 * (§5.2 step 5). Returns true when the row changed and must be persisted
 * (progress, status, completed_at, updated_at only — the reference's quirk).
 */
bool dom_initialize_reset(struct dom_row *row, int64_t now);

/*
 * Appends the initialize body: {"assignedGoals":[...],"newAssignments":N,
 * "totalActive":M} and '\n'. rows are the entries to list, in order; each
 * item shows the display (progress, status) of its row, target, assignedAt
 * from the row, expiresAt = next expiry from config. Rows whose goal is NULL
 * (removed from the config) are skipped: they count only in total_active.
 * challengeId is the goal's challenge in the config (the reference prints
 * the row's stored challenge_id: the same unless a goal changed challenge).
 */
void dom_render_initialize(struct buf *out, const struct dom_row *rows, size_t n,
			   int new_assignments, int total_active, int64_t now);

/* ---- set active (§5.3) ---------------------------------------------------- */

void dom_render_set_active(struct buf *out, const char *challenge_id, size_t challenge_len,
			   const char *goal_id, size_t goal_len, bool active, int64_t now);

/* ---- claim (§5.4) --------------------------------------------------------- */

/* An answer that is not 200: HTTP status, gRPC code, message. */
struct dom_error {
	int http;
	int code;
	char message[512];
};

/*
 * Steps 6-10 of the claim checks, in the reference's order. row is the
 * goal's row (NULL when the user has none); all/n_all every row of the user.
 * Returns 0 when the reward may be granted, else -1 with *err filled
 * (400/9 not completed, not active, rotated, prerequisites; 409/6 claimed).
 * A claimed row without claimed_at (which would crash the reference) gets
 * the 409 with an empty time. Messages longer than 511 bytes (ids of
 * hundreds of bytes) are cut.
 */
int dom_claim_check(const struct dom_goal *goal, const struct dom_row *row,
		    const struct dom_row *all, size_t n_all, int64_t now, struct dom_error *err);

void dom_render_claim(struct buf *out, const struct dom_goal *goal, int64_t now);

/* ---- batch and random select (§5.5, §5.6) ---------------------------------- */

/*
 * Random-select candidates: the challenge's goals in config order without
 * completed/claimed ones, without those with an unmet prerequisite (only
 * rows of this challenge count), and without active ones when
 * exclude_active — which the handler sets for exclude_active OR
 * replace_existing (§5.6 step 4). rows are the user's rows of this
 * challenge; a row of another challenge's goal never meets a prerequisite
 * even if passed. Writes at most challenge->n_goals pointers to pool;
 * returns the count (0: the handler's INSUFFICIENT_GOALS answer).
 */
size_t dom_random_pool(const struct dom_challenge *ch, const struct dom_row *rows, size_t n_rows,
		       bool exclude_active, const struct dom_goal **pool);

/*
 * Picks min(count, n) goals uniformly without replacement: a partial
 * Fisher-Yates shuffle driven by the kernel's CSPRNG (getrandom, unbiased
 * by rejection). The picks are moved to pool[0..return) in pick order (the
 * answer's order); the rest of pool stays a permutation of the others.
 * Returns the count picked, or -EIO when no randomness could be had.
 */
int dom_random_pick(const struct dom_goal **pool, size_t n, size_t count);

/*
 * totalActiveGoals of §5.5: with replace, the number selected; otherwise
 * selected + active before − selected that were already active. rows are
 * the challenge's rows before the call.
 */
int dom_total_active(const struct dom_row *rows, size_t n_rows,
		     const struct dom_goal *const *selected, size_t n_selected, bool replace);

/*
 * {"selectedGoals":[...],"challengeId":..,"totalActiveGoals":..,"replacedGoals":[...]}:
 * each SelectedGoal as activated now (not_started, progress 0, isActive,
 * assignedAt now), expiresAt the next expiry of a rotating goal else "".
 */
void dom_render_selection(struct buf *out, const struct dom_challenge *ch,
			  const struct dom_goal *const *selected, size_t n_selected,
			  int total_active, const struct dom_goal *const *replaced,
			  size_t n_replaced, int64_t now);

/* ---- rotation status (§5.7) ------------------------------------------------ */

/* {"challengeId":..,"rotation":{...}} from the challenge's first rotating
 * goal (dom_challenge_rotation); the disabled block when there is none. */
void dom_render_rotation(struct buf *out, const struct dom_challenge *ch, int64_t now);
/* The same with the clock in microseconds (expiresInSeconds truncated). */
void dom_render_rotation_us(struct buf *out, const struct dom_challenge *ch, int64_t now_us);

#endif
