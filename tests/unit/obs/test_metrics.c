/*
 * Metrics: status slots, merging two shards, the exposition format line by
 * line, cumulative buckets with +Inf == _count, process figures, and one
 * writer racing one scraper (meaningful under the ASan/UBSan build).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "challenged/metrics.h"
#include "check.h"

struct sample {
	char key[192];  /* name{labels} exactly as rendered */
	double value;
};

struct scrape {
	struct sample s[512];
	size_t n;
	char typed[64][96]; /* families with a # TYPE line */
	size_t n_typed;
};

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

/* Length of a metric or label name at p, or 0. */
static size_t name_len(const char *p)
{
	size_t i = 0;
	while (name_char(p[i], i == 0))
		i++;
	return i;
}

static bool typed(const struct scrape *sc, const char *name, size_t len)
{
	for (size_t i = 0; i < sc->n_typed; i++)
		if (strlen(sc->typed[i]) == len && !memcmp(sc->typed[i], name, len))
			return true;
	return false;
}

/* The family a sample belongs to: itself, or without a histogram/summary suffix. */
static bool family_typed(const struct scrape *sc, const char *name, size_t len)
{
	static const char *const suffix[] = { "_bucket", "_sum", "_count" };
	if (typed(sc, name, len))
		return true;
	for (size_t i = 0; i < 3; i++) {
		size_t sl = strlen(suffix[i]);
		if (len > sl && !memcmp(name + len - sl, suffix[i], sl) && typed(sc, name, len - sl))
			return true;
	}
	return false;
}

static void parse_comment(struct scrape *sc, const char *line)
{
	bool help = !strncmp(line, "# HELP ", 7), type = !strncmp(line, "# TYPE ", 7);
	CHECK(help || type);
	const char *name = line + 7;
	size_t len = name_len(name);
	CHECK(len > 0 && name[len] == ' ' && name[len + 1] != '\0');
	if (!type)
		return;
	const char *t = name + len + 1;
	CHECK(!strcmp(t, "counter") || !strcmp(t, "gauge") || !strcmp(t, "histogram") ||
	      !strcmp(t, "summary") || !strcmp(t, "untyped"));
	CHECK(!typed(sc, name, len)); /* one TYPE per family */
	CHECK(sc->n_typed < 64 && len < 96);
	memcpy(sc->typed[sc->n_typed], name, len);
	sc->typed[sc->n_typed++][len] = '\0';
}

/* name{l="v",...} value */
static void parse_sample(struct scrape *sc, const char *line)
{
	size_t len = name_len(line);
	CHECK(len > 0);
	CHECK(family_typed(sc, line, len));
	const char *p = line + len;
	if (*p == '{') {
		p++;
		for (;;) {
			size_t l = name_len(p);
			CHECK(l > 0 && p[l] == '=' && p[l + 1] == '"');
			p += l + 2;
			while (*p && *p != '"') {
				CHECK(*p != '\\' && *p != '\n');
				p++;
			}
			CHECK(*p == '"');
			p++;
			if (*p == '}')
				break;
			CHECK(*p == ',');
			p++;
		}
		p++;
	}
	CHECK(*p == ' ');
	size_t key_len = (size_t)(p - line);
	CHECK(key_len < sizeof(sc->s[0].key) && sc->n < 512);
	char *end;
	double v = strtod(p + 1, &end);
	CHECK(end != p + 1 && *end == '\0');
	struct sample *s = &sc->s[sc->n++];
	memcpy(s->key, line, key_len);
	s->key[key_len] = '\0';
	s->value = v;
	for (size_t i = 0; i + 1 < sc->n; i++)
		CHECK(strcmp(sc->s[i].key, s->key) != 0); /* no duplicate series */
}

static void parse(struct scrape *sc, const struct buf *b)
{
	memset(sc, 0, sizeof(*sc));
	CHECK(!b->failed && b->len > 0 && b->data[b->len - 1] == '\n');
	const char *p = b->data, *end = b->data + b->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		CHECK(nl && nl > p);
		char line[512];
		CHECK((size_t)(nl - p) < sizeof(line));
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		CHECK(memchr(line, '\0', (size_t)(nl - p)) == NULL);
		if (line[0] == '#')
			parse_comment(sc, line);
		else
			parse_sample(sc, line);
		p = nl + 1;
	}
}

