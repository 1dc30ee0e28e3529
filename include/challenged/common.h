/* Small helpers every module may use. No state, no I/O. */
#ifndef CHALLENGED_COMMON_H
#define CHALLENGED_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED __attribute__((unused))

/* A borrowed byte range; never owns its memory. */
struct str {
	const char *ptr;
	size_t len;
};

#define STR_LIT(s) ((struct str){ (s), sizeof(s) - 1 })

static inline int str_eq(struct str a, const char *lit, size_t lit_len)
{
	return a.len == lit_len && __builtin_memcmp(a.ptr, lit, lit_len) == 0;
}

#endif
