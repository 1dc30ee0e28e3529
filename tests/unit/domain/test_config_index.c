/* Lookup tables: goals and challenges by id (exact bytes, with length),
 * goals by stat code in config order, the rotation goal of a challenge. */
#include "dom_test.h"

#define G(id, stat, extra)                                                        \
	"{\"goalId\":\"" id "\",\"name\":\"N\",\"eventSource\":\"statistic\","   \
	"\"requirement\":{\"statCode\":\"" stat "\",\"operator\":\">=\",\"targetValue\":1}," \
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1}" extra "}"
#define ROT_DAILY                                                                  \
	",\"requirement\":{\"progressMode\":\"relative\"},\"rotation\":{\"enabled\":true," \
	"\"type\":\"global\",\"schedule\":\"daily\"}"

static const char config[] =
	"{\"challenges\":["
	"{\"challengeId\":\"alpha\",\"name\":\"A\",\"goals\":["
	G("a1", "kills", "") "," G("a2", "wins", "") "," G("a3", "kills", ROT_DAILY) "]},"
	"{\"challengeId\":\"beta\",\"name\":\"B\",\"goals\":["
	G("b1", "wins", "") "," G("b2", "kills", "") "]}"
	"]}";

static void test_by_id(void)
{
	struct dom_config *cfg = load_ok(config, 0);
	const char *ids[] = { "a1", "a2", "a3", "b1", "b2" };
	for (size_t i = 0; i < 5; i++) {
		const struct dom_goal *g = dom_config_goal(cfg, ids[i], 2);
		CHECK(g != NULL);
		CHECK_STR_EQ(g->id, ids[i]);
		CHECK(cfg->goals[i] == g);
		CHECK_INT_EQ(g->index, i);
	}
	CHECK(dom_config_goal(cfg, "a1", 2)->challenge == &cfg->challenges[0]);
	CHECK(dom_config_goal(cfg, "b2", 2)->challenge == &cfg->challenges[1]);
	/* Length, not NUL, ends the key. */
	CHECK(dom_config_goal(cfg, "a1xyz", 2) == dom_config_goal(cfg, "a1", 2));
	CHECK(dom_config_goal(cfg, "a", 1) == NULL);
	CHECK(dom_config_goal(cfg, "a12", 3) == NULL);
	CHECK(dom_config_goal(cfg, "", 0) == NULL);
	CHECK(dom_config_goal(cfg, "alpha", 5) == NULL);

	CHECK(dom_config_challenge(cfg, "alpha", 5) == &cfg->challenges[0]);
	CHECK(dom_config_challenge(cfg, "beta", 4) == &cfg->challenges[1]);
	CHECK(dom_config_challenge(cfg, "bet", 3) == NULL);
	CHECK(dom_config_challenge(cfg, "a1", 2) == NULL);
	dom_config_free(cfg);
}

static void test_by_stat(void)
{
	struct dom_config *cfg = load_ok(config, 0);
	size_t n = 99;
	const struct dom_goal *const *gs = dom_config_goals_by_stat(cfg, "kills", 5, &n);
	CHECK_INT_EQ(n, 3);
	CHECK_STR_EQ(gs[0]->id, "a1");
	CHECK_STR_EQ(gs[1]->id, "a3");
	CHECK_STR_EQ(gs[2]->id, "b2");
	gs = dom_config_goals_by_stat(cfg, "wins", 4, &n);
	CHECK_INT_EQ(n, 2);
	CHECK_STR_EQ(gs[0]->id, "a2");
	CHECK_STR_EQ(gs[1]->id, "b1");
	CHECK(dom_config_goals_by_stat(cfg, "kill", 4, &n) == NULL);
	CHECK_INT_EQ(n, 0);
	CHECK(dom_config_goals_by_stat(cfg, "KILLS", 5, &n) == NULL);
	dom_config_free(cfg);
}

static void test_rotation_goal(void)
{
	struct dom_config *cfg = load_ok(config, 0);
	CHECK(dom_challenge_rotation(&cfg->challenges[0]) == dom_config_goal(cfg, "a3", 2));
	CHECK(dom_challenge_rotation(&cfg->challenges[1]) == NULL);
	CHECK_INT_EQ(cfg->n_rotating, 1);
	dom_config_free(cfg);
}

/* Enough goals to make the tables probe and wrap. */
static void test_many(void)
{
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "{\"challenges\":[{\"challengeId\":\"c\",\"name\":\"C\",\"goals\":[");
	for (int i = 0; i < 600; i++) {
		buf_printf(&b, "%s{\"goalId\":\"goal-%d\",\"name\":\"N\",\"eventSource\":\"login\","
			       "\"requirement\":{\"statCode\":\"s%d\",\"operator\":\">=\","
			       "\"targetValue\":1},\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\","
			       "\"quantity\":1}}",
			   i ? "," : "", i, i % 7);
	}
	buf_append_str(&b, "]}]}");
	buf_append_char(&b, '\0');
	struct dom_config *cfg = load_ok(b.data, 0);
	CHECK_INT_EQ(cfg->n_goals, 600);
	for (int i = 0; i < 600; i++) {
		char id[32];
		int n = snprintf(id, sizeof(id), "goal-%d", i);
		const struct dom_goal *g = dom_config_goal(cfg, id, (size_t)n);
		CHECK(g != NULL);
		CHECK_INT_EQ(g->index, i);
	}
	size_t total = 0;
	for (int s = 0; s < 7; s++) {
		char code[8];
		int n = snprintf(code, sizeof(code), "s%d", s);
		size_t count;
		const struct dom_goal *const *gs = dom_config_goals_by_stat(cfg, code, (size_t)n, &count);
		for (size_t k = 1; k < count; k++)
			CHECK(gs[k - 1]->index < gs[k]->index);
		total += count;
	}
	CHECK_INT_EQ(total, 600);
	dom_config_free(cfg);
	buf_fini(&b);
}

int main(void)
{
	test_by_id();
	test_by_stat();
	test_rotation_goal();
	test_many();
	return 0;
}
