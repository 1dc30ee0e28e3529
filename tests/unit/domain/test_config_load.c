/* Loading: the shipped fixtures, file errors, and the Go encoding/json
 * decoding rules of config.md §1.4 (case-insensitive keys, last wins with
 * merging, unknown keys, null, integral numbers, type errors). */
#include <limits.h>
#include <stdlib.h>

#include "dom_test.h"

#define PARSE "failed to parse config JSON: "

static struct dom_config *load_file(const char *name)
{
	char path[PATH_MAX], err[1024];
	struct dom_config *cfg = NULL;
	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	int rc = dom_config_load(path, T_2025_06_15_1400, &cfg, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s: %s\n", name, err);
	CHECK_INT_EQ(rc, 0);
	return cfg;
}

static void test_fixtures(void)
{
	struct dom_config *cfg = load_file("challenges.json");
	CHECK_INT_EQ(cfg->n_challenges, 7);
	CHECK_INT_EQ(cfg->n_goals, 24);
	CHECK_INT_EQ(cfg->n_rotating, 8);
	size_t defaults = 0;
	for (size_t i = 0; i < cfg->n_goals; i++) {
		CHECK_INT_EQ(cfg->goals[i]->index, i);
		defaults += cfg->goals[i]->default_assigned;
	}
	CHECK_INT_EQ(defaults, 10);
	CHECK_STR_EQ(cfg->challenges[0].id, "challenge-001");
	CHECK_STR_EQ(cfg->goals[0]->id, "challenge-001-goal-01");
	CHECK(cfg->goals[0]->source == DOM_SOURCE_LOGIN);
	CHECK(cfg->goals[0]->reward_type == DOM_REWARD_WALLET);
	const struct dom_goal *k = dom_config_goal(cfg, "kill-10-snowmen", 15);
	CHECK(k != NULL);
	CHECK_INT_EQ(k->n_prerequisites, 1);
	CHECK_STR_EQ(k->prerequisites[0], "complete-tutorial");
	CHECK_STR_EQ(k->challenge->id, "winter-challenge-2025");
	CHECK_INT_EQ(k->target_value, 10);
	CHECK(k->reward_type == DOM_REWARD_ITEM);
	dom_config_free(cfg);

	cfg = load_file("challenges.test.json");
	CHECK(cfg->n_challenges > 0);
	dom_config_free(cfg);

	char path[PATH_MAX], err[1024];
	snprintf(path, sizeof(path), "%s/challenges.loadtest.json", FIXTURE_DIR);
	cfg = (struct dom_config *)1;
	CHECK_INT_EQ(dom_config_load(path, 0, &cfg, err, sizeof(err)), -1);
	CHECK(cfg == NULL);
	CHECK_STR_EQ(err, "config validation failed: invalid challenge '': challenge ID cannot be empty");
}

static void test_read_errors(void)
{
	char err[1024];
	struct dom_config *cfg;
	CHECK_INT_EQ(dom_config_load("/nonexistent/challenges.json", 0, &cfg, err, sizeof(err)), -1);
	CHECK_STR_EQ(err, "failed to read config file: open /nonexistent/challenges.json: "
			  "no such file or directory");
	CHECK_INT_EQ(dom_config_load(FIXTURE_DIR, 0, &cfg, err, sizeof(err)), -1);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "failed to read config file: read %s: is a directory",
		 FIXTURE_DIR);
	CHECK_STR_EQ(err, want);
}

static void test_syntax_errors(void)
{
	CHECK_STR_EQ(load_err(""), PARSE "Empty: no JSON found");
	CHECK_STR_EQ(load_err("{\"challenges\":[}"),
		     PARSE "The JSON document has an improper structure: missing or superfluous "
			   "commas, braces, missing keys, etc.");
	CHECK_STR_EQ(load_err("[]"), PARSE "json: cannot unmarshal array into Go value of type config.Config");
	CHECK_STR_EQ(load_err("5"), PARSE "json: cannot unmarshal number into Go value of type config.Config");
}

