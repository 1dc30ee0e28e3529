/* Batch and random select (api.md §5.5, §5.6): the candidate pool's
 * exclusions, the random pick's properties and uniformity, the
 * totalActiveGoals rule, and GoalSelectionResponse byte for byte. */
#include "ops_test.h"

#define T_1410 1749996600 /* 2025-06-15T14:10:00Z */
#define T_1412 1749996764 /* 2025-06-15T14:12:44Z */

/* G(id, extra): statistic goal, target 1, WALLET GEMS x100. */
#define G(id, extra)                                                               \
	"{\"goalId\":\"" id "\",\"name\":\"N " id "\",\"eventSource\":\"statistic\","    \
	"\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":1},"    \
	"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GEMS\",\"quantity\":100}" extra "}"

static const char config[] =
	"{\"challenges\":["
	"{\"challengeId\":\"daily-challenges\",\"name\":\"Daily\",\"goals\":["
	"{\"goalId\":\"daily-login\",\"name\":\"Login Today\",\"description\":\"Log in to the game\","
	"\"eventSource\":\"login\","
	"\"requirement\":{\"statCode\":\"login_count\",\"operator\":\">=\",\"targetValue\":1},"
	"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GEMS\",\"quantity\":100}},"
	"{\"goalId\":\"daily-10-kills\",\"name\":\"Ten Kills\",\"description\":\"Kill ten enemies\","
	"\"eventSource\":\"statistic\","
	"\"requirement\":{\"statCode\":\"kills\",\"operator\":\">=\",\"targetValue\":10},"
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"crate\",\"quantity\":1}},"
	"{\"goalId\":\"daily-3-matches\",\"name\":\"Three Matches\",\"eventSource\":\"statistic\","
	"\"requirement\":{\"statCode\":\"matches\",\"operator\":\">=\",\"targetValue\":3},"
	"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GOLD\",\"quantity\":50}},"
	"{\"goalId\":\"daily-rot\",\"name\":\"Rotating\",\"eventSource\":\"statistic\","
	"\"requirement\":{\"statCode\":\"wins\",\"operator\":\">=\",\"targetValue\":1,"
	"\"progressMode\":\"relative\"},"
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1},"
	"\"rotation\":{\"enabled\":true,\"type\":\"global\",\"schedule\":\"daily\","
	"\"onExpiry\":{\"resetProgress\":true}}}]},"
	"{\"challengeId\":\"pool\",\"name\":\"Pool\",\"goals\":["
	G("p-free", "") "," G("p-completed", "") "," G("p-claimed", "") ","
	G("p-active", "") "," G("p-inactive", "") "," G("p-prereq-met", ",\"prerequisites\":[\"p-claimed\",\"p-completed\"]") ","
	G("p-prereq-progress", ",\"prerequisites\":[\"p-active\"]") ","
	G("p-prereq-norow", ",\"prerequisites\":[\"p-free\"]") ","
	G("p-prereq-partial", ",\"prerequisites\":[\"p-completed\",\"p-free\"]") ","
	G("p-cross", ",\"prerequisites\":[\"x-done\"]") "]},"
	"{\"challengeId\":\"cross\",\"name\":\"Cross\",\"goals\":[" G("x-done", "") "]}"
	"]}";

static const char config_five[] =
	"{\"challenges\":[{\"challengeId\":\"five\",\"name\":\"Five\",\"goals\":["
	G("f0", "") "," G("f1", "") "," G("f2", "") "," G("f3", "") "," G("f4", "") "]}]}";

static struct dom_config *cfg, *cfg5;

static void pool_is(const struct dom_challenge *ch, const struct dom_row *rows, size_t n,
		    bool exclude_active, const char *const *want, size_t n_want)
{
	const struct dom_goal *pool[16];
	CHECK(ch->n_goals <= ARRAY_SIZE(pool));
	size_t got = dom_random_pool(ch, rows, n, exclude_active, pool);
	CHECK_INT_EQ(got, n_want);
	for (size_t i = 0; i < got; i++)
		CHECK_STR_EQ(pool[i]->id, want[i]);
}

