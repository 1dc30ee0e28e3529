/*
 * Name lookups over a reflection_set: files by proto path, symbols and
 * extensions by binary search over the tables embed.py sorted, and the
 * breadth-first import closure grpc-go sends. Pure; any thread.
 */
#include <errno.h>
#include <string.h>

#include "challenged/reflection.h"

int reflection_file_find(const struct reflection_set *set, const char *name)
{
	for (unsigned i = 0; i < set->n_files; i++)
		if (strcmp(set->files[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int reflection_symbol_find(const struct reflection_set *set, const char *name)
{
	size_t lo = 0, hi = set->n_symbols;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set->symbols[mid].name, name);
		if (c == 0)
			return set->symbols[mid].file;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

static int extension_cmp(const struct reflection_extension *x, const char *extendee, int32_t number)
{
	int c = strcmp(x->extendee, extendee);
	if (c)
		return c;
	return (x->number > number) - (x->number < number);
}

int reflection_extension_find(const struct reflection_set *set, const char *extendee,
			      int32_t number)
{
	size_t lo = 0, hi = set->n_extensions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = extension_cmp(&set->extensions[mid], extendee, number);
		if (c == 0)
			return set->extensions[mid].file;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

/*
 * grpc-go walks every import (already sent or not) so that a file reached
 * only through a sent one still goes out; the queue holds each file at most
 * once here, which sends the same files since a file's imports never change.
 */
size_t reflection_file_closure(const struct reflection_set *set, unsigned file, uint64_t *sent,
			       uint16_t *out, size_t cap)
{
	uint16_t queue[REFLECTION_MAX_FILES];
	uint64_t queued = UINT64_C(1) << file;
	size_t head = 0, tail = 0, n = 0;

	queue[tail++] = (uint16_t)file;
	while (head < tail) {
		unsigned f = queue[head++];
		uint64_t bit = UINT64_C(1) << f;
		if ((n == 0 || !(*sent & bit)) && n < cap) {
			*sent |= bit;
			out[n++] = (uint16_t)f;
		}
		const struct reflection_file *rf = &set->files[f];
		for (unsigned i = 0; i < rf->n_deps; i++) {
			uint64_t dbit = UINT64_C(1) << rf->deps[i];
			if (!(queued & dbit)) {
				queued |= dbit;
				queue[tail++] = rf->deps[i];
			}
		}
	}
	return n;
}