static const struct sample *find(const struct scrape *sc, const char *key)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->s[i].key, key))
			return &sc->s[i];
	return NULL;
}

static double value(const struct scrape *sc, const char *key)
{
	const struct sample *s = find(sc, key);
	if (!s) {
		fprintf(stderr, "missing series %s\n", key);
		exit(1);
	}
	return s->value;
}

static const char *const les[] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
	"0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
};

/* Checks route's histogram is cumulative and +Inf == _count; returns _count. */
static double check_histogram(const struct scrape *sc, const char *route)
{
	char key[192];
	double prev = 0;
	for (size_t i = 0; i < 17; i++) {
		snprintf(key, sizeof(key),
			 "challenged_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"}",
			 route, les[i]);
		double v = value(sc, key);
		CHECK(v >= prev);
		prev = v;
	}
	snprintf(key, sizeof(key), "challenged_http_request_duration_seconds_count{route=\"%s\"}", route);
	CHECK_INT_EQ(value(sc, key), prev);
	return prev;
}

static double bucket(const struct scrape *sc, const char *route, const char *le)
{
	char key[192];
	snprintf(key, sizeof(key),
		 "challenged_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"}", route, le);
	return value(sc, key);
}

static void test_status_slots(void)
{
	static const int codes[] = { 200, 301, 400, 401, 403, 404, 405, 409,
				     413, 429, 431, 500, 501, 503, 504 };
	bool seen[OBS_STATUS_SLOTS] = { 0 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		unsigned s = obs_status_slot(codes[i]);
		CHECK(s < OBS_STATUS_SLOTS - 1);
		CHECK(!seen[s]);
		seen[s] = true;
	}
	CHECK_INT_EQ(obs_status_slot(302), OBS_STATUS_SLOTS - 1);
	CHECK_INT_EQ(obs_status_slot(0), OBS_STATUS_SLOTS - 1);
	CHECK_INT_EQ(obs_status_slot(-5), OBS_STATUS_SLOTS - 1);
}

