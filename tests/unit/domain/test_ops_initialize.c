/* POST /v1/challenges/initialize (api.md §5.2): the default goals, every
 * branch of the returning player's rotation reset, and the answer byte for
 * byte (spec example, rotated rows, int32 wrap, Go escaping, newline). */
#include "ops_test.h"

#define T_EXAMPLE 1749996002 /* 2025-06-15T14:00:02Z */

/* G(id, extra): a relative statistic goal, target 5, ITEM i x1. */
#define G(id, extra)                                                               \
	"{\"goalId\":\"" id "\",\"name\":\"N\",\"eventSource\":\"statistic\","     \
	"\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":5," \
	"\"progressMode\":\"relative\"},"                                          \
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1}" extra "}"
#define ROT(sched, reset, allow)                                                   \
	",\"rotation\":{\"enabled\":true,\"type\":\"global\",\"schedule\":\"" sched \
	"\",\"onExpiry\":{\"resetProgress\":" reset ",\"allowReselection\":" allow "}}"

static const char example_config[] =
	"{\"challenges\":["
	"{\"challengeId\":\"season-1\",\"name\":\"Season One\",\"goals\":["
	"{\"goalId\":\"first-blood\",\"name\":\"First Blood\",\"eventSource\":\"statistic\","
	"\"defaultAssigned\":true,"
	"\"requirement\":{\"statCode\":\"kills\",\"operator\":\">=\",\"targetValue\":1},"
	"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GOLD\",\"quantity\":25}},"
	G("not-default", "") "]},"
	"{\"challengeId\":\"dailies\",\"name\":\"Dailies\",\"goals\":["
	"{\"goalId\":\"daily-wins\",\"name\":\"Win 3 Today\",\"description\":\"Win three matches today\","
	"\"eventSource\":\"statistic\",\"defaultAssigned\":true,"
	"\"requirement\":{\"statCode\":\"wins\",\"operator\":\">=\",\"targetValue\":3,"
	"\"progressMode\":\"relative\"},"
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"a1b2c3\",\"quantity\":1}"
	ROT("daily", "true", "false") "},"
	G("reset-allow", ROT("daily", "true", "true")) ","
	G("keep-allow", ROT("daily", "false", "true")) ","
	G("keep-noallow", ROT("daily", "false", "false")) ","
	G("weekly-reset", ROT("weekly", "true", "false")) ","
	G("monthly-reset", ROT("monthly", "true", "false")) ","
	G("disabled-rot", ",\"rotation\":{\"enabled\":false,\"schedule\":\"daily\","
			  "\"onExpiry\":{\"resetProgress\":true}}") "]}"
	"]}";

/*
 * The spec's example, except that ">=" appears as "\u003e=": the reference
 * writes this body with encoding/json's Encoder, which escapes <, > and &
 * (the example in api.md shows the operator unescaped).
 */
static const char example_body[] =
	"{\"assignedGoals\":[{\"challengeId\":\"season-1\",\"goalId\":\"first-blood\",\"name\":\"First Blood\","
	"\"description\":\"\",\"isActive\":true,\"assignedAt\":\"2025-06-15T14:00:02Z\",\"expiresAt\":\"\","
	"\"progress\":0,\"target\":1,\"status\":\"not_started\",\"requirement\":{\"statCode\":\"kills\","
	"\"operator\":\"\\u003e=\",\"targetValue\":1},\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GOLD\","
	"\"quantity\":25}},{\"challengeId\":\"dailies\",\"goalId\":\"daily-wins\",\"name\":\"Win 3 Today\","
	"\"description\":\"Win three matches today\",\"isActive\":true,\"assignedAt\":\"2025-06-15T14:00:02Z\","
	"\"expiresAt\":\"2025-06-16T00:00:00Z\",\"progress\":0,\"target\":3,\"status\":\"not_started\","
	"\"requirement\":{\"statCode\":\"wins\",\"operator\":\"\\u003e=\",\"targetValue\":3},\"reward\":{\"type\":"
	"\"ITEM\",\"rewardId\":\"a1b2c3\",\"quantity\":1}}],\"newAssignments\":2,\"totalActive\":2}\n";

static struct dom_config *cfg;

