/* Timestamps: Postgres TIMESTAMP text to µs, RFC3339 formatting, checked
 * against libc's gmtime over a wide range. */
#include <errno.h>
#include <time.h>

#include "dom_test.h"

static int64_t parse(const char *s)
{
	int64_t us = 0;
	int rc = dom_time_parse_pg(s, strlen(s), &us);
	if (rc)
		fprintf(stderr, "parse of '%s' failed\n", s);
	CHECK_INT_EQ(rc, 0);
	return us;
}

static void bad(const char *s)
{
	int64_t us = 42;
	CHECK_INT_EQ(dom_time_parse_pg(s, strlen(s), &us), -EINVAL);
}

static void test_parse(void)
{
	CHECK_INT_EQ(parse("1970-01-01 00:00:00"), 0);
	CHECK_INT_EQ(parse("2025-06-15 14:03:11"), 1749996191LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-15 14:03:11.123456"), 1749996191LL * 1000000 + 123456);
	CHECK_INT_EQ(parse("2025-06-15 14:03:11.5"), 1749996191LL * 1000000 + 500000);
	CHECK_INT_EQ(parse("2025-06-15 14:03:11.000001"), 1749996191LL * 1000000 + 1);
	CHECK_INT_EQ(parse("2025-06-15 14:03:11.1234569"), 1749996191LL * 1000000 + 123456);
	CHECK_INT_EQ(parse("1969-12-31 23:59:59"), -1000000);
	CHECK_INT_EQ(parse("1969-12-31 23:59:59.5"), -500000);
	CHECK_INT_EQ(parse("2024-02-29 00:00:00"), 1709164800LL * 1000000);
	CHECK_INT_EQ(parse("2000-02-29 12:00:00"), 951825600LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-15T14:03:11"), 1749996191LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-15 14:03:11Z"), 1749996191LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-15 16:03:11+02"), 1749996191LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-15 13:33:11-00:30"), 1749996191LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-15 14:03:11.25+00:00"), 1749996191LL * 1000000 + 250000);
	CHECK_INT_EQ(parse("2025-06-15 16:33:11+0230"), 1749996191LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-15 16:33:12+02:30:01"), 1749996191LL * 1000000);
	CHECK_INT_EQ(parse("2025-06-14 24:00:00"), parse("2025-06-15 00:00:00"));
	CHECK_INT_EQ(parse("12025-01-01 00:00:00"), 317305209600LL * 1000000);

	bad("");
	bad("infinity");
	bad("-infinity");
	bad("2025-06-15");
	bad("2025-6-15 14:03:11");
	bad("25-06-15 14:03:11");
	bad("2025-13-01 00:00:00");
	bad("2025-00-01 00:00:00");
	bad("2025-02-29 00:00:00");
	bad("1900-02-29 00:00:00");
	bad("2025-04-31 00:00:00");
	bad("2025-06-00 00:00:00");
	bad("2025-06-15 25:00:00");
	bad("2025-06-15 24:00:01");
	bad("2025-06-15 14:60:00");
	bad("2025-06-15 14:03:60");
	bad("2025-06-15 14:03:11.");
	bad("2025-06-15 14:03:11 ");
	bad("2025-06-15 14:03:11 BC");
	bad("2025-06-15 14:03:11+2");
	bad("2025-06-15_14:03:11");
	bad("2025-06-15 14:03:11x");
	bad("2025-06-15 14:03:11+02:3");
	bad("2025-06-15 14:03:11+02:30:1");
	bad("2025-06-15 14:03:11+02:30x");
	bad("2025-06-15 14:03");
	bad("2025-06-15 14");
	bad("2025-06-15 1x:03:11");
	/* Length bounds the text: a valid prefix alone is not enough. */
	int64_t us;
	CHECK_INT_EQ(dom_time_parse_pg("2025-06-15 14:03:11", 10, &us), -EINVAL);
	CHECK_INT_EQ(dom_time_parse_pg("2025-06-15 14:03:11junk", 19, &us), 0);
	CHECK_INT_EQ(us, 1749996191LL * 1000000);
}

static void fmt_is(int64_t secs, const char *want)
{
	char out[21];
	memset(out, 'x', sizeof(out));
	dom_time_format(secs, out);
	CHECK_STR_EQ(out, want);
}

static void test_format(void)
{
	fmt_is(0, "1970-01-01T00:00:00Z");
	fmt_is(1749996191, "2025-06-15T14:03:11Z");
	fmt_is(-1, "1969-12-31T23:59:59Z");
	fmt_is(1709164800, "2024-02-29T00:00:00Z");
	fmt_is(253402300799, "9999-12-31T23:59:59Z");
	fmt_is(-62167219200, "0000-01-01T00:00:00Z");
	fmt_is(1767225599, "2025-12-31T23:59:59Z");
	fmt_is(1767225600, "2026-01-01T00:00:00Z");
}

/* Every 97 minutes and 13 seconds from 1900 to 2200, both ways. */
static void test_against_libc(void)
{
	for (int64_t t = -2208988800LL; t < 7258118400LL; t += 97 * 60 + 13) {
		time_t tt = (time_t)t;
		struct tm tm;
		CHECK(gmtime_r(&tt, &tm) != NULL);
		char want[32], got[21], pg[40];
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		dom_time_format(t, got);
		CHECK_STR_EQ(got, want);
		strftime(pg, sizeof(pg), "%Y-%m-%d %H:%M:%S.000007", &tm);
		CHECK_INT_EQ(parse(pg), t * 1000000 + 7);
	}
}

int main(void)
{
	test_parse();
	test_format();
	test_against_libc();
	return 0;
}
