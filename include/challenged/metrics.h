/*
 * Metrics: each shard owns a struct obs_metrics and is its only writer;
 * /metrics (served by one shard) reads every shard's copy and merges them.
 * Fields are C11 atomics written with relaxed load+store by the owner (no
 * read-modify-write on the hot path, no lock) and read relaxed by the
 * scraper, so there is no data race and no contention.
 */
#ifndef CHALLENGED_METRICS_H
#define CHALLENGED_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/buf.h"

/* Routes as labelled in metrics (keep in step with obs_route_names). */
enum obs_route {
	OBS_ROUTE_LIST,
	OBS_ROUTE_INITIALIZE,
	OBS_ROUTE_SET_ACTIVE,
	OBS_ROUTE_CLAIM,
	OBS_ROUTE_BATCH_SELECT,
	OBS_ROUTE_RANDOM_SELECT,
	OBS_ROUTE_ROTATION,
	OBS_ROUTE_HEALTH,
	OBS_ROUTE_APIDOCS,
	OBS_ROUTE_OTHER,        /* 404s and the like */
	OBS_ROUTE_COUNT,
};

extern const char *const obs_route_names[OBS_ROUTE_COUNT];

/*
 * Status codes are counted by exact value in one slot each: 200, 301, 400,
 * 401, 403, 404, 405, 409, 413, 429, 431, 500, 501, 503, 504; the last slot
 * counts every other code (labelled code="other").
 */
#define OBS_STATUS_SLOTS 16
/*
 * Latency histogram upper bounds (Prometheus le buckets): 100 us, 250 us,
 * 500 us, 1, 2.5, 5, 10, 25, 50, 100, 250, 500 ms, 1, 2.5, 5, 10 s.
 * Each observation lands in exactly one slot (not cumulative); the scrape
 * accumulates, so the owner does one store per bucket.
 */
#define OBS_LATENCY_BUCKETS 16

struct obs_metrics {
	_Atomic uint64_t requests[OBS_ROUTE_COUNT][OBS_STATUS_SLOTS];
	_Atomic uint64_t latency_bucket[OBS_ROUTE_COUNT][OBS_LATENCY_BUCKETS + 1]; /* last: +Inf */
	_Atomic uint64_t latency_sum_us[OBS_ROUTE_COUNT];
	/* Postgres, updated by the shard's db connection owner */
	_Atomic uint64_t db_statements;
	_Atomic uint64_t db_errors;
	_Atomic uint64_t db_reconnects;
	_Atomic uint64_t db_latency_sum_us;
	_Atomic uint64_t db_pipeline_depth;   /* gauge */
	_Atomic uint64_t db_up;               /* gauge: 1 when ready */
	/* auth */
	_Atomic uint64_t token_cache_hits;
	_Atomic uint64_t token_cache_misses;
	/* connections */
	_Atomic uint64_t http_connections;    /* gauge */
	_Atomic uint64_t http_accepted;
	_Atomic uint64_t http_refused;
	/* Extend events, on their owner shard */
	_Atomic uint64_t events_accepted;
	_Atomic uint64_t events_refused;      /* buffer full: UNAVAILABLE */
	_Atomic uint64_t event_flushes;
	_Atomic uint64_t event_flush_rows;
	_Atomic uint64_t event_flush_failures;
	_Atomic uint64_t event_buffer_keys;   /* gauge */
	/* AGS */
	_Atomic uint64_t ags_requests;        /* HTTP exchanges answered (any status) */
	_Atomic uint64_t ags_request_errors;  /* no answer: DNS, connect, TLS, timeout */
	_Atomic uint64_t ags_connections;     /* gauge: open connections to AGS */
	_Atomic uint64_t reward_grants;       /* grants that succeeded */
	_Atomic uint64_t reward_grant_failures;
	_Atomic uint64_t iam_refresh_failures;
};

/* Zeroes every counter and gauge; before the shard starts. */
void obs_metrics_init(struct obs_metrics *m);
/* Slot of status in requests[][] (the last slot for codes not listed). */
unsigned obs_status_slot(int status);
/*
 * Counts one answered request and its latency: duration_us runs from the
 * request head being parsed to the response being queued for sending.
 * Owner shard only; a route outside the enum is counted as OBS_ROUTE_OTHER.
 */
void obs_http_observe(struct obs_metrics *m, enum obs_route route, int status, uint64_t duration_us);
/* Relaxed store of an owner-updated counter or gauge. */
static inline void obs_set(_Atomic uint64_t *field, uint64_t v)
{
	atomic_store_explicit(field, v, memory_order_relaxed);
}
static inline void obs_add(_Atomic uint64_t *field, uint64_t v)
{
	atomic_store_explicit(field, atomic_load_explicit(field, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

/*
 * Appends the Prometheus text exposition (format 0.0.4) of every shard's
 * metrics merged, plus process metrics read from /proc/self (RSS, CPU
 * seconds, open fds, start time) and, per shard, the gauges labelled
 * shard="N" (N = index in shards). Any thread; reads every field relaxed,
 * so a scrape racing the owners may mix values a few requests apart, but
 * each histogram's +Inf bucket always equals its _count. Reads /proc
 * (a few small blocking reads, no disk). Allocation failure shows as
 * out->failed.
 */
void obs_metrics_render(struct buf *out, struct obs_metrics *const *shards, size_t n_shards);

#endif
