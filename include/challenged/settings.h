/*
 * Process settings: every environment variable of the reference services
 * (spec config.md §2) plus our own CHALLENGED_* knobs and command-line flags.
 * Read once in main before any shard starts; read-only afterwards.
 */
#ifndef CHALLENGED_SETTINGS_H
#define CHALLENGED_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum settings_role { SETTINGS_ROLE_ALL, SETTINGS_ROLE_API, SETTINGS_ROLE_EVENTS };

/* Claim transactions in flight per shard, each on its own Postgres backend:
 * a claim holds one while the reward is granted, so a slow AGS needs many.
 * The transaction pool (db.h, DB_POOL_MAX) holds at least this many. */
#define SETTINGS_TX_CONNS_MAX 128

struct settings {
	/* reference variables */
	const char *base_path;         /* BASE_PATH, required, starts with '/' */
	size_t base_path_len;
	const char *namespace_;        /* AB_NAMESPACE */
	const char *ab_base_url;       /* AB_BASE_URL */
	const char *ab_ca_file;        /* AB_CA_FILE: trust anchors for AGS (system bundle if NULL) */
	const char *ab_client_id;      /* AB_CLIENT_ID */
	const char *ab_client_secret;  /* AB_CLIENT_SECRET */
	bool auth_enabled;             /* PLUGIN_GRPC_SERVER_AUTH_ENABLED */
	int refresh_interval_s;        /* REFRESH_INTERVAL */
	bool reward_mock;              /* REWARD_CLIENT_MODE: mock | real */
	const char *config_path;       /* CHALLENGE_CONFIG_PATH, else CONFIG_PATH */
	const char *migrations_path;   /* MIGRATIONS_PATH, NULL = embedded */
	const char *db_host, *db_port, *db_name, *db_user, *db_password, *db_sslmode;
	int db_max_open_conns;         /* DB_MAX_OPEN_CONNS (accepted; see README) */
	int log_level;                 /* LOG_LEVEL, an obs_level */
	int flush_interval_ms;         /* FLUSH_INTERVAL_MS */
	/* ports */
	int http_port;                 /* HTTP_PORT / --http-port */
	int grpc_port;                 /* GRPC_PORT / --grpc-port */
	int metrics_port;              /* METRICS_PORT / --metrics-port */
	/* our own */
	enum settings_role role;       /* CHALLENGED_ROLE / --role */
	unsigned shards;               /* CHALLENGED_SHARDS / --shards */
	const char *jwks_file;         /* AUTH_JWKS_FILE */
	bool access_log;               /* CHALLENGED_ACCESS_LOG */
	uint64_t max_body;             /* CHALLENGED_MAX_BODY_BYTES */
	int header_timeout_ms;         /* CHALLENGED_HEADER_TIMEOUT_MS */
	int idle_timeout_ms;           /* CHALLENGED_IDLE_TIMEOUT_MS */
	int drain_timeout_ms;          /* CHALLENGED_DRAIN_TIMEOUT_MS */
	int db_wait_s;                 /* CHALLENGED_DB_WAIT_S: start-up wait for Postgres */
	unsigned max_conns;            /* CHALLENGED_MAX_CONNS per shard */
	unsigned tx_conns;             /* CHALLENGED_DB_TX_CONNS per shard (claims) */
	const char *mock_reward_latency; /* MOCK_REWARD_LATENCY_MS: "N" or "MIN-MAX" */
	bool ack_durable;              /* CHALLENGED_ACK / --ack: durable (default) | buffered */
	unsigned event_buffer_max;     /* CHALLENGED_EVENT_BUFFER_MAX per shard */
	unsigned user_cache_entries;   /* CHALLENGED_USER_CACHE_ENTRIES per shard, 0 = off */
};

/*
 * Fills s from the environment and argv. On a fatal problem (BASE_PATH
 * missing, bad REWARD_CLIENT_MODE, bad flag ...) returns -1 with err holding
 * the sentence to print; returns 1 when --help was printed; 0 otherwise.
 */
int settings_load(struct settings *s, int argc, char **argv, char *err, size_t err_len);
/* Text of --help. */
const char *settings_usage(void);

#endif
