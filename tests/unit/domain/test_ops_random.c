/*
 * dom_random_pick at the kernel edge: getrandom(2) is wrapped at link time
 * to script its words, interrupt it, shorten its reads and make it fail,
 * so the rejection of biased words and every error path run for certain.
 */
#include <errno.h>
#include <sys/types.h>

#include "ops_test.h"

ssize_t __real_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags);

enum mode { REAL, SCRIPT, FAIL, ZERO, EINTR_ONCE, SHORT };

static enum mode mode = REAL;
static const uint64_t *script;
static size_t script_len, script_pos;
static int calls;
static size_t last_len;

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags)
{
	calls++;
	last_len = len;
	switch (mode) {
	case SCRIPT: {
		/* One scripted word per call: a short read the caller must
		 * accept as all there is. */
		CHECK(script_pos < script_len);
		CHECK(len >= sizeof(uint64_t));
		memcpy(buf, &script[script_pos++], sizeof(uint64_t));
		return sizeof(uint64_t);
	}
	case FAIL:
		errno = EIO;
		return -1;
	case ZERO:
		return 0;
	case EINTR_ONCE:
		mode = REAL;
		errno = EINTR;
		return -1;
	case SHORT:
		/* Three bytes at a time: the caller must loop to fill words. */
		return __real_getrandom(buf, len < 3 ? len : 3, flags);
	default:
		return __real_getrandom(buf, len, flags);
	}
}

static const struct dom_goal *orig[5];

static void reset_pool(const struct dom_goal **p)
{
	memcpy(p, orig, sizeof(orig));
}

static void test_rejects_biased_words(void)
{
	const struct dom_goal *p[5];
	/* bound 3: 2^64 mod 3 = 1, so only the word 0 is redrawn. */
	static const uint64_t words[] = { 0, 5, 1 };
	reset_pool(p);
	mode = SCRIPT;
	script = words;
	script_len = ARRAY_SIZE(words);
	script_pos = 0;
	calls = 0;
	CHECK_INT_EQ(dom_random_pick(p, 3, 1), 1);
	CHECK_INT_EQ(script_pos, 2); /* 0 rejected, 5 % 3 = 2 taken */
	CHECK(p[0] == orig[2] && p[2] == orig[0] && p[1] == orig[1]);

	/* bound 5: 2^64 mod 5 = 1; then bound 4: 2^64 mod 4 = 0, any word. */
	static const uint64_t two[] = { 0, 0, 7, 0 };
	reset_pool(p);
	script = two;
	script_len = ARRAY_SIZE(two);
	script_pos = 0;
	CHECK_INT_EQ(dom_random_pick(p, 5, 2), 2);
	CHECK_INT_EQ(script_pos, 4);
	/* 7 % 5 = 2: swap 0<->2; then 0 % 4 = 0: position 1 keeps itself. */
	CHECK(p[0] == orig[2] && p[1] == orig[1] && p[2] == orig[0]);

	/* The largest word is never biased: bound 5 takes it at once. */
	static const uint64_t top[] = { UINT64_MAX };
	reset_pool(p);
	script = top;
	script_len = 1;
	script_pos = 0;
	CHECK_INT_EQ(dom_random_pick(p, 5, 1), 1);
	CHECK(p[0] == orig[UINT64_MAX % 5]);
	mode = REAL;
}

static void test_batching(void)
{
	const struct dom_goal *p[5];
	/* One syscall for all the words a pick of k expects, at most 16. */
	reset_pool(p);
	calls = 0;
	CHECK_INT_EQ(dom_random_pick(p, 5, 3), 3);
	CHECK_INT_EQ(calls, 1);
	CHECK_INT_EQ(last_len, 3 * sizeof(uint64_t));
	/* Nothing to pick, nothing read. */
	calls = 0;
	CHECK_INT_EQ(dom_random_pick(p, 5, 0), 0);
	CHECK_INT_EQ(calls, 0);
}

static void test_large_pool(void)
{
	/* More picks than one batch of words: refills mid-shuffle. */
	static struct dom_goal fake[40];
	const struct dom_goal *big[40];
	for (size_t i = 0; i < ARRAY_SIZE(big); i++)
		big[i] = &fake[i];
	calls = 0;
	CHECK_INT_EQ(dom_random_pick(big, ARRAY_SIZE(big), 40), 40);
	CHECK_INT_EQ(calls, 3); /* 16 + 16 + 8 words */
	bool seen[40] = { false };
	for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
		size_t at = (size_t)(big[i] - fake);
		CHECK(at < 40 && !seen[at]);
		seen[at] = true;
	}
}

static void test_errors(void)
{
	const struct dom_goal *p[5];
	reset_pool(p);
	mode = FAIL;
	CHECK_INT_EQ(dom_random_pick(p, 5, 2), -EIO);
	mode = ZERO;
	CHECK_INT_EQ(dom_random_pick(p, 5, 2), -EIO);

	/* EINTR is retried; a short read is completed by further reads. */
	mode = EINTR_ONCE;
	calls = 0;
	CHECK_INT_EQ(dom_random_pick(p, 5, 2), 2);
	CHECK_INT_EQ(calls, 2);
	mode = SHORT;
	calls = 0;
	CHECK_INT_EQ(dom_random_pick(p, 5, 2), 2);
	CHECK_INT_EQ(calls, 6); /* 16 bytes, 3 at a time */
	CHECK(p[0] != p[1]);
	mode = REAL;
}

int main(void)
{
	/* Distinct goals to pick from; only their identity matters. */
	static struct dom_goal fake[5];
	for (size_t i = 0; i < 5; i++)
		orig[i] = &fake[i];
	test_rejects_biased_words();
	test_batching();
	test_large_pool();
	test_errors();
	return 0;
}
