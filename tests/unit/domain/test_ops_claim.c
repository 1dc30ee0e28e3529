/* Claim checks 6-10 of api.md §5.4 in order, each with its exact message and
 * HTTP/gRPC codes; the claim and set-active answers byte for byte. */
#include "ops_test.h"

static const char config[] =
	"{\"challenges\":["
	"{\"challengeId\":\"season-1\",\"name\":\"Season One\",\"goals\":["
	"{\"goalId\":\"first-blood\",\"name\":\"First Blood\",\"eventSource\":\"statistic\","
	"\"requirement\":{\"statCode\":\"kills\",\"operator\":\">=\",\"targetValue\":1},"
	"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GOLD\",\"quantity\":25}},"
	"{\"goalId\":\"second\",\"name\":\"Second\",\"eventSource\":\"statistic\","
	"\"requirement\":{\"statCode\":\"kills\",\"operator\":\">=\",\"targetValue\":5},"
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"sword\",\"quantity\":1},"
	"\"prerequisites\":[\"first-blood\",\"other-1\"]},"
	"{\"goalId\":\"daily\",\"name\":\"Daily\",\"eventSource\":\"statistic\","
	"\"requirement\":{\"statCode\":\"wins\",\"operator\":\">=\",\"targetValue\":3,"
	"\"progressMode\":\"relative\"},"
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"box\",\"quantity\":2},"
	"\"rotation\":{\"enabled\":true,\"type\":\"global\",\"schedule\":\"daily\","
	"\"onExpiry\":{\"resetProgress\":false,\"allowReselection\":false}}}]},"
	"{\"challengeId\":\"other\",\"name\":\"Other\",\"goals\":["
	"{\"goalId\":\"other-1\",\"name\":\"O\",\"eventSource\":\"login\","
	"\"requirement\":{\"statCode\":\"login\",\"operator\":\">=\",\"targetValue\":1},"
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"x\",\"quantity\":1}}]}"
	"]}";

static struct dom_config *cfg;

static void check_ok(const struct dom_goal *g, const struct dom_row *row,
		     const struct dom_row *all, size_t n_all)
{
	struct dom_error err = { .http = 0, .code = 0, .message = "" };
	CHECK_INT_EQ(dom_claim_check(g, row, all, n_all, T_1400, &err), 0);
}

static void check_err(const struct dom_goal *g, const struct dom_row *row,
		      const struct dom_row *all, size_t n_all, int http, int code,
		      const char *message)
{
	struct dom_error err = { .http = 0, .code = 0, .message = "" };
	CHECK_INT_EQ(dom_claim_check(g, row, all, n_all, T_1400, &err), -1);
	CHECK_INT_EQ(err.http, http);
	CHECK_INT_EQ(err.code, code);
	CHECK_STR_EQ(err.message, message);
}

#define NOT_COMPLETED(g, st) \
	"Goal not completed. Please wait 1 second and try again. (goal_id: " g ", status: " st ")"

static void test_no_row(void)
{
	const struct dom_goal *g = goal_of(cfg, "first-blood");
	check_err(g, NULL, NULL, 0, 400, 9, NOT_COMPLETED("first-blood", "not_started"));
}

static void test_not_active(void)
{
	const struct dom_goal *g = goal_of(cfg, "first-blood");
	struct dom_row r = row_of(g, 1, DOM_STATUS_COMPLETED);
	r.is_active = false;
	const char *msg = "Goal must be active to claim reward. Activate it first via PUT "
			  "/v1/challenges/season-1/goals/first-blood/active (goal_id: first-blood)";
	check_err(g, &r, &r, 1, 400, 9, msg);
	/* Step 7 comes before the status checks. */
	r.status = DOM_STATUS_CLAIMED;
	check_err(g, &r, &r, 1, 400, 9, msg);
	r.status = DOM_STATUS_NOT_STARTED;
	check_err(g, &r, &r, 1, 400, 9, msg);
}