static void test_case_insensitive(void)
{
	struct dom_config *cfg = load_ok(
		"{\"CHALLENGES\":[{\"ChallengeID\":\"c\",\"NAME\":\"C\",\"Goals\":[{\"GOALID\":\"g\","
		"\"name\":\"G\",\"EVENTSOURCE\":\"login\",\"DefaultAssigned\":true,"
		"\"Requirement\":{\"STATCODE\":\"s\",\"Operator\":\">=\",\"TARGETVALUE\":7,"
		"\"progressmode\":\"relative\"},\"REWARD\":{\"Type\":\"WALLET\",\"REWARDID\":\"r\","
		"\"Quantity\":3},\"Rotation\":{\"ENABLED\":true,\"TYPE\":\"global\",\"Schedule\":"
		"\"weekly\",\"OnExpiry\":{\"RESETPROGRESS\":true,\"allowreselection\":true}}}]}]}",
		0);
	const struct dom_goal *g = cfg->goals[0];
	CHECK_STR_EQ(g->id, "g");
	CHECK(g->source == DOM_SOURCE_LOGIN);
	CHECK(g->default_assigned);
	CHECK_STR_EQ(g->stat_code, "s");
	CHECK_INT_EQ(g->target_value, 7);
	CHECK(g->mode == DOM_MODE_RELATIVE);
	CHECK(g->reward_type == DOM_REWARD_WALLET);
	CHECK_STR_EQ(g->reward_id, "r");
	CHECK_INT_EQ(g->reward_quantity, 3);
	CHECK(g->rotation.enabled);
	CHECK(g->rotation.schedule == DOM_SCHEDULE_WEEKLY);
	CHECK(g->rotation.reset_progress);
	CHECK(g->rotation.allow_reselection);
	CHECK_INT_EQ(cfg->n_rotating, 1);
	dom_config_free(cfg);

	/* Go's folding also maps U+017F (long s) onto 's'. */
	cfg = load_ok(CFG(CHAL("", GOAL(",\"requirement\":{\"\xc5\xbftatCode\":\"folded\"}"))), 0);
	CHECK_STR_EQ(cfg->goals[0]->stat_code, "folded");
	dom_config_free(cfg);
}

static void test_last_wins_and_merge(void)
{
	/* Later duplicates win; a repeated object merges into the first. */
	struct dom_config *cfg = load_ok(
		CFG(CHAL(",\"name\":\"second\"",
			 GOAL(",\"name\":\"one\",\"NAME\":\"two\",\"requirement\":{\"targetValue\":9},"
			      "\"prerequisites\":[\"x\",\"y\"],\"prerequisites\":[\"g\"]"))),
		0);
	const struct dom_goal *g = cfg->goals[0];
	CHECK_STR_EQ(cfg->challenges[0].name, "second");
	CHECK_STR_EQ(g->name, "two");
	CHECK_STR_EQ(g->stat_code, "s");
	CHECK_STR_EQ(g->op, ">=");
	CHECK_INT_EQ(g->target_value, 9);
	CHECK_INT_EQ(g->n_prerequisites, 1);
	CHECK_STR_EQ(g->prerequisites[0], "g");
	dom_config_free(cfg);

	/* A repeated goals array decodes into the goals already there. */
	cfg = load_ok(CFG(CHAL(",\"goals\":[{\"name\":\"renamed\"}]", GOAL(""))), 0);
	CHECK_INT_EQ(cfg->n_goals, 1);
	CHECK_STR_EQ(cfg->goals[0]->id, "g");
	CHECK_STR_EQ(cfg->goals[0]->name, "renamed");
	dom_config_free(cfg);
}

static void test_unknown_and_null(void)
{
	struct dom_config *cfg = load_ok(
		"{\"version\":3,\"challenges\":[{\"challengeId\":\"c\",\"name\":\"C\","
		"\"description\":null,\"extra\":{\"deep\":[1,{\"x\":null}]},\"goals\":["
		GOAL(",\"type\":\"absolute\",\"daily\":true,\"challengeId\":\"other\","
		     "\"description\":\"d\",\"description\":null,\"defaultAssigned\":null,"
		     "\"requirement\":null,\"reward\":null,\"prerequisites\":null,"
		     "\"rotation\":{\"enabled\":true},\"rotation\":null,\"unknown\":[[[]]]")
		"]}]}",
		0);
	const struct dom_goal *g = cfg->goals[0];
	CHECK_STR_EQ(cfg->challenges[0].description, "");
	/* The goal's own challengeId is overwritten by its parent's. */
	CHECK_STR_EQ(g->challenge->id, "c");
	/* null leaves a string alone (here the earlier "d"). */
	CHECK_STR_EQ(g->description, "d");
	CHECK(!g->default_assigned);
	CHECK_STR_EQ(g->stat_code, "s");
	CHECK_INT_EQ(g->n_prerequisites, 0);
	CHECK(!g->rotation.enabled);
	CHECK(g->rotation.schedule == DOM_SCHEDULE_NONE);
	/* An absent progressMode becomes absolute. */
	CHECK(g->mode == DOM_MODE_ABSOLUTE);
	dom_config_free(cfg);

	/* null for a number leaves it at zero, which validation then refuses. */
	CHECK_STR_EQ(load_err(CFG(CHAL("", "{\"goalId\":\"g\",\"name\":\"G\",\"eventSource\":"
					   "\"login\",\"requirement\":{\"statCode\":\"s\","
					   "\"operator\":\">=\",\"targetValue\":null}}"))),
		     "config validation failed: invalid goal 'g' in challenge 'c': target_value "
		     "must be positive");
}

