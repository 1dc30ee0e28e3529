/*
 * The default-goal list is built at load from the config's arena: when that
 * allocation fails, loading fails cleanly (no crash, no leak). malloc is
 * wrapped at link time; a config of 9000 goals makes the list (9001
 * pointers) larger than an arena chunk, so it gets a malloc of its own whose
 * size tells it apart from every other allocation of the load.
 */
#include <stdlib.h>

#include "ops_test.h"

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);

#define N_GOALS 9000
/*
 * arena_alloc's malloc for the list: 16-byte rounded, plus the chunk header
 * (three words, 16-aligned: 32 bytes). The goal-pointer array of the config
 * model, 16 bytes smaller, must not match. If the arena changes, hits stays
 * 0 and the test says so.
 */
#define LIST_BYTES (((((N_GOALS + 1) * sizeof(void *)) + 15) & ~(size_t)15) + 32)

static bool armed;
static int hits;

void *__wrap_malloc(size_t n)
{
	if (armed && n == LIST_BYTES) {
		hits++;
		return NULL;
	}
	return __real_malloc(n);
}

static char *big_config(size_t *len)
{
	struct buf b;
	buf_init(&b);
	buf_append_str(&b, "{\"challenges\":[{\"challengeId\":\"c\",\"name\":\"C\",\"goals\":[");
	for (int i = 0; i < N_GOALS; i++)
		buf_printf(&b, "%s{\"goalId\":\"g%d\",\"name\":\"G\",\"eventSource\":\"login\","
			   "\"defaultAssigned\":%s,\"requirement\":{\"statCode\":\"s\","
			   "\"operator\":\">=\",\"targetValue\":1},\"reward\":{\"type\":\"ITEM\","
			   "\"rewardId\":\"i\",\"quantity\":1}}",
			   i ? "," : "", i, i % 3 ? "false" : "true");
	buf_append_str(&b, "]}]}");
	CHECK(!b.failed);
	return buf_steal(&b, len);
}

int main(void)
{
	size_t len;
	char *text = big_config(&len);
	struct dom_config *cfg = NULL;
	char err[256] = "";

	armed = true;
	CHECK_INT_EQ(dom_config_parse(text, len, T_1400, &cfg, err, sizeof(err)), -1);
	armed = false;
	CHECK_INT_EQ(hits, 1);
	CHECK(cfg == NULL);
	CHECK_STR_EQ(err, "out of memory while loading the config");

	CHECK_INT_EQ(dom_config_parse(text, len, T_1400, &cfg, err, sizeof(err)), 0);
	size_t n;
	const struct dom_goal *const *d = dom_default_goals(cfg, &n);
	CHECK_INT_EQ(n, N_GOALS / 3);
	CHECK_STR_EQ(d[0]->id, "g0");
	CHECK_STR_EQ(d[n - 1]->id, "g8997");
	dom_config_free(cfg);
	free(text);
	return 0;
}
