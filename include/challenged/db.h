/*
 * PostgreSQL access.
 *
 * Start-up (main thread, blocking allowed): db_wait_connect and db_migrate.
 * Serving (shard threads): one db_conn per shard, a libpq connection in
 * non-blocking pipeline mode whose socket is polled on the shard's ring.
 * Every statement is prepared once per connection and followed by its own
 * sync, so one failing statement never aborts another caller's. When the
 * connection is down, db_query_send fails at once with -ENOTCONN (callers
 * answer 503) while the connection retries with backoff in the background.
 */
#ifndef CHALLENGED_DB_H
#define CHALLENGED_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/rt.h"

/* ---- migrations (start-up) -------------------------------------------- */

struct db_migration {
	int version;
	const char *name;
	const char *up;
	const char *down;
};

extern const struct db_migration db_migrations[];
extern const unsigned db_migrations_count;

/* Builds the libpq conninfo of spec data.md §5 (values quoted). */
void db_conninfo(char *out, size_t len, const char *host, const char *hostaddr,
		 const char *port, const char *dbname, const char *user,
		 const char *password, const char *sslmode);

/* Connects, retrying every 500 ms for up to wait_s seconds. Returns the
 * connection or NULL with err filled. */
PGconn *db_wait_connect(const char *conninfo, int wait_s, char *err, size_t err_len);

/*
 * Applies every pending up-migration as golang-migrate does: under the same
 * advisory lock (so several instances, ours or the reference's, migrate
 * once), recording schema_migrations(version, dirty). migrations_dir NULL
 * uses the embedded copies; otherwise NNN_name.up.sql files are read from
 * it ("file://" prefix accepted). Returns 0, or -1 with err filled.
 */
int db_migrate(PGconn *conn, const char *dbname, const char *migrations_dir,
	       char *err, size_t err_len);

/* golang-migrate's lock id for (database, schema, table). */
uint32_t db_advisory_lock_id(const char *dbname, const char *schema, const char *table);

/* ---- prepared statements ------------------------------------------------ */

struct db_statement {
	const char *name;
	const char *sql;
	int n_params;
};

/* Sets the statements every connection prepares. Call before shards start;
 * the array must outlive them. */
void db_statements_set(const struct db_statement *stmts, size_t n);

/* ---- the per-shard pipelined connection ---------------------------------- */

enum db_error {
	DB_OK = 0,
	DB_ERR_QUERY,       /* the statement failed (constraint, syntax ...) */
	DB_ERR_UNAVAILABLE, /* connection lost before the answer came */
};

struct db_query;
struct db_item;

/*
 * Called exactly once per db_query_send that returned 0, on the shard
 * thread, never before db_query_send returned. res is valid only during the
 * call (the driver clears it); on error res may be NULL and msg says why.
 */
typedef void db_result_fn(void *ctx, PGresult *res, enum db_error err, const char *msg);

enum db_state { DB_STATE_DOWN, DB_STATE_CONNECTING, DB_STATE_PREPARING, DB_STATE_READY };

struct db_link;

struct db_conn {
	struct rt_shard *sh;
	char *conninfo;
	enum db_state state;
	struct db_link *link;       /* the current connection attempt */
	struct db_item *head, *tail;  /* answers expected, in send order */
	unsigned depth;
	unsigned max_depth;
	bool need_flush;
	struct rt_timer retry;
	unsigned backoff_ms;
	bool stopping;
	/* counters for /metrics */
	uint64_t n_queries, n_errors, n_reconnects;
	uint64_t latency_us_sum;
};

/* Starts connecting in the background. */
int db_conn_init(struct db_conn *c, struct rt_shard *sh, const char *conninfo);
/* Fails what is pending and closes. Only after this may c be freed; the
 * connection's kernel operations release their memory themselves. */
void db_conn_fini(struct db_conn *c);
/* Call once per loop turn (before_sleep): sends what was queued. */
void db_conn_flush(struct db_conn *c);
bool db_conn_ready(const struct db_conn *c);
bool db_conn_idle(const struct db_conn *c);

/*
 * Sends prepared statement stmt with text parameters. Returns 0 and (when
 * handle is not NULL) a handle for db_query_abandon; -ENOTCONN when the
 * connection is not ready; -EBUSY when the pipeline is at max_depth.
 */
int db_query_send(struct db_conn *c, const char *stmt, int n_params,
		  const char *const *values, const int *lengths,
		  db_result_fn *fn, void *ctx, struct db_query **handle);
/* One statement of a group. */
struct db_call {
	const char *stmt;
	int n_params;
	const char *const *values;
	const int *lengths;
};

/* Called per statement of a group, in order, with its result (valid only
 * during the call) or the reason it failed; after a failure the remaining
 * statements report DB_ERR_QUERY without running. */
typedef void db_step_fn(void *ctx, int index, PGresult *res, enum db_error err, const char *msg);
/* Called once after the whole group: DB_OK when every statement succeeded
 * (then the group committed), else the first failure (then nothing of the
 * group took effect). */
typedef void db_done_fn(void *ctx, enum db_error err, const char *msg);

/*
 * Sends n prepared statements closed by one sync, so they run as a single
 * implicit transaction. step may be NULL; done may be NULL. Neither is called
 * before this returns. Same return values as db_query_send.
 */
int db_group_send(struct db_conn *c, const struct db_call *calls, int n,
		  db_step_fn *step, db_done_fn *done, void *ctx, struct db_query **handle);

/* The callbacks will not be called; the answers are dropped when they come. */
void db_query_abandon(struct db_query *q);


/* ---- connections reserved for interactive transactions ------------------- */

/*
 * A shard's small set of connections on which one transaction at a time may
 * span several round trips (claim holds a row lock while the reward is
 * granted). A transaction never shares its connection, so other callers'
 * statements cannot end up inside it.
 */
struct db_waiter {
	struct db_waiter *next;
	void (*ready)(struct db_waiter *w, struct db_conn *c);
};

#define DB_POOL_MAX 128

struct db_pool {
	struct db_conn conns[DB_POOL_MAX];
	bool busy[DB_POOL_MAX];
	unsigned n;
	struct db_waiter *head, *tail;
	unsigned waiting;
	unsigned max_waiting;
};

int db_pool_init(struct db_pool *p, struct rt_shard *sh, const char *conninfo, unsigned n);
void db_pool_fini(struct db_pool *p);
void db_pool_flush(struct db_pool *p);
bool db_pool_idle(const struct db_pool *p);
/*
 * Reserves a connection for w: w->ready runs with it now (before this
 * returns) or later, in FIFO order. Returns 0, or -ENOTCONN when no
 * connection of the pool is up (answer 503), or -EBUSY when too many wait.
 */
int db_pool_acquire(struct db_pool *p, struct db_waiter *w);
/* Gives c back. A transaction still open on it must have been ended (COMMIT
 * or ROLLBACK sent) before; statements may still be in flight. */
void db_pool_release(struct db_pool *p, struct db_conn *c);
/* Removes a waiter that no longer wants a connection (deadline passed). */
void db_pool_cancel(struct db_pool *p, struct db_waiter *w);

#endif
