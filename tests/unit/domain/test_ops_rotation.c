/* GET .../rotation (api.md §5.7): the spec's weekly example, daily and
 * monthly periods (December into January), the first rotating goal's block
 * winning, and the disabled answer, byte for byte. */
#include "ops_test.h"

#define G(id, extra)                                                               \
	"{\"goalId\":\"" id "\",\"name\":\"N\",\"eventSource\":\"statistic\","     \
	"\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":1," \
	"\"progressMode\":\"relative\"},"                                          \
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":1}" extra "}"
#define ROT(sched) \
	",\"rotation\":{\"enabled\":true,\"type\":\"global\",\"schedule\":\"" sched "\"}"
#define CH(id, goals) "{\"challengeId\":\"" id "\",\"name\":\"C\",\"goals\":[" goals "]}"

static const char config[] =
	"{\"challenges\":["
	CH("weekly-challenges", G("w1", ROT("weekly")))","
	CH("daily", G("d1", "") "," G("d2", ROT("daily")) "," G("d3", ROT("monthly")))","
	CH("monthly", G("m1", ",\"rotation\":{\"enabled\":false,\"schedule\":\"weekly\"}") ","
		      G("m2", ROT("monthly")))","
	CH("none", G("n1", "") "," G("n2", ",\"rotation\":{\"enabled\":false}"))","
	CH("esc<\\\"", G("e1", ""))
	"]}";

static struct dom_config *cfg;

static void rotation_is(const char *ch, int64_t now, const char *want)
{
	struct buf b;
	buf_init(&b);
	dom_render_rotation(&b, challenge_of(cfg, ch), now);
	CHECK_BUF(&b, want);
	buf_fini(&b);
}

#define PERIOD(s, e, left) \
	"{\"startTime\":\"" s "\",\"endTime\":\"" e "\",\"expiresInSeconds\":" left "}"

static void test_weekly_example(void)
{
	/* 2025-06-15 was a Sunday; the request came at 14:12 UTC. */
	rotation_is("weekly-challenges", secs_at("2025-06-15 14:12:00"),
		    "{\"challengeId\":\"weekly-challenges\",\"rotation\":{\"enabled\":true,"
		    "\"type\":\"global\",\"schedule\":\"weekly\",\"currentPeriod\":"
		    PERIOD("2025-06-09T00:00:00Z", "2025-06-16T00:00:00Z", "35280")
		    ",\"nextPeriod\":"
		    PERIOD("2025-06-16T00:00:00Z", "2025-06-23T00:00:00Z", "0") "}}");
	/* On a Monday at midnight the week starts that instant. */
	rotation_is("weekly-challenges", secs_at("2025-06-16 00:00:00"),
		    "{\"challengeId\":\"weekly-challenges\",\"rotation\":{\"enabled\":true,"
		    "\"type\":\"global\",\"schedule\":\"weekly\",\"currentPeriod\":"
		    PERIOD("2025-06-16T00:00:00Z", "2025-06-23T00:00:00Z", "604800")
		    ",\"nextPeriod\":"
		    PERIOD("2025-06-23T00:00:00Z", "2025-06-30T00:00:00Z", "0") "}}");
}

static void test_daily(void)
{
	/* d1 does not rotate; d2 (daily) comes before d3 (monthly). */
	rotation_is("daily", secs_at("2025-06-15 23:59:59"),
		    "{\"challengeId\":\"daily\",\"rotation\":{\"enabled\":true,\"type\":\"global\","
		    "\"schedule\":\"daily\",\"currentPeriod\":"
		    PERIOD("2025-06-15T00:00:00Z", "2025-06-16T00:00:00Z", "1") ",\"nextPeriod\":"
		    PERIOD("2025-06-16T00:00:00Z", "2025-06-17T00:00:00Z", "0") "}}");
	/* Leap day. */
	rotation_is("daily", secs_at("2024-02-28 12:00:00"),
		    "{\"challengeId\":\"daily\",\"rotation\":{\"enabled\":true,\"type\":\"global\","
		    "\"schedule\":\"daily\",\"currentPeriod\":"
		    PERIOD("2024-02-28T00:00:00Z", "2024-02-29T00:00:00Z", "43200") ",\"nextPeriod\":"
		    PERIOD("2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z", "0") "}}");
}

static void test_monthly(void)
{
	/* A disabled block before the enabled one is skipped. */
	rotation_is("monthly", secs_at("2025-06-15 14:00:00"),
		    "{\"challengeId\":\"monthly\",\"rotation\":{\"enabled\":true,\"type\":\"global\","
		    "\"schedule\":\"monthly\",\"currentPeriod\":"
		    PERIOD("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z", "1332000") ",\"nextPeriod\":"
		    PERIOD("2025-07-01T00:00:00Z", "2025-08-01T00:00:00Z", "0") "}}");
	rotation_is("monthly", secs_at("2025-12-31 23:59:59"),
		    "{\"challengeId\":\"monthly\",\"rotation\":{\"enabled\":true,\"type\":\"global\","
		    "\"schedule\":\"monthly\",\"currentPeriod\":"
		    PERIOD("2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z", "1") ",\"nextPeriod\":"
		    PERIOD("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "0") "}}");
	rotation_is("monthly", secs_at("2024-01-31 00:00:00"),
		    "{\"challengeId\":\"monthly\",\"rotation\":{\"enabled\":true,\"type\":\"global\","
		    "\"schedule\":\"monthly\",\"currentPeriod\":"
		    PERIOD("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "86400") ",\"nextPeriod\":"
		    PERIOD("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", "0") "}}");
}

static void test_disabled(void)
{
	rotation_is("none", T_1400,
		    "{\"challengeId\":\"none\",\"rotation\":{\"enabled\":false,\"type\":\"\","
		    "\"schedule\":\"\",\"currentPeriod\":null,\"nextPeriod\":null}}");
	/* The echoed id is escaped as protojson does. */
	rotation_is("esc<\"", T_1400,
		    "{\"challengeId\":\"esc<\\\"\",\"rotation\":{\"enabled\":false,\"type\":\"\","
		    "\"schedule\":\"\",\"currentPeriod\":null,\"nextPeriod\":null}}");
}

int main(void)
{
	cfg = load_ok(config, T_1400);
	test_weekly_example();
	test_daily();
	test_monthly();
	test_disabled();
	dom_config_free(cfg);
	return 0;
}