/* The rows a first login inserts: not_started, active, assigned now. */
static struct dom_row inserted(const struct dom_goal *g, int64_t now)
{
	struct dom_row r = row_of(g, 0, DOM_STATUS_NOT_STARTED);
	r.assigned_at_us = US(now);
	r.expires_at_us = dom_goal_next_expiry(g, now) >= 0 ? US(dom_goal_next_expiry(g, now)) : -1;
	r.created_at_us = r.updated_at_us = US(now);
	return r;
}

static void test_default_goals(void)
{
	size_t n = 99;
	const struct dom_goal *const *d = dom_default_goals(cfg, &n);
	CHECK_INT_EQ(n, 2);
	CHECK_STR_EQ(d[0]->id, "first-blood");
	CHECK_STR_EQ(d[1]->id, "daily-wins");

	struct dom_config *none = load_ok(CFG(CHAL("", GOAL(""))), T_1400);
	d = dom_default_goals(none, &n);
	CHECK_INT_EQ(n, 0);
	CHECK(d != NULL);
	dom_config_free(none);

	/* Config order across challenges, not challenge-by-challenge lookup. */
	struct dom_config *many = load_ok(
		"{\"challenges\":[{\"challengeId\":\"a\",\"name\":\"A\",\"goals\":["
		G("a1", ",\"defaultAssigned\":true") "," G("a2", "") "," G("a3", ",\"defaultAssigned\":true")
		"]},{\"challengeId\":\"b\",\"name\":\"B\",\"goals\":["
		G("b1", ",\"defaultAssigned\":true") "]}]}", T_1400);
	d = dom_default_goals(many, &n);
	CHECK_INT_EQ(n, 3);
	CHECK_STR_EQ(d[0]->id, "a1");
	CHECK_STR_EQ(d[1]->id, "a3");
	CHECK_STR_EQ(d[2]->id, "b1");
	dom_config_free(many);
}

static void test_spec_example(void)
{
	size_t n;
	const struct dom_goal *const *d = dom_default_goals(cfg, &n);
	struct dom_row rows[2] = { inserted(d[0], T_EXAMPLE), inserted(d[1], T_EXAMPLE) };
	struct buf b;
	buf_init(&b);
	dom_render_initialize(&b, rows, n, 2, 2, T_EXAMPLE);
	CHECK_BUF(&b, example_body);
	buf_fini(&b);
}

static void test_no_defaults_answer(void)
{
	struct buf b;
	buf_init(&b);
	dom_render_initialize(&b, NULL, 0, 0, 0, T_1400);
	CHECK_BUF(&b, "{\"assignedGoals\":[],\"newAssignments\":0,\"totalActive\":0}\n");
	buf_fini(&b);
}

/* A rotated row with some history: progress, baseline, completion, claim. */
static struct dom_row stale(const char *goal, enum dom_status st)
{
	struct dom_row r = row_of(goal_of(cfg, goal), 12, st);
	r.has_baseline = true;
	r.baseline = 4;
	r.assigned_at_us = us_at("2025-06-14 09:00:00");
	r.updated_at_us = us_at("2025-06-14 23:59:59.999999");
	r.expires_at_us = us_at("2025-06-15 00:00:00");
	if (st == DOM_STATUS_COMPLETED || st == DOM_STATUS_CLAIMED)
		r.completed_at_us = us_at("2025-06-14 20:00:00");
	if (st == DOM_STATUS_CLAIMED)
		r.claimed_at_us = us_at("2025-06-14 21:00:00");
	return r;
}

static void check_unchanged(struct dom_row r)
{
	struct dom_row before = r;
	CHECK(!dom_initialize_reset(&r, T_1400));
	CHECK(memcmp(&before, &r, sizeof(r)) == 0);
}

static void check_reset(struct dom_row r, int64_t now, int64_t expiry)
{
	CHECK(dom_initialize_reset(&r, now));
	CHECK_INT_EQ(r.progress, 0);
	CHECK_INT_EQ(r.status, DOM_STATUS_NOT_STARTED);
	CHECK(!r.has_baseline);
	CHECK_INT_EQ(r.completed_at_us, -1);
	CHECK_INT_EQ(r.claimed_at_us, -1);
	CHECK_INT_EQ(r.expires_at_us, US(expiry));
	CHECK_INT_EQ(r.updated_at_us, US(now));
	CHECK(r.is_active);
	CHECK_INT_EQ(r.assigned_at_us, us_at("2025-06-14 09:00:00"));
	/* Reset rows are no longer rotated: a second pass leaves them alone. */
	struct dom_row again = r;
	CHECK(!dom_initialize_reset(&again, now));
}

