/* Validation: one case per rule of config.md §1.3 with its exact message,
 * plus the first-failure ordering. */
#include "dom_test.h"

#define PFX "config validation failed: "
#define GPFX PFX "invalid goal 'g' in challenge 'c': "

#define ROT(body) ",\"rotation\":{" body "}"
#define ROT_OK "\"enabled\":true,\"type\":\"global\",\"schedule\":\"daily\""
#define RELATIVE ",\"requirement\":{\"progressMode\":\"relative\"}"

static void expect(const char *json, const char *msg)
{
	const char *got = load_err(json);
	CHECK_STR_EQ(got, msg);
}

static void valid(const char *json)
{
	dom_config_free(load_ok(json, 0));
}

static void test_config_level(void)
{
	expect("{}", PFX "config must have at least one challenge");
	expect("{\"challenges\":[]}", PFX "config must have at least one challenge");
	expect("{\"challenges\":null}", PFX "config must have at least one challenge");
	expect("null", PFX "config must have at least one challenge");
}

static void test_challenge_rules(void)
{
	expect(CFG(CHAL(",\"challengeId\":\"\"", GOAL(""))),
	       PFX "invalid challenge '': challenge ID cannot be empty");
	expect(CFG(CHAL(",\"name\":\"\"", GOAL(""))),
	       PFX "invalid challenge 'c': challenge name cannot be empty");
	expect(CFG(CHAL("", )), PFX "invalid challenge 'c': challenge must have at least one goal");
	expect(CFG(CHAL(",\"goals\":null", GOAL(""))),
	       PFX "invalid challenge 'c': challenge must have at least one goal");
	expect(CFG(CHAL("", GOAL("")) "," CHAL(",\"goals\":[" GOAL(",\"goalId\":\"h\"") "]", )),
	       PFX "duplicate challenge ID: c");
	/* A null element would crash the reference; here it is an empty challenge. */
	expect(CFG("null"), PFX "invalid challenge '': challenge ID cannot be empty");
}

static void test_goal_rules(void)
{
	expect(CFG(CHAL("", GOAL(",\"goalId\":\"\""))),
	       PFX "invalid goal '' in challenge 'c': goal ID cannot be empty");
	expect(CFG(CHAL("", "null")), PFX "invalid goal '' in challenge 'c': goal ID cannot be empty");
	expect(CFG(CHAL("", GOAL(",\"name\":\"\""))), GPFX "goal name cannot be empty");
	expect(CFG(CHAL("", GOAL(",\"eventSource\":\"\""))), GPFX "event_source cannot be empty");
	expect(CFG(CHAL("", GOAL(",\"eventSource\":null,\"eventSource\":\"Login\""))),
	       GPFX "invalid event_source 'Login' (must be 'login' or 'statistic')");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"progressMode\":\"ABSOLUTE\"}"))),
	       GPFX "invalid progressMode 'ABSOLUTE' (must be 'absolute' or 'relative')");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"progressMode\":\"increment\"}"))),
	       GPFX "invalid progressMode 'increment' (must be 'absolute' or 'relative')");
	expect(CFG(CHAL("", GOAL(RELATIVE ROT("\"enabled\":true,\"type\":\"per_user\","
					      "\"schedule\":\"daily\"")))),
	       GPFX "invalid rotation type 'per_user' (must be 'global')");
	expect(CFG(CHAL("", GOAL(RELATIVE ROT("\"enabled\":true,\"schedule\":\"daily\"")))),
	       GPFX "invalid rotation type '' (must be 'global')");
	expect(CFG(CHAL("", GOAL(RELATIVE ROT("\"enabled\":true,\"type\":\"global\","
					      "\"schedule\":\"hourly\"")))),
	       GPFX "invalid rotation schedule 'hourly' (must be 'daily', 'weekly', or 'monthly')");
	expect(CFG(CHAL("", GOAL(RELATIVE ROT("\"enabled\":true,\"type\":\"global\"")))),
	       GPFX "invalid rotation schedule '' (must be 'daily', 'weekly', or 'monthly')");
	/* An absent progressMode became "absolute" before validation. */
	expect(CFG(CHAL("", GOAL(ROT(ROT_OK)))),
	       GPFX "rotation requires progressMode 'relative', got 'absolute'");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"statCode\":\"\"}"))),
	       GPFX "stat_code cannot be empty");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"operator\":\">\"}"))),
	       GPFX "unsupported operator '>' (only '>=' supported)");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"operator\":\"\"}"))),
	       GPFX "unsupported operator '' (only '>=' supported)");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"targetValue\":0}"))),
	       GPFX "target_value must be positive");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"targetValue\":-5}"))),
	       GPFX "target_value must be positive");
	expect(CFG(CHAL("", GOAL(",\"reward\":{\"type\":\"item\"}"))),
	       GPFX "unsupported reward type 'item' (only 'ITEM' or 'WALLET' allowed)");
	expect(CFG(CHAL("", GOAL(",\"reward\":{\"rewardId\":\"\"}"))),
	       GPFX "reward_id cannot be empty");
	expect(CFG(CHAL("", GOAL(",\"reward\":{\"quantity\":0}"))),
	       GPFX "reward quantity must be positive");
	expect(CFG(CHAL("", GOAL(",\"reward\":{\"quantity\":-1}"))),
	       GPFX "reward quantity must be positive");
	expect(CFG(CHAL("", GOAL("") "," GOAL(""))), PFX "duplicate goal ID: g");
	expect(CFG(CHAL("", GOAL("")) "," CHAL(",\"challengeId\":\"d\"", GOAL(""))),
	       PFX "duplicate goal ID: g");
	expect(CFG(CHAL("", GOAL(",\"prerequisites\":[\"g\",\"nope\"]"))),
	       PFX "goal 'g' has invalid prerequisite: 'nope' does not exist");
	expect(CFG(CHAL("", GOAL(",\"prerequisites\":[null]"))),
	       PFX "goal 'g' has invalid prerequisite: '' does not exist");
}

