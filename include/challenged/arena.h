/*
 * Bump allocator for one request: everything allocated while serving it is
 * released at once by arena_reset. Single-threaded (one shard). Allocation
 * failure returns NULL; callers turn it into backpressure, never abort.
 */
#ifndef CHALLENGED_ARENA_H
#define CHALLENGED_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t chunk_size;
};

void arena_init(struct arena *a, size_t chunk_size);
void arena_fini(struct arena *a);
/* Frees every chunk but the first, which is kept for reuse. */
void arena_reset(struct arena *a);
/* 16-byte aligned. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
