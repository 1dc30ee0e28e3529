/*
 * auth_cache: hits, expiry by exp (plus the leeway) and by the 60 s bound
 * for exp-less tokens, FIFO eviction, and a randomized run against a model
 * that keeps the index consistent through backward-shift deletions.
 */
#include <stdio.h>

#include "challenged/auth.h"
#include "check.h"

#define NOW INT64_C(1750000000)

static struct auth_identity ident(const char *sub, int64_t exp)
{
	struct auth_identity id = { .exp = exp };

	id.sub_len = strlen(sub);
	memcpy(id.sub, sub, id.sub_len + 1);
	return id;
}

static bool has(struct auth_cache *c, const char *tok, int64_t now, const char *sub)
{
	struct auth_identity got;

	if (!auth_cache_lookup(c, tok, strlen(tok), now, &got))
		return false;
	CHECK_MEM_EQ(got.sub, got.sub_len, sub);
	return true;
}

static void test_basic(void)
{
	struct auth_cache *c = auth_cache_new(4);
	struct auth_identity id = ident("alice", NOW + 100);

	CHECK(auth_cache_new(0) == NULL);
	CHECK(c != NULL);
	CHECK(!has(c, "tok-a", NOW, "alice"));
	auth_cache_insert(c, "tok-a", 5, &id);
	CHECK_INT_EQ(auth_cache_count(c), 1);
	CHECK(has(c, "tok-a", NOW, "alice"));
	CHECK(has(c, "tok-a", NOW + 160, "alice"));
	/* A prefix or an extension of a cached token is another token. */
	CHECK(!auth_cache_lookup(c, "tok-a", 4, NOW, &id));
	CHECK(!has(c, "tok-ab", NOW, "alice"));
	CHECK_INT_EQ(auth_cache_hits(c), 2);
	/* Past exp + 60 s the entry is gone for good. */
	CHECK(!has(c, "tok-a", NOW + 161, "alice"));
	CHECK_INT_EQ(auth_cache_count(c), 0);
	CHECK(!has(c, "tok-a", NOW, "alice"));
	/* Re-inserting a token replaces its identity, not adds a second entry. */
	id = ident("bob", NOW + 100);
	auth_cache_insert(c, "tok-b", 5, &id);
	id = ident("bob2", NOW + 100);
	auth_cache_insert(c, "tok-b", 5, &id);
	CHECK_INT_EQ(auth_cache_count(c), 1);
	CHECK(has(c, "tok-b", NOW, "bob2"));
	/* Empty and over-long tokens are not cached. */
	auth_cache_insert(c, "", 0, &id);
	CHECK_INT_EQ(auth_cache_count(c), 1);
	auth_cache_free(c);
	auth_cache_free(NULL);
}

static void test_no_exp(void)
{
	struct auth_cache *c = auth_cache_new(4);
	struct auth_identity id = ident("carol", 0);

	/* The insert is dated by the clock of the lookup that missed. */
	CHECK(!has(c, "tok-c", NOW + 1000, "carol"));
	auth_cache_insert(c, "tok-c", 5, &id);
	CHECK(has(c, "tok-c", NOW + 1060, "carol"));
	CHECK(!has(c, "tok-c", NOW + 1061, "carol"));
	auth_cache_free(c);
}

static void test_eviction(void)
{
	struct auth_cache *c = auth_cache_new(3);
	struct auth_identity id = ident("dave", NOW + 100);

	auth_cache_insert(c, "t1", 2, &id);
	auth_cache_insert(c, "t2", 2, &id);
	auth_cache_insert(c, "t3", 2, &id);
	auth_cache_insert(c, "t4", 2, &id);
	CHECK_INT_EQ(auth_cache_count(c), 3);
	CHECK(!has(c, "t1", NOW, "dave"));
	CHECK(has(c, "t2", NOW, "dave"));
	CHECK(has(c, "t4", NOW, "dave"));
	auth_cache_insert(c, "t5", 2, &id);
	CHECK(!has(c, "t2", NOW, "dave"));
	CHECK(has(c, "t3", NOW, "dave"));
	CHECK(has(c, "t5", NOW, "dave"));
	auth_cache_free(c);
}

/* xorshift: deterministic, so a failure replays. */
static uint64_t rnd(void)
{
	static uint64_t s = 88172645463325252ULL;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

/*
 * Tokens drawn from a small space so inserts repeat and probe runs collide
 * in a 16-slot index. The model is the FIFO ring itself: position i holds
 * the key of the i-th insert modulo CAP, or -1 once a lookup dropped it.
 */
static void test_random(void)
{
	enum { CAP = 8, SPACE = 40, ROUNDS = 50000 };
	struct auth_cache *c = auth_cache_new(CAP);
	int64_t until[SPACE] = { 0 };
	int ring[CAP], hand = 0;
	char tok[40];

	for (int i = 0; i < CAP; i++)
		ring[i] = -1;
	for (int i = 0; i < ROUNDS; i++) {
		int k = (int)(rnd() % SPACE), pos = -1;
		int64_t now = NOW + i / 50;
		bool want, got;

		snprintf(tok, sizeof(tok), "token-%d-%s", k, k % 3 ? "x" : "with-a-longer-tail");
		for (int j = 0; j < CAP; j++)
			if (ring[j] == k)
				pos = j;
		want = pos >= 0 && now <= until[k];
		got = has(c, tok, now, "u");
		CHECK_INT_EQ(got, want);
		if (pos >= 0 && !want)
			ring[pos] = -1;
		if (!got && rnd() % 2) {
			struct auth_identity id = ident("u", now - 70 + (int64_t)(rnd() % 100));

			ring[hand] = k;
			hand = (hand + 1) % CAP;
			until[k] = id.exp + AUTH_LEEWAY_S;
			auth_cache_insert(c, tok, strlen(tok), &id);
		}
		CHECK(auth_cache_count(c) <= CAP);
	}
	auth_cache_free(c);
}

int main(void)
{
	test_basic();
	test_no_exp();
	test_eviction();
	test_random();
	return 0;
}
