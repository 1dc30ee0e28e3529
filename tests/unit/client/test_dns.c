/*
 * The resolver on a real one-shard runtime: literals, "localhost" through
 * the helper thread, a name that does not resolve, cache hits, cancel,
 * coalescing, the pending bound, and freeing with work in flight (in the
 * loop, inside a callback, at shard exit). The stages run one after the
 * other on the shard; each starts from the callback that ended the last.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "dns.h"

#define N_COALESCE 100

struct expect {
	int family;        /* 0: expect an error */
	const char *addr;
	uint16_t port;
	int err;           /* expected error; 1: -ENOENT or -EHOSTUNREACH */
	const char *why;   /* the why text must contain this */
	unsigned got;
};

static struct {
	struct rt_runtime *rt;
	struct rt_shard *sh;
	pthread_t shard_thread;
	struct client_dns *d, *d_nocache, *d_many, *d_bound, *d_free_cb, *d_exit;
	bool in_resolve;
	unsigned stage;
	unsigned pending;
	unsigned never_ran;
	unsigned bound_done;
	int fds_at_start;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool finished;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	CHECK(dir != NULL);
	int n = 0;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n - 3; /* ".", ".." and the directory's own fd */
}

static void next_stage(void);

static void common_checks(void)
{
	CHECK(pthread_equal(pthread_self(), st.shard_thread));
	CHECK(!st.in_resolve);
}

static void stage_one_done(void)
{
	CHECK(st.pending > 0);
	if (--st.pending == 0)
		next_stage();
}

static void on_expect(void *ctx, int err, const char *why, const struct sockaddr *addr,
		      socklen_t addr_len)
{
	struct expect *e = ctx;
	common_checks();
	e->got++;
	CHECK_INT_EQ(e->got, 1);
	if (!e->family) {
		if (e->err == 1)
			CHECK(err == -ENOENT || err == -EHOSTUNREACH);
		else
			CHECK_INT_EQ(err, e->err);
		CHECK(why != NULL);
		CHECK(strstr(why, e->why) != NULL);
		CHECK(addr == NULL);
		CHECK_INT_EQ(addr_len, 0);
	} else {
		CHECK_INT_EQ(err, 0);
		CHECK(why == NULL);
		CHECK(addr != NULL);
		CHECK_INT_EQ(addr->sa_family, e->family);
		char text[INET6_ADDRSTRLEN];
		if (e->family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
			CHECK_INT_EQ(addr_len, sizeof(*sin));
			CHECK_INT_EQ(ntohs(sin->sin_port), e->port);
			CHECK(inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)));
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
			CHECK_INT_EQ(addr_len, sizeof(*sin6));
			CHECK_INT_EQ(ntohs(sin6->sin6_port), e->port);
			CHECK(inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text)));
		}
		CHECK_STR_EQ(text, e->addr);
	}
	stage_one_done();
}

static void on_never(void *ctx, int err, const char *why, const struct sockaddr *addr,
		     socklen_t addr_len)
{
	(void)ctx, (void)err, (void)why, (void)addr, (void)addr_len;
	st.never_ran++;
	CHECK(!"a cancelled or freed query's callback ran");
}

static void go(struct client_dns *d, const char *host, uint16_t port, client_dns_fn *fn, void *ctx,
	       struct client_dns_query **q)
{
	st.in_resolve = true;
	int ret = client_dns_resolve(d, host, port, fn, ctx, q);
	st.in_resolve = false;
	CHECK_INT_EQ(ret, 0);
}

static struct expect v4 = { AF_INET, "127.0.0.1", 8080, 0, NULL, 0 };
static struct expect v6 = { AF_INET6, "::1", 443, 0, NULL, 0 };
static struct expect v6_br = { AF_INET6, "::1", 444, 0, NULL, 0 };
static struct expect bad = { 0, NULL, 0, -EINVAL, "invalid host name", 0 };
static struct expect bad_empty = { 0, NULL, 0, -EINVAL, "invalid host name", 0 };

