/*
 * Reward grants per shard: the mock (REWARD_CLIENT_MODE=mock: log what a
 * real grant would send, then succeed after the configured latency, like
 * the reference's DevMockRewardClient) and AGS Platform grants
 * (REWARD_CLIENT_MODE=real) driven by the nested retry policy of
 * ags_policy.c over the shard's HTTP client. Shard thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ags_policy.h"
#include "challenged/obs.h"
#include "client_private.h"

struct client_grant {
	struct client_rewards *owner;
	struct client_grant *next, *prev; /* the owner's grants in flight */
	client_grant_fn *done;
	void *ctx;
	struct rt_timer timer;            /* mock latency, or a retry wait */
	/* real mode */
	struct client_ags_call call;
	struct client_ags_retry retry;
	struct client_http_call *http;
	char bearer[AUTH_TOKEN_MAX + 32];
	char *path;                       /* NUL-terminated copy of call.path */
	char user_id[AUTH_SUB_MAX + 1];
	char goal_id[256];
	bool built;
};

struct client_rewards {
	struct rt_shard *sh;
	struct client_reward_config cfg;
	struct client_http *http;
	struct client_creds *const *creds;
	struct client_grant grants;       /* sentinel */
	unsigned pending;
	uint64_t granted;
	uint64_t failed;
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

struct client_rewards *client_rewards_new(struct rt_shard *sh,
					  const struct client_reward_config *cfg,
					  struct client_http *http,
					  struct client_creds *const *creds)
{
	struct client_rewards *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->sh = sh;
	r->cfg = *cfg;
	r->http = http;
	r->creds = creds;
	r->grants.next = r->grants.prev = &r->grants;
	return r;
}

static void grant_free(struct client_grant *g)
{
	g->prev->next = g->next;
	g->next->prev = g->prev;
	g->owner->pending--;
	if (g->built)
		client_ags_call_fini(&g->call);
	free(g->path);
	free(g);
}

void client_rewards_free(struct client_rewards *r)
{
	if (!r)
		return;
	/* The shard is exiting: its ring delivers nothing more. */
	while (r->grants.next != &r->grants) {
		struct client_grant *g = r->grants.next;
		if (g->http)
			client_http_abandon(g->http);
		grant_free(g);
	}
	free(r);
}

unsigned client_rewards_pending(const struct client_rewards *r)
{
	return r->pending;
}

void client_grant_abandon(struct client_grant *g)
{
	g->done = NULL;
}

void client_rewards_counts(const struct client_rewards *r, uint64_t *ok, uint64_t *failed)
{
	*ok = r->granted;
	*failed = r->failed;
}

static void grant_end(struct client_grant *g, bool ok, const char *why)
{
	if (ok)
		g->owner->granted++;
	else
		g->owner->failed++;
	if (g->done)
		g->done(g->ctx, ok, why);
	grant_free(g);
}

/* ---- mock -------------------------------------------------------------- */

static void on_mock_fire(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	grant_end(container_of(t, struct client_grant, timer), true, NULL);
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

static void mock_grant(struct client_grant *g, const struct dom_goal *goal)
{
	const struct client_reward_config *cfg = &g->owner->cfg;
	const char *type = goal->reward_type == DOM_REWARD_ITEM ? "ITEM" : "WALLET";
	char user[300], rid[300];
	obs_info("[DevMock] GrantReward",
		 "\"namespace\":\"%s\",\"userID\":\"%s\",\"reward\":{\"Type\":\"%s\",\"RewardID\":\"%s\",\"Quantity\":%lld}",
		 cfg->namespace_, obs_json_escape(g->user_id, user, sizeof(user)), type,
		 obs_json_escape(goal->reward_id, rid, sizeof(rid)), (long long)goal->reward_quantity);
	rt_timer_init(&g->timer, on_mock_fire);
	/* A zero timeout still completes on the ring, after the grant call returns. */
	rt_timer_arm(g->owner->sh, &g->timer, pick_latency(cfg));
}

/* ---- AGS Platform ------------------------------------------------------ */

static void attempt(struct client_grant *g);

static void step(struct client_grant *g, enum client_ags_step s, uint64_t wait_ms)
{
	switch (s) {
	case CLIENT_AGS_ATTEMPT:
		attempt(g);
		return;
	case CLIENT_AGS_WAIT:
		/* The timer is never cancelled: the grant lives until it fires. */
		rt_timer_arm(g->owner->sh, &g->timer, wait_ms);
		return;
	case CLIENT_AGS_SUCCEEDED:
		obs_info("AGS reward granted", "\"user_id\":\"%s\",\"goal_id\":\"%s\",\"attempts\":%u",
			 g->user_id, g->goal_id, client_ags_retry_attempts(&g->retry));
		grant_end(g, true, NULL);
		return;
	case CLIENT_AGS_FAILED:
		grant_end(g, false, client_ags_retry_why(&g->retry));
		return;
	}
}

static void on_failed_fire(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct client_grant *g = container_of(t, struct client_grant, timer);
	grant_end(g, false, client_ags_retry_why(&g->retry));
}

static void on_wait_over(struct rt_shard *sh, struct rt_timer *t)
{
	struct client_grant *g = container_of(t, struct client_grant, timer);
	uint64_t wait_ms = 0;
	enum client_ags_step s = client_ags_retry_resume(&g->retry, sh->now_ms, &wait_ms);
	step(g, s, wait_ms);
}

static void on_answer(void *ctx, int err, const char *why, const struct client_http_result *res)
{
	struct client_grant *g = ctx;
	g->http = NULL;
	struct client_ags_error e;
	const struct client_ags_error *failure = NULL;
	if (err < 0) {
		client_ags_error_transport(&e, why);
		failure = &e;
	} else if (res->status < 200 || res->status > 299) {
		client_ags_error_http(&e, &g->call, res->status, res->body, res->body_len);
		failure = &e;
	}
	if (failure) {
		char esc[600];
		obs_warn("AGS reward grant attempt failed",
			 "\"user_id\":\"%s\",\"goal_id\":\"%s\",\"status\":%d,\"error\":\"%s\"",
			 g->user_id, g->goal_id, failure->status,
			 obs_json_escape(failure->text, esc, sizeof(esc)));
	}
	uint64_t wait_ms = 0;
	enum client_ags_step s =
		client_ags_retry_after(&g->retry, g->owner->sh->now_ms, failure, &wait_ms);
	step(g, s, wait_ms);
}

static void attempt(struct client_grant *g)
{
	struct client_rewards *r = g->owner;
	const struct client_creds *c = *r->creds;
	snprintf(g->bearer, sizeof(g->bearer), "Authorization: Bearer %s",
		 c && c->token ? c->token : "");
	const char *headers[] = { g->bearer, "Content-Type: application/json",
				  "Accept: application/json", NULL };
	uint64_t budget = client_ags_retry_budget_ms(&g->retry, r->sh->now_ms);
	int ret = client_http_send(r->http, &r->cfg.ags->base, g->call.method, g->path, headers,
				   g->call.body.data, g->call.body.len, budget ? budget : 1,
				   on_answer, g, &g->http);
	if (ret < 0) {
		struct client_ags_error e;
		client_ags_error_transport(&e, client_http_send_error(ret));
		uint64_t wait_ms = 0;
		step(g, client_ags_retry_after(&g->retry, r->sh->now_ms, &e, &wait_ms), wait_ms);
	}
}

static void ags_grant(struct client_grant *g, const struct dom_goal *goal, uint64_t deadline_ms)
{
	struct client_rewards *r = g->owner;
	const struct client_ags *ags = r->cfg.ags;
	char why[256];
	rt_timer_init(&g->timer, on_wait_over);
	uint64_t wait_ms = 0;
	enum client_ags_step s;
	if (client_ags_call_build(&g->call, ags->base.base_path, ags->namespace_, g->user_id, goal,
				  why, sizeof(why)) < 0) {
		s = client_ags_retry_start_local(&g->retry, why, r->sh->now_ms, deadline_ms,
						 &wait_ms);
	} else {
		g->built = true;
		g->path = strndup(g->call.path.data, g->call.path.len);
		s = g->path ? client_ags_retry_start(&g->retry, goal->reward_type, r->sh->now_ms,
						     deadline_ms)
			    : client_ags_retry_start_local(&g->retry, "out of memory",
							   r->sh->now_ms, deadline_ms, &wait_ms);
	}
	if (s == CLIENT_AGS_ATTEMPT || s == CLIENT_AGS_SUCCEEDED) {
		step(g, s, wait_ms);
		return;
	}
	/* Never finish before client_reward_grant returns: a 0 ms wait at least. */
	if (s == CLIENT_AGS_FAILED)
		rt_timer_init(&g->timer, on_failed_fire);
	rt_timer_arm(r->sh, &g->timer, s == CLIENT_AGS_WAIT ? wait_ms : 0);
}

int client_reward_grant(struct client_rewards *r, const struct dom_goal *goal,
			const char *user_id, uint64_t deadline_ms, client_grant_fn *done,
			void *ctx, struct client_grant **handle)
{
	struct client_grant *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->owner = r;
	g->done = done;
	g->ctx = ctx;
	snprintf(g->user_id, sizeof(g->user_id), "%s", user_id);
	snprintf(g->goal_id, sizeof(g->goal_id), "%s", goal->id);
	g->next = &r->grants;
	g->prev = r->grants.prev;
	r->grants.prev->next = g;
	r->grants.prev = g;
	r->pending++;
	if (handle)
		*handle = g;
	if (r->cfg.mock)
		mock_grant(g, goal);
	else
		ags_grant(g, goal, deadline_ms);
	return 0;
}
