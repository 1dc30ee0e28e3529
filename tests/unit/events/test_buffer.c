/*
 * The coalescing buffer (spec events.md §5.2, §5.5 step 6): merge rules,
 * keys, take, restore with newer-wins, the max_entries bound, user id
 * checks, index growth and generation wrap. Includes buffer.c to reach the
 * index's generation.
 */
#include "../../../src/events/buffer.c"

#include "evt_test.h"

static struct dom_config *cfg;

static const struct evt_entry *only_entry(struct evt_batch *batch)
{
	CHECK(batch != NULL);
	CHECK_INT_EQ(evt_batch_size(batch), 1);
	return &batch->ents[0];
}

static void entry_is(const struct evt_entry *e, bool has_value, int64_t value, int64_t inc)
{
	CHECK(e != NULL);
	CHECK_INT_EQ(e->has_value, has_value);
	if (has_value)
		CHECK_INT_EQ(e->value, value);
	CHECK_INT_EQ(e->inc, inc);
}

static void test_merge_rules(void)
{
	const struct dom_goal *g = goal_of(cfg, "login-a");
	struct evt_buffer *b = evt_buffer_new(100);
	CHECK(b != NULL);
	CHECK(evt_buffer_take(b) == NULL); /* empty */

	/* N logins add up */
	for (int i = 0; i < 5; i++)
		CHECK_INT_EQ(merge_str(b, "u", login_of(g)), 0);
	CHECK_INT_EQ(evt_buffer_size(b), 1);
	struct evt_batch *batch = evt_buffer_take(b);
	entry_is(only_entry(batch), false, 0, 5);
	evt_batch_free(batch);
	CHECK_INT_EQ(evt_buffer_size(b), 0);

	/* a stat replaces the entry and drops the accumulated increments */
	merge_str(b, "u", login_of(g));
	merge_str(b, "u", login_of(g));
	CHECK_INT_EQ(merge_str(b, "u", stat_of(g, 10, 1)), 0);
	batch = evt_buffer_take(b);
	entry_is(only_entry(batch), true, 10, 1);
	evt_batch_free(batch);

	/* a login after a stat adds to the stat's inc, keeping its value */
	merge_str(b, "u", stat_of(g, 10, 2));
	merge_str(b, "u", login_of(g));
	merge_str(b, "u", login_of(g));
	batch = evt_buffer_take(b);
	entry_is(only_entry(batch), true, 10, 4);
	evt_batch_free(batch);

	/* stat after stat: the latest value and only its inc (even lower) */
	merge_str(b, "u", stat_of(g, 50, 3));
	merge_str(b, "u", stat_of(g, 20, 0));
	batch = evt_buffer_take(b);
	entry_is(only_entry(batch), true, 20, 0);
	evt_batch_free(batch);

	/* increments saturate instead of overflowing */
	struct evt_update big = { .goal = g, .inc = INT64_MAX };
	merge_str(b, "u", big);
	merge_str(b, "u", login_of(g));
	struct evt_update low = { .goal = g, .inc = INT64_MIN };
	merge_str(b, "v", low);
	low.inc = -1;
	merge_str(b, "v", low);
	batch = evt_buffer_take(b);
	entry_is(batch_find(batch, "u", g), false, 0, INT64_MAX);
	entry_is(batch_find(batch, "v", g), false, 0, INT64_MIN);
	evt_batch_free(batch);
	evt_buffer_free(b);
}

static void test_keys(void)
{
	const struct dom_goal *a = goal_of(cfg, "kills"), *colon = goal_of(cfg, "a:b");
	struct evt_buffer *b = evt_buffer_new(100);
	/* Keys are (user bytes, goal): none of these collide, although the
	 * reference's "user:goal" strings of the last two would be equal. */
	merge_str(b, "u", stat_of(a, 1, 0));
	merge_str(b, "u", stat_of(colon, 2, 0));
	merge_str(b, "v", stat_of(a, 3, 0));
	merge_str(b, "u:a", stat_of(colon, 4, 0));
	merge_str(b, "u:a:b", stat_of(a, 5, 0));
	merge_str(b, "", stat_of(a, 6, 0));
	CHECK_INT_EQ(evt_buffer_merge(b, "uX", 1, &(struct evt_update){ .goal = a, .inc = 1 }), 0);
	CHECK_INT_EQ(evt_buffer_size(b), 6);
	struct evt_batch *batch = evt_buffer_take(b);
	CHECK_INT_EQ(evt_batch_size(batch), 6);
	entry_is(batch_find(batch, "u", a), true, 1, 1);
	entry_is(batch_find(batch, "u", colon), true, 2, 0);
	entry_is(batch_find(batch, "v", a), true, 3, 0);
	entry_is(batch_find(batch, "u:a", colon), true, 4, 0);
	entry_is(batch_find(batch, "u:a:b", a), true, 5, 0);
	entry_is(batch_find(batch, "", a), true, 6, 0);
	/* user ids come back NUL-terminated, in insertion order */
	size_t len;
	CHECK_STR_EQ(evt_batch_user(batch, 3, &len), "u:a");
	CHECK_INT_EQ(len, 3);
	evt_batch_free(batch);
	evt_buffer_free(b);
}