static void stage_literals(void)
{
	st.pending = 5;
	go(st.d, "127.0.0.1", 8080, on_expect, &v4, NULL);
	go(st.d, "::1", 443, on_expect, &v6, NULL);
	go(st.d, "[::1]", 444, on_expect, &v6_br, NULL);
	go(st.d, "bad host", 1, on_expect, &bad, NULL);
	go(st.d, "", 1, on_expect, &bad_empty, NULL);
}

static struct expect lh = { AF_INET, "127.0.0.1", 80, 0, NULL, 0 };
static struct expect lh_upper = { AF_INET, "127.0.0.1", 81, 0, NULL, 0 };

static void stage_localhost(void)
{
	CHECK_INT_EQ(client_dns_lookups(st.d), 0);
	st.pending = 2;
	/* Names compare without case: the second shares the first's lookup. */
	go(st.d, "localhost", 80, on_expect, &lh, NULL);
	go(st.d, "LOCALHOST", 81, on_expect, &lh_upper, NULL);
	CHECK_INT_EQ(client_dns_lookups(st.d), 1);
}

static struct expect lh_cached = { AF_INET, "127.0.0.1", 90, 0, NULL, 0 };

static void stage_cache_hit(void)
{
	CHECK_INT_EQ(client_dns_lookups(st.d), 1);
	st.pending = 1;
	go(st.d, "localhost", 90, on_expect, &lh_cached, NULL);
	CHECK_INT_EQ(client_dns_lookups(st.d), 1);
}

static struct expect nx = { 0, NULL, 0, 1, "lookup nonexistent.invalid: ", 0 };
static struct expect nx_cached = { 0, NULL, 0, 1, "lookup nonexistent.invalid: ", 0 };

static void stage_nxdomain(void)
{
	CHECK_INT_EQ(client_dns_lookups(st.d), 1);
	st.pending = 1;
	go(st.d, "nonexistent.invalid", 443, on_expect, &nx, NULL);
	CHECK_INT_EQ(client_dns_lookups(st.d), 2);
}

static void stage_nx_cached(void)
{
	st.pending = 1;
	go(st.d, "nonexistent.invalid", 443, on_expect, &nx_cached, NULL);
	CHECK_INT_EQ(client_dns_lookups(st.d), 2);
}

static struct expect after_cancel_ready = { AF_INET, "127.0.0.1", 7, 0, NULL, 0 };
static struct expect after_cancel_thread = { AF_INET, "127.0.0.1", 6, 0, NULL, 0 };

static void stage_cancel(void)
{
	/* Each cancelled query sits ahead of a live one on the same list,
	 * so it would have run before the live one's callback. */
	struct client_dns_query *q1 = NULL, *q2 = NULL;
	st.pending = 2;
	go(st.d, "127.0.0.1", 1, on_never, NULL, &q1);
	CHECK(q1 != NULL);
	client_dns_cancel(q1);
	go(st.d, "127.0.0.1", 7, on_expect, &after_cancel_ready, NULL);

	st.d_nocache = client_dns_new(st.sh, 0);
	CHECK(st.d_nocache != NULL);
	go(st.d_nocache, "localhost", 5, on_never, NULL, &q2);
	CHECK(q2 != NULL);
	client_dns_cancel(q2);
	go(st.d_nocache, "localhost", 6, on_expect, &after_cancel_thread, NULL);
	CHECK_INT_EQ(client_dns_lookups(st.d_nocache), 1);
}

static struct expect nocache_again = { AF_INET, "127.0.0.1", 9, 0, NULL, 0 };

static void stage_no_cache(void)
{
	/* ttl 0 caches nothing: the same name goes to the helper again. */
	st.pending = 1;
	go(st.d_nocache, "localhost", 9, on_expect, &nocache_again, NULL);
	CHECK_INT_EQ(client_dns_lookups(st.d_nocache), 2);
}

static struct expect many[N_COALESCE];

