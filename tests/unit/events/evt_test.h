/*
 * Shared helpers of the events unit tests: a small config covering shared
 * stat codes across event sources, every rotation schedule and a goal id
 * with ':' in it, and lookups by goal id.
 */
#ifndef CHALLENGED_EVT_TEST_H
#define CHALLENGED_EVT_TEST_H

#include <errno.h>

#include "challenged/common.h"
#include "challenged/events.h"
#include "check.h"
#include "evt_private.h"

#define REWARD "\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GEMS\",\"quantity\":1}"
#define REQ(code, target, mode)                                                    \
	"\"requirement\":{\"statCode\":\"" code "\",\"operator\":\">=\",\"targetValue\":" \
	#target ",\"progressMode\":\"" mode "\"}"
#define ROT(sched, reset, resel)                                                   \
	",\"rotation\":{\"enabled\":true,\"type\":\"global\",\"schedule\":\"" sched     \
	"\",\"onExpiry\":{\"resetProgress\":" #reset ",\"allowReselection\":" #resel "}}"
#define GOAL_JSON(id, src, req, extra) \
	"{\"goalId\":\"" id "\",\"name\":\"N\",\"eventSource\":\"" src "\"," req "," REWARD extra "}"

/* Goal ids in config order, as the tests refer to them. */
static const char TEST_CONFIG[] =
	"{\"challenges\":["
	"{\"challengeId\":\"c1\",\"name\":\"C1\",\"goals\":["
	GOAL_JSON("login-a", "login", REQ("logins", 3, "absolute"), "") ","
	GOAL_JSON("login-b", "login", REQ("logins", 2, "relative"), "") ","
	GOAL_JSON("stat-shared", "statistic", REQ("logins", 4, "absolute"), "") ","
	GOAL_JSON("visit-once", "login", REQ("visits", 1, "absolute"), "") ","
	GOAL_JSON("kills", "statistic", REQ("kills", 10, "relative"), ROT("daily", true, true)) ","
	GOAL_JSON("a:b", "statistic", REQ("kills", 5, "absolute"), "")
	"]},"
	"{\"challengeId\":\"c\\\"2\",\"name\":\"C2\",\"goals\":["
	GOAL_JSON("quests", "statistic", REQ("quests", 7, "relative"), ROT("weekly", false, false)) ","
	GOAL_JSON("coins", "statistic", REQ("coins", 100, "relative"), ROT("monthly", true, false))
	"]}]}";

/* 2025-06-15T14:00:00Z, a Sunday. */
#define T_2025_06_15_1400 1749996000

static inline struct dom_config *test_config(void)
{
	struct dom_config *cfg = NULL;
	char err[512] = "";
	int rc = dom_config_parse(TEST_CONFIG, strlen(TEST_CONFIG), T_2025_06_15_1400, &cfg, err,
				  sizeof(err));
	if (rc != 0)
		fprintf(stderr, "config: %s\n", err);
	CHECK_INT_EQ(rc, 0);
	return cfg;
}

static inline const struct dom_goal *goal_of(const struct dom_config *cfg, const char *id)
{
	const struct dom_goal *g = dom_config_goal(cfg, id, strlen(id));
	CHECK(g != NULL);
	return g;
}

static inline struct evt_update login_of(const struct dom_goal *g)
{
	return (struct evt_update){ .goal = g, .inc = 1 };
}

static inline struct evt_update stat_of(const struct dom_goal *g, int64_t value, int64_t inc)
{
	return (struct evt_update){ .goal = g, .has_value = true, .value = value, .inc = inc };
}

static inline int merge_str(struct evt_buffer *b, const char *user, struct evt_update u)
{
	return evt_buffer_merge(b, user, strlen(user), &u);
}

/* The batch entry for (user, goal), or NULL. */
static inline const struct evt_entry *batch_find(const struct evt_batch *batch, const char *user,
						 const struct dom_goal *g)
{
	for (size_t i = 0; i < evt_batch_size(batch); i++) {
		size_t len;
		const char *u = evt_batch_user(batch, i, &len);
		if (batch->ents[i].goal == g && len == strlen(user) && memcmp(u, user, len) == 0)
			return &batch->ents[i];
	}
	return NULL;
}

#endif
