/*
 * challenged: flags and environment, start-up checks (config, keys,
 * database, migrations), listeners, then the shards; the main thread only
 * waits for SIGINT/SIGTERM and stops them in order.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "challenged/api.h"
#include "challenged/client.h"
#include "challenged/apidocs.h"
#include "challenged/h2.h"
#include "challenged/ingest.h"
#include "challenged/reflection.h"
#include "challenged/db.h"
#include "challenged/obs.h"

static void fatal(const char *msg, const char *detail)
{
	char esc[1024];
	obs_log(OBS_LEVEL_FATAL, msg, "\"error\":\"%s\"", obs_json_escape(detail, esc, sizeof(esc)));
	exit(1);
}

/* libpq resolves host names with blocking calls; do it once here so the
 * shards' reconnects never block (hostaddr skips the lookup). */
static const char *resolve_db_host(const char *host, char *out, size_t len)
{
	if (host[0] == '/')
		return NULL; /* a Unix socket directory */
	struct in6_addr tmp;
	if (inet_pton(AF_INET, host, &tmp) == 1 || inet_pton(AF_INET6, host, &tmp) == 1)
		return NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		return NULL; /* let libpq report it */
	const void *addr = ai->ai_family == AF_INET
				   ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
				   : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	const char *r = inet_ntop(ai->ai_family, addr, out, (socklen_t)len);
	freeaddrinfo(ai);
	return r;
}

/* Every RPC of the gRPC listener: the event services and service.Service
 * as the role says, health and reflection always. */
static struct h2_method *grpc_methods(bool api, bool events, size_t *n)
{
	const struct h2_method *parts[4];
	size_t counts[4] = { 0 };
	ingest_methods(&parts[0], &counts[0]);
	api_grpc_methods(&parts[1], &counts[1]);
	h2_health_methods(&parts[2], &counts[2]);
	reflection_methods(&parts[3], &counts[3]);
	if (!events)
		counts[0] = 0;
	if (!api)
		counts[1] = 0;
	struct h2_method *all = calloc(counts[0] + counts[1] + counts[2] + counts[3], sizeof(*all));
	if (!all)
		fatal("out of memory", "gRPC methods");
	*n = 0;
	for (int p = 0; p < 4; p++)
		for (size_t i = 0; i < counts[p]; i++)
			all[(*n)++] = parts[p][i];
	return all;
}

/*
 * The IAM client login runs when rewards are real or auth is on (spec
 * config.md); its failure is fatal with the reference's message. With
 * fetch_keys the JWKS and revocation list come from IAM too. Auth with
 * AUTH_JWKS_FILE and mock rewards is the offline mode: no AGS at all.
 * Returns NULL when nothing needs AGS.
 */
static struct client_ags *start_ags(const struct settings *st, bool fetch_keys,
				    struct client_creds **creds)
{
	if (st->reward_mock && (!st->auth_enabled || st->jwks_file))
		return NULL;
	struct client_ags_settings as = {
		.base_url = st->ab_base_url,
		.ca_file = st->ab_ca_file,
		.client_id = st->ab_client_id,
		.client_secret = st->ab_client_secret,
		.namespace_ = st->namespace_,
		.refresh_interval_s = (unsigned)st->refresh_interval_s,
		.fetch_keys = fetch_keys,
	};
	struct client_ags *ags = NULL;
	char err[1024];
	if (client_ags_new(&as, &ags, err, sizeof(err)) < 0)
		fatal("invalid AGS configuration", err);
	char why[1024], msg[1200];
	if (client_iam_bootstrap(ags, creds, why, sizeof(why)) < 0) {
		snprintf(msg, sizeof(msg), "Error unable to login using clientId and clientSecret: %s",
			 why);
		fatal(msg, why);
	}
	obs_info("IAM start-up done", "\"base_url\":\"%s\",\"keys_from_iam\":%s",
		 st->ab_base_url, fetch_keys ? "true" : "false");
	return ags;
}

static void prepare_database(const struct settings *st, const char *conninfo)
{
	char err[1024];
	PGconn *conn = db_wait_connect(conninfo, st->db_wait_s, err, sizeof(err));
	if (!conn)
		fatal("Failed to connect to database", err);
	if (db_migrate(conn, st->db_name, st->migrations_path, err, sizeof(err)) < 0) {
		PQfinish(conn);
		fatal("Service cannot start without successful migrations", err);
	}
	PQfinish(conn);
}

static int *open_listeners(unsigned n, int *port)
{
	int *fds = calloc(n, sizeof(int));
	if (!fds)
		fatal("out of memory", "listeners");
	for (unsigned i = 0; i < n; i++) {
		/* The first bind fixes the port (it may have been 0); every shard
		 * gets its own SO_REUSEPORT socket on it. */
		fds[i] = i == 0 ? rt_listen_tcp_first(port, 4096) : rt_listen_tcp(port, 4096);
		if (fds[i] < 0) {
			char detail[64];
			snprintf(detail, sizeof(detail), "port %d: %s", *port, strerror(-fds[i]));
			fatal("cannot listen", detail);
		}
	}
	return fds;
}