static void stage_coalesce(void)
{
	CHECK_INT_EQ(client_dns_lookups(st.d_nocache), 2);
	st.d_many = client_dns_new(st.sh, 60000);
	CHECK(st.d_many != NULL);
	st.pending = N_COALESCE;
	for (unsigned i = 0; i < N_COALESCE; i++) {
		many[i] = (struct expect){ AF_INET, "127.0.0.1", (uint16_t)(2000 + i), 0, NULL, 0 };
		go(st.d_many, "localhost", many[i].port, on_expect, &many[i], NULL);
	}
	CHECK_INT_EQ(client_dns_lookups(st.d_many), 1);
}

static void on_bound(void *ctx, int err, const char *why, const struct sockaddr *addr,
		     socklen_t addr_len)
{
	(void)ctx, (void)why, (void)addr_len;
	common_checks();
	CHECK_INT_EQ(err, 0);
	CHECK(addr != NULL);
	st.bound_done++;
	stage_one_done();
}

static void stage_bound(void)
{
	for (unsigned i = 0; i < N_COALESCE; i++)
		CHECK_INT_EQ(many[i].got, 1);
	CHECK_INT_EQ(client_dns_lookups(st.d_many), 1);
	st.d_bound = client_dns_new(st.sh, 60000);
	CHECK(st.d_bound != NULL);
	st.pending = CLIENT_DNS_MAX_PENDING;
	for (unsigned i = 0; i < CLIENT_DNS_MAX_PENDING; i++)
		go(st.d_bound, "localhost", 1, on_bound, NULL, NULL);
	CHECK_INT_EQ(client_dns_resolve(st.d_bound, "localhost", 1, on_never, NULL, NULL), -EAGAIN);
	CHECK_INT_EQ(client_dns_resolve(st.d_bound, "127.0.0.1", 1, on_never, NULL, NULL), -EAGAIN);
}

static struct expect after_free = { AF_INET, "127.0.0.1", 3, 0, NULL, 0 };
static struct expect bound_again = { AF_INET, "127.0.0.1", 4, 0, NULL, 0 };

static void stage_free_in_loop(void)
{
	CHECK_INT_EQ(st.bound_done, CLIENT_DNS_MAX_PENDING);
	CHECK_INT_EQ(client_dns_lookups(st.d_bound), 1);

	/* Freed with a lookup on the helper and the poll in flight: the poll's
	 * late completion must find nothing of the resolver. */
	struct client_dns *a = client_dns_new(st.sh, 60000);
	CHECK(a != NULL);
	go(a, "localhost", 1, on_never, NULL, NULL);
	client_dns_free(a);
	/* ... and with only an immediate answer queued. */
	struct client_dns *b = client_dns_new(st.sh, 60000);
	CHECK(b != NULL);
	go(b, "127.0.0.1", 1, on_never, NULL, NULL);
	client_dns_free(b);
	/* Never used at all. */
	client_dns_free(client_dns_new(st.sh, 1));

	st.pending = 2;
	go(st.d, "127.0.0.1", 3, on_expect, &after_free, NULL);
	/* After the bound was reached and drained, it takes queries again. */
	go(st.d_bound, "localhost", 4, on_expect, &bound_again, NULL);
}

static unsigned freed_in_cb;

static void on_free_self(void *ctx, int err, const char *why, const struct sockaddr *addr,
			 socklen_t addr_len)
{
	(void)ctx, (void)why, (void)addr, (void)addr_len;
	common_checks();
	CHECK_INT_EQ(err, 0);
	freed_in_cb++;
	client_dns_free(st.d_free_cb);
	st.d_free_cb = NULL;
	stage_one_done();
}

static void stage_free_in_callback(void)
{
	CHECK_INT_EQ(client_dns_lookups(st.d_bound), 1);
	client_dns_free(st.d_bound);
	client_dns_free(st.d_many);
	client_dns_free(st.d_nocache);
	st.d_bound = st.d_many = st.d_nocache = NULL;

	st.d_free_cb = client_dns_new(st.sh, 60000);
	CHECK(st.d_free_cb != NULL);
	st.pending = 1;
	go(st.d_free_cb, "localhost", 1, on_free_self, NULL, NULL);
	/* Shares the lookup and comes after: the free drops it. */
	go(st.d_free_cb, "localhost", 2, on_never, NULL, NULL);
}

