/* Rotation maths and display rules (api.md §5.0): period boundaries for
 * each schedule including edges, next expiry, rotation detection, and each
 * branch of the displayed (progress, status). */
#include "dom_test.h"

static int64_t at(const char *pg)
{
	int64_t us;
	CHECK_INT_EQ(dom_time_parse_pg(pg, strlen(pg), &us), 0);
	return us / 1000000;
}

static void period_is(enum dom_schedule s, const char *now, const char *start, const char *end)
{
	char a[21], b[21];
	dom_time_format(dom_period_start(s, at(now)), a);
	dom_time_format(dom_period_end(s, at(now)), b);
	CHECK_STR_EQ(a, start);
	CHECK_STR_EQ(b, end);
}

static void test_daily(void)
{
	enum dom_schedule d = DOM_SCHEDULE_DAILY;
	period_is(d, "2025-06-15 14:00:00", "2025-06-15T00:00:00Z", "2025-06-16T00:00:00Z");
	period_is(d, "2025-06-15 00:00:00", "2025-06-15T00:00:00Z", "2025-06-16T00:00:00Z");
	period_is(d, "2025-06-15 23:59:59", "2025-06-15T00:00:00Z", "2025-06-16T00:00:00Z");
	period_is(d, "2025-12-31 12:00:00", "2025-12-31T00:00:00Z", "2026-01-01T00:00:00Z");
	period_is(d, "1969-12-31 12:00:00", "1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z");
}

