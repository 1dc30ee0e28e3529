/*
 * An owner shard's cache of its users' progress rows, so a repeated list
 * needs no database round trip. Correct only while this process is the sole
 * writer of those users' rows (every write path of this process runs on the
 * owner shard and updates or drops the entry); another writer, such as a
 * separately deployed event handler or a second replica, makes it stale,
 * which is why it is off unless CHALLENGED_USER_CACHE_ENTRIES is set.
 * Not thread-safe: one per shard.
 */
#ifndef CHALLENGED_API_USER_CACHE_H
#define CHALLENGED_API_USER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "challenged/domain.h"

struct user_cache;

struct user_cache *user_cache_new(size_t capacity);
void user_cache_free(struct user_cache *uc);
/* The cached rows of user (NULL when absent); *n gets their count. The
 * pointer stays valid until the next put or drop on this cache. */
const struct dom_row *user_cache_get(struct user_cache *uc, const char *user, size_t len,
				     size_t *n);
/* Stores a copy of rows for user, evicting the least recently used entry
 * when full. Returns 0 or -ENOMEM (the cache is then simply not filled). */
int user_cache_put(struct user_cache *uc, const char *user, size_t len,
		   const struct dom_row *rows, size_t n);
void user_cache_drop(struct user_cache *uc, const char *user, size_t len);
uint64_t user_cache_hits(const struct user_cache *uc);
uint64_t user_cache_misses(const struct user_cache *uc);

#endif