static void test_valid_shapes(void)
{
	valid(CFG(CHAL("", GOAL(""))));
	valid(CFG(CHAL("", GOAL(",\"eventSource\":\"login\",\"reward\":{\"type\":\"WALLET\"}"))));
	/* A disabled rotation block is not validated at all. */
	valid(CFG(CHAL("", GOAL(ROT("\"enabled\":false,\"type\":\"x\",\"schedule\":\"y\"")))));
	for (int i = 0; i < 3; i++) {
		static const char *const cfgs[] = {
			CFG(CHAL("", GOAL(RELATIVE ROT(ROT_OK)))),
			CFG(CHAL("", GOAL(RELATIVE ROT("\"enabled\":true,\"type\":\"global\","
						       "\"schedule\":\"weekly\"")))),
			CFG(CHAL("", GOAL(RELATIVE ROT("\"enabled\":true,\"type\":\"global\","
						       "\"schedule\":\"monthly\"")))),
		};
		valid(cfgs[i]);
	}
	/* Prerequisites may point forward, across challenges, or at the goal itself. */
	valid(CFG(CHAL("", GOAL(",\"prerequisites\":[\"g\",\"h\"]")) ","
		  CHAL(",\"challengeId\":\"d\"", GOAL(",\"goalId\":\"h\""))));
	valid(CFG(CHAL("", GOAL(",\"prerequisites\":[]"))));
	valid(CFG(CHAL("", GOAL(",\"prerequisites\":null"))));
}

static void test_order(void)
{
	/* A challenge's own checks come before its goals'. */
	expect(CFG(CHAL(",\"name\":\"\"", GOAL(",\"goalId\":\"\""))),
	       PFX "invalid challenge 'c': challenge name cannot be empty");
	/* The duplicate challenge check comes before that challenge's goals. */
	expect(CFG(CHAL("", GOAL("")) "," CHAL("", GOAL(",\"goalId\":\"\""))),
	       PFX "duplicate challenge ID: c");
	/* Goals in order: the first bad goal wins over later challenges. */
	expect(CFG(CHAL("", GOAL(",\"name\":\"\"") "," GOAL(",\"goalId\":\"\"")) ","
		   CHAL(",\"challengeId\":\"\"", GOAL(""))),
	       GPFX "goal name cannot be empty");
	/* Within a goal, the table order: id before name before source ... */
	expect(CFG(CHAL("", GOAL(",\"name\":\"\",\"eventSource\":\"\",\"goalId\":\"\""))),
	       PFX "invalid goal '' in challenge 'c': goal ID cannot be empty");
	expect(CFG(CHAL("", GOAL(",\"eventSource\":\"x\",\"requirement\":{\"progressMode\":\"y\"}"))),
	       GPFX "invalid event_source 'x' (must be 'login' or 'statistic')");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"progressMode\":\"y\",\"statCode\":\"\"}"))),
	       GPFX "invalid progressMode 'y' (must be 'absolute' or 'relative')");
	expect(CFG(CHAL("", GOAL(ROT(ROT_OK) ",\"requirement\":{\"statCode\":\"\"}"))),
	       GPFX "rotation requires progressMode 'relative', got 'absolute'");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"statCode\":\"\",\"operator\":\"<\"}"))),
	       GPFX "stat_code cannot be empty");
	expect(CFG(CHAL("", GOAL(",\"requirement\":{\"targetValue\":0},\"reward\":{\"type\":\"\"}"))),
	       GPFX "target_value must be positive");
	expect(CFG(CHAL("", GOAL(",\"reward\":{\"type\":\"\",\"rewardId\":\"\"}"))),
	       GPFX "unsupported reward type '' (only 'ITEM' or 'WALLET' allowed)");
	/* The duplicate goal check follows that goal's own checks. */
	expect(CFG(CHAL("", GOAL("") "," GOAL(",\"name\":\"\""))), GPFX "goal name cannot be empty");
	/* Prerequisites are checked after every challenge. */
	expect(CFG(CHAL("", GOAL(",\"prerequisites\":[\"nope\"]")) ","
		   CHAL(",\"challengeId\":\"d\",\"name\":\"\"", GOAL(",\"goalId\":\"h\""))),
	       PFX "invalid challenge 'd': challenge name cannot be empty");
}

int main(void)
{
	test_config_level();
	test_challenge_rules();
	test_goal_rules();
	test_valid_shapes();
	test_order();
	return 0;
}