static void test_two_shards(void)
{
	struct obs_metrics a, b;
	obs_metrics_init(&a);
	obs_metrics_init(&b);
	obs_http_observe(&a, OBS_ROUTE_LIST, 200, 50);
	obs_http_observe(&a, OBS_ROUTE_LIST, 200, 300);
	obs_http_observe(&a, OBS_ROUTE_LIST, 200, 2000);
	obs_http_observe(&b, OBS_ROUTE_LIST, 200, 20000000); /* beyond 10 s: +Inf only */
	obs_http_observe(&b, OBS_ROUTE_LIST, 404, 100);      /* on a bound: le is inclusive */
	obs_http_observe(&a, OBS_ROUTE_CLAIM, 409, 1000000);
	obs_http_observe(&b, OBS_ROUTE_CLAIM, 409, 1);
	obs_http_observe(&b, (enum obs_route)99, 302, 7);
	obs_set(&a.db_statements, 10);
	obs_add(&b.db_statements, 5);
	obs_add(&b.db_errors, 2);
	obs_add(&a.db_reconnects, 1);
	obs_set(&a.db_latency_sum_us, 1500);
	obs_set(&b.db_latency_sum_us, 2500);
	obs_set(&a.db_pipeline_depth, 3);
	obs_set(&b.db_up, 1);
	obs_set(&a.token_cache_hits, 7);
	obs_set(&b.token_cache_hits, 8);
	obs_set(&b.token_cache_misses, 2);
	obs_set(&a.http_connections, 11);
	obs_set(&b.http_connections, 4);
	obs_set(&a.http_accepted, 20);
	obs_set(&b.http_accepted, 30);
	obs_set(&b.http_refused, 1);

	struct obs_metrics *shards[] = { &a, &b };
	struct buf out;
	buf_init(&out);
	obs_metrics_render(&out, shards, 2);
	static struct scrape sc;
	parse(&sc, &out);

	CHECK_INT_EQ(value(&sc, "challenged_http_requests_total{route=\"list\",code=\"200\"}"), 4);
	CHECK_INT_EQ(value(&sc, "challenged_http_requests_total{route=\"list\",code=\"404\"}"), 1);
	CHECK_INT_EQ(value(&sc, "challenged_http_requests_total{route=\"claim\",code=\"409\"}"), 2);
	CHECK_INT_EQ(value(&sc, "challenged_http_requests_total{route=\"other\",code=\"other\"}"), 1);
	CHECK(!find(&sc, "challenged_http_requests_total{route=\"list\",code=\"500\"}"));

	CHECK_INT_EQ(check_histogram(&sc, "list"), 5);
	CHECK_INT_EQ(bucket(&sc, "list", "0.0001"), 2);  /* 50 us and 100 us */
	CHECK_INT_EQ(bucket(&sc, "list", "0.00025"), 2);
	CHECK_INT_EQ(bucket(&sc, "list", "0.0005"), 3);
	CHECK_INT_EQ(bucket(&sc, "list", "0.0025"), 4);
	CHECK_INT_EQ(bucket(&sc, "list", "10"), 4);
	CHECK_INT_EQ(bucket(&sc, "list", "+Inf"), 5);
	CHECK(value(&sc, "challenged_http_request_duration_seconds_sum{route=\"list\"}") == 20.00245);
	CHECK_INT_EQ(check_histogram(&sc, "claim"), 2);
	CHECK_INT_EQ(bucket(&sc, "claim", "0.0001"), 1);
	CHECK_INT_EQ(bucket(&sc, "claim", "1"), 2);
	CHECK_INT_EQ(check_histogram(&sc, "other"), 1);
	CHECK(!find(&sc, "challenged_http_request_duration_seconds_count{route=\"rotation\"}"));
	CHECK(!find(&sc, "challenged_http_request_duration_seconds_sum{route=\"health\"}"));

	CHECK_INT_EQ(value(&sc, "challenged_db_statements_total"), 15);
	CHECK_INT_EQ(value(&sc, "challenged_db_errors_total"), 2);
	CHECK_INT_EQ(value(&sc, "challenged_db_reconnects_total"), 1);
	CHECK(value(&sc, "challenged_db_statement_duration_seconds_sum") == 0.004);
	CHECK_INT_EQ(value(&sc, "challenged_db_statement_duration_seconds_count"), 15);
	CHECK_INT_EQ(value(&sc, "challenged_db_pipeline_depth{shard=\"0\"}"), 3);
	CHECK_INT_EQ(value(&sc, "challenged_db_pipeline_depth{shard=\"1\"}"), 0);
	CHECK_INT_EQ(value(&sc, "challenged_db_up{shard=\"0\"}"), 0);
	CHECK_INT_EQ(value(&sc, "challenged_db_up{shard=\"1\"}"), 1);
	CHECK_INT_EQ(value(&sc, "challenged_auth_token_cache_hits_total"), 15);
	CHECK_INT_EQ(value(&sc, "challenged_auth_token_cache_misses_total"), 2);
	CHECK_INT_EQ(value(&sc, "challenged_http_connections{shard=\"0\"}"), 11);
	CHECK_INT_EQ(value(&sc, "challenged_http_connections{shard=\"1\"}"), 4);
	CHECK_INT_EQ(value(&sc, "challenged_http_connections_accepted_total"), 50);
	CHECK_INT_EQ(value(&sc, "challenged_http_connections_refused_total"), 1);

	CHECK(value(&sc, "process_resident_memory_bytes") > 0);
	CHECK(value(&sc, "process_virtual_memory_bytes") > 0);
	CHECK(value(&sc, "process_cpu_seconds_total") >= 0);
	CHECK(value(&sc, "process_open_fds") >= 3);
	CHECK(value(&sc, "process_max_fds") >= value(&sc, "process_open_fds"));
	CHECK(value(&sc, "process_virtual_memory_max_bytes") > 0);
	double start = value(&sc, "process_start_time_seconds"), now = (double)time(NULL);
	CHECK(start <= now + 5 && start > now - 3600);
	buf_fini(&out);
}

