/*
 * The size-class cache nghttp2 allocates from (src/h2/mem.c): every size
 * class and the big-block path keep their bytes, realloc keeps content,
 * calloc zeroes, and freed blocks are reused (except under ASan).
 */
#include "../../../src/h2/h2_private.h"
#include "check.h"

int main(void)
{
	struct h2_mem *m = h2_mem_new();
	CHECK(m);
	nghttp2_mem *mem = h2_mem_nghttp2(m);
	void *u = mem->mem_user_data;

	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1000, 4080, 4096, 32752, 32768, 100000 };
	void *blocks[ARRAY_SIZE(sizes)];
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		blocks[i] = mem->malloc(sizes[i], u);
		CHECK(blocks[i]);
		CHECK(((uintptr_t)blocks[i] & 15) == 0);
		memset(blocks[i], (int)i, sizes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (size_t k = 0; k < sizes[i]; k++)
			CHECK(((unsigned char *)blocks[i])[k] == i);
		mem->free(blocks[i], u);
	}
	mem->free(NULL, u);

	/* realloc keeps the content across classes and into big blocks */
	char *p = mem->realloc(NULL, 10, u);
	CHECK(p);
	memcpy(p, "0123456789", 10);
	for (size_t n = 20; n <= 200000; n *= 3) {
		p = mem->realloc(p, n, u);
		CHECK(p);
		CHECK(memcmp(p, "0123456789", 10) == 0);
	}
	p = mem->realloc(p, 5, u);
	CHECK(memcmp(p, "01234", 5) == 0);
	mem->free(p, u);

	unsigned char *z = mem->calloc(100, 7, u);
	CHECK(z);
	for (size_t k = 0; k < 700; k++)
		CHECK(z[k] == 0);
	mem->free(z, u);
	CHECK(mem->calloc(SIZE_MAX / 2, 4, u) == NULL);

#if !defined(__SANITIZE_ADDRESS__)
	/* a freed block comes back for the next allocation of its class */
	void *a = mem->malloc(200, u);
	mem->free(a, u);
	CHECK(mem->malloc(180, u) == a);
	mem->free(a, u);
#endif
	h2_mem_free(m);
	return 0;
}
