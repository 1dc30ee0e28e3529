/*
 * Name resolution for outbound connections without blocking a shard: each
 * shard's resolver runs getaddrinfo on its own helper thread and hands the
 * answers back through an eventfd the shard polls on its ring. Private to
 * src/client.
 */
#ifndef CHALLENGED_CLIENT_DNS_H
#define CHALLENGED_CLIENT_DNS_H

#include <stdint.h>
#include <sys/socket.h>

#include "challenged/rt.h"

/* Queries a resolver holds at once (waiting, cancelled or about to be
 * delivered); past this, client_dns_resolve says -EAGAIN. */
#define CLIENT_DNS_MAX_PENDING 1024
/* A failed lookup is remembered for at most this long. */
#define CLIENT_DNS_FAIL_TTL_MS 5000

/* One per shard, used only on that shard's thread. */
struct client_dns;
struct client_dns_query;

/*
 * err: 0, or a negative errno (-ENOENT: no such name, -EHOSTUNREACH: the
 * name service failed or timed out, -EINVAL: not a host name, -ENOMEM).
 * why: NULL on success, else a text naming the host ("lookup ags.example:
 * Name or service not known"). addr/addr_len: the address with the port set,
 * NULL/0 on failure. All three are valid only during the call.
 */
typedef void client_dns_fn(void *ctx, int err, const char *why, const struct sockaddr *addr,
			   socklen_t addr_len);

/* Shard thread. ttl_ms: how long an answer is cached (a failure for
 * min(ttl_ms, CLIENT_DNS_FAIL_TTL_MS)). NULL when out of memory. */
struct client_dns *client_dns_new(struct rt_shard *sh, unsigned ttl_ms);
/*
 * Shard thread, while its loop runs, from on_exit, or from inside one of d's
 * own callbacks. Pending queries' callbacks never run. Waits for the helper
 * thread to finish the lookup it is in.
 */
void client_dns_free(struct client_dns *d);

/*
 * Resolves host (a DNS name, an IPv4 literal, or an IPv6 literal with or
 * without brackets) to one TCP address, IPv4 preferred, with port set.
 * done runs later on this shard, exactly once, never before this returns,
 * unless the query is cancelled or d freed first. IP literals and cached
 * answers skip the helper thread; several queries for a name being looked up
 * share that lookup. *q (if q is not NULL) stays valid until done runs.
 * Returns 0, -ENOMEM, or -EAGAIN (CLIENT_DNS_MAX_PENDING reached, or no
 * helper thread could be started).
 */
int client_dns_resolve(struct client_dns *d, const char *host, uint16_t port, client_dns_fn *done,
		       void *ctx, struct client_dns_query **q);
/* Shard thread, before q's done ran: done will not run for q. The lookup
 * itself may still finish and fill the cache. */
void client_dns_cancel(struct client_dns_query *q);

/* Lookups handed to the helper thread so far (for tests and metrics). */
unsigned long client_dns_lookups(const struct client_dns *d);

#endif
