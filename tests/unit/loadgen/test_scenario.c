/*
 * Scenarios: the exact request bytes of each kind (path, Host, auth line,
 * -H lines, body and its length), the mixes' proportions, the sessions
 * scenario's step order, and the gRPC bodies of the events mix.
 */
#include "scenario.c"
#include "proto.c"

#include "check.h"

static char *users[] = { "user-000001", "user-000002" };
static char *lines[] = { "X-Mock-User-Id: user-000001\r\n", "X-Mock-User-Id: user-000002\r\n" };
static size_t line_lens[] = { 29, 29 };
static struct lg_goal_ref goals[] = { { "daily-challenges", "daily-wins" } };

static void config(struct lg_config *cfg, enum lg_scenario sc)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->scenario = sc;
	snprintf(cfg->base, sizeof(cfg->base), "/challenge");
	snprintf(cfg->authority, sizeof(cfg->authority), "127.0.0.1:8000");
	cfg->users = 2;
	cfg->user_ids = users;
	cfg->auth_lines = lines;
	cfg->auth_line_lens = line_lens;
	cfg->ns = "test";
	cfg->claim_challenge = "daily-challenges";
	cfg->claim_goal = "daily-login";
	cfg->session_challenge = "daily-challenges";
	cfg->goals = goals;
	cfg->goal_count = 1;
	buf_init(&cfg->extra_headers);
	buf_init(&cfg->get_request);
}

static void expect_request(const struct lg_config *cfg, enum lg_kind kind, uint32_t user,
			   bool flag, const char *want)
{
	struct lg_pick p = { kind, user, 0, flag };
	struct buf b;

	buf_init(&b);
	lg_scenario_http(cfg, &p, &b);
	CHECK_MEM_EQ(b.data, b.len, want);
	buf_fini(&b);
}

