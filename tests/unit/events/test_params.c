/*
 * The flush parameters (spec events.md §5.5 step 4): the eleven array
 * literals of a small batch byte for byte (NULLs, quoting of user ids with
 * quotes, backslashes, commas and braces, each rotation schedule's period),
 * reuse of the buffers, and a 10k-row batch.
 */
#include "evt_test.h"

static void params_init(struct buf p[EVT_FLUSH_PARAMS])
{
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
		buf_init(&p[i]);
}

static void params_fini(struct buf p[EVT_FLUSH_PARAMS])
{
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
		buf_fini(&p[i]);
}

static void param_is(const struct buf *p, const char *want)
{
	CHECK(!p->failed);
	CHECK_MEM_EQ(p->data, p->len, want);
	CHECK_INT_EQ(p->data[p->len], '\0');
	CHECK_INT_EQ(strlen(p->data), p->len);
}

static void test_small_batch(const struct dom_config *cfg)
{
	struct evt_buffer *b = evt_buffer_new(100);
	CHECK_INT_EQ(merge_str(b, "a\"b\\c,{d} e", login_of(goal_of(cfg, "login-a"))), 0);
	CHECK_INT_EQ(merge_str(b, "u2", stat_of(goal_of(cfg, "kills"), 100, 1)), 0);
	CHECK_INT_EQ(merge_str(b, "u3", stat_of(goal_of(cfg, "quests"), 8, 2)), 0);
	CHECK_INT_EQ(merge_str(b, "u3", stat_of(goal_of(cfg, "coins"), 5, 0)), 0);
	CHECK_INT_EQ(merge_str(b, "u4", stat_of(goal_of(cfg, "a:b"), 3, -5)), 0);
	CHECK_INT_EQ(merge_str(b, "", login_of(goal_of(cfg, "stat-shared"))), 0);
	CHECK_INT_EQ(merge_str(b, "NULL", login_of(goal_of(cfg, "login-a"))), 0);
	CHECK_INT_EQ(merge_str(b, "NULL", login_of(goal_of(cfg, "login-a"))), 0);
	struct evt_batch *batch = evt_buffer_take(b);
	CHECK(batch != NULL);

	struct buf p[EVT_FLUSH_PARAMS];
	params_init(p);
	/* stale content and a failed state from earlier use are reset */
	buf_append_str(&p[0], "junk");
	p[3].failed = true;
	for (int round = 0; round < 2; round++) {
		CHECK_INT_EQ(evt_batch_params(batch, T_2025_06_15_1400, p), 0);
		param_is(&p[0], "{\"a\\\"b\\\\c,{d} e\",\"u2\",\"u3\",\"u3\",\"u4\",\"\",\"NULL\"}");
		param_is(&p[1], "{\"login-a\",\"kills\",\"quests\",\"coins\",\"a:b\",\"stat-shared\","
				"\"login-a\"}");
		param_is(&p[2], "{NULL,100,8,5,3,NULL,NULL}");
		param_is(&p[3], "{absolute,relative,relative,relative,absolute,absolute,absolute}");
		param_is(&p[4], "{1,1,2,0,-5,1,2}");
		param_is(&p[5], "{3,10,7,100,5,4,3}");
		/* daily, weekly (Monday) and monthly periods of a Sunday afternoon */
		param_is(&p[6], "{NULL,\"2025-06-15 00:00:00\",\"2025-06-09 00:00:00\","
				"\"2025-06-01 00:00:00\",NULL,NULL,NULL}");
		param_is(&p[7], "{NULL,\"2025-06-16 00:00:00\",\"2025-06-16 00:00:00\","
				"\"2025-07-01 00:00:00\",NULL,NULL,NULL}");
		param_is(&p[8], "{f,t,f,f,f,f,f}");
		param_is(&p[9], "{f,t,f,t,f,f,f}");
		param_is(&p[10], "{\"c1\",\"c1\",\"c\\\"2\",\"c\\\"2\",\"c1\",\"c1\",\"c1\"}");
	}

	/* a flush at another time: periods follow now, not the events */
	CHECK_INT_EQ(evt_batch_params(batch, T_2025_06_15_1400 + 86400, p), 0);
	param_is(&p[6], "{NULL,\"2025-06-16 00:00:00\",\"2025-06-16 00:00:00\","
			"\"2025-06-01 00:00:00\",NULL,NULL,NULL}");
	param_is(&p[7], "{NULL,\"2025-06-17 00:00:00\",\"2025-06-23 00:00:00\","
			"\"2025-07-01 00:00:00\",NULL,NULL,NULL}");
	params_fini(p);
	evt_batch_free(batch);
	evt_buffer_free(b);
}

static size_t count_char(const struct buf *p, char c)
{
	size_t n = 0;
	for (size_t i = 0; i < p->len; i++)
		n += p->data[i] == c;
	return n;
}

static void test_large_batch(const struct dom_config *cfg)
{
	enum { ROWS = 12000 };
	struct evt_buffer *b = evt_buffer_new(ROWS);
	const struct dom_goal *g = goal_of(cfg, "kills");
	char user[40];
	for (int i = 0; i < ROWS; i++) {
		int n = snprintf(user, sizeof(user), "5f3c1e2a-0000-4000-8000-%012d", i);
		struct evt_update u = stat_of(g, i, 1);
		CHECK_INT_EQ(evt_buffer_merge(b, user, (size_t)n, &u), 0);
	}
	struct evt_batch *batch = evt_buffer_take(b);
	struct buf p[EVT_FLUSH_PARAMS];
	params_init(p);
	CHECK_INT_EQ(evt_batch_params(batch, T_2025_06_15_1400, p), 0);
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++) {
		CHECK(!p[i].failed);
		CHECK_INT_EQ(p[i].data[0], '{');
		CHECK_INT_EQ(p[i].data[p[i].len - 1], '}');
		CHECK_INT_EQ(count_char(&p[i], ','), ROWS - 1);
	}
	CHECK_INT_EQ(p[0].len, 2 + (size_t)ROWS * (36 + 2) + (ROWS - 1));
	CHECK(strstr(p[2].data, ",11999}") != NULL);
	params_fini(p);
	evt_batch_free(batch);
	evt_buffer_free(b);
}

int main(void)
{
	struct dom_config *cfg = test_config();
	test_small_batch(cfg);
	test_large_batch(cfg);
	dom_config_free(cfg);
	return 0;
}