static void test_pool(void)
{
	const struct dom_challenge *ch = challenge_of(cfg, "pool");
	struct dom_row rows[6] = {
		row_of(goal_of(cfg, "p-completed"), 1, DOM_STATUS_COMPLETED),
		row_of(goal_of(cfg, "p-claimed"), 1, DOM_STATUS_CLAIMED),
		row_of(goal_of(cfg, "p-active"), 0, DOM_STATUS_IN_PROGRESS),
		row_of(goal_of(cfg, "p-inactive"), 0, DOM_STATUS_NOT_STARTED),
		/* completed in its own challenge: still unmet for p-cross */
		row_of(goal_of(cfg, "x-done"), 1, DOM_STATUS_COMPLETED),
		row_of(NULL, 0, DOM_STATUS_NOT_STARTED), /* a removed goal's row */
	};
	rows[0].is_active = rows[1].is_active = false;
	rows[3].is_active = false;

	static const char *const with_active[] = { "p-free", "p-active", "p-inactive",
						   "p-prereq-met" };
	pool_is(ch, rows, ARRAY_SIZE(rows), false, with_active, ARRAY_SIZE(with_active));
	static const char *const without_active[] = { "p-free", "p-inactive", "p-prereq-met" };
	pool_is(ch, rows, ARRAY_SIZE(rows), true, without_active, ARRAY_SIZE(without_active));

	/* Completed/claimed are excluded whether active or not. */
	rows[0].is_active = rows[1].is_active = true;
	pool_is(ch, rows, ARRAY_SIZE(rows), false, with_active, ARRAY_SIZE(with_active));

	/* No rows: only goals without prerequisites, config order. */
	static const char *const fresh[] = { "p-free", "p-completed", "p-claimed", "p-active",
					     "p-inactive" };
	pool_is(ch, NULL, 0, true, fresh, ARRAY_SIZE(fresh));

	/* The prerequisite p-active completes: p-prereq-progress joins. */
	rows[2].status = DOM_STATUS_COMPLETED;
	static const char *const more[] = { "p-free", "p-inactive", "p-prereq-met",
					    "p-prereq-progress" };
	pool_is(ch, rows, ARRAY_SIZE(rows), false, more, ARRAY_SIZE(more));

	/* Everything done: an empty pool (the handler's INSUFFICIENT_GOALS). */
	const struct dom_challenge *x = challenge_of(cfg, "cross");
	pool_is(x, &rows[4], 1, false, NULL, 0);
}

static void test_pick_properties(void)
{
	const struct dom_challenge *ch = challenge_of(cfg, "pool");
	const struct dom_goal *pool[16];
	size_t n = dom_random_pool(ch, NULL, 0, false, pool);
	CHECK_INT_EQ(n, 5);

	CHECK_INT_EQ(dom_random_pick(pool, n, 0), 0);
	CHECK_INT_EQ(dom_random_pick(pool, 0, 3), 0);

	for (int run = 0; run < 200; run++) {
		size_t count = (size_t)run % 8;
		const struct dom_goal *p[16];
		memcpy(p, pool, sizeof(pool));
		int k = dom_random_pick(p, n, count);
		CHECK_INT_EQ(k, count < n ? count : n);
		/* The whole pool is still there, permuted: picks are distinct
		 * members and nothing was lost or duplicated. */
		for (size_t i = 0; i < n; i++) {
			int seen = 0;
			for (size_t j = 0; j < n; j++)
				seen += p[j] == pool[i];
			CHECK_INT_EQ(seen, 1);
		}
	}
}

/* 10k picks of 2 from 5: each goal should lead ~2000 times and be second
 * ~2000 times (sd ~40); 1000 is a bound that never flakes. */
