/*
 * The gRPC server test_reflection.py talks to: the runtime with one
 * h2_server per shard on one port, serving both reflection services,
 * grpc.health.v1.Health, and one UNIMPLEMENTED stand-in per method of the
 * challenge and event services, so list_services sees the server's whole
 * method table as the real listener's would be. Prints "listening on PORT";
 * SIGTERM or SIGINT stops it gracefully, exit 0 once drained.
 *
 *   reflection_test_server PORT [SHARDS]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/h2.h"
#include "challenged/reflection.h"

#define MAX_SHARDS 4

struct app {
	struct h2_server_config cfg;
	int fds[MAX_SHARDS];
};

static void not_here(struct h2_call *call, const uint8_t *req, size_t len)
{
	(void)req, (void)len;
	h2_call_finish(call, GRPC_UNIMPLEMENTED, "not in this test server", NULL, 0);
}

#define STAND_IN(p) { .path = p, .handle = not_here }

static const struct h2_method stand_ins[] = {
	STAND_IN("/service.Service/GetUserChallenges"),
	STAND_IN("/service.Service/InitializePlayer"),
	STAND_IN("/service.Service/SetGoalActive"),
	STAND_IN("/service.Service/ClaimGoalReward"),
	STAND_IN("/service.Service/BatchSelectGoals"),
	STAND_IN("/service.Service/RandomSelectGoals"),
	STAND_IN("/service.Service/GetRotationStatus"),
	STAND_IN("/service.Service/HealthCheck"),
	STAND_IN("/accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService/OnMessage"),
	STAND_IN("/accelbyte.social.statistic.v1.StatisticStatItemUpdatedService/OnMessage"),
};

static int on_start(struct rt_shard *sh)
{
	struct app *app = sh->app_global;
	struct h2_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	sh->app = s;
	return h2_server_init(s, sh, app->fds[sh->id], &app->cfg);
}

static void on_stop(struct rt_shard *sh)
{
	h2_server_stop(sh->app);
}

static bool is_drained(struct rt_shard *sh)
{
	return h2_server_drained(sh->app);
}

static void on_exit_shard(struct rt_shard *sh)
{
	struct h2_server *s = sh->app;
	if (!s)
		return;
	h2_server_fini(s);
	free(s);
}

/* stand-ins, then Health, then reflection: the listener's method table */
static size_t methods_build(struct h2_method *out, size_t cap)
{
	const struct h2_method *health, *refl;
	size_t n_health, n_refl, n = ARRAY_SIZE(stand_ins);
	h2_health_methods(&health, &n_health);
	reflection_methods(&refl, &n_refl);
	if (n + n_health + n_refl > cap)
		return 0;
	memcpy(out, stand_ins, sizeof(stand_ins));
	memcpy(out + n, health, n_health * sizeof(*health));
	n += n_health;
	memcpy(out + n, refl, n_refl * sizeof(*refl));
	return n + n_refl;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT [SHARDS]\n", argv[0]);
		return 2;
	}
	static struct app app;
	static struct h2_method methods[ARRAY_SIZE(stand_ins) + 8];
	app.cfg.methods = methods;
	app.cfg.n_methods = methods_build(methods, ARRAY_SIZE(methods));
	if (app.cfg.n_methods == 0 || reflection_services_init(methods, app.cfg.n_methods) < 0) {
		fprintf(stderr, "method table\n");
		return 1;
	}

	unsigned shards = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
	if (shards < 1 || shards > MAX_SHARDS)
		return 2;
	int port = atoi(argv[1]);
	for (unsigned i = 0; i < shards; i++) {
		app.fds[i] = rt_listen_tcp(&port, 1024);
		if (app.fds[i] < 0) {
			fprintf(stderr, "listen on port %d: %s\n", port, strerror(-app.fds[i]));
			return 1;
		}
	}

	/* Threads inherit the mask: only sigwait below sees these. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct rt_config cfg = {
		.shards = shards,
		.ring_entries = 256,
		.buf_count = 256,
		.buf_size = 16384,
		.drain_timeout_ms = 10000,
		.hooks = { .on_start = on_start, .on_stop = on_stop, .is_drained = is_drained,
			   .on_exit = on_exit_shard },
		.app = &app,
	};
	struct rt_runtime *rt;
	int ret = rt_runtime_start(&cfg, &rt);
	if (ret < 0) {
		fprintf(stderr, "runtime: %s\n", strerror(-ret));
		return ret == -EPERM || ret == -ENOSYS ? 77 : 1;
	}
	printf("listening on %d\n", port);
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	rt_runtime_stop(rt);
	rt_runtime_join(rt);
	/* the services list is process-wide: free it for LeakSanitizer */
	reflection_services_init(NULL, 0);
	return 0;
}
