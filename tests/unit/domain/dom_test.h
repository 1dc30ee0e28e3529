/*
 * Shared helpers of the domain unit tests: JSON config builders (later keys
 * override earlier ones, as Go decodes them) and load-or-fail wrappers.
 */
#ifndef CHALLENGED_DOM_TEST_H
#define CHALLENGED_DOM_TEST_H

#include "challenged/domain.h"
#include "check.h"

/* A valid statistic goal "g"; extra members appended to it win. */
#define GOAL(extra)                                                              \
	"{\"goalId\":\"g\",\"name\":\"G\",\"eventSource\":\"statistic\","         \
	"\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":1}," \
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1}" extra "}"
#define CHAL(extra, goals) \
	"{\"challengeId\":\"c\",\"name\":\"C\",\"goals\":[" goals "]" extra "}"
#define CFG(chals) "{\"challenges\":[" chals "]}"

/* 2025-06-15T14:00:00Z, a Sunday. */
#define T_2025_06_15_1400 1749996000

static inline struct dom_config *load_ok(const char *json, int64_t now)
{
	struct dom_config *cfg = NULL;
	char err[1024] = "";
	int rc = dom_config_parse(json, strlen(json), now, &cfg, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "load failed: %s\n  config: %s\n", err, json);
	CHECK_INT_EQ(rc, 0);
	CHECK(cfg != NULL);
	return cfg;
}

/* Returns the error text in a static buffer. */
static inline const char *load_err(const char *json)
{
	static char err[1024];
	struct dom_config *cfg = (struct dom_config *)1;
	err[0] = '\0';
	int rc = dom_config_parse(json, strlen(json), 0, &cfg, err, sizeof(err));
	if (rc != -1)
		fprintf(stderr, "load unexpectedly succeeded: %s\n", json);
	CHECK_INT_EQ(rc, -1);
	CHECK(cfg == NULL);
	return err;
}

#endif
