/* GET /v1/challenges body, byte for byte (api.md §5.1): the spec's example,
 * goals without rows, rotated rows, omitted empty fields, protojson string
 * escaping, int32 conversion, and static-at-load vs per-request expiry. */
#include "challenged/json.h"
#include "dom_test.h"

#define T_0930 1749979800 /* 2025-06-15T09:30:00Z, "service start" */
#define T_1400 1749996000 /* 2025-06-15T14:00:00Z, request time */

static const char example_config[] =
	"{\"challenges\":[{\"challengeId\":\"season-1\",\"name\":\"Season One\","
	"\"description\":\"Early season goals\",\"goals\":["
	"{\"goalId\":\"first-blood\",\"name\":\"First Blood\",\"eventSource\":\"statistic\","
	"\"requirement\":{\"statCode\":\"kills\",\"operator\":\">=\",\"targetValue\":1},"
	"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GOLD\",\"quantity\":25}},"
	"{\"goalId\":\"daily-wins\",\"name\":\"Win 3 Today\",\"description\":\"Win three matches today\","
	"\"eventSource\":\"statistic\",\"requirement\":{\"statCode\":\"wins\",\"operator\":\">=\","
	"\"targetValue\":3,\"progressMode\":\"relative\"},\"reward\":{\"type\":\"ITEM\","
	"\"rewardId\":\"a1b2c3\",\"quantity\":1},\"prerequisites\":[\"first-blood\"],"
	"\"rotation\":{\"enabled\":true,\"type\":\"global\",\"schedule\":\"daily\","
	"\"onExpiry\":{\"resetProgress\":true,\"allowReselection\":false}}}]}]}";

/* The spec's response, joined onto one line. */
static const char example_body[] =
	"{\"challenges\":["
	"{\"challengeId\":\"season-1\",\"name\":\"Season One\",\"description\":\"Early season goals\","
	"\"goals\":["
	"{\"goalId\":\"first-blood\",\"name\":\"First Blood\",\"requirement\":{\"statCode\":\"kills\","
	"\"operator\":\">=\",\"targetValue\":1},"
	"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"GOLD\",\"quantity\":25},\"status\":\"not_started\","
	"\"progress\":3,\"status\":\"completed\",\"completedAt\":\"2025-06-15T11:02:40Z\",\"claimedAt\":\"\","
	"\"isActive\":true,\"expiresAt\":\"\",\"expiresInSeconds\":0},"
	"{\"goalId\":\"daily-wins\",\"name\":\"Win 3 Today\",\"description\":\"Win three matches today\","
	"\"requirement\":{\"statCode\":\"wins\",\"operator\":\">=\",\"targetValue\":3},"
	"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"a1b2c3\",\"quantity\":1},"
	"\"prerequisites\":[\"first-blood\"],\"status\":\"not_started\",\"locked\":true,"
	"\"expiresAt\":\"2025-06-16T00:00:00Z\",\"expiresInSeconds\":52200,"
	"\"progress\":1,\"status\":\"in_progress\",\"completedAt\":\"\",\"claimedAt\":\"\",\"isActive\":true,"
	"\"expiresAt\":\"2025-06-16T00:00:00Z\",\"expiresInSeconds\":36000}"
	"]}"
	"]}";

#define DEFAULT_DYNAMIC                                                             \
	"\"progress\":0,\"status\":\"not_started\",\"completedAt\":\"\",\"claimedAt\":\"\"," \
	"\"isActive\":false,\"expiresAt\":\"\",\"expiresInSeconds\":0"

static int64_t us_at(const char *pg)
{
	int64_t us;
	CHECK_INT_EQ(dom_time_parse_pg(pg, strlen(pg), &us), 0);
	return us;
}

static struct dom_row row_of(const struct dom_goal *g, int32_t progress, enum dom_status st)
{
	struct dom_row r;
	memset(&r, 0, sizeof(r));
	r.goal = g;
	r.progress = progress;
	r.status = st;
	r.is_active = true;
	r.completed_at_us = r.claimed_at_us = r.assigned_at_us = r.expires_at_us = -1;
	r.created_at_us = r.updated_at_us = us_at("2025-06-15 13:00:00");
	return r;
}

