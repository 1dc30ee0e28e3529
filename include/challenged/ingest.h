/*
 * The Extend event services on a shard (spec events.md §2-§5): decode an
 * OnMessage call, route its goal updates to the user's owner shard, merge
 * them into that shard's coalescing buffer, and flush the buffer to
 * Postgres as one statement per batch.
 *
 * Durable acks (default): a call is answered OK only after the flush that
 * holds its effect committed; the next flush starts as soon as the previous
 * one finished, so batches grow with load (group commit). Buffered acks
 * (--ack buffered): answered once merged, flushed every FLUSH_INTERVAL_MS,
 * the reference's behaviour. A failed flush keeps its batch (newer entries
 * win) and retries with backoff; its calls stay pending meanwhile. A full
 * buffer refuses new events with UNAVAILABLE, never a silent drop.
 */
#ifndef CHALLENGED_INGEST_H
#define CHALLENGED_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "challenged/db.h"
#include "challenged/domain.h"
#include "challenged/h2.h"
#include "challenged/rt.h"

struct evt_buffer;
struct evt_batch;
struct evt_msg;
struct evt_update;

struct ingest_config {
	const struct dom_config *config;
	const char *namespace_;   /* AB_NAMESPACE: other namespaces are ignored */
	bool durable;             /* durable acks (group commit) or buffered */
	int flush_interval_ms;    /* buffered mode's flush period */
	size_t max_entries;       /* per-shard buffer bound (distinct user+goal) */
	const char *conninfo;
	/* Called on the owner shard after a flush committed, once per user of
	 * the batch (drops cached rows). May be NULL. */
	void (*on_committed_user)(struct rt_shard *sh, const char *user, size_t len);
};

/* A read that must see a user's accepted events first (buffered acks). */
struct ingest_waiter {
	struct ingest_waiter *next;
	uint64_t seq;
	void (*ready)(struct ingest_waiter *w);
};

struct pending_user;

struct ingest_shard {
	struct rt_shard *sh;
	const struct ingest_config *cfg;
	struct db_conn db;            /* flushes only: never queued behind API reads */
	struct evt_buffer *buffer;
	struct evt_msg *acks, *acks_tail;     /* calls waiting for the live buffer */
	struct evt_batch *in_flight;
	struct evt_msg *in_flight_acks;
	bool flush_due;               /* buffered mode: the interval passed */
	struct rt_timer timer;        /* buffered interval, or retry backoff */
	unsigned backoff_ms;
	bool retry_wait;
	struct evt_update *scratch;   /* one event's updates, on the receiving shard */
	size_t scratch_cap;
	/* read-your-events in buffered mode */
	uint64_t live_seq, flight_seq, committed_seq;
	struct pending_user *pending;
	size_t pending_cap, pending_count;
	struct ingest_waiter *waiters;
	/* figures */
	uint64_t events, flushes, flush_rows, flush_failures, refused;
};

int ingest_shard_init(struct ingest_shard *in, struct rt_shard *sh, const struct ingest_config *cfg);
/* Once per loop turn: starts a flush when one is due. */
void ingest_shard_before_sleep(struct ingest_shard *in);
/* True when nothing is buffered, in flight, or waiting for an answer. */
bool ingest_shard_drained(const struct ingest_shard *in);
/* Shard exit only. */
void ingest_shard_fini(struct ingest_shard *in);
/* Distinct (user, goal) keys in the live buffer. */
size_t ingest_shard_buffered(const struct ingest_shard *in);
/* Which ingest_shard belongs to a shard (set by the application). */
struct ingest_shard *ingest_shard_of(struct rt_shard *sh);

/*
 * Read-your-events: true when user has no accepted event that is not yet
 * committed on this (its owner) shard, so a read may go ahead; otherwise
 * false, and w->ready runs (later, on this shard) once they are committed.
 * Always true with durable acks. in may be NULL (no events here).
 */
bool ingest_read_barrier(struct ingest_shard *in, const char *user, size_t len,
			 struct ingest_waiter *w);
/* Forgets w (its request gave up). */
void ingest_read_barrier_cancel(struct ingest_shard *in, struct ingest_waiter *w);

/* The two OnMessage methods; method ctx unused, h2_call_server_ctx unused. */
void ingest_methods(const struct h2_method **methods, size_t *n);

#endif
