/*
 * AGS Platform grant policy: requests, pre-checks, error kinds and the
 * nested retry schedule of rewards.md §2-§4, driven over a simulated clock.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ags_policy.h"

#define ITEM_ROUTE "[POST /platform/admin/namespaces/{namespace}/users/{userId}/entitlements]"
#define WALLET_ROUTE \
	"[PUT /platform/admin/namespaces/{namespace}/users/{userId}/wallets/{currencyCode}/credit]"

static struct dom_goal goal(enum dom_reward_type type, const char *id, int64_t q)
{
	struct dom_goal g;

	memset(&g, 0, sizeof(g));
	g.id = "g1";
	g.reward_type = type;
	g.reward_id = id;
	g.reward_quantity = q;
	return g;
}

static struct client_ags_call item_call(void)
{
	struct client_ags_call c;
	struct dom_goal g = goal(DOM_REWARD_ITEM, "sword", 1);
	char why[128];

	CHECK_INT_EQ(client_ags_call_build(&c, "", "ns", "u", &g, why, sizeof(why)), 0);
	return c;
}

static void test_status_table(void)
{
	static const struct { int status; bool retry; } table[] = {
		{ 400, false }, { 401, false }, { 403, false }, { 404, false },
		{ 409, false }, { 422, false }, { 408, true },  { 429, true },
		{ 500, true },  { 502, true },  { 503, true },  { 504, true },
		{ 418, false }, { 599, true },  { 451, false }, { 302, true },
	};
	struct client_ags_call c = item_call();
	struct client_ags_error e;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		client_ags_error_http(&e, &c, table[i].status, "x", 1);
		CHECK_INT_EQ(client_ags_error_status(&e), table[i].status);
		if (client_ags_retryable(&e) != table[i].retry) {
			fprintf(stderr, "status %d\n", table[i].status);
			CHECK(0);
		}
		CHECK(client_ags_status_retryable(table[i].status) == table[i].retry);
	}
	/* A status decides even when the body says otherwise. */
	client_ags_error_http(&e, &c, 503, "item not found", 14);
	CHECK(client_ags_retryable(&e));
	client_ags_error_http(&e, &c, 400, "connection refused", 18);
	CHECK(!client_ags_retryable(&e));
	client_ags_call_fini(&c);
}

static void test_message_rules(void)
{
	static const char *const phrases[] = {
		"Bad Request", "INVALID ARGUMENT", "resource Not Found", "Forbidden",
		"UnAuthorized", "Authentication Failed", "permission DENIED",
		"Invalid Item", "invalid CURRENCY", "ITEM NOT FOUND", "Currency Not Found",
	};
	struct client_ags_error e;
	char text[128];

	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		snprintf(text, sizeof(text), "rpc said: %s (code 7)", phrases[i]);
		client_ags_error_transport(&e, text);
		CHECK_INT_EQ(client_ags_error_status(&e), -1);
		if (client_ags_retryable(&e)) {
			fprintf(stderr, "phrase %s\n", phrases[i]);
			CHECK(0);
		}
	}
	client_ags_error_transport(&e, "dial tcp 10.0.0.1:443: connect: connection refused");
	CHECK(client_ags_retryable(&e));
	client_ags_error_transport(&e, "dial tcp [::1]:443: i/o timeout");
	CHECK_INT_EQ(client_ags_error_status(&e), -1);
	CHECK(client_ags_retryable(&e));
	client_ags_error_transport(&e, "lookup ags.example: no such host");
	CHECK(client_ags_retryable(&e));
	client_ags_error_transport(&e, "");
	CHECK(client_ags_retryable(&e));
	/* §3.1 rule 2: a bracketed three-digit number in the text is a status. */
	client_ags_error_transport(&e, "[POST /x][404] grantUserEntitlementNotFound [1234]");
	CHECK_INT_EQ(client_ags_error_status(&e), 404);
	CHECK(!client_ags_retryable(&e));
	client_ags_error_transport(&e, "x [12] [5030] [50a] then [502] and [404]");
	CHECK_INT_EQ(client_ags_error_status(&e), 502);
	CHECK(client_ags_retryable(&e));
}

