/*
 * Outbound calls to AGS. For now the reward client's mock mode (spec
 * rewards.md §1: log and succeed, like the reference's DevMockRewardClient),
 * with an optional artificial latency for load tests that is a ring timer,
 * never a sleep. The real AGS Platform client comes with the HTTPS work.
 */
#ifndef CHALLENGED_CLIENT_H
#define CHALLENGED_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "challenged/domain.h"
#include "challenged/rt.h"

/* MOCK_REWARD_LATENCY_MS: "N" or "MIN-MAX" milliseconds; 0-0 by default. */
struct client_reward_config {
	bool mock;
	unsigned latency_min_ms;
	unsigned latency_max_ms;
	const char *namespace_;
};

/* Parses MOCK_REWARD_LATENCY_MS; returns 0 or -1 for a malformed value. */
int client_reward_latency_parse(const char *text, unsigned *min_ms, unsigned *max_ms);

struct client_grant;
/* ok: the grant succeeded; why: the failure otherwise. */
typedef void client_grant_fn(void *ctx, bool ok, const char *why);

/*
 * Grants goal's reward to user. done runs later on this shard, exactly once
 * (never before this returns), unless client_grant_abandon was called.
 * Returns 0, or -ENOMEM.
 */
int client_reward_grant(struct rt_shard *sh, const struct client_reward_config *cfg,
			const struct dom_goal *goal, const char *user_id,
			client_grant_fn *done, void *ctx, struct client_grant **handle);
/* done will not run; the grant itself may still happen. */
void client_grant_abandon(struct client_grant *g);

#endif
