/*
 * Revocation lists: parsing IAM's document, the Bloom filter's index rule
 * (pinned by indexes computed outside this code base), revoked users against
 * a token's iat, RFC 3339 times, and the documents we refuse.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "challenged/auth.h"
#include "auth_private.h"
#include "check.h"

static struct auth_revocation *parse_ok(const char *json)
{
	struct auth_revocation *rv = NULL;
	const char *why = NULL;

	if (auth_revocation_from_json(json, strlen(json), &rv, &why) != 0)
		fprintf(stderr, "%s: %s\n", json, why ? why : "(null)");
	CHECK(rv != NULL);
	CHECK(why == NULL);
	return rv;
}

static void expect_bad(const char *json, const char *text)
{
	struct auth_revocation *rv = NULL;
	const char *why = NULL;

	CHECK_INT_EQ(auth_revocation_from_json(json, strlen(json), &rv, &why), -EINVAL);
	CHECK(rv == NULL);
	if (text)
		CHECK_STR_EQ(why, text);
	else
		CHECK(why != NULL && why[0] != '\0');
}

/* A filter of the given words and k as the document IAM would send. */
static struct auth_revocation *filter(const uint64_t *bits, size_t words, unsigned k)
{
	char json[64 * 1024];
	size_t n;

	n = (size_t)snprintf(json, sizeof(json),
			     "{\"revoked_tokens\":{\"m\":1,\"k\":%u,\"bits\":[", k);
	for (size_t i = 0; i < words; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s%" PRIu64, i ? "," : "",
				      bits[i]);
	snprintf(json + n, sizeof(json) - n, "]},\"revoked_users\":[]}");
	CHECK(strlen(json) < sizeof(json) - 1);
	return parse_ok(json);
}

static void set_bit(uint64_t *bits, unsigned i)
{
	bits[i / 64] |= UINT64_C(1) << (i % 64);
}

static bool revoked(const struct auth_revocation *rv, const char *token)
{
	return auth_revocation_token_revoked(rv, token, strlen(token));
}

/*
 * Indexes for m = 192, k = 5 from a separate MurmurHash3 + Go int64
 * implementation. token-a's h2 is negative as int64 (the sum wraps);
 * token-b's h1 too (the sign mask matters).
 */
static const unsigned idx_a[5] = { 86, 184, 90, 124, 30 };
static const unsigned idx_b[5] = { 180, 184, 60, 64, 68 };

static void test_bloom_indexes(void)
{
	uint64_t bits[3] = { 0 };
	struct auth_revocation *rv;

	for (int i = 0; i < 5; i++)
		set_bit(bits, idx_a[i]);
	rv = filter(bits, 3, 5);
	CHECK_INT_EQ(auth_revocation_bits(rv), 192);
	CHECK(revoked(rv, "token-a"));
	CHECK(!revoked(rv, "token-b"));
	CHECK(!revoked(rv, "token-c"));
	CHECK(!revoked(rv, "token-a "));
	auth_revocation_free(rv);
	/* Each of the k bits is needed. */
	for (int drop = 0; drop < 5; drop++) {
		memset(bits, 0, sizeof(bits));
		for (int i = 0; i < 5; i++)
			if (i != drop)
				set_bit(bits, idx_a[i]);
		rv = filter(bits, 3, 5);
		CHECK(!revoked(rv, "token-a"));
		auth_revocation_free(rv);
	}
	/* A smaller k looks at a prefix of the same index sequence. */
	memset(bits, 0, sizeof(bits));
	for (int i = 0; i < 3; i++)
		set_bit(bits, idx_b[i]);
	rv = filter(bits, 3, 3);
	CHECK(revoked(rv, "token-b"));
	auth_revocation_free(rv);
	rv = filter(bits, 3, 4);
	CHECK(!revoked(rv, "token-b"));
	auth_revocation_free(rv);
}

/* The filter IAM builds: Put of each revoked token, the same index rule. */
static void bloom_put(uint64_t *bits, size_t words, unsigned k, const char *tok, size_t len)
{
	uint64_t h[2], combined, m = (uint64_t)words * 64;

	auth_murmur3_x64_128(tok, len, 0, h);
	combined = h[0];
	for (unsigned i = 0; i < k; i++) {
		uint64_t idx = (combined & INT64_MAX) % m;

		bits[idx / 64] |= UINT64_C(1) << (idx % 64);
		combined += h[1];
	}
}

