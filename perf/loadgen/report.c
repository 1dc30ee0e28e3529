/*
 * What the run tells its user: a progress line on stderr each second, from
 * the copies the workers publish, and the JSON summary on stdout from the
 * merged final counters. Runs on the main thread only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "challenged/json.h"
#include "run.h"

static const char *const grpc_names[17] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

static void status_key(int st, char *out, size_t cap)
{
	if (st < LG_ST_GRPC)
		snprintf(out, cap, "%d", st);
	else if (st < LG_ST_CONN_ERROR)
		snprintf(out, cap, "grpc:%s", grpc_names[st - LG_ST_GRPC]);
	else
		snprintf(out, cap, "%s", st == LG_ST_CONN_ERROR ? "conn_error" :
					 st == LG_ST_TIMEOUT ? "timeout" :
					 st == LG_ST_RESET ? "stream_reset" : "protocol_error");
}

/* All kinds of s folded into one. */
static void fold(const struct lg_stats *s, struct lg_kind_stats *all)
{
	memset(all, 0, sizeof(*all));
	lg_hist_init(&all->hist);
	for (int k = 0; k < LG_KIND_COUNT; k++) {
		all->sent += s->kind[k].sent;
		all->done += s->kind[k].done;
		all->ok += s->kind[k].ok;
		for (int i = 0; i < LG_ST_COUNT; i++)
			all->status[i] += s->kind[k].status[i];
		lg_hist_merge(&all->hist, &s->kind[k].hist);
	}
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

void lg_report_progress(const struct lg_config *cfg, struct lg_worker *workers,
			struct lg_progress *pr, uint64_t start_ns, uint64_t now)
{
	struct lg_kind_stats *all = pr->all;
	double dt = (double)(now - pr->prev_ns) / 1e9;

	lg_stats_init(pr->total);
	for (uint32_t i = 0; i < cfg->threads; i++) {
		pthread_mutex_lock(&workers[i].pub_lock);
		lg_stats_merge(pr->total, workers[i].pub);
		pthread_mutex_unlock(&workers[i].pub_lock);
	}
	fold(pr->total, all);
	if (!cfg->quiet)
		fprintf(stderr,
			"[%6.1fs%s] sent %" PRIu64 "  done %" PRIu64 "  ok %" PRIu64
			"  errors %" PRIu64 "  |  %.0f req/s  |  p99 %.3f ms  |  backlog max %" PRIu64
			"\n",
			(double)(now - start_ns) / 1e9,
			now - start_ns < (uint64_t)(cfg->warmup_s * 1e9) ? " warm-up" : "", all->sent, all->done, all->ok,
			all->done - all->ok, dt > 0 ? (double)(all->done - pr->prev_done) / dt : 0.0,
			ms(lg_hist_percentile(&all->hist, 99)), pr->total->backlog_max);
	pr->prev_done = all->done;
	pr->prev_ns = now;
}

static void latency_json(struct buf *b, const struct lg_hist *h)
{
	buf_printf(b,
		   "{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,"
		   "\"mean\":%.3f,\"min\":%.3f}",
		   ms(lg_hist_percentile(h, 50)), ms(lg_hist_percentile(h, 90)),
		   ms(lg_hist_percentile(h, 99)), ms(lg_hist_percentile(h, 99.9)),
		   ms(h->max_ns), lg_hist_mean_ns(h) / 1e6, h->count ? ms(h->min_ns) : 0.0);
}

static void by_status_json(struct buf *b, const struct lg_kind_stats *k)
{
	char key[40];
	bool first = true;

	buf_append_char(b, '{');
	for (int i = 0; i < LG_ST_COUNT; i++) {
		if (!k->status[i])
			continue;
		status_key(i, key, sizeof(key));
		buf_printf(b, "%s\"%s\":%" PRIu64, first ? "" : ",", key, k->status[i]);
		first = false;
	}
	buf_append_char(b, '}');
}

static void kind_json(struct buf *b, const struct lg_kind_stats *k, double window_s)
{
	buf_printf(b,
		   "{\"requests\":%" PRIu64 ",\"ok\":%" PRIu64 ",\"errors\":%" PRIu64
		   ",\"rps\":%.1f,\"by_status\":",
		   k->done, k->ok, k->done - k->ok, window_s > 0 ? (double)k->done / window_s : 0.0);
	by_status_json(b, k);
	buf_append_str(b, ",\"latency_ms\":");
	latency_json(b, &k->hist);
	buf_append_char(b, '}');
}

void lg_report_summary(const struct lg_config *cfg, const struct lg_stats *total,
		       uint64_t window_start_ns, uint64_t wall_ns)
{
	static struct lg_kind_stats all;
	double window_s;
	int kinds = 0;
	struct buf b;

	fold(total, &all);
	window_s = total->last_ns > window_start_ns ?
		(double)(total->last_ns - window_start_ns) / 1e9 : (double)wall_ns / 1e9;
	buf_init(&b);
	buf_append_str(&b, "{\"scenario\":");
	json_write_string(&b, cfg->scenario_name, strlen(cfg->scenario_name));
	buf_printf(&b, ",\"mode\":\"%s\",\"target\":", cfg->rate > 0 ? "open" : "closed");
	json_write_string(&b, cfg->url, strlen(cfg->url));
	buf_printf(&b, ",\"protocol\":\"%s\",\"threads\":%u,\"connections\":%u,",
		   cfg->grpc ? "grpc-h2c" : "http1.1", cfg->threads, cfg->connections);
	if (cfg->grpc)
		buf_printf(&b, "\"streams_per_connection\":%u,", cfg->streams);
	else
		buf_printf(&b, "\"pipeline\":%u,", cfg->pipeline);
	if (cfg->rate > 0)
		buf_printf(&b, "\"rate\":%.1f,", cfg->rate);
	buf_printf(&b, "\"auth\":\"%s\",\"users\":%u,",
		   cfg->auth == LG_AUTH_JWT ? "jwt" : cfg->auth == LG_AUTH_MOCK ? "mock" : "none",
		   cfg->users);
	buf_printf(&b,
		   "\"duration_s\":%.3f,\"wall_s\":%.3f,\"requests\":%" PRIu64 ",\"ok\":%" PRIu64
		   ",\"errors\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"unsent\":%" PRIu64
		   ",\"by_status\":",
		   window_s, (double)wall_ns / 1e9, all.done, all.ok, all.done - all.ok, all.sent,
		   total->unsent);
	by_status_json(&b, &all);
	buf_printf(&b, ",\"rps\":%.1f,\"latency_ms\":", window_s > 0 ? (double)all.done / window_s : 0.0);
	latency_json(&b, &all.hist);
	buf_printf(&b,
		   ",\"backlog_max\":%" PRIu64 ",\"connects\":%" PRIu64 ",\"connect_failures\":%" PRIu64,
		   total->backlog_max, total->connects, total->conn_failures);
	for (int k = 0; k < LG_KIND_COUNT; k++)
		kinds += total->kind[k].sent > 0 || total->kind[k].done > 0;
	if (kinds > 1) {
		bool first = true;

		buf_append_str(&b, ",\"kinds\":{");
		for (int k = 0; k < LG_KIND_COUNT; k++) {
			if (!total->kind[k].sent && !total->kind[k].done)
				continue;
			buf_printf(&b, "%s\"%s\":", first ? "" : ",", lg_kind_name((enum lg_kind)k));
			kind_json(&b, &total->kind[k], window_s);
			first = false;
		}
		buf_append_char(&b, '}');
	}
	buf_append_str(&b, "}\n");
	if (!b.failed)
		fwrite(b.data, 1, b.len, stdout);
	fflush(stdout);
	buf_fini(&b);
}
