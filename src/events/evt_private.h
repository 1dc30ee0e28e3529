/*
 * Inside the events module: the buffered entry and the batch that
 * evt_buffer_take hands to the flush. A batch owns its entries and the bytes
 * of their user ids; it is touched by one shard at a time.
 */
#ifndef CHALLENGED_EVT_PRIVATE_H
#define CHALLENGED_EVT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/events.h"

/* One (user, goal) key and its merged update. The user id lives in the
 * owner's byte store at user_off, user_len bytes followed by a NUL. */
struct evt_entry {
	const struct dom_goal *goal;
	int64_t value;      /* meaningful when has_value */
	int64_t inc;        /* saturating sum of merged increments */
	uint32_t user_off;
	uint32_t user_len;
	uint32_t hash;
	bool has_value;
};

struct evt_batch {
	struct evt_entry *ents;
	size_t n;
	size_t cap;         /* of ents, so a restore can adopt the array */
	char *users;        /* user id bytes */
	size_t users_len;
	size_t users_cap;
};

#endif
