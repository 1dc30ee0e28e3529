/*
 * Mock reward grants (REWARD_CLIENT_MODE=mock): log what a real grant would
 * send, then succeed after the configured latency. Shard thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "challenged/client.h"
#include "challenged/obs.h"

struct client_grant {
	struct rt_timer timer;
	client_grant_fn *done;
	void *ctx;
};

int client_reward_latency_parse(const char *text, unsigned *min_ms, unsigned *max_ms)
{
	*min_ms = *max_ms = 0;
	if (!text || !*text)
		return 0;
	unsigned a, b;
	int used = 0;
	if (sscanf(text, "%u-%u%n", &a, &b, &used) == 2 && text[used] == '\0' && a <= b &&
	    b <= 60000) {
		*min_ms = a;
		*max_ms = b;
		return 0;
	}
	if (sscanf(text, "%u%n", &a, &used) == 1 && text[used] == '\0' && a <= 60000) {
		*min_ms = *max_ms = a;
		return 0;
	}
	return -1;
}

static void on_fire(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct client_grant *g = (struct client_grant *)t;
	if (g->done)
		g->done(g->ctx, true, NULL);
	free(g);
}

static unsigned pick_latency(const struct client_reward_config *cfg)
{
	if (cfg->latency_max_ms <= cfg->latency_min_ms)
		return cfg->latency_min_ms;
	unsigned r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = 0;
	return cfg->latency_min_ms + r % (cfg->latency_max_ms - cfg->latency_min_ms + 1);
}

int client_reward_grant(struct rt_shard *sh, const struct client_reward_config *cfg,
			const struct dom_goal *goal, const char *user_id,
			client_grant_fn *done, void *ctx, struct client_grant **handle)
{
	struct client_grant *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	const char *type = goal->reward_type == DOM_REWARD_ITEM ? "ITEM" : "WALLET";
	char user[300], rid[300];
	obs_info("[DevMock] GrantReward",
		 "\"namespace\":\"%s\",\"userID\":\"%s\",\"reward\":{\"Type\":\"%s\",\"RewardID\":\"%s\",\"Quantity\":%lld}",
		 cfg->namespace_, obs_json_escape(user_id, user, sizeof(user)), type,
		 obs_json_escape(goal->reward_id, rid, sizeof(rid)), (long long)goal->reward_quantity);
	g->done = done;
	g->ctx = ctx;
	rt_timer_init(&g->timer, on_fire);
	/* A zero timeout still completes on the ring, after this returns. */
	rt_timer_arm(sh, &g->timer, pick_latency(cfg));
	if (handle)
		*handle = g;
	return 0;
}

void client_grant_abandon(struct client_grant *g)
{
	g->done = NULL;
}
