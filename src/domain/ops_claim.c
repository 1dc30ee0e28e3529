/*
 * POST .../goals/{goal_id}/claim (api.md §5.4): checks 6-10 on the locked
 * row in the reference's order, each failure with its exact message and
 * codes, and the 200 answer. Pure: the handler does the locking, the grant
 * and the update. Any thread.
 */
#include <stdio.h>

#include "challenged/domain_ops.h"
#include "dom_private.h"

#define GRPC_ALREADY_EXISTS 6
#define GRPC_FAILED_PRECONDITION 9

static int fail(struct dom_error *err, int http, int code)
{
	err->http = http;
	err->code = code;
	return -1;
}

static int not_completed(struct dom_error *err, const char *goal, enum dom_status status)
{
	snprintf(err->message, sizeof(err->message),
		 "Goal not completed. Please wait 1 second and try again. (goal_id: %s, status: %s)",
		 goal, dom_status_name(status));
	return fail(err, 400, GRPC_FAILED_PRECONDITION);
}

/*
 * The reference formats the stored claimed_at; a claimed row without one
 * would crash it (nil pointer). We answer the same 409 with an empty time.
 */
static int already_claimed(struct dom_error *err, const char *goal, int64_t claimed_at_us)
{
	char ts[21] = "";
	if (claimed_at_us != -1)
		dom_time_format(dom_us_to_seconds(claimed_at_us), ts);
	snprintf(err->message, sizeof(err->message),
		 "Reward has already been claimed (goal_id: %s, claimed_at: %s)", goal, ts);
	return fail(err, 409, GRPC_ALREADY_EXISTS);
}

static bool prerequisites_met(const struct dom_goal *goal, const struct dom_row *all, size_t n_all)
{
	for (size_t i = 0; i < goal->n_prerequisites; i++) {
		const struct dom_row *r = dom_rows_find(all, n_all, goal->prerequisites[i]);
		if (!r || (r->status != DOM_STATUS_COMPLETED && r->status != DOM_STATUS_CLAIMED))
			return false;
	}
	return true;
}

int dom_claim_check(const struct dom_goal *goal, const struct dom_row *row,
		    const struct dom_row *all, size_t n_all, int64_t now, struct dom_error *err)
{
	const char *g = goal->id, *c = goal->challenge->id;
	if (!row)
		return not_completed(err, g, DOM_STATUS_NOT_STARTED);
	if (!row->is_active) {
		snprintf(err->message, sizeof(err->message),
			 "Goal must be active to claim reward. Activate it first via PUT "
			 "/v1/challenges/%s/goals/%s/active (goal_id: %s)", c, g, g);
		return fail(err, 400, GRPC_FAILED_PRECONDITION);
	}
	if (dom_rotation_occurred(goal, row->updated_at_us, now)) {
		snprintf(err->message, sizeof(err->message),
			 "Goal has rotated and must be re-completed (goal_id: %s, challenge_id: %s)", g, c);
		return fail(err, 400, GRPC_FAILED_PRECONDITION);
	}
	if (row->status == DOM_STATUS_CLAIMED)
		return already_claimed(err, g, row->claimed_at_us);
	if (row->status != DOM_STATUS_COMPLETED)
		return not_completed(err, g, row->status);
	if (!prerequisites_met(goal, all, n_all)) {
		snprintf(err->message, sizeof(err->message),
			 "Prerequisites not completed (goal_id: %s)", g);
		return fail(err, 400, GRPC_FAILED_PRECONDITION);
	}
	return 0;
}

void dom_render_claim(struct buf *out, const struct dom_goal *goal, int64_t now)
{
	buf_append_str(out, "{\"goalId\":");
	dom_json_str(out, goal->id, true);
	buf_append_str(out, ",\"status\":\"claimed\",\"reward\":");
	dom_json_reward(out, goal, true);
	buf_append_str(out, ",\"claimedAt\":");
	dom_json_time(out, now);
	buf_append_char(out, '}');
}
