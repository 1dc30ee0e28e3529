/*
 * The Extend OnMessage services and the owner shard's flush loop; see
 * include/challenged/ingest.h. An event is decoded and checked on the shard
 * that received the call, its goal updates travel to the user's owner shard
 * in one message, and that message doubles as the call's pending ack until
 * the flush holding its effect commits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accelbyte-asyncapi/iam/account/v1/account.pb-c.h"
#include "accelbyte-asyncapi/social/statistic/v1/statistic.pb-c.h"
#include "challenged/events.h"
#include "challenged/ingest.h"
#include "challenged/obs.h"

#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 5000
#define MAX_SHARDS 256

/* One accepted event on its way to (and waiting in) the owner shard. */
struct evt_msg {
	struct rt_msg msg;
	struct evt_msg *next;         /* in an ack list */
	struct h2_call *call;         /* answered on the origin shard */
	unsigned origin;
	enum grpc_status status;      /* the answer, set on the owner */
	const char *message;
	size_t n;
	size_t user_len;
	char *user;                   /* in the same allocation */
	struct evt_update updates[];
};

static struct ingest_shard *shards[MAX_SHARDS];

struct ingest_shard *ingest_shard_of(struct rt_shard *sh)
{
	return sh->id < MAX_SHARDS ? shards[sh->id] : NULL;
}

static void start_flush(struct ingest_shard *in);

/* ---- read-your-events (buffered acks) -------------------------------------------
 * Which flush will carry each user's accepted events: a user -> sequence
 * map. A flush takes the live sequence number; a read of a user whose
 * number is not yet committed waits for that commit. A failed flush's
 * entries go back to the live buffer and ride the next flush, whose number
 * is higher, so comparing numbers stays right. Durable acks need none of
 * this: a call is answered only after its commit.
 */
struct pending_user {
	char *user;              /* NULL: free slot */
	size_t len;
	uint64_t seq;
};

static uint64_t hash_user(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct pending_user *pending_slot(struct ingest_shard *in, const char *user, size_t len)
{
	size_t mask = in->pending_cap - 1;
	for (size_t i = hash_user(user, len) & mask;; i = (i + 1) & mask) {
		struct pending_user *p = &in->pending[i];
		if (!p->user || (p->len == len && !memcmp(p->user, user, len)))
			return p;
	}
}

static void pending_clear(struct ingest_shard *in)
{
	if (!in->pending)
		return;
	for (size_t i = 0; i < in->pending_cap; i++)
		free(in->pending[i].user);
	memset(in->pending, 0, in->pending_cap * sizeof(*in->pending));
	in->pending_count = 0;
}

static int pending_grow(struct ingest_shard *in)
{
	size_t cap = in->pending_cap ? in->pending_cap * 2 : 1024;
	struct pending_user *old = in->pending;
	size_t old_cap = in->pending_cap;
	in->pending = calloc(cap, sizeof(*in->pending));
	if (!in->pending) {
		in->pending = old;
		return -ENOMEM;
	}
	in->pending_cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].user)
			*pending_slot(in, old[i].user, old[i].len) = old[i];
	free(old);
	return 0;
}

/* Records that user's events ride the next flush. On no memory the read
 * barrier is lost for this user (not the event): say so in the log. */
static void pending_note(struct ingest_shard *in, const char *user, size_t len)
{
	if ((in->pending_count + 1) * 2 > in->pending_cap && pending_grow(in) < 0) {
		obs_warn("read-your-events tracking out of memory", "\"shard\":%u", in->sh->id);
		return;
	}
	struct pending_user *p = pending_slot(in, user, len);
	if (!p->user) {
		p->user = malloc(len + 1);
		if (!p->user)
			return;
		memcpy(p->user, user, len);
		p->user[len] = '\0';
		p->len = len;
		in->pending_count++;
	}
	p->seq = in->live_seq;
}

