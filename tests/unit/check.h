/*
 * Assertions for unit tests: on in every build type, print both operands
 * and the location, and fail the test at the first broken check.
 * Exit 77 means "skipped" to meson.
 */
#ifndef CHALLENGED_TEST_CHECK_H
#define CHALLENGED_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                     \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);           \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                     \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                       \
			fprintf(stderr, "%s:%d: %s == %s failed:\n  \"%s\"\n  \"%s\"\n", \
				__FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", \
				b_ ? b_ : "(null)");                           \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Compares a (pointer, length) pair with a NUL-terminated expectation. */
#define CHECK_MEM_EQ(p, n, s)                                                  \
	do {                                                                   \
		const char *p_ = (p), *s_ = (s);                               \
		size_t n_ = (n);                                               \
		if (n_ != strlen(s_) || memcmp(p_, s_, n_) != 0) {             \
			fprintf(stderr, "%s:%d: %s == %s failed:\n  \"%.*s\"\n  \"%s\"\n", \
				__FILE__, __LINE__, #p, #s, (int)n_, p_, s_);  \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define TEST_SKIP 77

#endif