static void test_bloom_many(void)
{
	static uint64_t bits[1000];
	struct auth_revocation *rv;
	char tok[64];
	int fp = 0;

	for (int i = 0; i < 200; i++) {
		int n = snprintf(tok, sizeof(tok), "eyJhbGciOiJSUzI1NiJ9.revoked-%d.sig", i);

		bloom_put(bits, 1000, 7, tok, (size_t)n);
	}
	rv = filter(bits, 1000, 7);
	CHECK_INT_EQ(auth_revocation_bits(rv), 64000);
	for (int i = 0; i < 200; i++) {
		snprintf(tok, sizeof(tok), "eyJhbGciOiJSUzI1NiJ9.revoked-%d.sig", i);
		CHECK(revoked(rv, tok));
	}
	/* 200 tokens in 64000 bits with k = 7: false positives near 1e-11. */
	for (int i = 0; i < 2000; i++) {
		snprintf(tok, sizeof(tok), "eyJhbGciOiJSUzI1NiJ9.valid-%d.sig", i);
		fp += revoked(rv, tok);
	}
	CHECK_INT_EQ(fp, 0);
	auth_revocation_free(rv);
}

static void test_bloom_degenerate(void)
{
	uint64_t ones[2] = { UINT64_MAX, UINT64_MAX };
	struct auth_revocation *rv;

	/* k = 0 would revoke every token in the reference; we revoke none. */
	rv = filter(ones, 2, 0);
	CHECK(!revoked(rv, "token-a"));
	auth_revocation_free(rv);
	/* All bits set with k > 0: everything matches (JSON_UINT words). */
	rv = filter(ones, 2, 3);
	CHECK(revoked(rv, "token-a"));
	CHECK(revoked(rv, ""));
	auth_revocation_free(rv);
	/* No words: no filter at all. */
	rv = filter(ones, 0, 3);
	CHECK_INT_EQ(auth_revocation_bits(rv), 0);
	CHECK(!revoked(rv, "token-a"));
	auth_revocation_free(rv);
	rv = parse_ok("{\"revoked_tokens\":{\"k\":3}}");
	CHECK(!revoked(rv, "token-a"));
	CHECK_INT_EQ(auth_revocation_users(rv), 0);
	auth_revocation_free(rv);
	rv = parse_ok("{\"revoked_tokens\":{\"k\":3,\"bits\":null},\"revoked_users\":null}");
	CHECK(!revoked(rv, "token-a"));
	auth_revocation_free(rv);
	/* No list at all. */
	CHECK(!auth_revocation_token_revoked(NULL, "t", 1));
	CHECK(!auth_revocation_user_revoked(NULL, "u", 1, 0));
	CHECK_INT_EQ(auth_revocation_users(NULL), 0);
	CHECK_INT_EQ(auth_revocation_bits(NULL), 0);
}

static bool user(const struct auth_revocation *rv, const char *id, int64_t iat)
{
	return auth_revocation_user_revoked(rv, id, strlen(id), iat);
}

static void test_users(void)
{
	struct auth_revocation *rv = parse_ok(
		"{\"revoked_tokens\":{\"m\":0,\"k\":0,\"bits\":[]},\"revoked_users\":["
		"{\"id\":\"carol\",\"revoked_at\":\"2025-06-15T15:06:40Z\"},"
		"{\"id\":\"alice\",\"revoked_at\":\"2024-01-02T03:04:05.123456Z\"},"
		"{\"id\":\"bob\",\"revoked_at\":\"2024-01-02T03:04:05+07:00\"},"
		"{\"id\":\"dave\",\"revoked_at\":\"2030-01-01T00:00:00Z\"},"
		"{\"id\":\"dave\",\"revoked_at\":\"2024-01-02T03:04:05-05:30\"},"
		"{\"id\":\"\",\"revoked_at\":\"1969-12-31T23:59:59Z\"},"
		"{\"id\":\"a\\u0000b\",\"revoked_at\":\"2000-03-01T00:00:00Z\"}]}");

	CHECK_INT_EQ(auth_revocation_users(rv), 6);
	/* Tokens issued at or before the revocation are revoked, later ones not. */
	CHECK(user(rv, "carol", 1750000000));
	CHECK(user(rv, "carol", 1749999999));
	CHECK(!user(rv, "carol", 1750000001));
	CHECK(user(rv, "carol", 0));
	/* The fraction is dropped (Go's Unix() floors). */
	CHECK(user(rv, "alice", 1704164645));
	CHECK(!user(rv, "alice", 1704164646));
	CHECK(user(rv, "bob", 1704139445));
	CHECK(!user(rv, "bob", 1704139446));
	/* Listed twice: the last record wins, as in the reference's map. */
	CHECK(user(rv, "dave", 1704184445));
	CHECK(!user(rv, "dave", 1704184446));
	CHECK(user(rv, "", -1));
	CHECK(!user(rv, "", 0));
	CHECK(auth_revocation_user_revoked(rv, "a\0b", 3, 951868800));
	CHECK(!auth_revocation_user_revoked(rv, "a", 1, 0));
	/* Ids compare exactly: no prefix, no case folding. */
	CHECK(!user(rv, "Carol", 0));
	CHECK(!user(rv, "caro", 0));
	CHECK(!user(rv, "carol2", 0));
	CHECK(!user(rv, "zed", 0));
	CHECK(!user(rv, "aaa", 0));
	auth_revocation_free(rv);
}