static void test_reset_rule(void)
{
	int64_t midnight = secs_at("2025-06-16 00:00:00");

	/* Not rotated: updated exactly at the period start is not before it. */
	struct dom_row r = stale("daily-wins", DOM_STATUS_IN_PROGRESS);
	r.updated_at_us = us_at("2025-06-15 00:00:00");
	check_unchanged(r);
	/* Goals that do not rotate never reset, however old the row. */
	check_unchanged(stale("not-default", DOM_STATUS_COMPLETED));
	check_unchanged(stale("disabled-rot", DOM_STATUS_IN_PROGRESS));
	/* A row whose goal left the config. */
	r = stale("daily-wins", DOM_STATUS_IN_PROGRESS);
	r.goal = NULL;
	check_unchanged(r);

	/* Rotated with resetProgress: every unclaimed status starts over. */
	check_reset(stale("daily-wins", DOM_STATUS_NOT_STARTED), T_1400, midnight);
	check_reset(stale("daily-wins", DOM_STATUS_IN_PROGRESS), T_1400, midnight);
	check_reset(stale("daily-wins", DOM_STATUS_COMPLETED), T_1400, midnight);
	r = stale("weekly-reset", DOM_STATUS_COMPLETED);
	check_unchanged(r); /* Saturday the 14th is in the week of Monday the 9th */
	r.updated_at_us = us_at("2025-06-08 23:59:59");
	check_reset(r, T_1400, secs_at("2025-06-16 00:00:00"));
	r = stale("monthly-reset", DOM_STATUS_IN_PROGRESS);
	r.updated_at_us = us_at("2025-05-31 23:00:00");
	check_reset(r, T_1400, secs_at("2025-07-01 00:00:00"));

	/* Claimed: kept unless reselection is allowed and progress resets. */
	check_unchanged(stale("daily-wins", DOM_STATUS_CLAIMED));   /* reset, no reselection */
	check_unchanged(stale("keep-allow", DOM_STATUS_CLAIMED));   /* reselection, no reset */
	check_unchanged(stale("keep-noallow", DOM_STATUS_CLAIMED)); /* neither */
	check_reset(stale("reset-allow", DOM_STATUS_CLAIMED), T_1400, midnight);

	/* Rotated without resetProgress: only expiry and updated_at move. */
	static const enum dom_status kept[] = { DOM_STATUS_IN_PROGRESS, DOM_STATUS_COMPLETED };
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
		for (int allow = 0; allow < 2; allow++) {
			r = stale(allow ? "keep-allow" : "keep-noallow", kept[i]);
			struct dom_row want = r;
			want.expires_at_us = US(midnight);
			want.updated_at_us = US(T_1400);
			CHECK(dom_initialize_reset(&r, T_1400));
			CHECK(memcmp(&want, &r, sizeof(r)) == 0);
		}
	}
}

static void render_is(const struct dom_row *rows, size_t n, int new_assignments, int total,
		      const char *want)
{
	struct buf b;
	buf_init(&b);
	dom_render_initialize(&b, rows, n, new_assignments, total, T_1400);
	CHECK_BUF(&b, want);
	buf_fini(&b);
}

#define ITEM_TAIL(status)                                                               \
	",\"status\":\"" status "\",\"requirement\":{\"statCode\":\"s\",\"operator\":\"\\u003e=\"," \
	"\"targetValue\":5},\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1}}"