static void render_is(const struct dom_config *cfg, const struct dom_row *const *rows,
		      int64_t now, const char *want)
{
	struct buf b;
	buf_init(&b);
	dom_render_list(&b, cfg, rows, now);
	CHECK(!b.failed);
	CHECK_MEM_EQ(b.data, b.len, want);
	CHECK(b.len <= b.cap);
	buf_fini(&b);
}

static void test_spec_example(void)
{
	struct dom_config *cfg = load_ok(example_config, T_0930);
	const struct dom_goal *fb = dom_config_goal(cfg, "first-blood", 11);
	const struct dom_goal *dw = dom_config_goal(cfg, "daily-wins", 10);
	struct dom_row r_fb = row_of(fb, 3, DOM_STATUS_COMPLETED);
	r_fb.completed_at_us = us_at("2025-06-15 11:02:40.654321");
	struct dom_row r_dw = row_of(dw, 1, DOM_STATUS_IN_PROGRESS);
	r_dw.has_baseline = true;
	r_dw.baseline = 0;
	const struct dom_row *rows[2] = { &r_fb, &r_dw };
	render_is(cfg, rows, T_1400, example_body);

	/* The static fragments are what the model exposes. */
	CHECK_MEM_EQ(cfg->challenges[0].list_json_head, cfg->challenges[0].list_json_head_len,
		     "{\"challengeId\":\"season-1\",\"name\":\"Season One\","
		     "\"description\":\"Early season goals\",\"goals\":[");
	CHECK_MEM_EQ(fb->list_json, fb->list_json_len,
		     "{\"goalId\":\"first-blood\",\"name\":\"First Blood\",\"requirement\":"
		     "{\"statCode\":\"kills\",\"operator\":\">=\",\"targetValue\":1},\"reward\":"
		     "{\"type\":\"WALLET\",\"rewardId\":\"GOLD\",\"quantity\":25},"
		     "\"status\":\"not_started\"");

	/* Clients read the last duplicate: the dynamic values. */
	struct buf b;
	buf_init(&b);
	dom_render_list(&b, cfg, rows, T_1400);
	struct json_doc *doc;
	CHECK_INT_EQ(json_parse(b.data, b.len, 0, &doc, NULL), 0);
	const struct json_value *goals =
		json_get(&json_get(json_doc_root(doc), "challenges")->items[0], "goals");
	CHECK_STR_EQ(json_get(&goals->items[0], "status")->str, "completed");
	CHECK_INT_EQ(json_get(&goals->items[1], "expiresInSeconds")->i, 36000);
	json_doc_free(doc);
	buf_fini(&b);
	dom_config_free(cfg);
}

static void test_no_rows(void)
{
	struct dom_config *cfg = load_ok(example_config, T_0930);
	char want[4096];
	snprintf(want, sizeof(want),
		 "{\"challenges\":[{\"challengeId\":\"season-1\",\"name\":\"Season One\","
		 "\"description\":\"Early season goals\",\"goals\":[%.*s,%s},%.*s,%s}]}]}",
		 (int)cfg->goals[0]->list_json_len, cfg->goals[0]->list_json, DEFAULT_DYNAMIC,
		 (int)cfg->goals[1]->list_json_len, cfg->goals[1]->list_json, DEFAULT_DYNAMIC);
	/* Even a rotating goal without a row shows no expiry (quirk). */
	render_is(cfg, NULL, T_1400, want);
	const struct dom_row *none[2] = { NULL, NULL };
	render_is(cfg, none, T_1400, want);
	dom_config_free(cfg);
}

