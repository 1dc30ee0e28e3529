/*
 * The IAM start-up sequence on a short-lived one-shard runtime, so that it
 * uses the same ring client as the serving shards while main waits for it:
 * the reference logs in before it opens any listener, and so do we.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "challenged/obs.h"
#include "client_private.h"

struct bootstrap {
	const struct client_ags *ags;
	struct rt_shard *sh;
	struct client_http *http;
	struct client_iam *iam;
	bool finished;
	bool ok;
	char why[1024];
	struct client_creds *creds;
};

static void on_ready(void *ctx, bool ok, const char *why)
{
	struct bootstrap *b = ctx;
	b->finished = true;
	b->ok = ok;
	if (!ok)
		snprintf(b->why, sizeof(b->why), "%s", why ? why : "unknown error");
	if (ok) {
		b->creds = client_iam_creds(b->iam);
		client_creds_retain(b->creds);
	}
	rt_runtime_stop(b->sh->rt);
}

static int on_start(struct rt_shard *sh)
{
	struct bootstrap *b = sh->app_global;
	b->sh = sh;
	b->http = client_ags_http_new(sh, b->ags);
	b->iam = b->http ? client_iam_new(sh, b->ags, b->http, NULL, NULL, NULL) : NULL;
	if (!b->iam)
		return -ENOMEM;
	client_iam_start(b->iam, on_ready, b);
	return 0;
}

static bool is_drained(struct rt_shard *sh)
{
	(void)sh;
	return true;
}

static void on_exit_shard(struct rt_shard *sh)
{
	struct bootstrap *b = sh->app_global;
	client_iam_free(b->iam);
	client_ags_http_free(b->http);
}

int client_iam_bootstrap(const struct client_ags *ags, struct client_creds **out, char *why,
			 size_t why_len)
{
	struct bootstrap b = { .ags = ags };
	struct rt_config rc = {
		.shards = 1,
		.ring_entries = 256,
		.buf_count = 16,
		.buf_size = 4096,
		.drain_timeout_ms = 0,
		.hooks = { .on_start = on_start, .is_drained = is_drained, .on_exit = on_exit_shard },
		.app = &b,
	};
	struct rt_runtime *rt;
	int r = rt_runtime_start(&rc, &rt);
	if (r < 0) {
		snprintf(why, why_len, "cannot start the IAM client: %s", strerror(-r));
		return r;
	}
	rt_runtime_join(rt);
	if (!b.finished) {
		snprintf(why, why_len, "IAM start-up interrupted");
		return -EINTR;
	}
	if (!b.ok) {
		snprintf(why, why_len, "%s", b.why);
		client_creds_release(b.creds);
		return -EACCES;
	}
	*out = b.creds;
	return 0;
}