static void test_numbers(void)
{
#define TV(v) CFG(CHAL("", GOAL(",\"requirement\":{\"targetValue\":" v "}")))
#define TV_ERR_HEAD PARSE "json: cannot unmarshal "
#define TV_ERR_TAIL " into Go struct field Requirement.challenges.goals.requirement.targetValue " \
		    "of type int"
	struct {
		const char *json, *value;
	} bad[] = {
		{ TV("10.5"), "number 10.5" },
		{ TV("1e2"), "number 100" },
		{ TV("10.0"), "number 10" },
		{ TV("9223372036854775808"), "number 9223372036854775808" },
		{ TV("\"10\""), "string" },
		{ TV("true"), "bool" },
		{ TV("[1]"), "array" },
		{ TV("{}"), "object" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[512];
		snprintf(want, sizeof(want), "%s%s%s", TV_ERR_HEAD, bad[i].value, TV_ERR_TAIL);
		CHECK_STR_EQ(load_err(bad[i].json), want);
	}
	struct dom_config *cfg = load_ok(TV("9223372036854775807"), 0);
	CHECK(cfg->goals[0]->target_value == INT64_MAX);
	dom_config_free(cfg);
	cfg = load_ok(CFG(CHAL("", GOAL(",\"reward\":{\"quantity\":-0},\"reward\":{\"quantity\":2}"))), 0);
	CHECK_INT_EQ(cfg->goals[0]->reward_quantity, 2);
	dom_config_free(cfg);
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"reward\":{\"quantity\":1.5}")))),
		     PARSE "json: cannot unmarshal number 1.5 into Go struct field "
			   "Reward.challenges.goals.reward.quantity of type int");
}

static void test_type_errors(void)
{
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"name\":5")))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "Goal.challenges.goals.name of type string");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"defaultAssigned\":\"true\"")))),
		     PARSE "json: cannot unmarshal string into Go struct field "
			   "Goal.challenges.goals.defaultAssigned of type bool");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"eventSource\":[]")))),
		     PARSE "json: cannot unmarshal array into Go struct field "
			   "Goal.challenges.goals.eventSource of type domain.EventSource");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"prerequisites\":\"g\"")))),
		     PARSE "json: cannot unmarshal string into Go struct field "
			   "Goal.challenges.goals.prerequisites of type []string");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"prerequisites\":[1]")))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "Goal.challenges.goals.prerequisites of type string");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"requirement\":\"x\"")))),
		     PARSE "json: cannot unmarshal string into Go struct field "
			   "Goal.challenges.goals.requirement of type domain.Requirement");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"reward\":[]")))),
		     PARSE "json: cannot unmarshal array into Go struct field "
			   "Goal.challenges.goals.reward of type domain.Reward");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"rotation\":true")))),
		     PARSE "json: cannot unmarshal bool into Go struct field "
			   "Goal.challenges.goals.rotation of type domain.RotationConfig");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"rotation\":{\"onExpiry\":1}")))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "RotationConfig.challenges.goals.rotation.onExpiry of type "
			   "domain.OnExpiryConfig");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"rotation\":{\"onExpiry\":{\"resetProgress\":1}}")))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "OnExpiryConfig.challenges.goals.rotation.onExpiry.resetProgress of type bool");
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"rotation\":{\"schedule\":7}")))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "RotationConfig.challenges.goals.rotation.schedule of type "
			   "domain.RotationSchedule");
	CHECK_STR_EQ(load_err(CFG(CHAL("", "7"))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "Challenge.challenges.goals of type domain.Goal");
	CHECK_STR_EQ(load_err(CFG(CHAL(",\"goals\":{}", GOAL("")))),
		     PARSE "json: cannot unmarshal object into Go struct field "
			   "Challenge.challenges.goals of type []*domain.Goal");
	CHECK_STR_EQ(load_err(CFG("\"c\"")),
		     PARSE "json: cannot unmarshal string into Go struct field "
			   "Config.challenges of type domain.Challenge");
	CHECK_STR_EQ(load_err("{\"challenges\":{}}"),
		     PARSE "json: cannot unmarshal object into Go struct field "
			   "Config.challenges of type []*domain.Challenge");
	CHECK_STR_EQ(load_err(CFG(CHAL(",\"challengeId\":false", GOAL("")))),
		     PARSE "json: cannot unmarshal bool into Go struct field "
			   "Challenge.challenges.challengeId of type string");
	/* The first error in document order is the one reported. */
	CHECK_STR_EQ(load_err(CFG(CHAL("", GOAL(",\"name\":1,\"goalId\":2")))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "Goal.challenges.goals.name of type string");
	/* Type errors win over validation errors. */
	CHECK_STR_EQ(load_err(CFG(CHAL(",\"challengeId\":\"\"", GOAL(",\"name\":1")))),
		     PARSE "json: cannot unmarshal number into Go struct field "
			   "Goal.challenges.goals.name of type string");
}

int main(void)
{
	test_fixtures();
	test_read_errors();
	test_syntax_errors();
	test_case_insensitive();
	test_last_wins_and_merge();
	test_unknown_and_null();
	test_numbers();
	test_type_errors();
	return 0;
}
