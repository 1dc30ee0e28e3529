/*
 * The coalescing buffer (spec events.md §5.2, §5.5 step 6): one per owner
 * shard, never shared. Entries sit in a dense array (handed whole to a batch
 * by evt_buffer_take) indexed by an open-addressing table whose slots carry
 * a generation, so emptying the index on take costs nothing. Keys are (user
 * id bytes, goal pointer): unlike the reference's "user:goal" string key, a
 * ':' in either id is harmless here, so such goals do progress (deliberate).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/obs.h"
#include "evt_private.h"

struct slot {
	uint32_t gen;       /* live only when equal to the buffer's gen */
	uint32_t idx;       /* into live.ents */
};

struct evt_buffer {
	struct evt_batch live;
	struct slot *slots;
	size_t n_slots;     /* power of two, at least twice live.n */
	uint32_t gen;
	size_t max_entries;
};

#define MIN_SLOTS 64u
/* The first index is sized for max_entries, up to this many slots; past it
 * the index grows on demand (restores may pass max_entries). */
#define MAX_INITIAL_SLOTS 65536u

static uint32_t key_hash(const char *user, size_t len, const struct dom_goal *goal)
{
	uint32_t h = 2166136261u; /* FNV-1a over the user id */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)user[i]) * 16777619u;
	h ^= goal->index * 0x9e3779b1u;
	/* murmur3's finaliser: the low bits pick the slot */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * Postgres refuses a text value with a NUL byte or invalid UTF-8, and one
 * such user id would fail every flush of its batch; refuse it at the door.
 * Same rules as Postgres's UTF-8 check: no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
static bool user_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	while (p < end) {
		uint8_t c = *p;
		if (c == 0)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t n;
		uint8_t lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n || p[1] < lo || p[1] > hi)
			return false;
		for (size_t k = 2; k <= n; k++)
			if ((p[k] & 0xc0) != 0x80)
				return false;
		p += n + 1;
	}
	return true;
}

static const char *entry_user(const struct evt_batch *set, const struct evt_entry *e)
{
	return set->users + e->user_off;
}

/* The slot holding the key, or the empty slot where it would go. */
static struct slot *probe(struct evt_buffer *b, uint32_t hash, const char *user, size_t len,
			  const struct dom_goal *goal)
{
	size_t mask = b->n_slots - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct slot *s = &b->slots[i];
		if (s->gen != b->gen)
			return s;
		const struct evt_entry *e = &b->live.ents[s->idx];
		if (e->hash == hash && e->goal == goal && e->user_len == len &&
		    memcmp(entry_user(&b->live, e), user, len) == 0)
			return s;
	}
}

static void index_entry(struct evt_buffer *b, uint32_t idx)
{
	const struct evt_entry *e = &b->live.ents[idx];
	struct slot *s = probe(b, e->hash, entry_user(&b->live, e), e->user_len, e->goal);
	*s = (struct slot){ .gen = b->gen, .idx = idx };
}

/* Forgets the whole index in O(1); a wrapped generation clears it for real. */
static void index_clear(struct evt_buffer *b)
{
	if (++b->gen == 0) {
		memset(b->slots, 0, b->n_slots * sizeof(*b->slots));
		b->gen = 1;
	}
}