static void test_weekly(void)
{
	enum dom_schedule w = DOM_SCHEDULE_WEEKLY;
	/* 2025-06-15 is a Sunday: the week began on Monday the 9th. */
	period_is(w, "2025-06-15 14:00:00", "2025-06-09T00:00:00Z", "2025-06-16T00:00:00Z");
	period_is(w, "2025-06-15 23:59:59", "2025-06-09T00:00:00Z", "2025-06-16T00:00:00Z");
	/* On a Monday the period starts that very day. */
	period_is(w, "2025-06-16 00:00:00", "2025-06-16T00:00:00Z", "2025-06-23T00:00:00Z");
	period_is(w, "2025-06-16 09:00:00", "2025-06-16T00:00:00Z", "2025-06-23T00:00:00Z");
	period_is(w, "2025-06-18 09:00:00", "2025-06-16T00:00:00Z", "2025-06-23T00:00:00Z");
	/* Across a year end and before the epoch (1970-01-01 was a Thursday). */
	period_is(w, "2026-01-01 10:00:00", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z");
	period_is(w, "1970-01-01 00:00:00", "1969-12-29T00:00:00Z", "1970-01-05T00:00:00Z");
	period_is(w, "1969-12-28 23:59:59", "1969-12-22T00:00:00Z", "1969-12-29T00:00:00Z");
}

static void test_monthly(void)
{
	enum dom_schedule m = DOM_SCHEDULE_MONTHLY;
	period_is(m, "2025-06-15 14:00:00", "2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z");
	period_is(m, "2025-06-01 00:00:00", "2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z");
	period_is(m, "2025-06-30 23:59:59", "2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z");
	/* December rolls into January of the next year. */
	period_is(m, "2025-12-31 23:59:59", "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z");
	period_is(m, "2026-01-01 00:00:00", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
	/* Month lengths: 28, 29, 30 and 31 days. */
	period_is(m, "2025-02-28 12:00:00", "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z");
	period_is(m, "2024-02-29 12:00:00", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z");
	period_is(m, "2025-04-30 12:00:00", "2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z");
	period_is(m, "2025-01-31 12:00:00", "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z");
	CHECK_INT_EQ(dom_period_end(m, at("2025-02-10 00:00:00")) -
			     dom_period_start(m, at("2025-02-10 00:00:00")),
		     28 * 86400);
	CHECK_INT_EQ(dom_period_end(m, at("2025-04-10 00:00:00")) -
			     dom_period_start(m, at("2025-04-10 00:00:00")),
		     30 * 86400);
}

static void test_none(void)
{
	CHECK_INT_EQ(dom_period_start(DOM_SCHEDULE_NONE, 1749996000), -1);
	CHECK_INT_EQ(dom_period_end(DOM_SCHEDULE_NONE, 1749996000), -1);
}

static struct dom_goal goal(bool rot, enum dom_schedule s, enum dom_progress_mode mode,
			    bool reset, bool allow)
{
	struct dom_goal g;
	memset(&g, 0, sizeof(g));
	g.id = "g";
	g.mode = mode;
	g.rotation.enabled = rot;
	g.rotation.schedule = rot ? s : DOM_SCHEDULE_NONE;
	g.rotation.reset_progress = reset;
	g.rotation.allow_reselection = allow;
	return g;
}

static void test_expiry_and_occurred(void)
{
	int64_t now = at("2025-06-15 14:00:00");
	struct dom_goal plain = goal(false, DOM_SCHEDULE_NONE, DOM_MODE_ABSOLUTE, false, false);
	struct dom_goal daily = goal(true, DOM_SCHEDULE_DAILY, DOM_MODE_RELATIVE, true, false);
	struct dom_goal weekly = goal(true, DOM_SCHEDULE_WEEKLY, DOM_MODE_RELATIVE, true, false);
	CHECK_INT_EQ(dom_goal_next_expiry(&plain, now), -1);
	CHECK_INT_EQ(dom_goal_next_expiry(&daily, now), at("2025-06-16 00:00:00"));
	CHECK_INT_EQ(dom_goal_next_expiry(&weekly, now), at("2025-06-16 00:00:00"));

	int64_t today_us = at("2025-06-15 00:00:00") * 1000000;
	CHECK(dom_rotation_occurred(&daily, today_us - 1, now));
	CHECK(!dom_rotation_occurred(&daily, today_us, now));
	CHECK(!dom_rotation_occurred(&daily, today_us + 1, now));
	CHECK(!dom_rotation_occurred(&plain, 0, now));
	CHECK(!dom_rotation_occurred(&weekly, at("2025-06-09 00:00:00") * 1000000, now));
	CHECK(dom_rotation_occurred(&weekly, at("2025-06-08 23:59:59") * 1000000, now));
	/* Enabled without a schedule (impossible after validation): no rotation. */
	struct dom_goal odd = goal(true, DOM_SCHEDULE_NONE, DOM_MODE_RELATIVE, true, true);
	odd.rotation.schedule = DOM_SCHEDULE_NONE;
	CHECK(!dom_rotation_occurred(&odd, 0, now));
	CHECK_INT_EQ(dom_goal_next_expiry(&odd, now), -1);
}

static struct dom_row row_of(const struct dom_goal *g, int32_t progress, enum dom_status st,
			     int64_t updated_us)
{
	struct dom_row r;
	memset(&r, 0, sizeof(r));
	r.goal = g;
	r.progress = progress;
	r.status = st;
	r.updated_at_us = updated_us;
	r.completed_at_us = r.claimed_at_us = r.assigned_at_us = r.expires_at_us = -1;
	return r;
}

static void display_is(const struct dom_row *r, int64_t now, int32_t progress,
		       enum dom_status status)
{
	int32_t p = -99;
	enum dom_status s = DOM_STATUS_CLAIMED + 1;
	dom_row_display(r, now, &p, &s);
	CHECK_INT_EQ(p, progress);
	CHECK_INT_EQ(s, status);
}

static void test_display(void)
{
	int64_t now = at("2025-06-15 14:00:00");
	int64_t fresh = at("2025-06-15 10:00:00") * 1000000;
	int64_t stale = at("2025-06-14 10:00:00") * 1000000;

	/* Absolute mode shows the stored progress, whatever the baseline. */
	struct dom_goal abs_g = goal(false, DOM_SCHEDULE_NONE, DOM_MODE_ABSOLUTE, false, false);
	struct dom_row r = row_of(&abs_g, 7, DOM_STATUS_IN_PROGRESS, stale);
	r.has_baseline = true;
	r.baseline = 5;
	display_is(&r, now, 7, DOM_STATUS_IN_PROGRESS);

	/* Relative: progress - baseline, clamped at 0, 0 without a baseline. */
	struct dom_goal rel = goal(false, DOM_SCHEDULE_NONE, DOM_MODE_RELATIVE, false, false);
	r = row_of(&rel, 7, DOM_STATUS_IN_PROGRESS, stale);
	display_is(&r, now, 0, DOM_STATUS_IN_PROGRESS);
	r.has_baseline = true;
	r.baseline = 5;
	display_is(&r, now, 2, DOM_STATUS_IN_PROGRESS);
	r.baseline = 9;
	display_is(&r, now, 0, DOM_STATUS_IN_PROGRESS);
	/* A delta past int32 saturates here (the list prints it exactly). */
	r.progress = INT32_MAX;
	r.baseline = -10;
	display_is(&r, now, INT32_MAX, DOM_STATUS_IN_PROGRESS);

	/* Rotation not occurred: displayed progress, stored status. */
	struct dom_goal reset = goal(true, DOM_SCHEDULE_DAILY, DOM_MODE_RELATIVE, true, false);
	r = row_of(&reset, 8, DOM_STATUS_COMPLETED, fresh);
	r.has_baseline = true;
	r.baseline = 3;
	display_is(&r, now, 5, DOM_STATUS_COMPLETED);

	/* Occurred, resetProgress false: unchanged. */
	struct dom_goal keep = goal(true, DOM_SCHEDULE_DAILY, DOM_MODE_RELATIVE, false, true);
	r = row_of(&keep, 8, DOM_STATUS_COMPLETED, stale);
	r.has_baseline = true;
	r.baseline = 3;
	display_is(&r, now, 5, DOM_STATUS_COMPLETED);
	r.status = DOM_STATUS_CLAIMED;
	display_is(&r, now, 5, DOM_STATUS_CLAIMED);

	/* Occurred, reset, claimed, no reselection: claimed forever. */
	r = row_of(&reset, 8, DOM_STATUS_CLAIMED, stale);
	r.has_baseline = true;
	r.baseline = 3;
	display_is(&r, now, 5, DOM_STATUS_CLAIMED);

	/* Occurred, reset, claimed with reselection: back to the start. */
	struct dom_goal resel = goal(true, DOM_SCHEDULE_DAILY, DOM_MODE_RELATIVE, true, true);
	r = row_of(&resel, 8, DOM_STATUS_CLAIMED, stale);
	display_is(&r, now, 0, DOM_STATUS_NOT_STARTED);

	/* Occurred, reset, not claimed: back to the start. */
	r = row_of(&reset, 8, DOM_STATUS_COMPLETED, stale);
	r.has_baseline = true;
	r.baseline = 1;
	display_is(&r, now, 0, DOM_STATUS_NOT_STARTED);
	r.status = DOM_STATUS_IN_PROGRESS;
	display_is(&r, now, 0, DOM_STATUS_NOT_STARTED);
	/* ... but only once the boundary has really passed. */
	r.updated_at_us = at("2025-06-15 00:00:00") * 1000000;
	display_is(&r, now, 7, DOM_STATUS_IN_PROGRESS);
}

static void test_status_names(void)
{
	const char *names[] = { "not_started", "in_progress", "completed", "claimed" };
	for (int i = 0; i < 4; i++) {
		enum dom_status s;
		CHECK_STR_EQ(dom_status_name((enum dom_status)i), names[i]);
		CHECK_INT_EQ(dom_status_parse(names[i], strlen(names[i]), &s), 0);
		CHECK_INT_EQ(s, i);
	}
	enum dom_status s;
	CHECK_INT_EQ(dom_status_parse("claimed", 6, &s), -1);
	CHECK_INT_EQ(dom_status_parse("CLAIMED", 7, &s), -1);
	CHECK_INT_EQ(dom_status_parse("", 0, &s), -1);
	CHECK_INT_EQ(dom_status_parse("claimedx", 8, &s), -1);
	CHECK_STR_EQ(dom_status_name((enum dom_status)9), "");
}

int main(void)
{
	test_daily();
	test_weekly();
	test_monthly();
	test_none();
	test_expiry_and_occurred();
	test_display();
	test_status_names();
	return 0;
}
