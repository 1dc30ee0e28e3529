/*
 * POST /v1/challenges/initialize (api.md §5.2): the default goals, the
 * returning player's rotation reset, and the hand-built Go encoding/json
 * answer with its trailing newline. Pure; any thread. The default-goal list
 * is built once at load and read-only afterwards.
 */
#include <errno.h>

#include "challenged/domain_ops.h"
#include "dom_private.h"

int dom_store_index_defaults(struct dom_store *st)
{
	const struct dom_config *cfg = &st->cfg;
	/* One slot more than needed so a config without goals still gets a
	 * real (empty) array. */
	st->defaults = arena_alloc(&st->arena, (cfg->n_goals + 1) * sizeof(*st->defaults));
	if (!st->defaults)
		return -ENOMEM;
	st->n_defaults = 0;
	for (size_t i = 0; i < cfg->n_goals; i++)
		if (cfg->goals[i]->default_assigned)
			st->defaults[st->n_defaults++] = cfg->goals[i];
	return 0;
}

const struct dom_goal *const *dom_default_goals(const struct dom_config *cfg, size_t *n)
{
	const struct dom_store *st = cfg->index;
	*n = st->n_defaults;
	return st->defaults;
}

/*
 * The reference's ApplyRotationReset: a claimed goal stays as it is unless
 * it may be reselected and its progress resets; every other rotated row
 * gets the new expiry and updated_at, and with resetProgress starts over.
 */
bool dom_initialize_reset(struct dom_row *row, int64_t now)
{
	const struct dom_goal *g = row->goal;
	if (!g || !dom_rotation_occurred(g, row->updated_at_us, now))
		return false;
	if (row->status == DOM_STATUS_CLAIMED &&
	    !(g->rotation.allow_reselection && g->rotation.reset_progress))
		return false;
	if (g->rotation.reset_progress) {
		row->has_baseline = false;
		row->baseline = 0;
		row->status = DOM_STATUS_NOT_STARTED;
		row->progress = 0;
		row->completed_at_us = -1;
		row->claimed_at_us = -1;
	}
	row->expires_at_us = dom_goal_next_expiry(g, now) * 1000000;
	row->updated_at_us = now * 1000000;
	return true;
}

static void render_assigned(struct buf *b, const struct dom_row *row, int64_t now)
{
	const struct dom_goal *g = row->goal;
	int64_t expiry = dom_goal_next_expiry(g, now);
	int64_t start_us = expiry >= 0 ? dom_period_start(g->rotation.schedule, now) * 1000000 : 0;
	int64_t progress;
	enum dom_status status;
	dom_row_display_at(row, start_us, &progress, &status);

	buf_append_str(b, "{\"challengeId\":");
	dom_json_str(b, g->challenge->id, false);
	buf_append_str(b, ",\"goalId\":");
	dom_json_str(b, g->id, false);
	buf_append_str(b, ",\"name\":");
	dom_json_str(b, g->name, false);
	buf_append_str(b, ",\"description\":");
	dom_json_str(b, g->description, false);
	buf_append_str(b, row->is_active ? ",\"isActive\":true,\"assignedAt\":"
					 : ",\"isActive\":false,\"assignedAt\":");
	dom_json_time_us(b, row->assigned_at_us);
	buf_append_str(b, ",\"expiresAt\":");
	if (expiry >= 0)
		dom_json_time(b, expiry);
	else
		buf_append(b, "\"\"", 2);
	/* The reference's DTO holds int32: a larger displayed delta wraps. */
	buf_append_str(b, ",\"progress\":");
	json_write_i64(b, dom_int32_wrap(progress));
	buf_append_str(b, ",\"target\":");
	json_write_i64(b, dom_int32_wrap(g->target_value));
	buf_append_str(b, ",\"status\":\"");
	buf_append_str(b, dom_status_name(status));
	buf_append_str(b, "\",\"requirement\":");
	dom_json_requirement(b, g, false);
	buf_append_str(b, ",\"reward\":");
	dom_json_reward(b, g, false);
	buf_append_char(b, '}');
}

void dom_render_initialize(struct buf *out, const struct dom_row *rows, size_t n,
			   int new_assignments, int total_active, int64_t now)
{
	bool first = true;
	buf_append_str(out, "{\"assignedGoals\":[");
	for (size_t i = 0; i < n; i++) {
		/* Rows of goals no longer in the config are counted, not listed. */
		if (!rows[i].goal)
			continue;
		if (!first)
			buf_append_char(out, ',');
		first = false;
		render_assigned(out, &rows[i], now);
	}
	buf_append_str(out, "],\"newAssignments\":");
	json_write_i64(out, new_assignments);
	buf_append_str(out, ",\"totalActive\":");
	json_write_i64(out, total_active);
	buf_append(out, "}\n", 2);
}