static void test_rotated_rows(void)
{
	struct dom_config *cfg = load_ok(example_config, T_0930);
	const struct dom_goal *dw = cfg->goals[1];
	/* Last written yesterday: reset shows 0/not_started, timestamps stay. */
	struct dom_row r = row_of(dw, 9, DOM_STATUS_COMPLETED);
	r.has_baseline = true;
	r.baseline = 2;
	r.updated_at_us = us_at("2025-06-14 23:59:59.999999");
	r.completed_at_us = us_at("2025-06-14 20:00:00");
	r.is_active = false;
	const struct dom_row *rows[2] = { NULL, &r };
	char want[4096];
	snprintf(want, sizeof(want),
		 "{\"challenges\":[{\"challengeId\":\"season-1\",\"name\":\"Season One\","
		 "\"description\":\"Early season goals\",\"goals\":[%.*s,%s},%.*s,"
		 "\"progress\":0,\"status\":\"not_started\",\"completedAt\":\"2025-06-14T20:00:00Z\","
		 "\"claimedAt\":\"\",\"isActive\":false,\"expiresAt\":\"2025-06-16T00:00:00Z\","
		 "\"expiresInSeconds\":36000}]}]}",
		 (int)cfg->goals[0]->list_json_len, cfg->goals[0]->list_json, DEFAULT_DYNAMIC,
		 (int)dw->list_json_len, dw->list_json);
	render_is(cfg, rows, T_1400, want);

	/* Claimed, no reselection: claimed forever, with both timestamps. */
	r.status = DOM_STATUS_CLAIMED;
	r.claimed_at_us = us_at("2025-06-14 21:00:00");
	snprintf(want, sizeof(want),
		 "{\"challenges\":[{\"challengeId\":\"season-1\",\"name\":\"Season One\","
		 "\"description\":\"Early season goals\",\"goals\":[%.*s,%s},%.*s,"
		 "\"progress\":7,\"status\":\"claimed\",\"completedAt\":\"2025-06-14T20:00:00Z\","
		 "\"claimedAt\":\"2025-06-14T21:00:00Z\",\"isActive\":false,"
		 "\"expiresAt\":\"2025-06-16T00:00:00Z\",\"expiresInSeconds\":36000}]}]}",
		 (int)cfg->goals[0]->list_json_len, cfg->goals[0]->list_json, DEFAULT_DYNAMIC,
		 (int)dw->list_json_len, dw->list_json);
	render_is(cfg, rows, T_1400, want);
	dom_config_free(cfg);
}

static void test_static_shapes(void)
{
	/* Empty descriptions are omitted; strings escaped as protojson does
	 * (no HTML escaping, \b and \f short forms); int32 conversion of
	 * config integers, a zero being omitted. */
	struct dom_config *cfg = load_ok(
		"{\"challenges\":[{\"challengeId\":\"c<1>\",\"name\":\"Tom & \\\"Jerry\\\"\","
		"\"description\":\"\",\"goals\":[{\"goalId\":\"g\\\\1\",\"name\":\"caf\\u00e9 \\u2028\","
		"\"description\":\"tab\\there\\b\\f\\u0001\",\"eventSource\":\"login\","
		"\"requirement\":{\"statCode\":\"s/x\",\"operator\":\">=\",\"targetValue\":4294967296},"
		"\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\",\"quantity\":2147483648},"
		"\"prerequisites\":[\"g\\\\1\",\"h\"]},"
		"{\"goalId\":\"h\",\"name\":\"H\",\"eventSource\":\"login\",\"requirement\":"
		"{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":4294967297},"
		"\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"w\",\"quantity\":4294967295}}]}]}",
		T_1400);
	const char *want =
		"{\"challenges\":[{\"challengeId\":\"c<1>\",\"name\":\"Tom & \\\"Jerry\\\"\",\"goals\":["
		"{\"goalId\":\"g\\\\1\",\"name\":\"caf\xc3\xa9 \xe2\x80\xa8\","
		"\"description\":\"tab\\there\\b\\f\\u0001\",\"requirement\":{\"statCode\":\"s/x\","
		"\"operator\":\">=\"},\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\","
		"\"quantity\":-2147483648},\"prerequisites\":[\"g\\\\1\",\"h\"],"
		"\"status\":\"not_started\",\"locked\":true," DEFAULT_DYNAMIC "},"
		"{\"goalId\":\"h\",\"name\":\"H\",\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\","
		"\"targetValue\":1},\"reward\":{\"type\":\"WALLET\",\"rewardId\":\"w\",\"quantity\":-1},"
		"\"status\":\"not_started\"," DEFAULT_DYNAMIC "}]}]}";
	render_is(cfg, NULL, T_1400, want);
	dom_config_free(cfg);
}

