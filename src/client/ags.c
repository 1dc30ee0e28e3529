/*
 * The process-wide AGS settings, the reference-counted credentials every
 * shard reads, and the shard's HTTP client towards AGS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_private.h"

static char *base64_std(const char *src, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static char *basic_auth_header(const char *id, const char *secret)
{
	size_t n = strlen(id) + 1 + strlen(secret);
	char *pair = malloc(n + 1);
	if (!pair)
		return NULL;
	snprintf(pair, n + 1, "%s:%s", id, secret);
	char *b64 = base64_std(pair, n);
	free(pair);
	if (!b64)
		return NULL;
	size_t hn = strlen(b64) + sizeof("Authorization: Basic ");
	char *h = malloc(hn);
	if (h)
		snprintf(h, hn, "Authorization: Basic %s", b64);
	free(b64);
	return h;
}

int client_ags_new(const struct client_ags_settings *s, struct client_ags **out, char *err,
		   size_t err_len)
{
	struct client_ags *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	const char *why = NULL;
	int r = -EINVAL;
	if (!s->base_url || !*s->base_url) {
		snprintf(err, err_len, "AB_BASE_URL is required for AGS (IAM login, keys, rewards)");
		goto fail;
	}
	if (client_url_parse(s->base_url, &a->base, &why) < 0) {
		snprintf(err, err_len, "AB_BASE_URL %s: %s", s->base_url, why);
		goto fail;
	}
	if (a->base.tls) {
		const char *ca = s->ca_file && *s->ca_file ? s->ca_file : TLS_SYSTEM_CA_FILE;
		char terr[512];
		r = tls_trust_load(ca, &a->trust, terr, sizeof(terr));
		if (r < 0) {
			snprintf(err, err_len, "%s: %s", s->ca_file && *s->ca_file ? "AB_CA_FILE"
										 : "system CA bundle",
				 terr);
			goto fail;
		}
		struct in6_addr ip;
		if (inet_pton(AF_INET, a->base.host, &ip) == 1 ||
		    inet_pton(AF_INET6, a->base.host, &ip) == 1) {
			r = -EINVAL;
			snprintf(err, err_len,
				 "AB_BASE_URL %s: https needs a host name (certificates are checked "
				 "against names, not addresses)",
				 s->base_url);
			goto fail;
		}
	}
	r = -ENOMEM;
	a->client_id = strdup(s->client_id ? s->client_id : "");
	a->client_secret = strdup(s->client_secret ? s->client_secret : "");
	a->namespace_ = strdup(s->namespace_ ? s->namespace_ : "");
	if (!a->client_id || !a->client_secret || !a->namespace_)
		goto fail;
	a->basic_auth = basic_auth_header(a->client_id, a->client_secret);
	if (!a->basic_auth)
		goto fail;
	a->refresh_interval_s = s->refresh_interval_s ? s->refresh_interval_s : 600;
	a->fetch_keys = s->fetch_keys;
	*out = a;
	return 0;
fail:
	client_ags_free(a);
	return r;
}

void client_ags_free(struct client_ags *a)
{
	if (!a)
		return;
	tls_trust_free(a->trust);
	free(a->client_id);
	free(a->client_secret);
	free(a->namespace_);
	free(a->basic_auth);
	free(a);
}

struct client_http *client_ags_http_new(struct rt_shard *sh, const struct client_ags *ags)
{
	struct client_http_config cfg = {
		.trust = ags->trust,
		.connect_timeout_ms = CLIENT_AGS_CONNECT_TIMEOUT_MS,
		.idle_timeout_ms = CLIENT_AGS_IDLE_TIMEOUT_MS,
		.max_head = CLIENT_AGS_MAX_HEAD,
		.max_body = CLIENT_AGS_MAX_BODY,
		.max_conns_per_origin = CLIENT_AGS_MAX_CONNS,
	};
	return client_http_new(sh, &cfg);
}

void client_ags_http_free(struct client_http *h)
{
	client_http_free(h);
}

void client_ags_stats(const struct client_http *h, const struct client_rewards *r,
		      const struct client_iam *iam, struct client_ags_stats *out)
{
	*out = (struct client_ags_stats){ 0 };
	if (h) {
		out->answered = client_http_answered(h);
		out->errors = client_http_errors(h);
		out->connections = client_http_open_conns(h);
	}
	if (r)
		client_rewards_counts(r, &out->grants, &out->grant_failures);
	if (iam)
		out->iam_failures = client_iam_failures(iam);
}

/* ---- credentials ------------------------------------------------------- */

void client_creds_retain(struct client_creds *c)
{
	if (c)
		atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

static void keys_release(struct client_keys *k)
{
	if (!k || atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) != 1)
		return;
	auth_keyset_free(k->keyset);
	auth_revocation_free(k->revocation);
	free(k);
}

void client_creds_release(struct client_creds *c)
{
	if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	keys_release(c->keys);
	free(c->token);
	free(c);
}
