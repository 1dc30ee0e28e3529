/*
 * The thread-per-core runtime: N shard threads, each pinned to a CPU with its
 * own io_uring, listeners, buffer ring, timers and mailbox. Shards share no
 * mutable state; they talk only through rt_mailbox_send. Every rt_* call that
 * takes a shard must run on that shard's thread, except rt_mailbox_send
 * (any shard to any shard) and rt_runtime_stop (any thread).
 *
 * Completions are delivered to a struct rt_op embedded in the caller's
 * object; the op must stay alive until its completion arrived (for multishot
 * ops: until a completion without IORING_CQE_F_MORE). No callback fires
 * before the call that queued its operation returns.
 */
#ifndef CHALLENGED_RT_H
#define CHALLENGED_RT_H

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct rt_shard;
struct rt_op;

typedef void rt_complete_fn(struct rt_shard *sh, struct rt_op *op, int res, unsigned flags);

struct rt_op {
	rt_complete_fn *complete;
};

/* ---- messages between shards ---------------------------------------- */

struct rt_msg;
typedef void rt_msg_fn(struct rt_shard *receiver, struct rt_msg *msg);

/* Embed in a heap object; the receiver owns it after delivery. */
struct rt_msg {
	_Atomic(struct rt_msg *) next;
	rt_msg_fn *run;
};

/* Intrusive multi-producer single-consumer queue (Vyukov). */
struct rt_mailbox {
	_Atomic(struct rt_msg *) head;
	struct rt_msg *tail;
	struct rt_msg stub;
};

/* ---- deadlines --------------------------------------------------------- */

/*
 * A FIFO of objects that all time out after the same duration, so adding at
 * the tail keeps it sorted and every operation is O(1). The shard's tick
 * (every RT_TICK_MS) expires entries from the head.
 */
struct rt_deadline {
	struct rt_deadline *prev, *next;
	uint64_t at_ms;
	void (*expire)(struct rt_shard *sh, struct rt_deadline *d);
};

struct rt_deadline_list {
	struct rt_deadline head; /* sentinel */
	uint64_t timeout_ms;
	struct rt_deadline_list *next_list;
};

#define RT_TICK_MS 100

/* ---- timers ------------------------------------------------------------ */

struct rt_timer {
	struct rt_op op;
	struct __kernel_timespec ts;
	bool armed;
	void (*fire)(struct rt_shard *sh, struct rt_timer *t);
};

/* ---- the runtime ------------------------------------------------------- */

struct rt_hooks {
	/* On the shard thread once its ring exists; opens listeners etc. */
	int (*on_start)(struct rt_shard *sh);
	/* Once per loop turn before waiting: flush what was batched. */
	void (*before_sleep)(struct rt_shard *sh);
	/* Once when stopping begins: stop accepting, close idle things. */
	void (*on_stop)(struct rt_shard *sh);
	/* While stopping: true when nothing is left in flight. */
	bool (*is_drained)(struct rt_shard *sh);
	/* Last call on the shard thread: release everything. */
	void (*on_exit)(struct rt_shard *sh);
};

struct rt_config {
	unsigned shards;
	unsigned ring_entries;   /* SQ size per shard */
	unsigned buf_count;      /* provided receive buffers per shard (power of 2) */
	unsigned buf_size;       /* bytes each */
	int drain_timeout_ms;    /* stop waits this long for in-flight work */
	struct rt_hooks hooks;
	void *app;               /* handed to every shard as sh->app_global */
};

struct rt_runtime;

struct rt_shard {
	unsigned id;
	unsigned n_shards;
	struct rt_runtime *rt;
	struct io_uring ring;
	pthread_t thread;
	void *app_global;        /* rt_config.app */
	void *app;               /* per-shard application state, set by on_start */
	uint64_t now_ms;         /* monotonic, refreshed every loop turn */
	bool stopping;
	bool drained;            /* counted in the runtime's drained total */

	/* provided-buffer ring for multishot receives */
	struct io_uring_buf_ring *br;
	unsigned br_entries;
	unsigned br_mask;
	unsigned buf_size;
	char *bufs;
	unsigned br_pending;     /* buffers returned but not yet published */

	struct rt_mailbox inbox;
	struct rt_op doorbell_op;
	bool *doorbell_pending;  /* per target shard */
	bool doorbell_any;
	bool self_wake;          /* a message to ourselves is queued */