/* Under steady load the buffer is never empty at a commit: drop the users
 * whose events are all committed once the map has grown large. */
static void pending_prune(struct ingest_shard *in)
{
	if (in->pending_count < 65536)
		return;
	struct pending_user *old = in->pending;
	size_t old_cap = in->pending_cap;
	in->pending = calloc(old_cap, sizeof(*in->pending));
	if (!in->pending) {
		in->pending = old;
		return;
	}
	in->pending_count = 0;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].user)
			continue;
		if (old[i].seq <= in->committed_seq) {
			free(old[i].user);
			continue;
		}
		*pending_slot(in, old[i].user, old[i].len) = old[i];
		in->pending_count++;
	}
	free(old);
}

static void release_waiters(struct ingest_shard *in)
{
	struct ingest_waiter **pp = &in->waiters;
	while (*pp) {
		struct ingest_waiter *w = *pp;
		if (w->seq <= in->committed_seq) {
			*pp = w->next;
			w->ready(w);
		} else {
			pp = &w->next;
		}
	}
}

bool ingest_read_barrier(struct ingest_shard *in, const char *user, size_t len,
			 struct ingest_waiter *w)
{
	if (!in || in->cfg->durable || in->pending_count == 0)
		return true;
	struct pending_user *p = pending_slot(in, user, len);
	if (!p->user || p->seq <= in->committed_seq)
		return true;
	w->seq = p->seq;
	w->next = in->waiters;
	in->waiters = w;
	in->flush_due = true; /* do not make the reader wait for the interval */
	return false;
}