static void test_describe(void)
{
	static const struct { int status; const char *want; } kinds[] = {
		{ 400, "bad request: " ITEM_ROUTE "[400] b" },
		{ 401, "authentication failed: " ITEM_ROUTE "[401] b" },
		{ 403, "forbidden: " ITEM_ROUTE "[403] b" },
		{ 404, "resource not found: " ITEM_ROUTE "[404] b" },
		{ 422, ITEM_ROUTE "[422] b" },
		{ 503, ITEM_ROUTE "[503] b" },
	};
	struct client_ags_call c = item_call();
	struct client_ags_error e;
	char out[1024];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		client_ags_error_http(&e, &c, kinds[i].status, "b", 1);
		client_ags_error_describe(&e, DOM_REWARD_ITEM, out, sizeof(out));
		CHECK_STR_EQ(out, kinds[i].want);
	}
	client_ags_error_transport(&e, "connection refused");
	client_ags_error_describe(&e, DOM_REWARD_ITEM, out, sizeof(out));
	CHECK_STR_EQ(out, "failed to grant item reward: connection refused");
	client_ags_error_describe(&e, DOM_REWARD_WALLET, out, sizeof(out));
	CHECK_STR_EQ(out, "failed to credit wallet: connection refused");
	/* Control bytes in a body stay out of log lines; long ones are cut. */
	client_ags_error_http(&e, &c, 500, "a\nb\0c", 5);
	CHECK_STR_EQ(e.text, ITEM_ROUTE "[500] a?b?c");
	char big[2000];
	memset(big, 'z', sizeof(big));
	client_ags_error_http(&e, &c, 500, big, sizeof(big));
	CHECK_INT_EQ(strlen(e.text), sizeof(e.text) - 1);
	client_ags_error_describe(&e, DOM_REWARD_ITEM, out, 16);
	CHECK_STR_EQ(out, "[POST /platform");
	client_ags_call_fini(&c);
}

static void check_build(const char *base, const char *ns, const char *user,
			struct dom_goal g, const char *method, const char *path, const char *body)
{
	struct client_ags_call c;
	char why[128] = "";

	CHECK_INT_EQ(client_ags_call_build(&c, base, ns, user, &g, why, sizeof(why)), 0);
	CHECK_STR_EQ(c.method, method);
	CHECK_MEM_EQ(c.path.data, c.path.len, path);
	CHECK_MEM_EQ(c.body.data, c.body.len, body);
	CHECK_STR_EQ(why, "");
	client_ags_call_fini(&c);
}

static void test_build(void)
{
	check_build("", "accelbyte", "8f1c2d", goal(DOM_REWARD_ITEM, "0a1b2c3d", 3), "POST",
		    "/platform/admin/namespaces/accelbyte/users/8f1c2d/entitlements",
		    "[{\"itemId\":\"0a1b2c3d\",\"itemNamespace\":\"accelbyte\",\"quantity\":3}]");
	check_build("", "ns", "u1", goal(DOM_REWARD_WALLET, "GOLD", 25), "PUT",
		    "/platform/admin/namespaces/ns/users/u1/wallets/GOLD/credit",
		    "{\"amount\":25}");
	/* url.PathEscape: / ; , ? space % and non-ASCII escaped, $&+:=@ kept. */
	check_build("/prefix", "n s", "a/b;c,d?e f%g$&+:=@-_.~!*'()\xc3\xa9",
		    goal(DOM_REWARD_WALLET, "GO/LD \xe2\x82\xac", 9223372036854775807LL), "PUT",
		    "/prefix/platform/admin/namespaces/n%20s/users/"
		    "a%2Fb%3Bc%2Cd%3Fe%20f%25g$&+:=@-_.~%21%2A%27%28%29%C3%A9"
		    "/wallets/GO%2FLD%20%E2%82%AC/credit",
		    "{\"amount\":9223372036854775807}");
	check_build("/prefix/", "ns", "u", goal(DOM_REWARD_ITEM, "i\"d<&>\\", 2147483647), "POST",
		    "/prefix/platform/admin/namespaces/ns/users/u/entitlements",
		    "[{\"itemId\":\"i\\\"d\\u003c\\u0026\\u003e\\\\\",\"itemNamespace\":\"ns\","
		    "\"quantity\":2147483647}]");
	check_build(NULL, "ns\"", "#", goal(DOM_REWARD_ITEM, "x", 0), "POST",
		    "/platform/admin/namespaces/ns%22/users/%23/entitlements",
		    "[{\"itemId\":\"x\",\"itemNamespace\":\"ns\\\"\",\"quantity\":0}]");
}

