/*
 * Allocation failure at the allocator edge: the Nth malloc/calloc/realloc
 * fails, for every N a load of the shipped fixture performs. Loading must
 * then fail cleanly with a message (no crash, no leak), and rendering into
 * a buffer whose growth fails must leave the buffer in its failed state.
 */
#include <stdlib.h>

#include "dom_test.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);

static long fail_at = -1, calls;

static bool should_fail(void)
{
	return fail_at >= 0 && ++calls == fail_at;
}

void *__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return should_fail() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	char *data = __real_malloc(1 << 20);
	CHECK(data != NULL);
	*len = fread(data, 1, 1 << 20, f);
	fclose(f);
	return data;
}

int main(void)
{
	size_t len;
	char path[512];
	snprintf(path, sizeof(path), "%s/challenges.json", FIXTURE_DIR);
	char *text = slurp(path, &len);
	long failures = 0;
	for (long n = 1;; n++) {
		struct dom_config *cfg = NULL;
		char err[512] = "";
		calls = 0;
		fail_at = n;
		int rc = dom_config_parse(text, len, 1750000000, &cfg, err, sizeof(err));
		bool injected = calls >= n;
		if (rc != 0) {
			CHECK(injected);
			CHECK(cfg == NULL);
			CHECK(strstr(err, "out of memory") != NULL);
			failures++;
			continue;
		}
		/* Loaded: the render's single reserve may be the failing call. */
		struct buf b;
		buf_init(&b);
		dom_render_list(&b, cfg, NULL, 1750000000);
		bool done = calls < n;
		fail_at = -1;
		CHECK(b.failed == !done);
		CHECK(b.failed ? b.len == 0 : b.len > 10000);
		buf_fini(&b);
		dom_config_free(cfg);
		if (done)
			break;
	}
	fail_at = -1;
	CHECK(failures > 10);
	free(text);
	return 0;
}