static void test_pick_uniform(void)
{
	const struct dom_challenge *ch = challenge_of(cfg5, "five");
	const struct dom_goal *pool[5];
	CHECK_INT_EQ(dom_random_pool(ch, NULL, 0, false, pool), 5);
	int first[5] = { 0 }, second[5] = { 0 };
	for (int run = 0; run < 10000; run++) {
		const struct dom_goal *p[5];
		memcpy(p, pool, sizeof(p));
		CHECK_INT_EQ(dom_random_pick(p, 5, 2), 2);
		CHECK(p[0] != p[1]);
		first[p[0]->index - pool[0]->index]++;
		second[p[1]->index - pool[0]->index]++;
	}
	for (int i = 0; i < 5; i++) {
		if (first[i] < 1000 || second[i] < 1000)
			fprintf(stderr, "goal %d: first %d, second %d\n", i, first[i], second[i]);
		CHECK(first[i] >= 1000);
		CHECK(second[i] >= 1000);
	}
}

static void test_total_active(void)
{
	const struct dom_goal *login = goal_of(cfg, "daily-login");
	const struct dom_goal *kills = goal_of(cfg, "daily-10-kills");
	const struct dom_goal *matches = goal_of(cfg, "daily-3-matches");
	const struct dom_goal *rot = goal_of(cfg, "daily-rot");
	const struct dom_goal *three[] = { login, kills, matches };

	/* The batch example: nothing active before. */
	CHECK_INT_EQ(dom_total_active(NULL, 0, three, 3, false), 3);
	CHECK_INT_EQ(dom_total_active(NULL, 0, three, 3, true), 3);

	struct dom_row rows[4] = {
		row_of(login, 0, DOM_STATUS_IN_PROGRESS), /* active, reselected */
		row_of(rot, 0, DOM_STATUS_COMPLETED),     /* active, not selected */
		row_of(kills, 0, DOM_STATUS_NOT_STARTED), /* inactive, selected */
		row_of(NULL, 0, DOM_STATUS_NOT_STARTED),  /* removed goal, active */
	};
	rows[2].is_active = false;
	/* 3 selected + 3 active before - 1 selected that was active. */
	CHECK_INT_EQ(dom_total_active(rows, 4, three, 3, false), 5);
	/* With replace: the number selected, whatever was active. */
	CHECK_INT_EQ(dom_total_active(rows, 4, three, 3, true), 3);
	/* The random example: 2 picked among inactive, 2 active before. */
	const struct dom_goal *two[] = { kills, matches };
	CHECK_INT_EQ(dom_total_active(rows, 2, two, 2, false), 4);
	/* A duplicate selection of an active goal subtracts twice, as the
	 * reference's loop does. */
	const struct dom_goal *dup[] = { login, login };
	CHECK_INT_EQ(dom_total_active(rows, 4, dup, 2, false), 3);
}

static void selection_is(const char *ch, const struct dom_goal *const *sel, size_t n, int total,
			 const struct dom_goal *const *rep, size_t n_rep, int64_t now,
			 const char *want)
{
	struct buf b;
	buf_init(&b);
	dom_render_selection(&b, challenge_of(cfg, ch), sel, n, total, rep, n_rep, now);
	CHECK_BUF(&b, want);
	buf_fini(&b);
}