/* The instant one revoked_at text stands for, pinned from both sides. */
static void expect_time(const char *text, int64_t unix_s)
{
	char json[256];
	struct auth_revocation *rv;

	snprintf(json, sizeof(json),
		 "{\"revoked_tokens\":{\"k\":1,\"bits\":[]},\"revoked_users\":"
		 "[{\"id\":\"u\",\"revoked_at\":\"%s\"}]}", text);
	rv = parse_ok(json);
	if (!user(rv, "u", unix_s) || user(rv, "u", unix_s + 1))
		fprintf(stderr, "%s is not %" PRId64 "\n", text, unix_s);
	CHECK(user(rv, "u", unix_s));
	CHECK(!user(rv, "u", unix_s + 1));
	auth_revocation_free(rv);
}

#define TXT_BAD_TIME "revocation list revoked user has no RFC 3339 \"revoked_at\" time"

static void expect_bad_time(const char *text)
{
	char json[256];

	snprintf(json, sizeof(json),
		 "{\"revoked_tokens\":{\"k\":1,\"bits\":[]},\"revoked_users\":"
		 "[{\"id\":\"u\",\"revoked_at\":\"%s\"}]}", text);
	expect_bad(json, TXT_BAD_TIME);
}

static void test_times(void)
{
	expect_time("1970-01-01T00:00:00Z", 0);
	expect_time("2025-06-15T15:06:40Z", 1750000000);
	expect_time("2025-06-15T15:06:40.999999999Z", 1750000000);
	expect_time("2025-06-15T15:06:40.5Z", 1750000000);
	expect_time("2025-06-15T22:06:40+07:00", 1750000000);
	expect_time("2025-06-15T22:06:40+0700", 1750000000);
	expect_time("2025-06-15T09:36:40-05:30", 1750000000);
	expect_time("2025-06-15T15:06:40-00:00", 1750000000);
	expect_time("2024-02-29T12:00:00Z", 1709208000);
	expect_time("1969-12-31T23:59:59Z", -1);
	expect_time("0001-01-01T00:00:00Z", INT64_C(-62135596800));
	expect_time("0000-01-01T00:00:00Z", INT64_C(-62167219200));
	expect_time("9999-12-31T23:59:59Z", INT64_C(253402300799));
	expect_bad_time("");
	expect_bad_time("2025-06-15");
	expect_bad_time("2025-06-15T15:06:40");
	expect_bad_time("2025-06-15 15:06:40Z");
	expect_bad_time("2025-06-15t15:06:40Z");
	expect_bad_time("2025-06-15T15:06:40z");
	expect_bad_time("2025-06-15T15:06:40.Z");
	expect_bad_time("2025-06-15T15:06Z");
	expect_bad_time("2025-6-15T15:06:40Z");
	expect_bad_time("2023-02-29T00:00:00Z");
	expect_bad_time("2025-04-31T00:00:00Z");
	expect_bad_time("2025-13-01T00:00:00Z");
	expect_bad_time("2025-00-01T00:00:00Z");
	expect_bad_time("2025-01-00T00:00:00Z");
	expect_bad_time("2025-01-01T24:00:00Z");
	expect_bad_time("2025-01-01T00:60:00Z");
	expect_bad_time("2016-12-31T23:59:60Z");
	expect_bad_time("2025-01-01T00:00:00+24:00");
	expect_bad_time("2025-01-01T00:00:00+07:60");
	expect_bad_time("2025-01-01T00:00:00+07");
	expect_bad_time("2025-01-01T00:00:00+7:00");
	expect_bad_time("2025-01-01T00:00:00Z ");
	expect_bad_time("+2025-01-01T00:00:00Z");
	expect_bad("{\"revoked_tokens\":{\"k\":1},\"revoked_users\":"
		   "[{\"id\":\"u\",\"revoked_at\":7}]}",
		   TXT_BAD_TIME);
	expect_bad("{\"revoked_tokens\":{\"k\":1},\"revoked_users\":[{\"id\":\"u\"}]}",
		   TXT_BAD_TIME);
}

