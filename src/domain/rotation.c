/*
 * Rotation maths and the display rules of api.md §5.0 (common:
 * pkg/rotation): UTC period boundaries, next expiry, whether a row predates
 * the current period, and what a row shows now. Pure; any thread.
 */
#include "dom_private.h"

/* A rotating goal always has a schedule after validation; without one Go
 * finds no boundary and reports no rotation. */
static bool rotates(const struct dom_goal *g)
{
	return g->rotation.enabled && g->rotation.schedule != DOM_SCHEDULE_NONE;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t dom_period_start(enum dom_schedule s, int64_t now)
{
	int64_t days = floor_div(now, 86400);
	switch (s) {
	case DOM_SCHEDULE_DAILY:
		return days * 86400;
	case DOM_SCHEDULE_WEEKLY: {
		/* 1970-01-01 was a Thursday: three days after a Monday. */
		int64_t since_monday = days + 3 - floor_div(days + 3, 7) * 7;
		return (days - since_monday) * 86400;
	}
	case DOM_SCHEDULE_MONTHLY: {
		int64_t y;
		unsigned m, d;
		dom_civil_from_days(days, &y, &m, &d);
		return dom_days_from_civil(y, m, 1) * 86400;
	}
	default:
		return -1;
	}
}

int64_t dom_period_end(enum dom_schedule s, int64_t now)
{
	int64_t start = dom_period_start(s, now);
	switch (s) {
	case DOM_SCHEDULE_DAILY:
		return start + 86400;
	case DOM_SCHEDULE_WEEKLY:
		return start + 7 * 86400;
	case DOM_SCHEDULE_MONTHLY: {
		int64_t y;
		unsigned m, d;
		dom_civil_from_days(floor_div(start, 86400), &y, &m, &d);
		return m == 12 ? dom_days_from_civil(y + 1, 1, 1) * 86400
			       : dom_days_from_civil(y, m + 1, 1) * 86400;
	}
	default:
		return -1;
	}
}

int64_t dom_goal_next_expiry(const struct dom_goal *g, int64_t now)
{
	if (!rotates(g))
		return -1;
	return dom_period_end(g->rotation.schedule, now);
}

bool dom_rotation_occurred(const struct dom_goal *g, int64_t updated_at_us, int64_t now)
{
	if (!rotates(g))
		return false;
	return updated_at_us < dom_period_start(g->rotation.schedule, now) * 1000000;
}

/* Relative goals show progress since the baseline, never below zero. */
static int64_t displayed_progress(const struct dom_row *row)
{
	if (row->goal->mode != DOM_MODE_RELATIVE)
		return row->progress;
	if (!row->has_baseline)
		return 0;
	int64_t delta = (int64_t)row->progress - row->baseline;
	return delta < 0 ? 0 : delta;
}

void dom_row_display_at(const struct dom_row *row, int64_t period_start_us,
			int64_t *progress, enum dom_status *status)
{
	const struct dom_goal *g = row->goal;
	bool rotated = rotates(g) && row->updated_at_us < period_start_us;
	if (rotated && g->rotation.reset_progress &&
	    !(row->status == DOM_STATUS_CLAIMED && !g->rotation.allow_reselection)) {
		*progress = 0;
		*status = DOM_STATUS_NOT_STARTED;
		return;
	}
	*progress = displayed_progress(row);
	*status = row->status;
}

void dom_row_display(const struct dom_row *row, int64_t now, int32_t *progress,
		     enum dom_status *status)
{
	const struct dom_goal *g = row->goal;
	int64_t start_us = rotates(g) ? dom_period_start(g->rotation.schedule, now) * 1000000 : 0;
	int64_t p;
	dom_row_display_at(row, start_us, &p, status);
	/* Only a negative baseline can push the delta past int32. */
	*progress = p > INT32_MAX ? INT32_MAX : (int32_t)p;
}

const struct dom_goal *dom_challenge_rotation(const struct dom_challenge *c)
{
	for (size_t i = 0; i < c->n_goals; i++)
		if (rotates(&c->goals[i]))
			return &c->goals[i];
	return NULL;
}