/* The returning player's answer shows each row as reset (or kept) now. */
static void test_render_after_reset(void)
{
	struct dom_row rows[5] = {
		stale("daily-wins", DOM_STATUS_COMPLETED),
		stale("daily-wins", DOM_STATUS_CLAIMED),
		stale("keep-noallow", DOM_STATUS_IN_PROGRESS),
		stale("not-default", DOM_STATUS_IN_PROGRESS),
		stale("reset-allow", DOM_STATUS_CLAIMED),
	};
	rows[3].is_active = false;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		dom_initialize_reset(&rows[i], T_1400);
	render_is(rows, ARRAY_SIZE(rows), 0, 7,
		  "{\"assignedGoals\":["
		  "{\"challengeId\":\"dailies\",\"goalId\":\"daily-wins\",\"name\":\"Win 3 Today\","
		  "\"description\":\"Win three matches today\",\"isActive\":true,"
		  "\"assignedAt\":\"2025-06-14T09:00:00Z\",\"expiresAt\":\"2025-06-16T00:00:00Z\","
		  "\"progress\":0,\"target\":3,\"status\":\"not_started\",\"requirement\":{\"statCode\":"
		  "\"wins\",\"operator\":\"\\u003e=\",\"targetValue\":3},\"reward\":{\"type\":\"ITEM\","
		  "\"rewardId\":\"a1b2c3\",\"quantity\":1}},"
		  /* claimed without reselection: kept, shown as claimed with its delta */
		  "{\"challengeId\":\"dailies\",\"goalId\":\"daily-wins\",\"name\":\"Win 3 Today\","
		  "\"description\":\"Win three matches today\",\"isActive\":true,"
		  "\"assignedAt\":\"2025-06-14T09:00:00Z\",\"expiresAt\":\"2025-06-16T00:00:00Z\","
		  "\"progress\":8,\"target\":3,\"status\":\"claimed\",\"requirement\":{\"statCode\":"
		  "\"wins\",\"operator\":\"\\u003e=\",\"targetValue\":3},\"reward\":{\"type\":\"ITEM\","
		  "\"rewardId\":\"a1b2c3\",\"quantity\":1}},"
		  "{\"challengeId\":\"dailies\",\"goalId\":\"keep-noallow\",\"name\":\"N\",\"description\":\"\","
		  "\"isActive\":true,\"assignedAt\":\"2025-06-14T09:00:00Z\","
		  "\"expiresAt\":\"2025-06-16T00:00:00Z\",\"progress\":8,\"target\":5" ITEM_TAIL("in_progress") ","
		  "{\"challengeId\":\"season-1\",\"goalId\":\"not-default\",\"name\":\"N\",\"description\":\"\","
		  "\"isActive\":false,\"assignedAt\":\"2025-06-14T09:00:00Z\",\"expiresAt\":\"\","
		  "\"progress\":8,\"target\":5" ITEM_TAIL("in_progress") ","
		  "{\"challengeId\":\"dailies\",\"goalId\":\"reset-allow\",\"name\":\"N\",\"description\":\"\","
		  "\"isActive\":true,\"assignedAt\":\"2025-06-14T09:00:00Z\","
		  "\"expiresAt\":\"2025-06-16T00:00:00Z\",\"progress\":0,\"target\":5" ITEM_TAIL("not_started")
		  "],\"newAssignments\":0,\"totalActive\":7}\n");
}

/* Without the reset pass the display rules alone hide a stale period. */
static void test_render_display_rules(void)
{
	struct dom_row rows[3] = {
		stale("daily-wins", DOM_STATUS_IN_PROGRESS),
		stale("not-default", DOM_STATUS_COMPLETED),
		row_of(goal_of(cfg, "keep-allow"), 3, DOM_STATUS_IN_PROGRESS),
	};
	rows[1].has_baseline = false; /* relative without baseline shows 0 */
	rows[2].has_baseline = true;
	rows[2].baseline = 7; /* below the baseline clamps to 0 */
	render_is(rows, ARRAY_SIZE(rows), 0, 3,
		  "{\"assignedGoals\":["
		  "{\"challengeId\":\"dailies\",\"goalId\":\"daily-wins\",\"name\":\"Win 3 Today\","
		  "\"description\":\"Win three matches today\",\"isActive\":true,"
		  "\"assignedAt\":\"2025-06-14T09:00:00Z\",\"expiresAt\":\"2025-06-16T00:00:00Z\","
		  "\"progress\":0,\"target\":3,\"status\":\"not_started\",\"requirement\":{\"statCode\":"
		  "\"wins\",\"operator\":\"\\u003e=\",\"targetValue\":3},\"reward\":{\"type\":\"ITEM\","
		  "\"rewardId\":\"a1b2c3\",\"quantity\":1}},"
		  "{\"challengeId\":\"season-1\",\"goalId\":\"not-default\",\"name\":\"N\",\"description\":\"\","
		  "\"isActive\":true,\"assignedAt\":\"2025-06-14T09:00:00Z\",\"expiresAt\":\"\","
		  "\"progress\":0,\"target\":5" ITEM_TAIL("completed") ","
		  "{\"challengeId\":\"dailies\",\"goalId\":\"keep-allow\",\"name\":\"N\",\"description\":\"\","
		  "\"isActive\":true,\"assignedAt\":\"\",\"expiresAt\":\"2025-06-16T00:00:00Z\","
		  "\"progress\":0,\"target\":5" ITEM_TAIL("in_progress")
		  "],\"newAssignments\":0,\"totalActive\":3}\n");
}

