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
 * from the row, expiresAt = next expiry from config.
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
 */
int dom_claim_check(const struct dom_goal *goal, const struct dom_row *row,
		    const struct dom_row *all, size_t n_all, int64_t now, struct dom_error *err);

void dom_render_claim(struct buf *out, const struct dom_goal *goal, int64_t now);

/* ---- batch and random select (§5.5, §5.6) ---------------------------------- */

/*
 * Random-select candidates: the challenge's goals in config order without
 * completed/claimed ones, without those with an unmet prerequisite (only
 * rows of this challenge count), and without active ones when
 * exclude_active. rows are the user's rows of this challenge. Writes at most
 * challenge->n_goals pointers to pool; returns the count.
 */
size_t dom_random_pool(const struct dom_challenge *ch, const struct dom_row *rows, size_t n_rows,
		       bool exclude_active, const struct dom_goal **pool);

/*
 * Picks min(count, n) goals uniformly without replacement: a partial
 * Fisher-Yates shuffle driven by the kernel's CSPRNG (getrandom). The picks
 * are moved to pool[0..return). Returns the count picked, or -EIO when no
 * randomness could be had.
 */
int dom_random_pick(const struct dom_goal **pool, size_t n, size_t count);

/*
 * totalActiveGoals of §5.5: with replace, the number selected; otherwise
 * selected + active before − selected that were already active. rows are
 * the challenge's rows before the call.
 */
int dom_total_active(const struct dom_row *rows, size_t n_rows,
		     const struct dom_goal *const *selected, size_t n_selected, bool replace);

/* {"selectedGoals":[...],"challengeId":..,"totalActiveGoals":..,"replacedGoals":[...]} */
void dom_render_selection(struct buf *out, const struct dom_challenge *ch,
			  const struct dom_goal *const *selected, size_t n_selected,
			  int total_active, const struct dom_goal *const *replaced,
			  size_t n_replaced, int64_t now);

/* ---- rotation status (§5.7) ------------------------------------------------ */

void dom_render_rotation(struct buf *out, const struct dom_challenge *ch, int64_t now);

#endif
