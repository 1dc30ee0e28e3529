/* The ingestion rules (spec events.md §3.1-§3.3, §4): truncation of
 * statistic doubles, and which goals a login or a statistic event moves. */
#include <math.h>

#include "evt_test.h"

static void truncates(double v, int64_t want)
{
	int64_t out = 12345;
	CHECK_INT_EQ(evt_truncate(v, &out), 0);
	CHECK_INT_EQ(out, want);
}

static void refuses(double v)
{
	int64_t out = 12345;
	CHECK_INT_EQ(evt_truncate(v, &out), -ERANGE);
	CHECK_INT_EQ(out, 12345);
}

static void test_truncate(void)
{
	truncates(42.7, 42);
	truncates(-2.7, -2);
	truncates(0.0, 0);
	truncates(-0.0, 0);
	truncates(0.999, 0);
	truncates(-0.999, 0);
	truncates(1e-300, 0);
	truncates(100.0, 100);
	truncates(2147483647.0, 2147483647);
	truncates(2147483647.99, 2147483647);
	truncates(-2147483648.0, -2147483648LL);
	truncates(-2147483648.99, -2147483648LL);
	refuses(2147483648.0);
	refuses(-2147483649.0);
	refuses(1e300);
	refuses(-1e300);
	refuses(9.3e18);
	refuses(NAN);
	refuses(-NAN);
	refuses(INFINITY);
	refuses(-INFINITY);
}

/* out holds exactly the goals ids (in this order), all with update u. */
static void updates_are(const struct evt_update *out, size_t n, const char *const *ids,
			size_t n_ids, bool has_value, int64_t value, int64_t inc)
{
	CHECK_INT_EQ(n, n_ids);
	for (size_t i = 0; i < n; i++) {
		CHECK_STR_EQ(out[i].goal->id, ids[i]);
		CHECK_INT_EQ(out[i].has_value, has_value);
		CHECK_INT_EQ(out[i].value, value);
		CHECK_INT_EQ(out[i].inc, inc);
	}
}

static void test_login(void)
{
	struct dom_config *cfg = test_config();
	struct evt_update out[16];
	/* §3.3: the statistic goal sharing the login code "logins" is moved
	 * too; each code once although two login goals track "logins". */
	size_t n = evt_login_updates(cfg, out, ARRAY_SIZE(out));
	const char *ids[] = { "login-a", "login-b", "stat-shared", "visit-once" };
	updates_are(out, n, ids, ARRAY_SIZE(ids), false, 0, 1);
	/* cap limits the count */
	CHECK_INT_EQ(evt_login_updates(cfg, out, 2), 2);
	CHECK_INT_EQ(evt_login_updates(cfg, out, 0), 0);
	CHECK_INT_EQ(cfg->n_goals <= ARRAY_SIZE(out), 1);
	dom_config_free(cfg);

	/* no login goal at all: no-op (§3.1 step 5) */
	static const char stat_only[] =
		"{\"challenges\":[{\"challengeId\":\"c\",\"name\":\"C\",\"goals\":["
		GOAL_JSON("g", "statistic", REQ("logins", 1, "absolute"), "") "]}]}";
	char err[256];
	CHECK_INT_EQ(dom_config_parse(stat_only, strlen(stat_only), 0, &cfg, err, sizeof(err)), 0);
	CHECK_INT_EQ(evt_login_updates(cfg, out, ARRAY_SIZE(out)), 0);
	dom_config_free(cfg);
}

static size_t stat(const struct dom_config *cfg, const char *code, int64_t value, int64_t inc,
		   struct evt_update *out, size_t cap)
{
	return evt_stat_updates(cfg, code, strlen(code), value, inc, out, cap);
}

static void test_stat(void)
{
	struct dom_config *cfg = test_config();
	struct evt_update out[16];
	size_t cap = ARRAY_SIZE(out);

	/* every goal of the code, config order, ':' in a goal id included */
	const char *kills[] = { "kills", "a:b" };
	updates_are(out, stat(cfg, "kills", 7, 2, out, cap), kills, 2, true, 7, 2);
	/* §3.3: login goals sharing the code take the absolute value, since
	 * a statistic goal tracks it */
	const char *logins[] = { "login-a", "login-b", "stat-shared" };
	updates_are(out, stat(cfg, "logins", 5, 0, out, cap), logins, 3, true, 5, 0);
	/* a code tracked only by login goals: no-op */
	CHECK_INT_EQ(stat(cfg, "visits", 5, 1, out, cap), 0);
	/* unknown and empty codes: no-op */
	CHECK_INT_EQ(stat(cfg, "nope", 5, 1, out, cap), 0);
	CHECK_INT_EQ(stat(cfg, "", 5, 1, out, cap), 0);
	/* the code is compared by its bytes and length */
	CHECK_INT_EQ(evt_stat_updates(cfg, "killsX", 5, 3, 0, out, cap), 2);
	CHECK_INT_EQ(evt_stat_updates(cfg, "kills", 4, 3, 0, out, cap), 0);
	/* a negative value skips every goal (§4); zero does not */
	CHECK_INT_EQ(stat(cfg, "kills", -1, 1, out, cap), 0);
	CHECK_INT_EQ(stat(cfg, "kills", -2147483648LL, 0, out, cap), 0);
	const char *kills0[] = { "kills", "a:b" };
	updates_are(out, stat(cfg, "kills", 0, 0, out, cap), kills0, 2, true, 0, 0);
	/* a negative inc is carried as is */
	updates_are(out, stat(cfg, "kills", 3, -5, out, cap), kills, 2, true, 3, -5);
	CHECK_INT_EQ(stat(cfg, "kills", 7, 2, out, 1), 1);
	CHECK_STR_EQ(out[0].goal->id, "kills");
	dom_config_free(cfg);
}

int main(void)
{
	test_truncate();
	test_login();
	test_stat();
	return 0;
}