/* Rows of removed goals count in totalActive but are not listed. */
static void test_removed_goal_rows(void)
{
	struct dom_row rows[3] = {
		row_of(NULL, 1, DOM_STATUS_IN_PROGRESS),
		row_of(goal_of(cfg, "first-blood"), 1, DOM_STATUS_COMPLETED),
		row_of(NULL, 1, DOM_STATUS_IN_PROGRESS),
	};
	rows[1].assigned_at_us = us_at("1969-12-31 23:59:59.5"); /* floors to :59 */
	render_is(rows, ARRAY_SIZE(rows), 0, 3,
		  "{\"assignedGoals\":[{\"challengeId\":\"season-1\",\"goalId\":\"first-blood\","
		  "\"name\":\"First Blood\",\"description\":\"\",\"isActive\":true,"
		  "\"assignedAt\":\"1969-12-31T23:59:59Z\",\"expiresAt\":\"\",\"progress\":1,"
		  "\"target\":1,\"status\":\"completed\",\"requirement\":{\"statCode\":\"kills\","
		  "\"operator\":\"\\u003e=\",\"targetValue\":1},\"reward\":{\"type\":\"WALLET\","
		  "\"rewardId\":\"GOLD\",\"quantity\":25}}],\"newAssignments\":0,\"totalActive\":3}\n");
	render_is(rows, 1, 0, 1, "{\"assignedGoals\":[],\"newAssignments\":0,\"totalActive\":1}\n");
}

/* The reference's DTO is int32 throughout, and encoding/json escapes HTML. */
static void test_int32_and_escaping(void)
{
	struct dom_config *c = load_ok(
		"{\"challenges\":[{\"challengeId\":\"c<&>\",\"name\":\"C\",\"goals\":["
		"{\"goalId\":\"g\\\"\\\\\",\"name\":\"a<b>&\\u2028\\n\",\"description\":\"\\u00e9\\u0001\","
		"\"eventSource\":\"statistic\","
		"\"requirement\":{\"statCode\":\"s&\",\"operator\":\">=\",\"targetValue\":4294967297,"
		"\"progressMode\":\"relative\"},"
		"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"<r>\",\"quantity\":2147483648}}]}]}",
		T_1400);
	struct dom_row r = row_of(goal_of(c, "g\"\\"), INT32_MAX, DOM_STATUS_IN_PROGRESS);
	r.has_baseline = true;
	r.baseline = -10; /* delta 2147483657 wraps as Go's int32() */
	render_is(&r, 1, 1, 1,
		  "{\"assignedGoals\":[{\"challengeId\":\"c\\u003c\\u0026\\u003e\",\"goalId\":\"g\\\"\\\\\","
		  "\"name\":\"a\\u003cb\\u003e\\u0026\\u2028\\n\",\"description\":\"\xc3\xa9\\u0001\","
		  "\"isActive\":true,\"assignedAt\":\"\",\"expiresAt\":\"\",\"progress\":-2147483639,"
		  "\"target\":1,\"status\":\"in_progress\",\"requirement\":{\"statCode\":\"s\\u0026\","
		  "\"operator\":\"\\u003e=\",\"targetValue\":1},\"reward\":{\"type\":\"WALLET\","
		  "\"rewardId\":\"\\u003cr\\u003e\",\"quantity\":-2147483648}}],"
		  "\"newAssignments\":1,\"totalActive\":1}\n");
	dom_config_free(c);
}

int main(void)
{
	cfg = load_ok(example_config, T_1400);
	test_default_goals();
	test_spec_example();
	test_no_defaults_answer();
	test_reset_rule();
	test_render_after_reset();
	test_render_display_rules();
	test_removed_goal_rows();
	test_int32_and_escaping();
	dom_config_free(cfg);
	return 0;
}