static void test_empty(void)
{
	struct obs_metrics m;
	obs_metrics_init(&m);
	struct obs_metrics *shards[] = { &m };
	struct buf out;
	buf_init(&out);
	obs_metrics_render(&out, shards, 1);
	static struct scrape sc;
	parse(&sc, &out);
	CHECK(typed(&sc, "challenged_http_requests_total", 30));
	CHECK(typed(&sc, "challenged_http_request_duration_seconds", 40));
	for (size_t i = 0; i < sc.n; i++)
		CHECK(strncmp(sc.s[i].key, "challenged_http_request", 23) != 0);
	CHECK_INT_EQ(value(&sc, "challenged_db_statements_total"), 0);
	CHECK(value(&sc, "challenged_db_statement_duration_seconds_sum") == 0);
	buf_fini(&out);
}

/* The writer runs until the scraper has overlapped it for a while, bounded. */
enum { MIN_WRITES = 100000, MAX_WRITES = 20000000, MIN_SCRAPES = 30 };

static struct obs_metrics race;
static atomic_bool writer_done;
static atomic_uint scrapes;
static uint64_t writes;

static void *writer(void *arg)
{
	(void)arg;
	uint64_t i = 0;
	while (i < MIN_WRITES || (atomic_load(&scrapes) < MIN_SCRAPES && i < MAX_WRITES)) {
		obs_http_observe(&race, (enum obs_route)(i % 3), i % 7 ? 200 : 500, i % 20000);
		i++;
	}
	writes = i;
	atomic_store(&writer_done, true);
	return NULL;
}

static void *scraper(void *arg)
{
	static struct scrape sc;
	struct obs_metrics *shards[] = { &race };
	struct buf out;
	(void)arg;
	buf_init(&out);
	while (!atomic_load(&writer_done)) {
		buf_reset(&out);
		obs_metrics_render(&out, shards, 1);
		parse(&sc, &out);
		for (size_t i = 0; i < sc.n; i++)
			if (strstr(sc.s[i].key, "_count{route=")) {
				const char *r = strstr(sc.s[i].key, "route=\"") + 7;
				char route[32];
				size_t l = strcspn(r, "\"");
				memcpy(route, r, l);
				route[l] = '\0';
				check_histogram(&sc, route);
			}
		atomic_fetch_add(&scrapes, 1);
	}
	buf_fini(&out);
	return NULL;
}

static void test_writer_and_scraper(void)
{
	obs_metrics_init(&race);
	pthread_t w, s;
	CHECK_INT_EQ(pthread_create(&s, NULL, scraper, NULL), 0);
	CHECK_INT_EQ(pthread_create(&w, NULL, writer, NULL), 0);
	CHECK_INT_EQ(pthread_join(w, NULL), 0);
	CHECK_INT_EQ(pthread_join(s, NULL), 0);

	struct obs_metrics *shards[] = { &race };
	struct buf out;
	buf_init(&out);
	obs_metrics_render(&out, shards, 1);
	static struct scrape sc;
	parse(&sc, &out);
	double total = check_histogram(&sc, "list") + check_histogram(&sc, "initialize") +
		       check_histogram(&sc, "set_active");
	CHECK_INT_EQ(total, writes);
	uint64_t fails = 0;
	for (uint64_t i = 0; i < writes; i++)
		fails += i % 7 == 0 && i % 3 == 0;
	CHECK_INT_EQ(value(&sc, "challenged_http_requests_total{route=\"list\",code=\"500\"}"), fails);
	fprintf(stderr, "race: %llu writes, %u scrapes\n", (unsigned long long)writes,
		atomic_load(&scrapes));
	buf_fini(&out);
}

int main(void)
{
	test_status_slots();
	test_two_shards();
	test_empty();
	test_writer_and_scraper();
	return 0;
}