static struct expect settle = { AF_INET, "127.0.0.1", 5, 0, NULL, 0 };

static void stage_settle(void)
{
	CHECK_INT_EQ(freed_in_cb, 1);
	/* One more round trip on the ring, so the cancelled polls of the
	 * freed resolvers have completed. */
	st.pending = 1;
	go(st.d, "127.0.0.1", 5, on_expect, &settle, NULL);
}

static unsigned exit_answers;

static void on_exit_query(void *ctx, int err, const char *why, const struct sockaddr *addr,
			  socklen_t addr_len)
{
	(void)ctx, (void)why, (void)addr, (void)addr_len;
	common_checks();
	CHECK_INT_EQ(err, 0);
	exit_answers++;
}

static void stage_finish(void)
{
	/* Only st.d's eventfd is left of all the resolvers made. */
	CHECK_INT_EQ(count_fds(), st.fds_at_start + 1);
	CHECK_INT_EQ(st.never_ran, 0);

	/* Stop now, and mark the shard stopping as the wake-up would a turn
	 * later, so the loop ends after this turn, before the lookup below
	 * can answer: on_exit frees its resolver with the poll in flight. */
	rt_runtime_stop(st.sh->rt);
	st.sh->stopping = true;
	st.d_exit = client_dns_new(st.sh, 60000);
	CHECK(st.d_exit != NULL);
	go(st.d_exit, "localhost", 1, on_exit_query, NULL, NULL);

	pthread_mutex_lock(&st.lock);
	st.finished = true;
	pthread_cond_signal(&st.cond);
	pthread_mutex_unlock(&st.lock);
}

static void (*const stages[])(void) = {
	stage_literals,    stage_localhost, stage_cache_hit,        stage_nxdomain,
	stage_nx_cached,   stage_cancel,    stage_no_cache,         stage_coalesce,
	stage_bound,       stage_free_in_loop, stage_free_in_callback, stage_settle,
	stage_finish,
};

static void next_stage(void)
{
	CHECK(st.stage < sizeof(stages) / sizeof(stages[0]));
	stages[st.stage++]();
}

static int on_start(struct rt_shard *sh)
{
	st.sh = sh;
	st.shard_thread = pthread_self();
	st.fds_at_start = count_fds();
	st.d = client_dns_new(sh, 60000);
	CHECK(st.d != NULL);
	next_stage();
	return 0;
}

static void on_exit_shard(struct rt_shard *sh)
{
	(void)sh;
	client_dns_free(st.d_exit);
	client_dns_free(st.d);
}

int main(void)
{
	int fds_before = count_fds();
	struct rt_config cfg = {
		.shards = 1,
		.ring_entries = 256,
		.buf_count = 16,
		.buf_size = 4096,
		.drain_timeout_ms = 1000,
		.hooks = { .on_start = on_start, .on_exit = on_exit_shard },
	};
	int ret = rt_runtime_start(&cfg, &st.rt);
	if (ret == -EPERM || ret == -ENOSYS) {
		fprintf(stderr, "io_uring not available here\n");
		return TEST_SKIP;
	}
	CHECK_INT_EQ(ret, 0);

	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&st.lock);
	while (!st.finished && pthread_cond_timedwait(&st.cond, &st.lock, &until) == 0)
		;
	bool finished = st.finished;
	pthread_mutex_unlock(&st.lock);
	if (!finished)
		fprintf(stderr, "stuck in stage %u with %u pending\n", st.stage, st.pending);
	CHECK(finished);

	rt_runtime_join(st.rt);
	CHECK_INT_EQ(exit_answers, 0);
	CHECK_INT_EQ(st.never_ran, 0);
	CHECK_INT_EQ(nx.got, 1);
	CHECK_INT_EQ(nx_cached.got, 1);
	/* The resolver freed at shard exit left nothing open. */
	CHECK_INT_EQ(count_fds(), fds_before);
	return 0;
}
