/*
 * The gRPC server the h2 tests talk to: one h2_server per shard on one port,
 * test methods plus grpc.health.v1.Health, limits from key=value arguments
 * (see set_limit). Prints "listening on PORT"; SIGTERM or SIGINT starts the
 * graceful stop, and it exits 0 once drained.  Usage: h2_test_server PORT ...
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "challenged/h2.h"

#define MAX_SHARDS 8

struct app {
	struct h2_server_config cfg;
	int fds[MAX_SHARDS];
};

/* ---- methods ------------------------------------------------------------- */

static void echo_unary(struct h2_call *call, const uint8_t *req, size_t len)
{
	h2_call_finish(call, GRPC_OK, NULL, req, len);
}

struct slow {
	struct rt_timer timer;
	struct h2_call *call;
};

static void on_slow_timer(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct slow *s = container_of(t, struct slow, timer);
	static const char done[] = "slow done";
	h2_call_finish(s->call, GRPC_OK, NULL, (const uint8_t *)done, sizeof(done) - 1);
	free(s);
}

/* Answers after the number of milliseconds the request spells. */
static void echo_slow(struct h2_call *call, const uint8_t *req, size_t len)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%.*s", (int)MIN(len, sizeof(tmp) - 1), (const char *)req);
	struct slow *s = calloc(1, sizeof(*s));
	if (!s) {
		h2_call_finish(call, GRPC_RESOURCE_EXHAUSTED, "no memory", NULL, 0);
		return;
	}
	s->call = call;
	rt_timer_init(&s->timer, on_slow_timer);
	rt_timer_arm(h2_call_shard(call), &s->timer, strtoull(tmp, NULL, 10));
}

/* "CODE message": answers with that status and message. */
static void echo_fail(struct h2_call *call, const uint8_t *req, size_t len)
{
	char *text = strndup((const char *)req, len);
	if (!text) {
		h2_call_finish(call, GRPC_RESOURCE_EXHAUSTED, "no memory", NULL, 0);
		return;
	}
	char *rest;
	long code = strtol(text, &rest, 10);
	if (*rest == ' ')
		rest++;
	h2_call_finish(call, (enum grpc_status)code, rest, NULL, 0);
	free(text);
}

/* "N SIZE": N messages of SIZE bytes, each starting with its number. */
static void echo_stream(struct h2_call *call, const uint8_t *req, size_t len)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%.*s", (int)MIN(len, sizeof(tmp) - 1), (const char *)req);
	unsigned n = 0, size = 0;
	if (sscanf(tmp, "%u %u", &n, &size) != 2 || size > (1u << 20)) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "want \"N SIZE\"", NULL, 0);
		return;
	}
	uint8_t *msg = malloc(size + 16);
	if (!msg) {
		h2_call_finish(call, GRPC_RESOURCE_EXHAUSTED, "no memory", NULL, 0);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf((char *)msg, 16, "%u:", i);
		size_t m = MAX((size_t)k, (size_t)size);
		memset(msg + k, 'x', m - (size_t)k);
		int rv = h2_call_send(call, msg, m);
		if (rv < 0) {
			free(msg);
			h2_call_finish(call, GRPC_RESOURCE_EXHAUSTED, strerror(-rv), NULL, 0);
			return;
		}
	}
	free(msg);
	h2_call_finish(call, GRPC_OK, NULL, NULL, 0);
}

/* Echoes every request message; ends when the client half-closes, or at
 * once on a message "stop" (later messages are then dropped). */
static void echo_bidi(struct h2_call *call, const uint8_t *req, size_t len)
{
	if (!req || (len == 4 && memcmp(req, "stop", 4) == 0)) {
		h2_call_finish(call, GRPC_OK, NULL, NULL, 0);
		return;
	}
	if (h2_call_send(call, req, len) < 0)
		h2_call_finish(call, GRPC_RESOURCE_EXHAUSTED, "send failed", NULL, 0);
}

/* What the server saw: path, time left on the deadline, x-test metadata. */
static void echo_info(struct h2_call *call, const uint8_t *req, size_t len)
{
	(void)req, (void)len;
	char out[512];
	uint64_t dl = h2_call_deadline_ms(call);
	long long left = dl ? (long long)(dl - h2_call_shard(call)->now_ms) : -1;
	const struct str *x = h2_call_header(call, "x-test");
	int n = snprintf(out, sizeof(out), "path=%s deadline_in=%lld x-test=%.*s",
			 h2_call_path(call), left, x ? (int)x->len : 1, x ? x->ptr : "-");
	h2_call_finish(call, GRPC_OK, NULL, (const uint8_t *)out, (size_t)n);
}

static const struct h2_method test_methods[] = {
	{ .path = "/test.Echo/Unary", .handle = echo_unary },
	{ .path = "/test.Echo/Slow", .handle = echo_slow },
	{ .path = "/test.Echo/Fail", .handle = echo_fail },
	{ .path = "/test.Echo/Stream", .handle = echo_stream, .streaming_responses = true },
	{ .path = "/test.Echo/Bidi", .handle = echo_bidi, .streaming_requests = true },
	{ .path = "/test.Echo/Info", .handle = echo_info },
};

/* ---- runtime hooks ------------------------------------------------------- */

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
	fprintf(stderr, "shard %u: %llu calls, %llu rejected\n", sh->id,
		(unsigned long long)s->n_calls, (unsigned long long)s->n_rejected);
	h2_server_fini(s);
	free(s);
}

/* ---- main ---------------------------------------------------------------- */

static int set_limit(struct app *app, unsigned *shards, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq)
		return -EINVAL;
	long v = strtol(eq + 1, NULL, 10);
	size_t k = (size_t)(eq - arg);
	struct h2_limits *l = &app->cfg.limits;
#define KEY(name) (k == sizeof(name) - 1 && memcmp(arg, name, k) == 0)
	if (KEY("shards"))
		*shards = (unsigned)v;
	else if (KEY("max_streams"))
		l->max_concurrent_streams = (uint32_t)v;
	else if (KEY("max_msg"))
		l->max_message_bytes = (uint32_t)v;
	else if (KEY("max_hdr"))
		l->max_header_list_bytes = (uint32_t)v;
	else if (KEY("max_resets"))
		l->max_resets_per_second = (uint32_t)v;
	else if (KEY("max_ctrl"))
		l->max_control_frames_per_second = (uint32_t)v;
	else if (KEY("idle_ms"))
		l->idle_timeout_ms = (int)v;
	else if (KEY("max_conns"))
		app->cfg.max_conns = (unsigned)v;
	else
		return -EINVAL;
#undef KEY
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT [key=value...]\n", argv[0]);
		return 2;
	}
	static struct app app;
	static struct h2_method methods[ARRAY_SIZE(test_methods) + 4];
	const struct h2_method *health;
	size_t n_health;
	h2_health_methods(&health, &n_health);
	memcpy(methods, test_methods, sizeof(test_methods));
	memcpy(methods + ARRAY_SIZE(test_methods), health, n_health * sizeof(*health));
	app.cfg.methods = methods;
	app.cfg.n_methods = ARRAY_SIZE(test_methods) + n_health;

	unsigned shards = 2;
	for (int i = 2; i < argc; i++) {
		if (set_limit(&app, &shards, argv[i]) < 0) {
			fprintf(stderr, "unknown setting %s\n", argv[i]);
			return 2;
		}
	}
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
		.ring_entries = 1024,
		.buf_count = 1024,
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
	return 0;
}