void ingest_read_barrier_cancel(struct ingest_shard *in, struct ingest_waiter *w)
{
	for (struct ingest_waiter **pp = &in->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* ---- answers --------------------------------------------------------------- */

static void on_answer(struct rt_shard *sh, struct rt_msg *msg)
{
	(void)sh;
	struct evt_msg *m = (struct evt_msg *)msg;
	h2_call_finish(m->call, m->status, m->message, NULL, 0);
	free(m);
}

/* Sends m back to the shard that holds its call (m is gone afterwards). */
static void answer(struct ingest_shard *in, struct evt_msg *m, enum grpc_status status,
		   const char *message)
{
	m->status = status;
	m->message = message;
	m->msg.run = on_answer;
	if (m->origin == in->sh->id)
		on_answer(in->sh, &m->msg);
	else
		rt_mailbox_send(in->sh, m->origin, &m->msg);
}

static void answer_all(struct ingest_shard *in, struct evt_msg *list, enum grpc_status status,
		       const char *message)
{
	while (list) {
		struct evt_msg *next = list->next;
		answer(in, list, status, message);
		list = next;
	}
}

/* ---- the owner shard ------------------------------------------------------- */

static void append_ack(struct ingest_shard *in, struct evt_msg *m)
{
	m->next = NULL;
	if (in->acks_tail)
		in->acks_tail->next = m;
	else
		in->acks = m;
	in->acks_tail = m;
}

static void on_event(struct rt_shard *sh, struct rt_msg *msg)
{
	struct ingest_shard *in = ingest_shard_of(sh);
	struct evt_msg *m = (struct evt_msg *)msg;
	/* All or nothing: refuse before merging when the keys might not fit. */
	if (evt_buffer_size(in->buffer) + m->n > in->cfg->max_entries) {
		in->refused++;
		answer(in, m, GRPC_UNAVAILABLE, "event buffer full, retry later");
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (evt_buffer_merge(in->buffer, m->user, m->user_len, &m->updates[i]) < 0) {
			/* cannot happen after the check above; still never drop */
			in->refused++;
			answer(in, m, GRPC_UNAVAILABLE, "event buffer full, retry later");
			return;
		}
	}
	in->events++;
	if (in->cfg->durable)
		append_ack(in, m);
	else {
		pending_note(in, m->user, m->user_len);
		answer(in, m, GRPC_OK, NULL);
	}
}

static void on_flushed(void *ctx, PGresult *res, enum db_error err, const char *msg)
{
	(void)res;
	struct ingest_shard *in = ctx;
	struct evt_batch *batch = in->in_flight;
	struct evt_msg *acks = in->in_flight_acks;
	in->in_flight = NULL;
	in->in_flight_acks = NULL;
	if (err != DB_OK) {
		in->flush_failures++;
		char esc[256];
		obs_warn("event flush failed, keeping the batch", "\"shard\":%u,\"rows\":%zu,\"error\":\"%s\"",
			 in->sh->id, evt_batch_size(batch), obs_json_escape(msg, esc, sizeof(esc)));
		evt_buffer_restore(in->buffer, batch);
		/* The batch's calls wait for the retry, ahead of newer ones. */
		if (acks) {
			struct evt_msg *last = acks;
			while (last->next)
				last = last->next;
			last->next = in->acks;
			if (!in->acks)
				in->acks_tail = last;
			in->acks = acks;
		}
		in->backoff_ms = in->backoff_ms ? MIN(in->backoff_ms * 2, RETRY_MAX_MS) : RETRY_MIN_MS;
		in->retry_wait = true;
		rt_timer_arm(in->sh, &in->timer, in->backoff_ms);
		return;
	}
	in->flushes++;
	in->flush_rows += evt_batch_size(batch);
	in->backoff_ms = 0;
	if (in->cfg->on_committed_user) {
		for (size_t i = 0; i < evt_batch_size(batch); i++) {
			size_t len;
			const char *user = evt_batch_user(batch, i, &len);
			in->cfg->on_committed_user(in->sh, user, len);
		}
	}
	/* Readers waiting for this commit go after the cache forgot the rows. */
	in->committed_seq = in->flight_seq;
	release_waiters(in);
	if (evt_buffer_size(in->buffer) == 0 && !in->waiters)
		pending_clear(in); /* everything accepted is committed */
	else
		pending_prune(in);
	evt_batch_free(batch);
	answer_all(in, acks, GRPC_OK, NULL);
}

static void start_flush(struct ingest_shard *in)
{
	if (in->in_flight || in->retry_wait || evt_buffer_size(in->buffer) == 0)
		return;
	if (!db_conn_ready(&in->db))
		return; /* the connection retries by itself; calls stay pending */
	struct evt_batch *batch = evt_buffer_take(in->buffer);
	if (!batch)
		return;
	struct buf params[EVT_FLUSH_PARAMS];
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
		buf_init(&params[i]);
	int ret = evt_batch_params(batch, (int64_t)time(NULL), params);
	const char *values[EVT_FLUSH_PARAMS];
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
		values[i] = params[i].data;
	if (ret == 0)
		ret = db_query_send(&in->db, "evt_flush", EVT_FLUSH_PARAMS, values, NULL, on_flushed,
				    in, NULL);
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
		buf_fini(&params[i]);
	if (ret < 0) {
		evt_buffer_restore(in->buffer, batch);
		return;
	}
	in->in_flight = batch;
	in->in_flight_acks = in->acks;
	in->flight_seq = in->live_seq++;
	in->acks = in->acks_tail = NULL;
}

static void on_timer(struct rt_shard *sh, struct rt_timer *t)
{
	(void)sh;
	struct ingest_shard *in = container_of(t, struct ingest_shard, timer);
	if (in->retry_wait) {
		in->retry_wait = false;
	} else {
		in->flush_due = true;
	}
	if (!in->cfg->durable)
		rt_timer_arm(in->sh, &in->timer, (uint64_t)in->cfg->flush_interval_ms);
}

void ingest_shard_before_sleep(struct ingest_shard *in)
{
	db_conn_flush(&in->db);
	/* Durable: flush whenever idle (group commit). Buffered: on the
	 * interval, or at once while stopping. */
	if (in->cfg->durable || in->flush_due || in->sh->stopping) {
		in->flush_due = false;
		start_flush(in);
		db_conn_flush(&in->db);
	}
}

size_t ingest_shard_buffered(const struct ingest_shard *in)
{
	return evt_buffer_size(in->buffer);
}

bool ingest_shard_drained(const struct ingest_shard *in)
{
	return evt_buffer_size(in->buffer) == 0 && !in->in_flight && !in->acks &&
	       db_conn_idle(&in->db);
}

static void free_list(struct evt_msg *m)
{
	while (m) {
		struct evt_msg *next = m->next;
		free(m);
		m = next;
	}
}

int ingest_shard_init(struct ingest_shard *in, struct rt_shard *sh, const struct ingest_config *cfg)
{
	memset(in, 0, sizeof(*in));
	in->sh = sh;
	in->cfg = cfg;
	in->buffer = evt_buffer_new(cfg->max_entries);
	in->scratch_cap = cfg->config->n_goals + 1;
	in->scratch = calloc(in->scratch_cap, sizeof(*in->scratch));
	if (!in->buffer || !in->scratch)
		return -ENOMEM;
	rt_timer_init(&in->timer, on_timer);
	in->live_seq = 1;
	if (db_conn_init(&in->db, sh, cfg->conninfo) < 0)
		return -ENOMEM;
	if (!cfg->durable)
		rt_timer_arm(sh, &in->timer, (uint64_t)cfg->flush_interval_ms);
	if (sh->id < MAX_SHARDS)
		shards[sh->id] = in;
	return 0;
}

void ingest_shard_fini(struct ingest_shard *in)
{
	if (in->buffer && evt_buffer_size(in->buffer) > 0)
		obs_error("events left unflushed at exit", "\"shard\":%u,\"keys\":%zu", in->sh->id,
			  evt_buffer_size(in->buffer));
	/* Only a drain timeout leaves calls waiting; they were never
	 * acknowledged (the client retries), and their shards' connections
	 * are being torn down too, so they are dropped, not answered. */
	free_list(in->acks);
	free_list(in->in_flight_acks);
	in->acks = in->in_flight_acks = NULL;
	if (in->in_flight)
		evt_batch_free(in->in_flight);
	db_conn_fini(&in->db);
	evt_buffer_free(in->buffer);
	free(in->scratch);
	pending_clear(in);
	free(in->pending);
	if (in->sh->id < MAX_SHARDS)
		shards[in->sh->id] = NULL;
}

/* ---- the receiving shard ----------------------------------------------------- */

/* Builds the message for the owner shard, or answers the call itself when
 * there is nothing to do or no memory. */
static void route(struct h2_call *call, const char *user, const struct evt_update *updates,
		  size_t n)
{
	struct rt_shard *sh = h2_call_shard(call);
	if (n == 0) {
		h2_call_finish(call, GRPC_OK, NULL, NULL, 0);
		return;
	}
	size_t user_len = strlen(user);
	struct evt_msg *m = malloc(sizeof(*m) + n * sizeof(*updates) + user_len + 1);
	if (!m) {
		h2_call_finish(call, GRPC_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
		return;
	}
	memset(m, 0, sizeof(*m));
	m->call = call;
	m->origin = sh->id;
	m->n = n;
	memcpy(m->updates, updates, n * sizeof(*updates));
	m->user = (char *)(m->updates + n);
	memcpy(m->user, user, user_len + 1);
	m->user_len = user_len;
	m->msg.run = on_event;
	unsigned owner = rt_owner_shard(user, user_len, sh->n_shards);
	if (owner == sh->id)
		on_event(sh, &m->msg);
	else
		rt_mailbox_send(sh, owner, &m->msg);
}

static bool foreign_namespace(const struct ingest_config *cfg, const char *ns)
{
	if (ns && !strcmp(ns, cfg->namespace_))
		return false;
	char esc[128];
	obs_warn("event from another namespace ignored", "\"namespace\":\"%s\"",
		 obs_json_escape(ns ? ns : "", esc, sizeof(esc)));
	return true;
}

static void on_login(struct h2_call *call, const uint8_t *req, size_t len)
{
	struct ingest_shard *in = ingest_shard_of(h2_call_shard(call));
	Accelbyte__Iam__Account__V1__UserLoggedIn *ev =
		accelbyte__iam__account__v1__user_logged_in__unpack(NULL, len, req);
	if (!ev) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "message cannot be decoded", NULL, 0);
		return;
	}
	if (!ev->user_id || !*ev->user_id) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "userId cannot be empty", NULL, 0);
	} else if (strlen(ev->user_id) > 256) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "userId is longer than 256 bytes", NULL, 0);
	} else if (foreign_namespace(in->cfg, ev->namespace_)) {
		h2_call_finish(call, GRPC_OK, NULL, NULL, 0);
	} else {
		size_t n = evt_login_updates(in->cfg->config, in->scratch, in->scratch_cap);
		route(call, ev->user_id, in->scratch, n);
	}
	accelbyte__iam__account__v1__user_logged_in__free_unpacked(ev, NULL);
}