static void test_rotated(void)
{
	const struct dom_goal *g = goal_of(cfg, "daily");
	const char *msg = "Goal has rotated and must be re-completed (goal_id: daily, challenge_id: season-1)";
	static const enum dom_status all[] = { DOM_STATUS_NOT_STARTED, DOM_STATUS_IN_PROGRESS,
					      DOM_STATUS_COMPLETED, DOM_STATUS_CLAIMED };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		struct dom_row r = row_of(g, 3, all[i]);
		r.claimed_at_us = us_at("2025-06-14 10:00:00");
		r.updated_at_us = us_at("2025-06-14 23:59:59.999999");
		check_err(g, &r, &r, 1, 400, 9, msg);
		/* Updated exactly at the boundary: this period's row. */
		r.updated_at_us = us_at("2025-06-15 00:00:00");
		if (all[i] == DOM_STATUS_COMPLETED)
			check_ok(g, &r, &r, 1);
		else
			CHECK_INT_EQ(dom_claim_check(g, &r, &r, 1, T_1400,
						     &(struct dom_error){ .http = 0 }), -1);
	}
	/* Inactive wins over rotated. */
	struct dom_row r = row_of(g, 3, DOM_STATUS_COMPLETED);
	r.is_active = false;
	r.updated_at_us = us_at("2025-06-01 00:00:00");
	check_err(g, &r, &r, 1, 400, 9,
		  "Goal must be active to claim reward. Activate it first via PUT "
		  "/v1/challenges/season-1/goals/daily/active (goal_id: daily)");
	/* A goal that does not rotate never counts as rotated. */
	const struct dom_goal *fb = goal_of(cfg, "first-blood");
	r = row_of(fb, 1, DOM_STATUS_COMPLETED);
	r.updated_at_us = us_at("2020-01-01 00:00:00");
	check_ok(fb, &r, &r, 1);
}

static void test_status(void)
{
	const struct dom_goal *g = goal_of(cfg, "first-blood");
	struct dom_row r = row_of(g, 0, DOM_STATUS_NOT_STARTED);
	check_err(g, &r, &r, 1, 400, 9, NOT_COMPLETED("first-blood", "not_started"));
	r.status = DOM_STATUS_IN_PROGRESS;
	check_err(g, &r, &r, 1, 400, 9, NOT_COMPLETED("first-blood", "in_progress"));

	/* The stored claimed_at, truncated to the second. */
	r.status = DOM_STATUS_CLAIMED;
	r.claimed_at_us = us_at("2025-06-15 14:06:30.987654");
	check_err(g, &r, &r, 1, 409, 6,
		  "Reward has already been claimed (goal_id: first-blood, claimed_at: 2025-06-15T14:06:30Z)");
	r.claimed_at_us = -1;
	check_err(g, &r, &r, 1, 409, 6,
		  "Reward has already been claimed (goal_id: first-blood, claimed_at: )");

	r.status = DOM_STATUS_COMPLETED;
	check_ok(g, &r, &r, 1);
	check_ok(g, &r, NULL, 0); /* no prerequisites: the other rows do not matter */
}

static void test_prerequisites(void)
{
	const struct dom_goal *g = goal_of(cfg, "second");
	const char *msg = "Prerequisites not completed (goal_id: second)";
	struct dom_row rows[3] = {
		row_of(goal_of(cfg, "first-blood"), 1, DOM_STATUS_COMPLETED),
		row_of(g, 5, DOM_STATUS_COMPLETED),
		row_of(goal_of(cfg, "other-1"), 1, DOM_STATUS_CLAIMED),
	};
	/* Every row of the user counts, inactive ones and other challenges'. */
	rows[0].is_active = false;
	check_ok(g, &rows[1], rows, 3);
	rows[2].status = DOM_STATUS_IN_PROGRESS;
	check_err(g, &rows[1], rows, 3, 400, 9, msg);
	rows[2].status = DOM_STATUS_COMPLETED;
	rows[0].status = DOM_STATUS_NOT_STARTED;
	check_err(g, &rows[1], rows, 3, 400, 9, msg);
	rows[0].status = DOM_STATUS_CLAIMED;
	check_ok(g, &rows[1], rows, 3);
	/* A prerequisite without a row, or whose row lost its goal. */
	check_err(g, &rows[1], rows, 2, 400, 9, msg);
	check_err(g, &rows[1], rows + 1, 2, 400, 9, msg);
	rows[0].goal = NULL;
	check_err(g, &rows[1], rows, 3, 400, 9, msg);
	/* Status checks come first. */
	rows[1].status = DOM_STATUS_IN_PROGRESS;
	check_err(g, &rows[1], rows, 3, 400, 9, NOT_COMPLETED("second", "in_progress"));
}

