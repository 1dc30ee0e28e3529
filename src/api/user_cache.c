/* Per-shard LRU of users' progress rows; see user_cache.h for when it is
 * correct. Chained hash table plus an intrusive LRU list. */
#include "user_cache.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct lru_node {
	struct lru_node *prev, *next;
};

struct entry {
	struct entry *chain;        /* next in the bucket */
	struct lru_node lru;        /* first after chain: see entry_of */
	uint64_t hash;
	size_t n_rows;
	struct dom_row *rows;
	size_t key_len;
	char key[];
};

struct user_cache {
	struct entry **buckets;
	size_t mask;
	size_t count, capacity;
	struct lru_node lru;        /* sentinel: lru.next is the most recent */
	uint64_t hits, misses;
};

static uint64_t hash_key(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct user_cache *user_cache_new(size_t capacity)
{
	struct user_cache *uc = calloc(1, sizeof(*uc));
	if (!uc)
		return NULL;
	size_t nb = 16;
	while (nb < capacity * 2)
		nb *= 2;
	uc->buckets = calloc(nb, sizeof(*uc->buckets));
	if (!uc->buckets) {
		free(uc);
		return NULL;
	}
	uc->mask = nb - 1;
	uc->capacity = capacity;
	uc->lru.next = uc->lru.prev = &uc->lru;
	return uc;
}

static struct entry *entry_of(struct lru_node *n)
{
	return (struct entry *)((char *)n - offsetof(struct entry, lru));
}

static void lru_unlink(struct entry *e)
{
	e->lru.prev->next = e->lru.next;
	e->lru.next->prev = e->lru.prev;
}

static void lru_push_front(struct user_cache *uc, struct entry *e)
{
	e->lru.next = uc->lru.next;
	e->lru.prev = &uc->lru;
	uc->lru.next->prev = &e->lru;
	uc->lru.next = &e->lru;
}

static struct entry **find_slot(struct user_cache *uc, const char *key, size_t len, uint64_t h)
{
	struct entry **pp = &uc->buckets[h & uc->mask];
	while (*pp && !((*pp)->hash == h && (*pp)->key_len == len && !memcmp((*pp)->key, key, len)))
		pp = &(*pp)->chain;
	return pp;
}

static void remove_entry(struct user_cache *uc, struct entry **pp)
{
	struct entry *e = *pp;
	*pp = e->chain;
	lru_unlink(e);
	free(e->rows);
	free(e);
	uc->count--;
}

const struct dom_row *user_cache_get(struct user_cache *uc, const char *user, size_t len,
				     size_t *n)
{
	struct entry *e = *find_slot(uc, user, len, hash_key(user, len));
	if (!e) {
		uc->misses++;
		return NULL;
	}
	uc->hits++;
	lru_unlink(e);
	lru_push_front(uc, e);
	*n = e->n_rows;
	return e->rows;
}

int user_cache_put(struct user_cache *uc, const char *user, size_t len,
		   const struct dom_row *rows, size_t n)
{
	uint64_t h = hash_key(user, len);
	struct entry **pp = find_slot(uc, user, len, h);
	if (*pp)
		remove_entry(uc, pp);
	if (uc->count >= uc->capacity) {
		struct entry *old = entry_of(uc->lru.prev);
		remove_entry(uc, find_slot(uc, old->key, old->key_len, old->hash));
	}
	struct entry *e = malloc(sizeof(*e) + len);
	struct dom_row *copy = malloc(sizeof(*copy) * (n ? n : 1));
	if (!e || !copy) {
		free(e);
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, rows, sizeof(*copy) * n);
	e->hash = h;
	e->n_rows = n;
	e->rows = copy;
	e->key_len = len;
	memcpy(e->key, user, len);
	pp = find_slot(uc, user, len, h);
	e->chain = NULL;
	*pp = e;
	lru_push_front(uc, e);
	uc->count++;
	return 0;
}

void user_cache_drop(struct user_cache *uc, const char *user, size_t len)
{
	struct entry **pp = find_slot(uc, user, len, hash_key(user, len));
	if (*pp)
		remove_entry(uc, pp);
}

void user_cache_free(struct user_cache *uc)
{
	if (!uc)
		return;
	while (uc->lru.next != &uc->lru) {
		struct entry *e = entry_of(uc->lru.next);
		remove_entry(uc, find_slot(uc, e->key, e->key_len, e->hash));
	}
	free(uc->buckets);
	free(uc);
}

uint64_t user_cache_hits(const struct user_cache *uc)
{
	return uc->hits;
}

uint64_t user_cache_misses(const struct user_cache *uc)
{
	return uc->misses;
}
