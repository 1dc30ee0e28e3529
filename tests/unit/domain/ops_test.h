/*
 * Helpers of the write-endpoint rule tests (test_ops_*.c): stored rows built
 * from Postgres timestamp text, goal lookup that must succeed, and a check
 * that a rendered buffer holds exactly the expected bytes.
 */
#ifndef CHALLENGED_OPS_TEST_H
#define CHALLENGED_OPS_TEST_H

#include "challenged/common.h"
#include "challenged/domain_ops.h"
#include "dom_test.h"

#define T_1400 T_2025_06_15_1400 /* 2025-06-15T14:00:00Z, a Sunday */
#define US(s) ((int64_t)(s) * 1000000)

static inline int64_t us_at(const char *pg)
{
	int64_t us;
	CHECK_INT_EQ(dom_time_parse_pg(pg, strlen(pg), &us), 0);
	return us;
}

static inline int64_t secs_at(const char *pg)
{
	return us_at(pg) / 1000000;
}

static inline const struct dom_goal *goal_of(const struct dom_config *cfg, const char *id)
{
	const struct dom_goal *g = dom_config_goal(cfg, id, strlen(id));
	if (!g)
		fprintf(stderr, "no goal '%s' in the test config\n", id);
	CHECK(g != NULL);
	return g;
}

static inline const struct dom_challenge *challenge_of(const struct dom_config *cfg,
							const char *id)
{
	const struct dom_challenge *c = dom_config_challenge(cfg, id, strlen(id));
	CHECK(c != NULL);
	return c;
}

/* An active row updated an hour before 14:00 on 2025-06-15, no NULL-able
 * column set. */
static inline struct dom_row row_of(const struct dom_goal *g, int32_t progress,
				    enum dom_status st)
{
	struct dom_row r;
	memset(&r, 0, sizeof(r));
	r.goal = g;
	r.progress = progress;
	r.status = st;
	r.is_active = true;
	r.completed_at_us = r.claimed_at_us = r.assigned_at_us = r.expires_at_us = -1;
	r.created_at_us = r.updated_at_us = us_at("2025-06-15 13:00:00");
	return r;
}

#define CHECK_BUF(b, want)                          \
	do {                                        \
		CHECK(!(b)->failed);                \
		CHECK_MEM_EQ((b)->data, (b)->len, want); \
	} while (0)

#endif