static void check_refused(struct dom_goal g, const char *want)
{
	struct client_ags_call c;
	char why[128] = "";

	CHECK_INT_EQ(client_ags_call_build(&c, "", "ns", "u", &g, why, sizeof(why)), -EINVAL);
	CHECK_STR_EQ(why, want);
	client_ags_call_fini(&c);
}

static void test_prechecks(void)
{
	check_refused(goal(DOM_REWARD_ITEM, "x", -1),
		      "bad request: quantity -1 out of range for int32");
	check_refused(goal(DOM_REWARD_ITEM, "x", 2147483648LL),
		      "bad request: quantity 2147483648 out of range for int32");
	check_refused(goal(DOM_REWARD_ITEM, "x", INT64_MIN),
		      "bad request: quantity -9223372036854775808 out of range for int32");
	check_refused(goal(DOM_REWARD_WALLET, "GOLD", -5),
		      "bad request: amount -5 cannot be negative");
	check_refused(goal((enum dom_reward_type)7, "x", 1), "unsupported reward type: 7");
}

/* A simulated AGS: outcome of each attempt and its latency. */
struct sim {
	uint64_t now;
	int status[32];            /* per attempt: 0 success, > 0 HTTP, < 0 transport */
	const char *transport;     /* text of transport errors */
	uint64_t latency;          /* per attempt, capped by the budget */
	bool hang;                 /* each attempt takes its whole budget */
	uint64_t at[64];           /* attempt start times */
	unsigned n_at;
	uint64_t waits[64];
	unsigned n_waits;
};

static enum client_ags_step drive(struct sim *s, struct client_ags_retry *r,
				  enum client_ags_step step, enum dom_reward_type type)
{
	struct client_ags_call c;
	struct dom_goal g = goal(type, "id", 1);
	char why[128];
	unsigned guard = 0;

	CHECK_INT_EQ(client_ags_call_build(&c, "", "ns", "u", &g, why, sizeof(why)), 0);
	while (step == CLIENT_AGS_ATTEMPT || step == CLIENT_AGS_WAIT) {
		uint64_t wait = 0;

		CHECK(guard++ < 100);
		CHECK(s->n_at < 32);
		uint64_t budget = client_ags_retry_budget_ms(r, s->now);
		int st = s->status[s->n_at];
		struct client_ags_error e;

		s->at[s->n_at++] = s->now;
		CHECK_INT_EQ(client_ags_retry_attempts(r), s->n_at);
		if (s->hang || s->latency >= budget) {
			s->now += budget;
			client_ags_error_transport(&e, "context deadline exceeded (Client.Timeout)");
			step = client_ags_retry_after(r, s->now, &e, &wait);
		} else {
			s->now += s->latency;
			if (st == 0) {
				step = client_ags_retry_after(r, s->now, NULL, &wait);
			} else {
				if (st > 0)
					client_ags_error_http(&e, &c, st, "busy", 4);
				else
					client_ags_error_transport(&e, s->transport);
				step = client_ags_retry_after(r, s->now, &e, &wait);
			}
		}
		while (step == CLIENT_AGS_WAIT) {
			CHECK(s->n_waits < 64);
			s->waits[s->n_waits++] = wait;
			s->now += wait;
			step = client_ags_retry_resume(r, s->now, &wait);
		}
	}
	client_ags_call_fini(&c);
	return step;
}

static void check_times(const uint64_t *got, unsigned n, const uint64_t *want, unsigned wn)
{
	CHECK_INT_EQ(n, wn);
	for (unsigned i = 0; i < n; i++)
		CHECK_INT_EQ(got[i], want[i]);
}

static void test_retry_success(void)
{
	struct client_ags_retry r;
	struct sim s = { .now = 100, .latency = 40 };

	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, s.now, 10000),
		     CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(client_ags_retry_budget_ms(&r, 100), 9900);
	CHECK_INT_EQ(drive(&s, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_SUCCEEDED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 1);
	CHECK_INT_EQ(s.n_waits, 0);
	CHECK_STR_EQ(client_ags_retry_why(&r), "");
	CHECK_STR_EQ(client_ags_retry_last_error(&r), "");

	/* Two 503s, then success: waits of 500 ms and 1 s. */
	struct sim s2 = { .status = { 503, 503, 0 } };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, 0, 10000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s2, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_SUCCEEDED);
	check_times(s2.at, s2.n_at, (const uint64_t[]){ 0, 500, 1500 }, 3);
	check_times(s2.waits, s2.n_waits, (const uint64_t[]){ 500, 1000 }, 2);
	CHECK_STR_EQ(client_ags_retry_last_error(&r), ITEM_ROUTE "[503] busy");
}