static void test_refused(void)
{
	expect_bad("", NULL);
	expect_bad("{\"revoked_tokens\":", NULL);
	expect_bad("[]", "revocation list is not a JSON object");
	expect_bad("{}", "revocation list has no \"revoked_tokens\" object");
	expect_bad("{\"revoked_tokens\":null}", "revocation list has no \"revoked_tokens\" object");
	expect_bad("{\"revoked_tokens\":[1]}", "revocation list has no \"revoked_tokens\" object");
	expect_bad("{\"revoked_tokens\":{\"bits\":[]}}",
		   "revocation list \"revoked_tokens\".\"k\" is not an integer in 0..1024");
	expect_bad("{\"revoked_tokens\":{\"k\":-1,\"bits\":[]}}",
		   "revocation list \"revoked_tokens\".\"k\" is not an integer in 0..1024");
	expect_bad("{\"revoked_tokens\":{\"k\":1025,\"bits\":[]}}",
		   "revocation list \"revoked_tokens\".\"k\" is not an integer in 0..1024");
	expect_bad("{\"revoked_tokens\":{\"k\":3.5,\"bits\":[]}}",
		   "revocation list \"revoked_tokens\".\"k\" is not an integer in 0..1024");
	expect_bad("{\"revoked_tokens\":{\"k\":\"3\",\"bits\":[]}}",
		   "revocation list \"revoked_tokens\".\"k\" is not an integer in 0..1024");
	expect_bad("{\"revoked_tokens\":{\"k\":3,\"bits\":{}}}",
		   "revocation list \"revoked_tokens\".\"bits\" is not an array");
	expect_bad("{\"revoked_tokens\":{\"k\":3,\"bits\":[1,-1]}}",
		   "revocation list \"revoked_tokens\".\"bits\" holds a value that is not an "
		   "unsigned 64-bit integer");
	expect_bad("{\"revoked_tokens\":{\"k\":3,\"bits\":[1.5]}}",
		   "revocation list \"revoked_tokens\".\"bits\" holds a value that is not an "
		   "unsigned 64-bit integer");
	expect_bad("{\"revoked_tokens\":{\"k\":3,\"bits\":[\"1\"]}}",
		   "revocation list \"revoked_tokens\".\"bits\" holds a value that is not an "
		   "unsigned 64-bit integer");
	expect_bad("{\"revoked_tokens\":{\"k\":3,\"bits\":[null]}}",
		   "revocation list \"revoked_tokens\".\"bits\" holds a value that is not an "
		   "unsigned 64-bit integer");
	/* Past uint64: the JSON parser refuses the number itself. */
	expect_bad("{\"revoked_tokens\":{\"k\":3,\"bits\":[18446744073709551616]}}", NULL);
	expect_bad("{\"revoked_tokens\":{\"k\":3},\"revoked_users\":{}}",
		   "revocation list \"revoked_users\" is not an array");
	expect_bad("{\"revoked_tokens\":{\"k\":3},\"revoked_users\":[null]}",
		   "revocation list \"revoked_users\" holds a record that is not an object");
	expect_bad("{\"revoked_tokens\":{\"k\":3},\"revoked_users\":"
		   "[{\"revoked_at\":\"2025-06-15T15:06:40Z\"}]}",
		   "revocation list revoked user has no string \"id\"");
	expect_bad("{\"revoked_tokens\":{\"k\":3},\"revoked_users\":"
		   "[{\"id\":7,\"revoked_at\":\"2025-06-15T15:06:40Z\"}]}",
		   "revocation list revoked user has no string \"id\"");
	/* A bad record after good ones still refuses the whole list. */
	expect_bad("{\"revoked_tokens\":{\"k\":3},\"revoked_users\":["
		   "{\"id\":\"a\",\"revoked_at\":\"2025-06-15T15:06:40Z\"},"
		   "{\"id\":\"b\",\"revoked_at\":\"yesterday\"}]}",
		   TXT_BAD_TIME);
}

/* "m" is ignored and extra members are fine, as Go's decoder skips them. */
static void test_lenient(void)
{
	struct auth_revocation *rv =
		parse_ok("{\"revoked_tokens\":{\"m\":\"whatever\",\"k\":2,\"bits\":[0,"
			 "9223372036854775808,18446744073709551615],\"x\":1},\"extra\":[],"
			 "\"revoked_users\":[{\"id\":\"u\",\"revoked_at\":"
			 "\"2025-06-15T15:06:40Z\",\"note\":null}]}");

	CHECK_INT_EQ(auth_revocation_bits(rv), 192);
	CHECK_INT_EQ(auth_revocation_users(rv), 1);
	auth_revocation_free(rv);
}

int main(void)
{
	test_bloom_indexes();
	test_bloom_many();
	test_bloom_degenerate();
	test_users();
	test_times();
	test_refused();
	test_lenient();
	return 0;
}