/* The value truncated toward zero (−0.5 is 0, as in the reference); a
 * negative value of any size, −Inf included, becomes −1, which skips every
 * goal (§4) rather than being refused as out of range. */
static int stat_value(double v, int64_t *out)
{
	if (v <= -1.0) {
		*out = -1;
		return 0;
	}
	return evt_truncate(v, out);
}

static void on_stat(struct h2_call *call, const uint8_t *req, size_t len)
{
	struct ingest_shard *in = ingest_shard_of(h2_call_shard(call));
	Accelbyte__Social__Statistic__V1__StatItemUpdated *ev =
		accelbyte__social__statistic__v1__stat_item_updated__unpack(NULL, len, req);
	if (!ev) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "message cannot be decoded", NULL, 0);
		return;
	}
	int64_t value = 0, inc = 0;
	if (!ev->user_id || !*ev->user_id) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "userId cannot be empty", NULL, 0);
	} else if (!ev->payload) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "payload cannot be nil", NULL, 0);
	} else if (!ev->payload->stat_code || !*ev->payload->stat_code) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "statCode cannot be empty", NULL, 0);
	} else if (strlen(ev->user_id) > 256) {
		h2_call_finish(call, GRPC_INVALID_ARGUMENT, "userId is longer than 256 bytes", NULL, 0);
	} else if (foreign_namespace(in->cfg, ev->namespace_)) {
		h2_call_finish(call, GRPC_OK, NULL, NULL, 0);
	} else if (stat_value(ev->payload->latest_value, &value) < 0 ||
		   evt_truncate(ev->payload->inc, &inc) < 0) {
		/* Our choice: a value the progress column cannot hold is refused
		 * here rather than poisoning the flush of everyone's events. */
		h2_call_finish(call, GRPC_INVALID_ARGUMENT,
			       "latestValue and inc must be finite and within int32", NULL, 0);
	} else {
		/* Any negative value, however large, skips every goal (§4). */
		const char *code = ev->payload->stat_code;
		size_t n = evt_stat_updates(in->cfg->config, code, strlen(code), value, inc,
					    in->scratch, in->scratch_cap);
		route(call, ev->user_id, in->scratch, n);
	}
	accelbyte__social__statistic__v1__stat_item_updated__free_unpacked(ev, NULL);
}

static const struct h2_method methods[] = {
	{ "/accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService/OnMessage", on_login,
	  NULL, false, false },
	{ "/accelbyte.social.statistic.v1.StatisticStatItemUpdatedService/OnMessage", on_stat,
	  NULL, false, false },
};

void ingest_methods(const struct h2_method **out, size_t *n)
{
	*out = methods;
	*n = ARRAY_SIZE(methods);
}