static void test_user_checks(void)
{
	const struct dom_goal *g = goal_of(cfg, "kills");
	struct evt_buffer *b = evt_buffer_new(100);
	struct evt_update u = login_of(g);
	static const char *const bad[] = {
		"a\0b", "\xff", "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3", "\xe2\x82", "\x80", "\xe2\x28\xa1",
	};
	static const size_t bad_len[] = { 3, 1, 2, 2, 3, 3, 4, 4, 1, 2, 1, 3 };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT_EQ(evt_buffer_merge(b, bad[i], bad_len[i], &u), -EINVAL);
	CHECK_INT_EQ(evt_buffer_size(b), 0);
	static const char *const good[] = {
		"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf",
		"\xf4\x8f\xbf\xbf", "\xe0\xa0\x80", "plain-ascii \"quoted\" \\ {x,y}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		CHECK_INT_EQ(merge_str(b, good[i], u), 0);
	CHECK_INT_EQ(evt_buffer_size(b), ARRAY_SIZE(good));
	evt_buffer_free(b);
}

static void test_capacity(void)
{
	const struct dom_goal *g = goal_of(cfg, "kills"), *h = goal_of(cfg, "a:b");
	struct evt_buffer *b = evt_buffer_new(3);
	CHECK_INT_EQ(merge_str(b, "u1", login_of(g)), 0);
	CHECK_INT_EQ(merge_str(b, "u2", login_of(g)), 0);
	CHECK_INT_EQ(merge_str(b, "u3", login_of(g)), 0);
	CHECK_INT_EQ(merge_str(b, "u4", login_of(g)), -ENOSPC);
	CHECK_INT_EQ(merge_str(b, "u1", login_of(h)), -ENOSPC);
	CHECK_INT_EQ(evt_buffer_size(b), 3);
	/* existing keys still merge when full */
	CHECK_INT_EQ(merge_str(b, "u1", login_of(g)), 0);
	CHECK_INT_EQ(merge_str(b, "u2", stat_of(g, 9, 0)), 0);
	struct evt_batch *batch = evt_buffer_take(b);
	entry_is(batch_find(batch, "u1", g), false, 0, 2);
	CHECK(batch_find(batch, "u4", g) == NULL);
	/* after take there is room again */
	CHECK_INT_EQ(merge_str(b, "u4", login_of(g)), 0);
	CHECK_INT_EQ(merge_str(b, "u5", login_of(g)), 0);
	/* a restore is never refused for the bound: 5 keys in a 3-key buffer */
	evt_buffer_restore(b, batch);
	CHECK_INT_EQ(evt_buffer_size(b), 5);
	CHECK_INT_EQ(merge_str(b, "u6", login_of(g)), -ENOSPC);
	CHECK_INT_EQ(merge_str(b, "u5", login_of(g)), 0);
	evt_buffer_free(b);

	struct evt_buffer *none = evt_buffer_new(0);
	CHECK_INT_EQ(merge_str(none, "u", login_of(g)), -ENOSPC);
	CHECK(evt_buffer_take(none) == NULL);
	evt_buffer_free(none);
	evt_buffer_free(NULL);
	evt_batch_free(NULL);
	evt_buffer_restore(none = evt_buffer_new(1), NULL);
	evt_buffer_free(none);
}

static void test_restore(void)
{
	const struct dom_goal *g = goal_of(cfg, "kills"), *h = goal_of(cfg, "login-a");
	struct evt_buffer *b = evt_buffer_new(100);
	merge_str(b, "u1", login_of(h));
	merge_str(b, "u1", login_of(h));
	merge_str(b, "u2", stat_of(g, 5, 1));
	merge_str(b, "u3", stat_of(g, 7, 0));
	struct evt_batch *batch = evt_buffer_take(b);
	CHECK_INT_EQ(evt_batch_size(batch), 3);
	/* newer events arrive while the flush is out */
	merge_str(b, "u1", stat_of(h, 9, 0));     /* replaces the two logins */
	merge_str(b, "u3", login_of(g));          /* a newer entry, even a login, wins */
	merge_str(b, "u4", login_of(g));
	evt_buffer_restore(b, batch);
	CHECK_INT_EQ(evt_buffer_size(b), 4);
	batch = evt_buffer_take(b);
	entry_is(batch_find(batch, "u1", h), true, 9, 0);
	entry_is(batch_find(batch, "u2", g), true, 5, 1);
	entry_is(batch_find(batch, "u3", g), false, 0, 1);
	entry_is(batch_find(batch, "u4", g), false, 0, 1);

	/* restore into an empty buffer adopts the batch; the index works */
	evt_buffer_restore(b, batch);
	CHECK_INT_EQ(evt_buffer_size(b), 4);
	merge_str(b, "u4", login_of(g));
	merge_str(b, "u5", login_of(g));
	CHECK_INT_EQ(evt_buffer_size(b), 5);
	batch = evt_buffer_take(b);
	entry_is(batch_find(batch, "u4", g), false, 0, 2);
	entry_is(batch_find(batch, "u2", g), true, 5, 1);
	evt_batch_free(batch);
	evt_buffer_free(b);
}

/* Many keys: the index grows past its first size, before and after takes. */
static void test_growth(void)
{
	const struct dom_goal *g = goal_of(cfg, "kills"), *h = goal_of(cfg, "a:b");
	enum { USERS = 25000 };
	struct evt_buffer *b = evt_buffer_new(200000);
	CHECK_INT_EQ(b->n_slots, MAX_INITIAL_SLOTS);
	char user[32];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < USERS; i++) {
			int n = snprintf(user, sizeof(user), "user-%d", i);
			struct evt_update u = login_of(g);
			CHECK_INT_EQ(evt_buffer_merge(b, user, (size_t)n, &u), 0);
			u.goal = h;
			CHECK_INT_EQ(evt_buffer_merge(b, user, (size_t)n, &u), 0);
			CHECK_INT_EQ(evt_buffer_merge(b, user, (size_t)n, &u), 0);
		}
		CHECK_INT_EQ(evt_buffer_size(b), 2 * USERS);
		CHECK(b->n_slots >= 4 * USERS);
		struct evt_batch *batch = evt_buffer_take(b);
		CHECK_INT_EQ(evt_batch_size(batch), 2 * USERS);
		int64_t sum = 0;
		for (size_t i = 0; i < evt_batch_size(batch); i++)
			sum += batch->ents[i].inc;
		CHECK_INT_EQ(sum, 3 * USERS);
		entry_is(batch_find(batch, "user-24999", h), false, 0, 2);
		evt_batch_free(batch);
	}
	evt_buffer_free(b);

	/* a small buffer's index grows through restores */
	b = evt_buffer_new(10);
	size_t first = b->n_slots;
	struct evt_buffer *big = evt_buffer_new(1000);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(user, sizeof(user), "u%d", i);
		struct evt_update u = login_of(g);
		CHECK_INT_EQ(evt_buffer_merge(big, user, (size_t)n, &u), 0);
	}
	merge_str(b, "other", login_of(g));
	evt_buffer_restore(b, evt_buffer_take(big));
	CHECK_INT_EQ(evt_buffer_size(b), 1001);
	CHECK(b->n_slots > first);
	CHECK_INT_EQ(merge_str(b, "u999", login_of(g)), 0);
	CHECK_INT_EQ(evt_buffer_size(b), 1001);
	evt_buffer_free(big);
	evt_buffer_free(b);
}

/* The index generation wraps: the table is really cleared then. */
static void test_generation_wrap(void)
{
	const struct dom_goal *g = goal_of(cfg, "kills");
	struct evt_buffer *b = evt_buffer_new(10);
	b->gen = UINT32_MAX;
	merge_str(b, "u", login_of(g));
	evt_batch_free(evt_buffer_take(b));
	CHECK_INT_EQ(b->gen, 1);
	/* slots written under UINT32_MAX must not look live under 1, 2, ... */
	for (int i = 0; i < 3; i++) {
		CHECK_INT_EQ(merge_str(b, "u", login_of(g)), 0);
		CHECK_INT_EQ(evt_buffer_size(b), 1);
		struct evt_batch *batch = evt_buffer_take(b);
		entry_is(only_entry(batch), false, 0, 1);
		evt_batch_free(batch);
	}
	evt_buffer_free(b);
}

int main(void)
{
	cfg = test_config();
	test_merge_rules();
	test_keys();
	test_user_checks();
	test_capacity();
	test_restore();
	test_growth();
	test_generation_wrap();
	dom_config_free(cfg);
	return 0;
}