static void test_requests(void)
{
	struct lg_config cfg;

	config(&cfg, LG_SC_LIST);
	expect_request(&cfg, LG_KIND_LIST, 1, false,
		       "GET /challenge/v1/challenges HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
		       "X-Mock-User-Id: user-000002\r\n\r\n");
	expect_request(&cfg, LG_KIND_CLAIM, 0, false,
		       "POST /challenge/v1/challenges/daily-challenges/goals/daily-login/claim HTTP/1.1\r\n"
		       "Host: 127.0.0.1:8000\r\nX-Mock-User-Id: user-000001\r\n"
		       "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n");
	expect_request(&cfg, LG_KIND_INITIALIZE, 0, false,
		       "POST /challenge/v1/challenges/initialize HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
		       "X-Mock-User-Id: user-000001\r\n"
		       "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
	expect_request(&cfg, LG_KIND_SET_ACTIVE, 0, true,
		       "PUT /challenge/v1/challenges/daily-challenges/goals/daily-wins/active HTTP/1.1\r\n"
		       "Host: 127.0.0.1:8000\r\nX-Mock-User-Id: user-000001\r\n"
		       "Content-Type: application/json\r\nContent-Length: 18\r\n\r\n"
		       "{\"is_active\":true}");
	expect_request(&cfg, LG_KIND_RANDOM_SELECT, 0, false,
		       "POST /challenge/v1/challenges/daily-challenges/goals/random-select HTTP/1.1\r\n"
		       "Host: 127.0.0.1:8000\r\nX-Mock-User-Id: user-000001\r\n"
		       "Content-Type: application/json\r\nContent-Length: 58\r\n\r\n"
		       "{\"count\":5,\"replace_existing\":false,\"exclude_active\":true}");
	/* No auth line, extra headers after it. */
	cfg.auth_lines = NULL;
	buf_append_str(&cfg.extra_headers, "X-A: 1\r\n");
	expect_request(&cfg, LG_KIND_LIST, 0, false,
		       "GET /challenge/v1/challenges HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
		       "X-A: 1\r\n\r\n");
	buf_fini(&cfg.extra_headers);
}

static void test_mixes(void)
{
	struct lg_config cfg;
	struct lg_worker w = { 0 };
	struct lg_conn c = { 0 };
	unsigned counts[LG_KIND_COUNT] = { 0 };
	struct lg_pick p;

	config(&cfg, LG_SC_API_MIX);
	w.cfg = &cfg;
	w.rng.s = 42;
	for (int i = 0; i < 100000; i++) {
		lg_scenario_pick(&w, &c, &p);
		counts[p.kind]++;
		CHECK(p.user < 2);
	}
	CHECK(counts[LG_KIND_LIST] > 79000 && counts[LG_KIND_LIST] < 81000);
	CHECK_INT_EQ(counts[LG_KIND_LIST] + counts[LG_KIND_CLAIM], 100000);

	memset(counts, 0, sizeof(counts));
	cfg.scenario = LG_SC_EVENTS;
	for (int i = 0; i < 100000; i++) {
		lg_scenario_pick(&w, &c, &p);
		counts[p.kind]++;
	}
	CHECK(counts[LG_KIND_LOGIN] > 19000 && counts[LG_KIND_LOGIN] < 21000);
	CHECK_INT_EQ(counts[LG_KIND_LOGIN] + counts[LG_KIND_STAT], 100000);

	cfg.scenario = LG_SC_SET_ACTIVE;
	memset(counts, 0, sizeof(counts));
	for (int i = 0; i < 1000; i++) {
		lg_scenario_pick(&w, &c, &p);
		CHECK_INT_EQ(p.kind, LG_KIND_SET_ACTIVE);
		CHECK_INT_EQ(p.goal, 0);
		counts[p.flag]++;
	}
	CHECK(counts[0] > 400 && counts[1] > 400);
}

/* initialize, list, select, list, then (30 %) claim; one user per pass. */
static void test_sessions(void)
{
	struct lg_config cfg;
	struct lg_worker w = { 0 };
	struct lg_conn c = { 0 };
	unsigned claims = 0, passes = 0;
	struct lg_pick p;

	config(&cfg, LG_SC_SESSIONS);
	w.cfg = &cfg;
	w.rng.s = 7;
	for (int pass = 0; pass < 2000; pass++) {
		uint32_t user;

		lg_scenario_pick(&w, &c, &p);
		CHECK_INT_EQ(p.kind, LG_KIND_INITIALIZE);
		user = p.user;
		lg_scenario_pick(&w, &c, &p);
		CHECK_INT_EQ(p.kind, LG_KIND_LIST);
		lg_scenario_pick(&w, &c, &p);
		CHECK(p.kind == LG_KIND_RANDOM_SELECT || p.kind == LG_KIND_BATCH_SELECT);
		lg_scenario_pick(&w, &c, &p);
		CHECK_INT_EQ(p.kind, LG_KIND_LIST);
		CHECK_INT_EQ(p.user, user);
		if (c.sess.step == 4) {
			lg_scenario_pick(&w, &c, &p);
			CHECK_INT_EQ(p.kind, LG_KIND_CLAIM);
			CHECK_INT_EQ(p.user, user);
			claims++;
		}
		CHECK_INT_EQ(c.sess.step, 0);
		passes++;
	}
	CHECK(claims > passes / 4 && claims < passes * 7 / 20);
}

static void test_grpc(void)
{
	struct lg_config cfg;
	struct lg_worker w = { 0 };
	struct lg_stream s;
	struct lg_pick p = { LG_KIND_LOGIN, 1, 0, false };

	config(&cfg, LG_SC_EVENTS);
	w.cfg = &cfg;
	w.index = 3;
	CHECK_INT_EQ(lg_scenario_grpc(&w, &p, &s), 0);
	CHECK_STR_EQ(s.path, LG_GRPC_LOGIN_PATH);
	/* Prefix, then id "lg-3-1", namespace, user. */
	CHECK_INT_EQ(s.body_len, 5 + 8 + 6 + 13);
	CHECK(memcmp(s.body + 5, "\x12\x06lg-3-1\x2a\x04test\x4a\x0buser-000002", 27) == 0);
	p.kind = LG_KIND_STAT;
	CHECK_INT_EQ(lg_scenario_grpc(&w, &p, &s), 0);
	CHECK_STR_EQ(s.path, LG_GRPC_STAT_PATH);
	CHECK_INT_EQ(s.body[5], 0x0a);
	CHECK(lg_kind_ok(LG_KIND_STAT, LG_ST_GRPC));
	CHECK(!lg_kind_ok(LG_KIND_STAT, LG_ST_GRPC + 14));
	CHECK(lg_kind_ok(LG_KIND_CLAIM, 409) && lg_kind_ok(LG_KIND_CLAIM, 400));
	CHECK(!lg_kind_ok(LG_KIND_LIST, 400));
}

int main(void)
{
	enum lg_scenario sc;

	CHECK_INT_EQ(lg_scenario_parse("api-mix", &sc), 0);
	CHECK_INT_EQ(sc, LG_SC_API_MIX);
	CHECK_INT_EQ(lg_scenario_parse("nope", &sc), -EINVAL);
	test_requests();
	test_mixes();
	test_sessions();
	test_grpc();
	return 0;
}