static void test_retry_non_retryable(void)
{
	struct client_ags_retry r;
	struct sim s = { .status = { 404 }, .latency = 5 };

	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, 0, 10000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 1);
	CHECK_INT_EQ(s.n_waits, 0);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "reward grant failed (non-retryable): non-retryable error: "
		     "resource not found: " ITEM_ROUTE "[404] busy");

	/* 418: other 4xx, final at once. */
	struct sim s2 = { .status = { 418 } };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_WALLET, 0, 10000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s2, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_WALLET), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 1);
	CHECK_STR_EQ(client_ags_retry_why(&r), "reward grant failed (non-retryable): "
		     "non-retryable error: " WALLET_ROUTE "[418] busy");

	/* A transport error naming a client error is final too. */
	struct sim s3 = { .status = { -1 }, .transport = "Item Not Found in store" };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, 0, 10000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s3, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 1);
	CHECK_STR_EQ(client_ags_retry_why(&r), "reward grant failed (non-retryable): "
		     "non-retryable error: failed to grant item reward: Item Not Found in store");

	/* A 401 after a 503: the second attempt decides. */
	struct sim s4 = { .status = { 503, 401 } };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_WALLET, 0, 10000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s4, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_WALLET), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 2);
	CHECK_STR_EQ(client_ags_retry_why(&r), "reward grant failed (non-retryable): "
		     "non-retryable error: authentication failed: " WALLET_ROUTE "[401] busy");
}

/*
 * An AGS answering 503 at once, every time, with the claim's 10 s deadline
 * at t = 10 s. Inner call 1: attempts at 0, 0.5, 1.5, 3.5 s, then "failed
 * after 4 attempts" (retryable: the 503 under the wrapping). The outer layer
 * waits 0.5 s; call 2: 4, 4.5, 5.5, 7.5 s. Outer wait 1 s; call 3: 8.5, 9 s,
 * then its 1 s backoff reaches the deadline: "timeout during retry backoff:
 * context deadline exceeded", which names no client error, so it is
 * retryable; the outer 2 s wait is cut by the deadline at once. Ten
 * attempts, and the final text names only the context.
 */
static void test_retry_always_503(void)
{
	struct client_ags_retry r;
	struct sim s = { .status = { 0 } };

	for (unsigned i = 0; i < 32; i++)
		s.status[i] = 503;
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_WALLET, 0, 10000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_WALLET), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 10);
	check_times(s.at, s.n_at,
		    (const uint64_t[]){ 0, 500, 1500, 3500, 4000, 4500, 5500, 7500, 8500, 9000 },
		    10);
	check_times(s.waits, s.n_waits,
		    (const uint64_t[]){ 500, 1000, 2000, 500, 500, 1000, 2000, 1000, 500, 1000 },
		    10);
	CHECK_INT_EQ(s.now, 10000);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "context cancelled during retry: context deadline exceeded");
	CHECK_STR_EQ(client_ags_retry_last_error(&r), WALLET_ROUTE "[503] busy");

	/* Without the claim deadline in the way: 4 calls of 4 attempts. */
	struct sim s2 = { .status = { 0 }, .transport = "connection refused" };
	for (unsigned i = 0; i < 32; i++)
		s2.status[i] = -1;
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_WALLET, 0, 1000000),
		     CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s2, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_WALLET), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 16);
	CHECK_INT_EQ(s2.now, 4 * 3500 + 500 + 1000 + 2000);
	CHECK_STR_EQ(client_ags_retry_why(&r), "reward grant failed after 3 retries: "
		     "failed after 4 attempts: failed to credit wallet: connection refused");

	/* 504 then 400 in the second call: non-retryable through the outer layer. */
	struct sim s3 = { .status = { 504, 504, 504, 504, 400 } };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, 0, 1000000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s3, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 5);
	CHECK_STR_EQ(client_ags_retry_why(&r), "reward grant failed (non-retryable): "
		     "non-retryable error: bad request: " ITEM_ROUTE "[400] busy");
}