static void test_long_ids_truncate(void)
{
	char json[4096];
	char id[701];
	memset(id, 'x', 700);
	id[700] = '\0';
	snprintf(json, sizeof(json), CFG(CHAL("", "{\"goalId\":\"%s\",\"name\":\"G\","
		 "\"eventSource\":\"login\",\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\","
		 "\"targetValue\":1},\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1}}")),
		 id);
	struct dom_config *c = load_ok(json, T_1400);
	struct dom_error err;
	CHECK_INT_EQ(dom_claim_check(goal_of(c, id), NULL, NULL, 0, T_1400, &err), -1);
	CHECK_INT_EQ(strlen(err.message), sizeof(err.message) - 1);
	dom_config_free(c);
}

static void render_claim_is(const char *goal, int64_t now, const char *want)
{
	struct buf b;
	buf_init(&b);
	dom_render_claim(&b, goal_of(cfg, goal), now);
	CHECK_BUF(&b, want);
	buf_fini(&b);
}

static void test_render_claim(void)
{
	render_claim_is("first-blood", secs_at("2025-06-15 14:06:30"),
			"{\"goalId\":\"first-blood\",\"status\":\"claimed\",\"reward\":{\"type\":\"WALLET\","
			"\"rewardId\":\"GOLD\",\"quantity\":25},\"claimedAt\":\"2025-06-15T14:06:30Z\"}");
	render_claim_is("daily", T_1400,
			"{\"goalId\":\"daily\",\"status\":\"claimed\",\"reward\":{\"type\":\"ITEM\","
			"\"rewardId\":\"box\",\"quantity\":2},\"claimedAt\":\"2025-06-15T14:00:00Z\"}");

	/* protojson escaping (no HTML escapes) and int32 quantity. */
	struct dom_config *c = load_ok(
		CFG(CHAL("", "{\"goalId\":\"a<\\\"b\\\">\\t\",\"name\":\"G\",\"eventSource\":\"login\","
			 "\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":1},"
			 "\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"&\\u2028\","
			 "\"quantity\":4294967295}}")),
		T_1400);
	struct buf b;
	buf_init(&b);
	dom_render_claim(&b, c->goals[0], T_1400);
	CHECK_BUF(&b, "{\"goalId\":\"a<\\\"b\\\">\\t\",\"status\":\"claimed\",\"reward\":{\"type\":"
		      "\"WALLET\",\"rewardId\":\"&\xe2\x80\xa8\",\"quantity\":-1},"
		      "\"claimedAt\":\"2025-06-15T14:00:00Z\"}");
	buf_fini(&b);
	dom_config_free(c);
}

static void set_active_is(const char *c, const char *g, bool active, int64_t now, const char *want)
{
	struct buf b;
	buf_init(&b);
	dom_render_set_active(&b, c, strlen(c), g, strlen(g), active, now);
	CHECK_BUF(&b, want);
	buf_fini(&b);
}

static void test_render_set_active(void)
{
	int64_t now = secs_at("2025-06-15 14:05:09");
	set_active_is("season-1", "daily-wins", true, now,
		      "{\"challengeId\":\"season-1\",\"goalId\":\"daily-wins\",\"isActive\":true,"
		      "\"assignedAt\":\"2025-06-15T14:05:09Z\",\"message\":\"Goal activated successfully\"}");
	/* Deactivation still reports now as assignedAt. */
	set_active_is("season-1", "daily-wins", false, now,
		      "{\"challengeId\":\"season-1\",\"goalId\":\"daily-wins\",\"isActive\":false,"
		      "\"assignedAt\":\"2025-06-15T14:05:09Z\",\"message\":\"Goal deactivated successfully\"}");
	set_active_is("<c\"&", "g\\\n", true, now,
		      "{\"challengeId\":\"<c\\\"&\",\"goalId\":\"g\\\\\\n\",\"isActive\":true,"
		      "\"assignedAt\":\"2025-06-15T14:05:09Z\",\"message\":\"Goal activated successfully\"}");
	/* The ids are (pointer, length): no terminator needed, NUL bytes kept. */
	struct buf b;
	buf_init(&b);
	dom_render_set_active(&b, "abc", 2, "x\0y", 3, true, now);
	CHECK_BUF(&b, "{\"challengeId\":\"ab\",\"goalId\":\"x\\u0000y\",\"isActive\":true,"
		      "\"assignedAt\":\"2025-06-15T14:05:09Z\",\"message\":\"Goal activated successfully\"}");
	buf_fini(&b);
}

int main(void)
{
	cfg = load_ok(config, T_1400);
	test_no_row();
	test_not_active();
	test_rotated();
	test_status();
	test_prerequisites();
	test_long_ids_truncate();
	test_render_claim();
	test_render_set_active();
	dom_config_free(cfg);
	return 0;
}
