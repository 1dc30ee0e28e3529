/*
 * loadgen: the load generator's private interface. The pure parts (latency
 * histogram, arrival schedule, JWT minting, protobuf events, HTTP/1 response
 * parser) are plain functions the unit tests call; the worker threads, their
 * connections and the report sit on top. Prefix lg_; nothing here is shared
 * with the server.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/buf.h"

#define LG_NS_PER_S UINT64_C(1000000000)

/* Cheap per-thread randomness (splitmix64): request mixes, users, values. */
struct lg_rng {
	uint64_t s;
};

static inline uint64_t lg_rng_next(struct lg_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0 (the 64-bit product keeps the bias < 2^-32). */
static inline uint32_t lg_rng_below(struct lg_rng *r, uint32_t n)
{
	return (uint32_t)(((lg_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* ---- hist.c: log-linear latency histogram (HdrHistogram-style) ---- */

/*
 * Values are recorded in nanoseconds and bucketed by microsecond: exact below
 * 128 us, then 64 sub-buckets per power of two, so a bucket is at most 1/64
 * (1.6 %) of its lower bound wide. Up to 2^27 us (~134 s); larger values land
 * in the last bucket (max and mean stay exact). Histograms of the same layout
 * merge by adding counts, so each thread keeps its own.
 */
#define LG_HIST_SUB_BITS 6
#define LG_HIST_SUB (1u << LG_HIST_SUB_BITS)
#define LG_HIST_TOP_BITS 27
#define LG_HIST_BUCKETS (2 * LG_HIST_SUB + (LG_HIST_TOP_BITS - LG_HIST_SUB_BITS - 1) * LG_HIST_SUB)

struct lg_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t b[LG_HIST_BUCKETS];
};

void lg_hist_init(struct lg_hist *h);
void lg_hist_record(struct lg_hist *h, uint64_t ns);
void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src);
/*
 * Value at percentile p (0..100) in ns: the highest value equivalent to the
 * bucket that holds the rank ceil(p% of count), never above the exact max;
 * p = 0 gives the exact min, an empty histogram 0.
 */
uint64_t lg_hist_percentile(const struct lg_hist *h, double p);
double lg_hist_mean_ns(const struct lg_hist *h);
/* Bucket layout, exposed for the tests: index of a value and its range. */
unsigned lg_hist_index(uint64_t us);
uint64_t lg_hist_low_us(unsigned idx);
uint64_t lg_hist_high_us(unsigned idx);

/* ---- sched.c: open-loop arrival schedule ---- */

/*
 * Constant arrival rate split across workers without drift: global arrival i
 * is due at start + i / rate, and worker w of W takes i = k * W + w. Times
 * come from the index, never from accumulated steps, so no worker slides
 * behind the global rate however long the run.
 */
struct lg_sched {
	uint64_t start_ns;
	double rate;     /* arrivals per second, all workers together */
	uint32_t workers;
	uint32_t index;
	uint64_t limit;  /* this worker's arrivals in total (UINT64_MAX: unbounded) */
};

/* -EINVAL unless rate > 0 and index < workers. */
int lg_sched_init(struct lg_sched *s, double rate, uint32_t workers, uint32_t index,
		  uint64_t start_ns, uint64_t end_ns, uint64_t total);
/* Due time of this worker's k-th arrival (absolute ns, same clock as start). */
uint64_t lg_sched_at(const struct lg_sched *s, uint64_t k);
/* How many of this worker's arrivals are due at now (capped at the limit). */
uint64_t lg_sched_due(const struct lg_sched *s, uint64_t now);
/* The share of total that worker index of workers gets (total split evenly). */
uint64_t lg_split(uint64_t total, uint32_t workers, uint32_t index);

/* ---- jwt.c: RSA key, JWKS and RS256 tokens ---- */

#define LG_RSA_MAX_BYTES 512
#define LG_KID_MAX 32

struct lg_key {
	br_rsa_private_key sk;  /* points into priv */
	unsigned char priv[BR_RSA_KBUF_PRIV_SIZE(4096)];
	unsigned char n[LG_RSA_MAX_BYTES];
	size_t n_len;
	unsigned char e[4];
	size_t e_len;
	char kid[LG_KID_MAX];
};

/* Loads a PEM RSA private key (PKCS#1 or PKCS#8); *why names the failure. */
int lg_key_load(struct lg_key *k, const char *path, const char **why);
/*
 * Makes a fresh key of bits (1024..4096) with BearSSL's default keygen seeded
 * from the system RNG, and writes it as PEM (PKCS#1) to path, mode 0600.
 */
int lg_key_generate(struct lg_key *k, unsigned bits, const char *path, const char **why);
/* Appends the JWKS document ({"keys":[one RS256 key]}) for k. */
void lg_jwks_render(const struct lg_key *k, struct buf *out);
int lg_jwks_write(const struct lg_key *k, const char *path, const char **why);
/* base64url without padding into dst (room for 4 * ceil(len / 3) + 1). */
size_t lg_b64url(const void *src, size_t len, char *dst);
/*
 * Appends a compact RS256 JWS for sub (header alg, typ, kid; payload sub,
 * namespace, iat, exp). Returns 0, or -EINVAL when signing fails.
 */
int lg_jwt_mint(const struct lg_key *k, const char *sub, const char *ns, int64_t iat,
		int64_t exp, struct buf *out);

/* ---- proto.c: the two event messages as gRPC request bodies ---- */

#define LG_GRPC_LOGIN_PATH "/accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService/OnMessage"
#define LG_GRPC_STAT_PATH "/accelbyte.social.statistic.v1.StatisticStatItemUpdatedService/OnMessage"

/*
 * Writes a length-prefixed gRPC message (flag 0, 4-byte big-endian length)
 * holding UserLoggedIn {2 id, 5 namespace, 9 user_id} into out; returns its
 * length or -ENOBUFS.
 */
int lg_pb_login(char *out, size_t cap, const char *id, const char *ns, const char *user);
/*
 * The same for StatItemUpdated {1 payload {2 stat_code, 4 latest_value},
 * 2 id, 5 namespace, 9 user_id}; a zero value is left out as proto3 does.
 */
int lg_pb_stat(char *out, size_t cap, const char *id, const char *ns, const char *user,
	       const char *stat_code, double value);

/* ---- h1.c: HTTP/1.1 response parser ---- */

enum lg_h1_state {
	LG_H1_HEAD,
	LG_H1_BODY,       /* Content-Length bytes left in remaining */
	LG_H1_BODY_EOF,   /* neither length nor chunked: body runs to close */
	LG_H1_CHUNK_SIZE,
	LG_H1_CHUNK_DATA,
	LG_H1_CHUNK_CRLF,
	LG_H1_TRAILER,
	LG_H1_DONE,
};

struct lg_h1_resp {
	enum lg_h1_state state;
	int status;
	bool close;        /* the server will close after this response */
	uint64_t remaining;
	uint64_t body_bytes;
};

/* Head larger than this is refused (the caller's read buffer holds it). */
#define LG_H1_HEAD_MAX 16384

void lg_h1_resp_init(struct lg_h1_resp *r);
/*
 * Consumes bytes of one response. Returns the count used (possibly 0 when a
 * head or chunk line is still incomplete: keep the bytes and call again with
 * more), or -EPROTO with *why. State LG_H1_DONE means the response ended;
 * bytes after it belong to the next one. Interim 1xx heads are skipped.
 */
int lg_h1_resp_feed(struct lg_h1_resp *r, const char *p, size_t len, const char **why);
/* At end of stream: 0 if that completes the response (body to close), else -EPROTO. */
int lg_h1_resp_eof(struct lg_h1_resp *r);

#endif
