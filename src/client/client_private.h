/*
 * What the client module's files share: the process-wide AGS settings.
 */
#ifndef CHALLENGED_CLIENT_PRIVATE_H
#define CHALLENGED_CLIENT_PRIVATE_H

#include "challenged/client.h"
#include "challenged/tls.h"
#include "http_client.h"
#include "http_codec.h"

/* Every AGS request: bounded, and small answers only. */
#define CLIENT_AGS_CONNECT_TIMEOUT_MS 5000
#define CLIENT_AGS_IDLE_TIMEOUT_MS 30000
#define CLIENT_AGS_MAX_HEAD (16 * 1024)
#define CLIENT_AGS_MAX_BODY (8 * 1024 * 1024) /* a revocation list can be large */
/*
 * Connections to AGS per shard. Grants in flight are bounded by the claim
 * transactions (CHALLENGED_DB_TX_CONNS, at most 128), so this cap only
 * guards against a runaway: at 128 grants plus IAM's token, JWKS and
 * revocation list fetches (shard 0), a claim never queues for a connection
 * behind other slow grants. Go's transport, the reference's, has no cap.
 */
#define CLIENT_AGS_MAX_CONNS (128 + 3)

struct client_ags {
	struct client_url base;
	struct tls_trust *trust; /* NULL when the base URL is plain http */
	char *client_id;
	char *client_secret;
	char *namespace_;
	char *basic_auth;        /* "Authorization: Basic base64(id:secret)" */
	unsigned refresh_interval_s;
	bool fetch_keys;
};

/* Grants ended ok and failed, of one shard. */
void client_rewards_counts(const struct client_rewards *r, uint64_t *ok, uint64_t *failed);
/* Failed IAM fetches so far. */
uint64_t client_iam_failures(const struct client_iam *iam);

#endif
