/*
 * Metrics: the per-shard counters' hot-path updates and the /metrics
 * rendering that merges every shard's copy with process figures from /proc.
 * Observing runs on the owner shard only (relaxed load+store, no lock);
 * rendering runs on whichever thread serves the scrape and only reads.
 */
#include "challenged/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const char *const obs_route_names[OBS_ROUTE_COUNT] = {
	[OBS_ROUTE_LIST] = "list",
	[OBS_ROUTE_INITIALIZE] = "initialize",
	[OBS_ROUTE_SET_ACTIVE] = "set_active",
	[OBS_ROUTE_CLAIM] = "claim",
	[OBS_ROUTE_BATCH_SELECT] = "batch_select",
	[OBS_ROUTE_RANDOM_SELECT] = "random_select",
	[OBS_ROUTE_ROTATION] = "rotation",
	[OBS_ROUTE_HEALTH] = "health",
	[OBS_ROUTE_APIDOCS] = "apidocs",
	[OBS_ROUTE_OTHER] = "other",
};

#define STATUS_OTHER (OBS_STATUS_SLOTS - 1)

/* Label of each requests[][] slot; keep in step with obs_status_slot. */
static const char *const status_labels[OBS_STATUS_SLOTS] = {
	"200", "301", "400", "401", "403", "404", "405", "409",
	"413", "429", "431", "500", "501", "503", "504", "other",
};

/* Upper bounds in microseconds, with the le label Prometheus shows. */
static const struct {
	uint64_t us;
	const char *le;
} latency_bounds[OBS_LATENCY_BUCKETS] = {
	{ 100, "0.0001" },   { 250, "0.00025" },  { 500, "0.0005" },
	{ 1000, "0.001" },   { 2500, "0.0025" },  { 5000, "0.005" },
	{ 10000, "0.01" },   { 25000, "0.025" },  { 50000, "0.05" },
	{ 100000, "0.1" },   { 250000, "0.25" },  { 500000, "0.5" },
	{ 1000000, "1" },    { 2500000, "2.5" },  { 5000000, "5" },
	{ 10000000, "10" },
};

void obs_metrics_init(struct obs_metrics *m)
{
	/* Nobody else sees m yet; _Atomic uint64_t is lock-free, all-zero is 0. */
	memset(m, 0, sizeof(*m));
}

unsigned obs_status_slot(int status)
{
	switch (status) {
	case 200: return 0;
	case 301: return 1;
	case 400: return 2;
	case 401: return 3;
	case 403: return 4;
	case 404: return 5;
	case 405: return 6;
	case 409: return 7;
	case 413: return 8;
	case 429: return 9;
	case 431: return 10;
	case 500: return 11;
	case 501: return 12;
	case 503: return 13;
	case 504: return 14;
	default: return STATUS_OTHER;
	}
}

static unsigned latency_slot(uint64_t us)
{
	unsigned i = 0;
	while (i < OBS_LATENCY_BUCKETS && us > latency_bounds[i].us)
		i++;
	return i; /* OBS_LATENCY_BUCKETS is the +Inf slot */
}

void obs_http_observe(struct obs_metrics *m, enum obs_route route, int status, uint64_t duration_us)
{
	unsigned r = (unsigned)route < OBS_ROUTE_COUNT ? (unsigned)route : OBS_ROUTE_OTHER;
	obs_add(&m->requests[r][obs_status_slot(status)], 1);
	obs_add(&m->latency_bucket[r][latency_slot(duration_us)], 1);
	obs_add(&m->latency_sum_us[r], duration_us);
}

static uint64_t get(const _Atomic uint64_t *field)
{
	return atomic_load_explicit(field, memory_order_relaxed);
}

/* Sum of one field over every shard, addressed by its offset in the struct. */
static uint64_t merged(struct obs_metrics *const *shards, size_t n, size_t offset)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += get((const _Atomic uint64_t *)(const void *)((const char *)shards[i] + offset));
	return sum;
}

