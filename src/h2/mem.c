/*
 * A size-class cache in front of malloc for one server's nghttp2 sessions:
 * nghttp2 allocates about eight blocks per call (stream, outbound items,
 * header copies), and in the steady state they come from here instead of
 * malloc. One server lives on one shard, so no locks. Under AddressSanitizer
 * nothing is cached, so the sanitizer still sees every block's life.
 */
#include <stdlib.h>
#include <string.h>

#include "h2_private.h"

#define MIN_SHIFT 5            /* 32 bytes */
#define CLASSES 11             /* ... up to 32 KiB */
#define BIG UINT32_MAX
#define CACHE_BYTES_PER_CLASS (1u << 20)

#if defined(__SANITIZE_ADDRESS__)
#define CACHING 0
#else
#define CACHING 1
#endif

/* In front of every block; 16 bytes keep the block's own alignment. */
struct blk_hdr {
	uint32_t cls;
	uint32_t pad;
	size_t size; /* usable bytes */
};

struct free_blk {
	struct free_blk *next;
};

struct h2_mem {
	nghttp2_mem mem;
	struct free_blk *free[CLASSES];
	unsigned count[CLASSES];
};

static size_t class_bytes(unsigned cls)
{
	return (size_t)1 << (cls + MIN_SHIFT);
}

static void *mem_malloc(size_t size, void *user)
{
	struct h2_mem *m = user;
	size_t want = size + sizeof(struct blk_hdr);
	unsigned cls = 0;
	while (cls < CLASSES && class_bytes(cls) < want)
		cls++;
	struct blk_hdr *h;
	if (cls == CLASSES) {
		h = malloc(want);
		if (!h)
			return NULL;
		*h = (struct blk_hdr){ .cls = BIG, .size = size };
		return h + 1;
	}
	if (m->free[cls]) {
		h = (struct blk_hdr *)m->free[cls];
		m->free[cls] = m->free[cls]->next;
		m->count[cls]--;
	} else {
		h = malloc(class_bytes(cls));
		if (!h)
			return NULL;
	}
	*h = (struct blk_hdr){ .cls = cls, .size = class_bytes(cls) - sizeof(*h) };
	return h + 1;
}

static void mem_free(void *p, void *user)
{
	struct h2_mem *m = user;
	if (!p)
		return;
	struct blk_hdr *h = (struct blk_hdr *)p - 1;
	unsigned cls = h->cls;
	if (!CACHING || cls == BIG ||
	    m->count[cls] >= CACHE_BYTES_PER_CLASS / class_bytes(cls)) {
		free(h);
		return;
	}
	struct free_blk *f = (struct free_blk *)h;
	f->next = m->free[cls];
	m->free[cls] = f;
	m->count[cls]++;
}

static void *mem_calloc(size_t n, size_t size, void *user)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = mem_malloc(n * size, user);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static void *mem_realloc(void *p, size_t size, void *user)
{
	if (!p)
		return mem_malloc(size, user);
	struct blk_hdr *h = (struct blk_hdr *)p - 1;
	if (size <= h->size && h->cls != BIG)
		return p;
	void *q = mem_malloc(size, user);
	if (!q)
		return NULL;
	memcpy(q, p, MIN(h->size, size));
	mem_free(p, user);
	return q;
}

struct h2_mem *h2_mem_new(void)
{
	struct h2_mem *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->mem = (nghttp2_mem){
		.mem_user_data = m,
		.malloc = mem_malloc,
		.free = mem_free,
		.calloc = mem_calloc,
		.realloc = mem_realloc,
	};
	return m;
}

nghttp2_mem *h2_mem_nghttp2(struct h2_mem *m)
{
	return &m->mem;
}

void h2_mem_free(struct h2_mem *m)
{
	if (!m)
		return;
	for (unsigned cls = 0; cls < CLASSES; cls++) {
		while (m->free[cls]) {
			struct free_blk *f = m->free[cls];
			m->free[cls] = f->next;
			free(f);
		}
	}
	free(m);
}