int main(int argc, char **argv)
{
	struct settings st;
	char err[1024];
	int r = settings_load(&st, argc, argv, err, sizeof(err));
	if (r == 1)
		return 0;
	if (r < 0)
		fatal("invalid configuration", err);
	obs_log_level = st.log_level;

	struct dom_config *config = NULL;
	if (dom_config_load(st.config_path, (int64_t)time(NULL), &config, err, sizeof(err)) < 0)
		fatal("Failed to load challenge config", err);
	obs_info("Config loaded successfully",
		 "\"challenges\":%zu,\"goals\":%zu,\"rotating_goals\":%zu", config->n_challenges,
		 config->n_goals, config->n_rotating);

	/* What this process serves (--role): REST, events, or both. */
	bool serve_api = st.role != SETTINGS_ROLE_EVENTS;
	bool serve_events = st.role != SETTINGS_ROLE_API;

	struct auth_keyset *keys = NULL;
	if (st.auth_enabled && st.jwks_file) {
		const char *why = NULL;
		if (auth_keyset_load_file(st.jwks_file, &keys, &why) < 0)
			fatal("cannot load AUTH_JWKS_FILE", why ? why : st.jwks_file);
	}
	struct client_creds *creds = NULL;
	struct client_ags *ags = start_ags(&st, serve_api && st.auth_enabled && !keys, &creds);
	/* The reference's e2e scripts tell the reward clients apart by these lines. */
	obs_info(st.reward_mock ? "DevMockRewardClient initialized" : "AGSRewardClient initialized",
		 NULL);

	if (api_apidocs_init(st.base_path) < 0)
		fatal("out of memory", "API documentation");

	char hostaddr[64], conninfo[2048];
	db_conninfo(conninfo, sizeof(conninfo), st.db_host,
		    resolve_db_host(st.db_host, hostaddr, sizeof(hostaddr)), st.db_port, st.db_name,
		    st.db_user, st.db_password, st.db_sslmode);
	prepare_database(&st, conninfo);
	db_statements_set(api_statements, api_statements_count);

	/* Shards inherit this mask; only this thread takes the signals. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct ingest_config ingest = {
		.config = config,
		.namespace_ = st.namespace_,
		.durable = st.ack_durable,
		.flush_interval_ms = st.flush_interval_ms,
		.max_entries = st.event_buffer_max,
		.conninfo = conninfo,
		.on_committed_user = api_drop_cached_user,
	};
	size_t n_methods = 0;
	struct h2_method *methods = grpc_methods(serve_api, serve_events, &n_methods);
	/* reflection lists what this listener serves */
	if (reflection_services_init(methods, n_methods) < 0)
		fatal("out of memory", "reflection");

	int http_port = st.http_port, metrics_port = st.metrics_port, grpc_port = st.grpc_port;
	int metrics_fd = rt_listen_tcp_first(&metrics_port, 256);
	if (metrics_fd < 0) {
		char detail[64];
		snprintf(detail, sizeof(detail), "port %d: %s", st.metrics_port, strerror(-metrics_fd));
		fatal("cannot listen", detail);
	}
	struct api_global g = {
		.settings = &st,
		.config = config,
		.keys = keys,
		.ags = ags,
		.creds = creds,
		.conninfo = conninfo,
		.http_fds = serve_api ? open_listeners(st.shards, &http_port) : NULL,
		.grpc_fds = open_listeners(st.shards, &grpc_port),
		.grpc_methods = methods,
		.n_grpc_methods = n_methods,
		.ingest = serve_events ? &ingest : NULL,
		.metrics_fd = metrics_fd,
		.metrics = calloc(st.shards, sizeof(struct obs_metrics *)),
	};
	if (!g.metrics)
		fatal("out of memory", "metrics");
	struct rt_config rc = {
		.shards = st.shards,
		.ring_entries = 4096,
		.buf_count = 1024,
		.buf_size = 16 * 1024,
		.drain_timeout_ms = st.drain_timeout_ms,
		.hooks = api_hooks,
		.app = &g,
	};
	struct rt_runtime *rt;
	if (rt_runtime_start(&rc, &rt) < 0)
		fatal("cannot start the shards", "see the errors above");
	obs_info("listening", "\"http_port\":%d,\"grpc_port\":%d,\"metrics_port\":%d,\"shards\":%u,\"base_path\":\"%s\",\"auth\":%s",
		 serve_api ? http_port : -1, grpc_port, metrics_port, st.shards, st.base_path, st.auth_enabled ? "true" : "false");

	int sig = 0;
	sigwait(&sigs, &sig);
	obs_info("stopping", "\"signal\":\"%s\"", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rt_runtime_stop(rt);
	rt_runtime_join(rt);

	free(g.http_fds);
	free(g.grpc_fds);
	free(methods);
	free(g.metrics);
	auth_keyset_free(keys);
	client_creds_release(creds);
	client_ags_free(ags);
	dom_config_free(config);
	api_apidocs_fini();
	obs_info("stopped", NULL);
	return 0;
}