/* Keeps the index at most half full for n entries. */
static int index_reserve(struct evt_buffer *b, size_t n)
{
	if (n <= b->n_slots / 2)
		return 0;
	size_t want = b->n_slots;
	while (want / 2 < n) {
		if (want > SIZE_MAX / 2 / sizeof(struct slot))
			return -ENOMEM;
		want *= 2;
	}
	struct slot *slots = calloc(want, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(b->slots);
	b->slots = slots;
	b->n_slots = want;
	b->gen = 1;
	for (size_t i = 0; i < b->live.n; i++)
		index_entry(b, (uint32_t)i);
	return 0;
}

static int ents_reserve(struct evt_batch *set, size_t n)
{
	if (n <= set->cap)
		return 0;
	if (n > UINT32_MAX)
		return -ENOMEM;
	size_t cap = set->cap ? set->cap * 2 : 64;
	while (cap < n)
		cap *= 2;
	struct evt_entry *p = realloc(set->ents, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	set->ents = p;
	set->cap = cap;
	return 0;
}

/* Copies a user id (and a NUL) into set's byte store; returns its offset. */
static int64_t users_add(struct evt_batch *set, const char *user, size_t len)
{
	size_t need = set->users_len + len + 1;
	if (need > UINT32_MAX)
		return -ENOMEM;
	if (need > set->users_cap) {
		size_t cap = set->users_cap ? set->users_cap * 2 : 2048;
		while (cap < need)
			cap *= 2;
		char *p = realloc(set->users, cap);
		if (!p)
			return -ENOMEM;
		set->users = p;
		set->users_cap = cap;
	}
	size_t off = set->users_len;
	memcpy(set->users + off, user, len);
	set->users[off + len] = '\0';
	set->users_len = need;
	return (int64_t)off;
}

/* Appends an entry for a key known to be absent. */
static int insert(struct evt_buffer *b, uint32_t hash, const char *user, size_t len,
		  const struct dom_goal *goal, bool has_value, int64_t value, int64_t inc)
{
	if (index_reserve(b, b->live.n + 1) < 0 || ents_reserve(&b->live, b->live.n + 1) < 0)
		return -ENOMEM;
	int64_t off = users_add(&b->live, user, len);
	if (off < 0)
		return (int)off;
	uint32_t idx = (uint32_t)b->live.n++;
	b->live.ents[idx] = (struct evt_entry){
		.goal = goal, .value = value, .inc = inc, .user_off = (uint32_t)off,
		.user_len = (uint32_t)len, .hash = hash, .has_value = has_value,
	};
	index_entry(b, idx);
	return 0;
}

struct evt_buffer *evt_buffer_new(size_t max_entries)
{
	struct evt_buffer *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	size_t n = MIN_SLOTS;
	while (n / 2 < max_entries && n < MAX_INITIAL_SLOTS)
		n *= 2;
	b->slots = calloc(n, sizeof(*b->slots));
	if (!b->slots) {
		free(b);
		return NULL;
	}
	b->n_slots = n;
	b->gen = 1;
	b->max_entries = max_entries;
	return b;
}

static void set_fini(struct evt_batch *set)
{
	free(set->ents);
	free(set->users);
	*set = (struct evt_batch){ 0 };
}

void evt_buffer_free(struct evt_buffer *b)
{
	if (!b)
		return;
	set_fini(&b->live);
	free(b->slots);
	free(b);
}

size_t evt_buffer_size(const struct evt_buffer *b)
{
	return b->live.n;
}

static int64_t add_saturated(int64_t a, int64_t c)
{
	int64_t r;
	if (__builtin_add_overflow(a, c, &r))
		return c > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int evt_buffer_merge(struct evt_buffer *b, const char *user, size_t user_len,
		     const struct evt_update *u)
{
	if (user_len > UINT32_MAX || !user_valid(user, user_len))
		return -EINVAL;
	uint32_t hash = key_hash(user, user_len, u->goal);
	struct slot *s = probe(b, hash, user, user_len, u->goal);
	if (s->gen == b->gen) {
		struct evt_entry *e = &b->live.ents[s->idx];
		if (u->has_value) {
			/* latest value wins, with its own inc only */
			e->has_value = true;
			e->value = u->value;
			e->inc = u->inc;
		} else {
			e->inc = add_saturated(e->inc, u->inc);
		}
		return 0;
	}
	if (b->live.n >= b->max_entries)
		return -ENOSPC;
	return insert(b, hash, user, user_len, u->goal, u->has_value, u->value, u->inc);
}

struct evt_batch *evt_buffer_take(struct evt_buffer *b)
{
	if (b->live.n == 0)
		return NULL;
	struct evt_batch *batch = malloc(sizeof(*batch));
	if (!batch)
		return NULL;
	*batch = b->live;
	b->live = (struct evt_batch){ 0 };
	index_clear(b);
	return batch;
}

void evt_buffer_restore(struct evt_buffer *b, struct evt_batch *batch)
{
	if (!batch)
		return;
	size_t dropped = 0;
	if (b->live.n == 0 && index_reserve(b, batch->n) == 0) {
		/* Nothing newer arrived: adopt the batch's arrays as they are. */
		set_fini(&b->live);
		b->live = *batch;
		*batch = (struct evt_batch){ 0 };
		index_clear(b);
		for (size_t i = 0; i < b->live.n; i++)
			index_entry(b, (uint32_t)i);
	} else {
		/* Restored entries do not count against max_entries: the
		 * buffer never drops what it once accepted, except when memory
		 * runs out here. */
		for (size_t i = 0; i < batch->n; i++) {
			const struct evt_entry *e = &batch->ents[i];
			const char *user = entry_user(batch, e);
			struct slot *s = probe(b, e->hash, user, e->user_len, e->goal);
			if (s->gen == b->gen)
				continue; /* the newer entry wins */
			if (insert(b, e->hash, user, e->user_len, e->goal, e->has_value, e->value,
				   e->inc) < 0)
				dropped++;
		}
	}
	evt_batch_free(batch);
	if (dropped)
		obs_error("event buffer out of memory restoring a failed flush; updates dropped",
			  "\"dropped\":%zu", dropped);
}

void evt_batch_free(struct evt_batch *batch)
{
	if (!batch)
		return;
	set_fini(batch);
	free(batch);
}

size_t evt_batch_size(const struct evt_batch *batch)
{
	return batch->n;
}

const char *evt_batch_user(const struct evt_batch *batch, size_t i, size_t *len)
{
	const struct evt_entry *e = &batch->ents[i];
	*len = e->user_len;
	return entry_user(batch, e);
}