static void test_retry_slow_and_hanging(void)
{
	struct client_ags_retry r;

	/* Each attempt takes its whole budget: one attempt, then the deadline. */
	struct sim s = { .now = 2000, .hang = true };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, s.now, 10000),
		     CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 1);
	CHECK_INT_EQ(s.now, 10000);
	CHECK_INT_EQ(s.n_waits, 0);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "context cancelled during retry: context deadline exceeded");
	CHECK_STR_EQ(client_ags_retry_last_error(&r), "failed to grant item reward: "
		     "context deadline exceeded (Client.Timeout)");

	/* A later claim deadline: each inner call still ends 10 s after it began. */
	struct sim s2 = { .hang = true };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, 0, 25000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(client_ags_retry_budget_ms(&r, 0), 10000);
	CHECK_INT_EQ(drive(&s2, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_FAILED);
	check_times(s2.at, s2.n_at, (const uint64_t[]){ 0, 10500, 21500 }, 3);
	check_times(s2.waits, s2.n_waits, (const uint64_t[]){ 500, 1000 }, 2);
	CHECK_INT_EQ(s2.now, 25000);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "context cancelled during retry: context deadline exceeded");

	/* 3 s per 503: 0-3, 3.5-6.5, 7.5-10 (cut by the deadline). */
	struct sim s3 = { .latency = 3000, .status = { 503, 503, 503, 503 } };
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, 0, 10000), CLIENT_AGS_ATTEMPT);
	CHECK_INT_EQ(drive(&s3, &r, CLIENT_AGS_ATTEMPT, DOM_REWARD_ITEM), CLIENT_AGS_FAILED);
	check_times(s3.at, s3.n_at, (const uint64_t[]){ 0, 3500, 7500 }, 3);
	CHECK_INT_EQ(s3.now, 10000);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "context cancelled during retry: context deadline exceeded");

	/* A grant that begins after the deadline makes no attempt. */
	CHECK_INT_EQ(client_ags_retry_start(&r, DOM_REWARD_ITEM, 10000, 10000),
		     CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 0);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "context cancelled during retry: context deadline exceeded");
}

static void test_retry_local(void)
{
	struct client_ags_retry r;
	uint64_t wait = 12345, now = 0;

	CHECK_INT_EQ(client_ags_retry_start_local(&r, "bad request: quantity -1 out of range "
						  "for int32", 0, 10000, &wait),
		     CLIENT_AGS_FAILED);
	CHECK_INT_EQ(wait, 12345);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 0);
	CHECK_STR_EQ(client_ags_retry_why(&r), "reward grant failed (non-retryable): "
		     "bad request: quantity -1 out of range for int32");

	/* The reference retries an unknown type: its text names no client error. */
	char tmp[64] = "unsupported reward type: 7";
	enum client_ags_step step = client_ags_retry_start_local(&r, tmp, 0, 10000, &wait);
	memset(tmp, 'x', sizeof(tmp) - 1); /* r keeps its own copy */
	const uint64_t want[] = { 500, 1000, 2000 };
	for (unsigned i = 0; i < 3; i++) {
		CHECK_INT_EQ(step, CLIENT_AGS_WAIT);
		CHECK_INT_EQ(wait, want[i]);
		now += wait;
		step = client_ags_retry_resume(&r, now, &wait);
	}
	CHECK_INT_EQ(step, CLIENT_AGS_FAILED);
	CHECK_INT_EQ(client_ags_retry_attempts(&r), 0);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "reward grant failed after 3 retries: unsupported reward type: 7");

	/* ... unless the claim deadline cuts the outer wait. */
	step = client_ags_retry_start_local(&r, "unsupported reward type: 7", 9800, 10000, &wait);
	CHECK_INT_EQ(step, CLIENT_AGS_WAIT);
	CHECK_INT_EQ(wait, 200);
	CHECK_INT_EQ(client_ags_retry_resume(&r, 10000, &wait), CLIENT_AGS_FAILED);
	CHECK_STR_EQ(client_ags_retry_why(&r),
		     "context cancelled during retry: context deadline exceeded");
}

int main(void)
{
	test_status_table();
	test_message_rules();
	test_describe();
	test_build();
	test_prechecks();
	test_retry_success();
	test_retry_non_retryable();
	test_retry_always_503();
	test_retry_slow_and_hanging();
	test_retry_local();
	return 0;
}