#define ROT_GOAL(id, sched)                                                          \
	"{\"goalId\":\"" id "\",\"name\":\"N\",\"eventSource\":\"statistic\","        \
	"\"requirement\":{\"statCode\":\"s\",\"operator\":\">=\",\"targetValue\":5,"  \
	"\"progressMode\":\"relative\"},\"reward\":{\"type\":\"ITEM\",\"rewardId\":\"i\"," \
	"\"quantity\":1},\"rotation\":{\"enabled\":true,\"type\":\"global\","          \
	"\"schedule\":\"" sched "\",\"onExpiry\":{\"resetProgress\":false}}}"
#define ROT_STATIC(id)                                                                \
	"{\"goalId\":\"" id "\",\"name\":\"N\",\"requirement\":{\"statCode\":\"s\","   \
	"\"operator\":\">=\",\"targetValue\":5},\"reward\":{\"type\":\"ITEM\","        \
	"\"rewardId\":\"i\",\"quantity\":1},\"status\":\"not_started\""

static void test_expiry_times(void)
{
	/* Loaded Tuesday 2025-12-30 12:00; requested Thursday 2026-01-01 06:00:
	 * the static expiry is the load time's, the dynamic one the request's. */
	int64_t load = 1767096000, req = 1767247200;
	struct dom_config *cfg = load_ok(
		"{\"challenges\":[{\"challengeId\":\"a\",\"name\":\"A\",\"description\":\"d\",\"goals\":["
		ROT_GOAL("d", "daily") "," ROT_GOAL("w", "weekly") "]},"
		"{\"challengeId\":\"b\",\"name\":\"B\",\"goals\":[" ROT_GOAL("m", "monthly") "]}]}",
		load);
	struct dom_row rd = row_of(cfg->goals[0], 4, DOM_STATUS_IN_PROGRESS);
	struct dom_row rw = row_of(cfg->goals[1], -3, DOM_STATUS_IN_PROGRESS);
	struct dom_row rm = row_of(cfg->goals[2], 6, DOM_STATUS_COMPLETED);
	rd.has_baseline = rw.has_baseline = rm.has_baseline = true;
	rd.baseline = 1;
	rw.baseline = -10;
	rm.baseline = 0;
	rd.updated_at_us = rw.updated_at_us = rm.updated_at_us = (req - 60) * 1000000;
	rm.completed_at_us = (req - 3600) * 1000000;
	const struct dom_row *rows[3] = { &rd, &rw, &rm };
	const char *want =
		"{\"challenges\":[{\"challengeId\":\"a\",\"name\":\"A\",\"description\":\"d\",\"goals\":["
		ROT_STATIC("d") ",\"expiresAt\":\"2025-12-31T00:00:00Z\",\"expiresInSeconds\":43200,"
		"\"progress\":3,\"status\":\"in_progress\",\"completedAt\":\"\",\"claimedAt\":\"\","
		"\"isActive\":true,\"expiresAt\":\"2026-01-02T00:00:00Z\",\"expiresInSeconds\":64800},"
		ROT_STATIC("w") ",\"expiresAt\":\"2026-01-05T00:00:00Z\",\"expiresInSeconds\":475200,"
		"\"progress\":7,\"status\":\"in_progress\",\"completedAt\":\"\",\"claimedAt\":\"\","
		"\"isActive\":true,\"expiresAt\":\"2026-01-05T00:00:00Z\",\"expiresInSeconds\":324000}]},"
		"{\"challengeId\":\"b\",\"name\":\"B\",\"goals\":["
		ROT_STATIC("m") ",\"expiresAt\":\"2026-01-01T00:00:00Z\",\"expiresInSeconds\":129600,"
		"\"progress\":6,\"status\":\"completed\",\"completedAt\":\"2026-01-01T05:00:00Z\","
		"\"claimedAt\":\"\",\"isActive\":true,\"expiresAt\":\"2026-02-01T00:00:00Z\","
		"\"expiresInSeconds\":2656800}]}]}";
	render_is(cfg, rows, req, want);
	dom_config_free(cfg);
}