	int wake_fd;             /* eventfd: rt_runtime_stop wakes the shard */
	uint64_t wake_value;
	struct rt_op wake_op;

	struct rt_timer tick;
	struct rt_deadline_list *lists;

	int start_error;
	unsigned ring_flags;
};

/* Creates the shards' threads and returns once every shard has run on_start
 * (or one failed: then everything is torn down and a negative errno comes
 * back). */
int rt_runtime_start(const struct rt_config *cfg, struct rt_runtime **out);
/* Asks every shard to stop (async-signal-safe apart from the eventfd write). */
void rt_runtime_stop(struct rt_runtime *rt);
/* Waits for every shard thread, frees the runtime. */
void rt_runtime_join(struct rt_runtime *rt);
struct rt_shard *rt_runtime_shard(struct rt_runtime *rt, unsigned id);

/* Stable owner shard of a user id (FNV-1a 64 of the bytes, modulo n). */
unsigned rt_owner_shard(const char *user_id, size_t len, unsigned n_shards);

/* ---- operations (shard thread only) ------------------------------------ */

/* Returns an SQE, submitting first if the SQ is full; never NULL. */
struct io_uring_sqe *rt_sqe(struct rt_shard *sh);

void rt_accept_multishot(struct rt_shard *sh, struct rt_op *op, int listen_fd);
/* Multishot receive into the shard's provided buffers: a completion with
 * res > 0 carries IORING_CQE_F_BUFFER and the buffer id in flags; hand the
 * buffer back with rt_buf_recycle once its bytes were copied. */
void rt_recv_multishot(struct rt_shard *sh, struct rt_op *op, int fd);
static inline unsigned rt_cqe_buffer_id(unsigned flags)
{
	return flags >> IORING_CQE_BUFFER_SHIFT;
}
const char *rt_buf_data(struct rt_shard *sh, unsigned bid);
void rt_buf_recycle(struct rt_shard *sh, unsigned bid);

void rt_send(struct rt_shard *sh, struct rt_op *op, int fd, const void *p, size_t len);
/* One receive into the caller's buffer (outbound connections, where the
 * bytes go straight into a TLS engine's record buffer). */
void rt_recv(struct rt_shard *sh, struct rt_op *op, int fd, void *p, size_t len);
/* Connects the non-blocking socket fd. The kernel reads addr when the SQE
 * is submitted (maybe after this returns): keep it alive until completion. */
void rt_connect(struct rt_shard *sh, struct rt_op *op, int fd, const struct sockaddr *addr,
		unsigned addr_len);
void rt_poll(struct rt_shard *sh, struct rt_op *op, int fd, unsigned events, bool multishot);
/* Cancels every operation whose op pointer is op; their completions still
 * arrive (usually with -ECANCELED). */
void rt_cancel(struct rt_shard *sh, struct rt_op *op);

void rt_timer_init(struct rt_timer *t, void (*fire)(struct rt_shard *, struct rt_timer *));
/* Arms (or re-arms) t to fire after ms. A re-arm of an armed timer cancels
 * the old expiry first. */
void rt_timer_arm(struct rt_shard *sh, struct rt_timer *t, uint64_t ms);
void rt_timer_cancel(struct rt_shard *sh, struct rt_timer *t);

void rt_deadline_list_init(struct rt_shard *sh, struct rt_deadline_list *l, uint64_t timeout_ms);
/* (Re)starts d's countdown at the tail of l. */
void rt_deadline_add(struct rt_shard *sh, struct rt_deadline_list *l, struct rt_deadline *d);
void rt_deadline_remove(struct rt_deadline *d);
static inline bool rt_deadline_active(const struct rt_deadline *d)
{
	return d->next != NULL;
}

/* Queues msg for shard `to` (may be the caller's own shard); the doorbell is
 * rung once per loop turn for all messages queued to a shard. */
void rt_mailbox_send(struct rt_shard *from, unsigned to, struct rt_msg *msg);

/* Creates a listening TCP socket on 0.0.0.0:port with SO_REUSEPORT,
 * non-blocking; *port gets the bound port (useful with 0). Start-up only. */
int rt_listen_tcp(int *port, int backlog);
/* The same for the first socket of a port: fails with -EADDRINUSE when
 * anything (another process) is bound there already. */
int rt_listen_tcp_first(int *port, int backlog);

#endif
