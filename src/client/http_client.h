/*
 * Outbound HTTP/1.1 over TLS (or plain TCP to loopback) on a shard's ring:
 * DNS through client_dns, connect, the BearSSL engine pumped with ring
 * receives and sends, keep-alive pools per origin. One client_http per
 * shard; every call runs on that shard's thread.
 *
 * Timeouts are checked by a sweep every RT_TICK_MS rather than a ring timer
 * per call, so closing a connection never waits for a timer's cancellation.
 */
#ifndef CHALLENGED_CLIENT_HTTP_CLIENT_H
#define CHALLENGED_CLIENT_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "challenged/rt.h"
#include "challenged/tls.h"
#include "http_codec.h"

struct client_http_config {
	const struct tls_trust *trust;  /* for https:// origins */
	uint64_t connect_timeout_ms;    /* DNS + TCP connect + TLS handshake */
	uint64_t idle_timeout_ms;       /* an unused keep-alive connection is closed after */
	size_t max_head;                /* response status line + headers */
	size_t max_body;                /* decoded response body */
	unsigned max_conns_per_origin;  /* more calls wait for a free connection */
};

struct client_http;

/* NULL on allocation failure. Shard thread. */
struct client_http *client_http_new(struct rt_shard *sh, const struct client_http_config *cfg);
/* Closes every connection at once and drops every call without running its
 * callback: only for the shard's exit, after which no completion arrives. */
void client_http_free(struct client_http *h);

/* A finished exchange: any HTTP status (the caller judges it). */
struct client_http_result {
	int status;
	const char *body; /* valid only during the callback */
	size_t body_len;
};

/*
 * err 0 and *res on an answer; otherwise a negative errno and why, a text
 * in Go's net/http style naming the request, e.g.
 * `Post "https://host/path": dial tcp 10.0.0.1:443: connect: connection refused`
 * or `... context deadline exceeded`.
 */
typedef void client_http_fn(void *ctx, int err, const char *why,
			    const struct client_http_result *res);

struct client_http_call;

/*
 * Sends one request to origin (which must outlive the call) and runs done
 * exactly once, later, on this shard (never before this returns), unless
 * abandoned. path is absolute (base path included); headers are
 * "Name: value" strings, NULL-terminated, or NULL. timeout_ms bounds the
 * whole exchange including waiting for a connection. Request bytes are
 * copied. Returns 0 (and *out when out is not NULL), -ENOMEM, or -EAGAIN
 * when the host name needs a lookup and the resolver is saturated
 * (CLIENT_DNS_MAX_PENDING); client_http_send_error says which, in words.
 */
int client_http_send(struct client_http *h, const struct client_url *origin, const char *method,
		     const char *path, const char *const *headers, const char *body,
		     size_t body_len, uint64_t timeout_ms, client_http_fn *done, void *ctx,
		     struct client_http_call **out);
const char *client_http_send_error(int err);
/* done will not run; the exchange itself may still complete. */
void client_http_abandon(struct client_http_call *call);

/* Connections currently open (idle or busy), for tests and metrics. */
unsigned client_http_open_conns(const struct client_http *h);
/* Connections opened since start, for tests proving keep-alive reuse. */
uint64_t client_http_conns_opened(const struct client_http *h);
/* Exchanges answered (any status) and calls ended without an answer. */
uint64_t client_http_answered(const struct client_http *h);
uint64_t client_http_errors(const struct client_http *h);

#endif
