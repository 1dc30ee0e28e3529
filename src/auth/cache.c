/*
 * Per-shard cache of verified tokens: an open-addressing index (linear
 * probing, backward-shift deletion) over a FIFO ring of entries. One shard
 * owns it; nothing here locks. Inserts copy the token (one malloc, only
 * after an RSA verify that costs ~100x more); lookups never allocate.
 */
#include <stdlib.h>
#include <string.h>

#include "challenged/auth.h"

/* How long an entry without an exp claim may answer. */
#define NO_EXP_TTL_S 60

struct cache_entry {
	uint64_t hash;
	char *token; /* owned copy; NULL when the entry is free */
	size_t len;
	int64_t until; /* last second (inclusive) the entry answers */
	struct auth_identity id;
};

struct auth_cache {
	struct cache_entry *entries; /* capacity of them, used as a FIFO ring */
	size_t capacity;
	size_t hand; /* the oldest insert: next to be replaced */
	size_t count;
	uint32_t *slots; /* entry index + 1, 0 = empty; at least 2x capacity */
	size_t mask;
	int64_t now; /* clock of the latest lookup, dates exp-less inserts */
	uint64_t hits;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Tokens are inserted only once verified, so flooding needs signed tokens. */
static uint64_t token_hash(const char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	if (i < len) {
		uint64_t w = 0;

		memcpy(&w, p + i, len - i);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	return mix(h);
}

struct auth_cache *auth_cache_new(size_t capacity)
{
	struct auth_cache *c;
	size_t nslots = 1;

	if (capacity == 0 || capacity > (1u << 30))
		return NULL;
	while (nslots < capacity * 2)
		nslots <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->entries = calloc(capacity, sizeof(c->entries[0]));
	c->slots = calloc(nslots, sizeof(c->slots[0]));
	if (!c->entries || !c->slots) {
		auth_cache_free(c);
		return NULL;
	}
	c->capacity = capacity;
	c->mask = nslots - 1;
	return c;
}

void auth_cache_free(struct auth_cache *c)
{
	if (!c)
		return;
	if (c->entries)
		for (size_t i = 0; i < c->capacity; i++)
			free(c->entries[i].token);
	free(c->entries);
	free(c->slots);
	free(c);
}

/* The slot holding token, or the empty slot that ends its probe run. */
static size_t slot_find(const struct auth_cache *c, uint64_t hash, const char *token,
			size_t len)
{
	size_t i = (size_t)hash & c->mask;

	for (;; i = (i + 1) & c->mask) {
		const struct cache_entry *e;

		if (c->slots[i] == 0)
			return i;
		e = &c->entries[c->slots[i] - 1];
		if (e->hash == hash && e->len == len && memcmp(e->token, token, len) == 0)
			return i;
	}
}

/* Empties slot i, shifting later members of its run back so probes still meet them. */
static void slot_clear(struct auth_cache *c, size_t i)
{
	size_t j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & c->mask;
		if (c->slots[j] == 0)
			break;
		home = (size_t)c->entries[c->slots[j] - 1].hash & c->mask;
		/* An entry whose home lies cyclically in (i, j] is already reachable. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		c->slots[i] = c->slots[j];
		i = j;
	}
	c->slots[i] = 0;
}

static void entry_drop(struct auth_cache *c, size_t slot)
{
	struct cache_entry *e = &c->entries[c->slots[slot] - 1];

	slot_clear(c, slot);
	free(e->token);
	e->token = NULL;
	c->count--;
}

bool auth_cache_lookup(struct auth_cache *c, const char *token, size_t len, int64_t now,
		       struct auth_identity *id)
{
	uint64_t hash = token_hash(token, len);
	size_t slot = slot_find(c, hash, token, len);
	const struct cache_entry *e;

	c->now = now;
	if (c->slots[slot] == 0)
		return false;
	e = &c->entries[c->slots[slot] - 1];
	if (now > e->until) {
		entry_drop(c, slot);
		return false;
	}
	*id = e->id;
	c->hits++;
	return true;
}

static int64_t entry_until(const struct auth_cache *c, const struct auth_identity *id)
{
	/* auth_verify refuses a token once now - AUTH_LEEWAY_S > exp. */
	if (id->exp != 0)
		return id->exp > INT64_MAX - AUTH_LEEWAY_S ? INT64_MAX : id->exp + AUTH_LEEWAY_S;
	return c->now + NO_EXP_TTL_S;
}

void auth_cache_insert(struct auth_cache *c, const char *token, size_t len,
		       const struct auth_identity *id)
{
	uint64_t hash;
	size_t slot, idx;
	struct cache_entry *e;
	char *copy;

	if (len == 0 || len > AUTH_TOKEN_MAX)
		return;
	hash = token_hash(token, len);
	slot = slot_find(c, hash, token, len);
	if (c->slots[slot] != 0) {
		e = &c->entries[c->slots[slot] - 1];
		e->id = *id;
		e->until = entry_until(c, id);
		return;
	}
	copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, token, len);
	idx = c->hand;
	c->hand = (c->hand + 1) % c->capacity;
	e = &c->entries[idx];
	if (e->token) {
		entry_drop(c, slot_find(c, e->hash, e->token, e->len));
		/* The shift may have moved the run our token probes through. */
		slot = slot_find(c, hash, token, len);
	}
	*e = (struct cache_entry){ hash, copy, len, entry_until(c, id), *id };
	c->slots[slot] = (uint32_t)idx + 1;
	c->count++;
}

uint64_t auth_cache_hits(const struct auth_cache *c)
{
	return c->hits;
}

size_t auth_cache_count(const struct auth_cache *c)
{
	return c->count;
}