static void test_render(void)
{
	const struct dom_goal *three[] = { goal_of(cfg, "daily-login"),
					   goal_of(cfg, "daily-10-kills"),
					   goal_of(cfg, "daily-3-matches") };
	/* The batch example, its "...two more..." written out. */
	selection_is("daily-challenges", three, 3, 3, NULL, 0, T_1410,
		     "{\"selectedGoals\":[{\"goalId\":\"daily-login\",\"name\":\"Login Today\","
		     "\"description\":\"Log in to the game\",\"requirement\":{\"statCode\":\"login_count\","
		     "\"operator\":\">=\",\"targetValue\":1},\"reward\":{\"type\":\"WALLET\",\"rewardId\":"
		     "\"GEMS\",\"quantity\":100},\"status\":\"not_started\",\"progress\":0,\"target\":1,"
		     "\"isActive\":true,\"assignedAt\":\"2025-06-15T14:10:00Z\",\"expiresAt\":\"\"},"
		     "{\"goalId\":\"daily-10-kills\",\"name\":\"Ten Kills\",\"description\":\"Kill ten enemies\","
		     "\"requirement\":{\"statCode\":\"kills\",\"operator\":\">=\",\"targetValue\":10},"
		     "\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"crate\",\"quantity\":1},"
		     "\"status\":\"not_started\",\"progress\":0,\"target\":10,\"isActive\":true,"
		     "\"assignedAt\":\"2025-06-15T14:10:00Z\",\"expiresAt\":\"\"},"
		     "{\"goalId\":\"daily-3-matches\",\"name\":\"Three Matches\",\"description\":\"\","
		     "\"requirement\":{\"statCode\":\"matches\",\"operator\":\">=\",\"targetValue\":3},"
		     "\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GOLD\",\"quantity\":50},"
		     "\"status\":\"not_started\",\"progress\":0,\"target\":3,\"isActive\":true,"
		     "\"assignedAt\":\"2025-06-15T14:10:00Z\",\"expiresAt\":\"\"}],"
		     "\"challengeId\":\"daily-challenges\",\"totalActiveGoals\":3,\"replacedGoals\":[]}");

	/* Rotating goals carry their next expiry; replaced ids in order. */
	const struct dom_goal *one[] = { goal_of(cfg, "daily-rot") };
	selection_is("daily-challenges", one, 1, 1, three, 2, T_1412,
		     "{\"selectedGoals\":[{\"goalId\":\"daily-rot\",\"name\":\"Rotating\",\"description\":\"\","
		     "\"requirement\":{\"statCode\":\"wins\",\"operator\":\">=\",\"targetValue\":1},"
		     "\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1},"
		     "\"status\":\"not_started\",\"progress\":0,\"target\":1,\"isActive\":true,"
		     "\"assignedAt\":\"2025-06-15T14:12:44Z\",\"expiresAt\":\"2025-06-16T00:00:00Z\"}],"
		     "\"challengeId\":\"daily-challenges\",\"totalActiveGoals\":1,"
		     "\"replacedGoals\":[\"daily-login\",\"daily-10-kills\"]}");

	selection_is("cross", NULL, 0, 0, NULL, 0, T_1412,
		     "{\"selectedGoals\":[],\"challengeId\":\"cross\",\"totalActiveGoals\":0,"
		     "\"replacedGoals\":[]}");
}

/* protojson strings (no HTML escapes) and int32 wrap in a SelectedGoal. */
static void test_render_escaping(void)
{
	struct dom_config *c = load_ok(
		"{\"challenges\":[{\"challengeId\":\"c<\\\"\",\"name\":\"C\",\"goals\":["
		"{\"goalId\":\"g&\",\"name\":\"a<b>\\u2028\",\"description\":\"\\n\\u001f\","
		"\"eventSource\":\"statistic\","
		"\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":2147483648},"
		"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"r\\\\\",\"quantity\":3}}]}]}",
		T_1400);
	const struct dom_goal *g = c->goals[0];
	struct buf b;
	buf_init(&b);
	dom_render_selection(&b, &c->challenges[0], &g, 1, 1, &g, 1, T_1400);
	CHECK_BUF(&b, "{\"selectedGoals\":[{\"goalId\":\"g&\",\"name\":\"a<b>\xe2\x80\xa8\","
		      "\"description\":\"\\n\\u001f\",\"requirement\":{\"statCode\":\"s\","
		      "\"operator\":\">=\",\"targetValue\":-2147483648},\"reward\":{\"type\":\"ITEM\","
		      "\"rewardId\":\"r\\\\\",\"quantity\":3},\"status\":\"not_started\",\"progress\":0,"
		      "\"target\":-2147483648,\"isActive\":true,\"assignedAt\":\"2025-06-15T14:00:00Z\","
		      "\"expiresAt\":\"\"}],\"challengeId\":\"c<\\\"\",\"totalActiveGoals\":1,"
		      "\"replacedGoals\":[\"g&\"]}");
	buf_fini(&b);
	dom_config_free(c);
}

int main(void)
{
	cfg = load_ok(config, T_1400);
	cfg5 = load_ok(config_five, T_1400);
	test_pool();
	test_pick_properties();
	test_pick_uniform();
	test_total_active();
	test_render();
	test_render_escaping();
	dom_config_free(cfg5);
	dom_config_free(cfg);
	return 0;
}