#define MERGED(shards, n, field) merged(shards, n, offsetof(struct obs_metrics, field))

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Microseconds as exact decimal seconds. */
static void append_seconds(struct buf *b, uint64_t us)
{
	buf_printf(b, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

static void counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	family(b, name, "counter", help);
	buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void render_requests(struct buf *b, struct obs_metrics *const *sh, size_t n)
{
	family(b, "challenged_http_requests_total", "counter",
	       "HTTP requests answered, by route and status code.");
	for (unsigned r = 0; r < OBS_ROUTE_COUNT; r++) {
		for (unsigned s = 0; s < OBS_STATUS_SLOTS; s++) {
			uint64_t v = MERGED(sh, n, requests[r][s]);
			if (v)
				buf_printf(b, "challenged_http_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n",
					   obs_route_names[r], status_labels[s], v);
		}
	}
}

static void render_latency(struct buf *b, struct obs_metrics *const *sh, size_t n)
{
	static const char name[] = "challenged_http_request_duration_seconds";
	family(b, name, "histogram",
	       "Time from the request head being parsed to the response being queued, by route.");
	for (unsigned r = 0; r < OBS_ROUTE_COUNT; r++) {
		uint64_t bucket[OBS_LATENCY_BUCKETS + 1], count = 0;
		for (unsigned i = 0; i <= OBS_LATENCY_BUCKETS; i++) {
			bucket[i] = MERGED(sh, n, latency_bucket[r][i]);
			count += bucket[i];
		}
		if (!count)
			continue;
		/* Derive _count from the same reads so +Inf == _count in every scrape. */
		uint64_t cum = 0;
		for (unsigned i = 0; i < OBS_LATENCY_BUCKETS; i++) {
			cum += bucket[i];
			buf_printf(b, "%s_bucket{route=\"%s\",le=\"%s\"} %" PRIu64 "\n", name,
				   obs_route_names[r], latency_bounds[i].le, cum);
		}
		buf_printf(b, "%s_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
			   obs_route_names[r], count);
		buf_printf(b, "%s_sum{route=\"%s\"} ", name, obs_route_names[r]);
		append_seconds(b, MERGED(sh, n, latency_sum_us[r]));
		buf_printf(b, "\n%s_count{route=\"%s\"} %" PRIu64 "\n", name, obs_route_names[r], count);
	}
}

static void per_shard_gauge(struct buf *b, const char *name, const char *help,
			    struct obs_metrics *const *sh, size_t n, size_t offset)
{
	family(b, name, "gauge", help);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s{shard=\"%zu\"} %" PRIu64 "\n", name, i,
			   get((const _Atomic uint64_t *)(const void *)((const char *)sh[i] + offset)));
}

#define PER_SHARD_GAUGE(b, name, help, sh, n, field) \
	per_shard_gauge(b, name, help, sh, n, offsetof(struct obs_metrics, field))

static void render_db(struct buf *b, struct obs_metrics *const *sh, size_t n)
{
	uint64_t statements = MERGED(sh, n, db_statements);
	counter(b, "challenged_db_statements_total",
		"Statements sent to Postgres (each statement of a group counts).", statements);
	counter(b, "challenged_db_errors_total",
		"Statements that failed, including those failed by a lost connection.",
		MERGED(sh, n, db_errors));
	counter(b, "challenged_db_reconnects_total",
		"Postgres connections re-established after a loss.", MERGED(sh, n, db_reconnects));
	family(b, "challenged_db_statement_duration_seconds", "summary",
	       "Time from sending a statement to its result, summed over statements.");
	buf_append_str(b, "challenged_db_statement_duration_seconds_sum ");
	append_seconds(b, MERGED(sh, n, db_latency_sum_us));
	buf_printf(b, "\nchallenged_db_statement_duration_seconds_count %" PRIu64 "\n", statements);
	PER_SHARD_GAUGE(b, "challenged_db_pipeline_depth",
			"Statements in flight on the shard's Postgres connection.", sh, n, db_pipeline_depth);
	PER_SHARD_GAUGE(b, "challenged_db_up",
			"1 when the shard's Postgres connection is ready, else 0.", sh, n, db_up);
}

static void render_ags(struct buf *b, struct obs_metrics *const *sh, size_t n)
{
	counter(b, "challenged_ags_requests_total",
		"HTTP requests to AGS (IAM and Platform) that got an answer, any status.",
		MERGED(sh, n, ags_requests));
	counter(b, "challenged_ags_request_errors_total",
		"HTTP requests to AGS that got no answer: DNS, connect, TLS, timeout, closed.",
		MERGED(sh, n, ags_request_errors));
	PER_SHARD_GAUGE(b, "challenged_ags_connections", "Open connections to AGS on the shard.",
			sh, n, ags_connections);
	counter(b, "challenged_reward_grants_total", "Reward grants that succeeded (mock or AGS).",
		MERGED(sh, n, reward_grants));
	counter(b, "challenged_reward_grant_failures_total",
		"Reward grants that failed after every retry (the claim answered 500).",
		MERGED(sh, n, reward_grant_failures));
	counter(b, "challenged_iam_refresh_failures_total",
		"Failed IAM token, JWKS or revocation list fetches (the last good ones stay in use).",
		MERGED(sh, n, iam_refresh_failures));
}

static void render_auth_and_conns(struct buf *b, struct obs_metrics *const *sh, size_t n)
{
	counter(b, "challenged_auth_token_cache_hits_total",
		"Bearer tokens found already verified in the shard's cache.",
		MERGED(sh, n, token_cache_hits));
	counter(b, "challenged_auth_token_cache_misses_total",
		"Bearer tokens that needed a signature check.", MERGED(sh, n, token_cache_misses));
	PER_SHARD_GAUGE(b, "challenged_http_connections", "Open HTTP connections on the shard.",
			sh, n, http_connections);
	counter(b, "challenged_http_connections_accepted_total", "HTTP connections accepted.",
		MERGED(sh, n, http_accepted));
	counter(b, "challenged_http_connections_refused_total",
		"HTTP connections closed at once because the shard's table was full.",
		MERGED(sh, n, http_refused));
}

static void render_events(struct buf *b, struct obs_metrics *const *sh, size_t n)
{
	counter(b, "challenged_events_accepted_total",
		"OnMessage events merged into an owner shard's buffer.",
		MERGED(sh, n, events_accepted));
	counter(b, "challenged_events_refused_total",
		"OnMessage events refused with UNAVAILABLE because the buffer was full.",
		MERGED(sh, n, events_refused));
	counter(b, "challenged_event_flushes_total", "Event flushes committed.",
		MERGED(sh, n, event_flushes));
	counter(b, "challenged_event_flush_rows_total",
		"Buffered (user, goal) entries written by committed flushes.",
		MERGED(sh, n, event_flush_rows));
	counter(b, "challenged_event_flush_failures_total",
		"Event flushes that failed and were retried with their batch.",
		MERGED(sh, n, event_flush_failures));
	PER_SHARD_GAUGE(b, "challenged_event_buffer_keys",
			"Distinct (user, goal) keys buffered on the shard, not yet flushing.", sh, n,
			event_buffer_keys);
}

/* Reads a small /proc file into out (NUL-terminated); returns its length or -errno. */
static ssize_t read_small(const char *path, char *out, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t r = read(fd, out + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	out[len] = '\0';
	return (ssize_t)len;
}

/* System boot time from /proc/stat's btime line (seconds since the epoch), or 0. */
static uint64_t boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	/* Lines such as intr run to many KB: only a chunk that starts a line counts. */
	char line[256];
	bool at_start = true;
	uint64_t btime = 0;
	while (fgets(line, sizeof(line), f)) {
		if (at_start && !strncmp(line, "btime ", 6)) {
			btime = strtoull(line + 6, NULL, 10);
			break;
		}
		at_start = strchr(line, '\n') != NULL;
	}
	fclose(f);
	return btime;
}

struct proc_stat {
	uint64_t utime, stime, starttime; /* clock ticks */
	uint64_t vsize;                   /* bytes */
	uint64_t rss;                     /* pages */
};

/* Parses /proc/self/stat; fields are counted after the comm's closing ')'. */
static int proc_stat_read(struct proc_stat *ps)
{
	char text[1024];
	if (read_small("/proc/self/stat", text, sizeof(text)) <= 0)
		return -1;
	char *p = strrchr(text, ')');
	if (!p)
		return -1;
	p++;
	uint64_t field[25] = { 0 };
	for (int i = 3; i <= 24; i++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
		char *end;
		field[i] = strtoull(p, &end, 10);
		while (*end && *end != ' ')
			end++; /* field 3 is the state letter */
		p = end;
	}
	ps->utime = field[14];
	ps->stime = field[15];
	ps->starttime = field[22];
	ps->vsize = field[23];
	ps->rss = field[24];
	return 0;
}

static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	long n = 0;
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void gauge_text(struct buf *b, const char *name, const char *help, const char *value)
{
	family(b, name, "gauge", help);
	buf_printf(b, "%s %s\n", name, value);
}

/* Limits print as the Go client does: unlimited is the largest uint64 as a float. */
static void limit_text(char *out, size_t cap, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(out, cap, "1.8446744073709552e+19");
	else
		snprintf(out, cap, "%" PRIu64, (uint64_t)v);
}

static void render_process(struct buf *b)
{
	struct proc_stat ps;
	long hz = sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	char v[64];

	if (hz > 0 && page > 0 && proc_stat_read(&ps) == 0) {
		family(b, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		buf_printf(b, "process_cpu_seconds_total %.2f\n",
			   (double)(ps.utime + ps.stime) / (double)hz);
		snprintf(v, sizeof(v), "%" PRIu64, ps.rss * (uint64_t)page);
		gauge_text(b, "process_resident_memory_bytes", "Resident memory size in bytes.", v);
		snprintf(v, sizeof(v), "%" PRIu64, ps.vsize);
		gauge_text(b, "process_virtual_memory_bytes", "Virtual memory size in bytes.", v);
		uint64_t btime = boot_time();
		if (btime) {
			snprintf(v, sizeof(v), "%.2f", (double)btime + (double)ps.starttime / (double)hz);
			gauge_text(b, "process_start_time_seconds",
				   "Start time of the process since unix epoch in seconds.", v);
		}
	}
	long fds = open_fds();
	if (fds >= 0) {
		snprintf(v, sizeof(v), "%ld", fds);
		gauge_text(b, "process_open_fds", "Number of open file descriptors.", v);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		limit_text(v, sizeof(v), rl.rlim_cur);
		gauge_text(b, "process_max_fds", "Maximum number of open file descriptors.", v);
	}
	if (getrlimit(RLIMIT_AS, &rl) == 0) {
		limit_text(v, sizeof(v), rl.rlim_cur);
		gauge_text(b, "process_virtual_memory_max_bytes",
			   "Maximum amount of virtual memory available in bytes.", v);
	}
}

void obs_metrics_render(struct buf *out, struct obs_metrics *const *shards, size_t n_shards)
{
	render_requests(out, shards, n_shards);
	render_latency(out, shards, n_shards);
	render_db(out, shards, n_shards);
	render_auth_and_conns(out, shards, n_shards);
	render_ags(out, shards, n_shards);
	render_events(out, shards, n_shards);
	render_process(out);
}