static void test_dynamic_values(void)
{
	/* Absolute goals show stored progress as is, even negative; a
	 * non-rotating goal with a row has no expiry. */
	struct dom_config *cfg = load_ok(CFG(CHAL("", GOAL(""))), T_1400);
	struct dom_row r = row_of(cfg->goals[0], -5, DOM_STATUS_IN_PROGRESS);
	r.is_active = false;
	r.claimed_at_us = us_at("1999-12-31 23:59:59.999999");
	r.completed_at_us = us_at("1969-12-31 23:59:59.5");
	const struct dom_row *rows[1] = { &r };
	char want[2048];
	snprintf(want, sizeof(want),
		 "{\"challenges\":[{\"challengeId\":\"c\",\"name\":\"C\",\"goals\":[%.*s,"
		 "\"progress\":-5,\"status\":\"in_progress\",\"completedAt\":\"1969-12-31T23:59:59Z\","
		 "\"claimedAt\":\"1999-12-31T23:59:59Z\",\"isActive\":false,\"expiresAt\":\"\","
		 "\"expiresInSeconds\":0}]}]}",
		 (int)cfg->goals[0]->list_json_len, cfg->goals[0]->list_json);
	render_is(cfg, rows, T_1400, want);

	/* Relative delta beyond int32 is printed exactly. */
	struct dom_config *rel = load_ok(
		CFG(CHAL("", GOAL(",\"requirement\":{\"progressMode\":\"relative\"}"))), T_1400);
	struct dom_row rr = row_of(rel->goals[0], INT32_MAX, DOM_STATUS_IN_PROGRESS);
	rr.has_baseline = true;
	rr.baseline = INT32_MIN;
	const struct dom_row *rrows[1] = { &rr };
	struct buf b;
	buf_init(&b);
	dom_render_list(&b, rel, rrows, T_1400);
	CHECK(memmem(b.data, b.len, "\"progress\":4294967295,", 22) != NULL);
	buf_fini(&b);
	dom_config_free(rel);

	/* Output is appended to what the buffer holds. */
	buf_init(&b);
	buf_append_str(&b, "HEAD");
	dom_render_list(&b, cfg, rows, T_1400);
	CHECK(b.len == strlen(want) + 4);
	CHECK(memcmp(b.data, "HEAD", 4) == 0);
	CHECK(memcmp(b.data + 4, want, strlen(want)) == 0);
	buf_fini(&b);
	dom_config_free(cfg);
}

/* The fixture renders to valid JSON that keeps config order. */
static void test_fixture(void)
{
	char path[512], err[512];
	struct dom_config *cfg;
	snprintf(path, sizeof(path), "%s/challenges.json", FIXTURE_DIR);
	CHECK_INT_EQ(dom_config_load(path, T_0930, &cfg, err, sizeof(err)), 0);
	struct buf b;
	buf_init(&b);
	dom_render_list(&b, cfg, NULL, T_1400);
	struct json_doc *doc;
	CHECK_INT_EQ(json_parse(b.data, b.len, 0, &doc, NULL), 0);
	const struct json_value *chs = json_get(json_doc_root(doc), "challenges");
	CHECK_INT_EQ(chs->len, 7);
	size_t k = 0;
	for (uint32_t i = 0; i < chs->len; i++) {
		const struct json_value *goals = json_get(&chs->items[i], "goals");
		CHECK_STR_EQ(json_get(&chs->items[i], "challengeId")->str, cfg->challenges[i].id);
		for (uint32_t j = 0; j < goals->len; j++)
			CHECK_STR_EQ(json_get(&goals->items[j], "goalId")->str, cfg->goals[k++]->id);
	}
	CHECK_INT_EQ(k, 24);
	json_doc_free(doc);
	buf_fini(&b);
	dom_config_free(cfg);
}

int main(void)
{
	test_spec_example();
	test_no_rows();
	test_rotated_rows();
	test_static_shapes();
	test_expiry_times();
	test_dynamic_values();
	test_fixture();
	return 0;
}
