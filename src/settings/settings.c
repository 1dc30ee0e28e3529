/*
 * Environment and flags, read once at start-up (spec config.md §2). The
 * reference's defaults and fatal messages are kept word for word; our own
 * knobs are CHALLENGED_* variables and long flags.
 */
#include "challenged/settings.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "challenged/obs.h"

/* A variable set to "" counts as set, as the reference's GetEnv does. */
static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v ? v : def;
}

/* The reference's DB helper treats an empty value as unset. */
static const char *env_nonempty_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static int parse_int(const char *text, long lo, long hi, long *out)
{
	if (!text || !*text)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Integers that fail to parse fall back to the default (reference rule). */
static long env_int(const char *name, long def, long lo, long hi)
{
	long v;
	return parse_int(getenv(name), lo, hi, &v) == 0 ? v : def;
}

static bool env_bool(const char *name, bool def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	return !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes");
}

static bool lower_equals_true(const char *v)
{
	return v && !strcasecmp(v, "true");
}

static const char usage[] =
	"usage: challenged [options]\n"
	"\n"
	"Challenges, quests and daily goals for games: REST API, gRPC event handler,\n"
	"PostgreSQL state. Configured by environment variables (see README.md);\n"
	"flags override them.\n"
	"\n"
	"  --http-port N      REST listener (HTTP_PORT, default 8000)\n"
	"  --grpc-port N      gRPC listener (GRPC_PORT, default 6565)\n"
	"  --metrics-port N   metrics listener (METRICS_PORT, default 8080)\n"
	"  --shards N         shard threads (CHALLENGED_SHARDS, default online CPUs)\n"
	"  --config PATH      challenges.json (CHALLENGE_CONFIG_PATH)\n"
	"  --role R           all | api | events (CHALLENGED_ROLE, default all)\n"
	"  --ack MODE         durable | buffered event acks (CHALLENGED_ACK, default durable)\n"
	"  --help             this text\n";

const char *settings_usage(void)
{
	return usage;
}

static int port_arg(const char *what, const char *text, int *port, char *err, size_t err_len)
{
	long v;
	if (parse_int(text, 0, 65535, &v) < 0) {
		snprintf(err, err_len, "invalid %s '%s' (must be 0-65535)", what, text ? text : "");
		return -1;
	}
	*port = (int)v;
	return 0;
}

static int parse_role(const char *v, enum settings_role *role)
{
	if (!strcmp(v, "all"))
		*role = SETTINGS_ROLE_ALL;
	else if (!strcmp(v, "api"))
		*role = SETTINGS_ROLE_API;
	else if (!strcmp(v, "events"))
		*role = SETTINGS_ROLE_EVENTS;
	else
		return -1;
	return 0;
}

static int parse_ack(const char *v, bool *durable)
{
	if (!strcmp(v, "durable"))
		*durable = true;
	else if (!strcmp(v, "buffered"))
		*durable = false;
	else
		return -1;
	return 0;
}

static int load_env(struct settings *s, char *err, size_t err_len)
{
	const char *bp = getenv("BASE_PATH");
	if (!bp || !*bp) {
		snprintf(err, err_len, "BASE_PATH envar is not set or empty");
		return -1;
	}
	if (bp[0] != '/') {
		snprintf(err, err_len,
			 "BASE_PATH envar is invalid, no leading '/' found. Valid example: /basePath");
		return -1;
	}
	s->base_path = bp;
	s->base_path_len = strlen(bp);
	s->namespace_ = env_or("AB_NAMESPACE", "accelbyte");
	s->ab_base_url = env_or("AB_BASE_URL", "");
	s->ab_ca_file = getenv("AB_CA_FILE");
	s->ab_client_id = env_or("AB_CLIENT_ID", "");
	s->ab_client_secret = env_or("AB_CLIENT_SECRET", "");
	s->auth_enabled = lower_equals_true(env_or("PLUGIN_GRPC_SERVER_AUTH_ENABLED", "true"));
	s->refresh_interval_s = (int)env_int("REFRESH_INTERVAL", 600, 1, 86400 * 365);

	const char *mode = env_or("REWARD_CLIENT_MODE", "real");
	if (!strcmp(mode, "mock")) {
		s->reward_mock = true;
	} else if (!strcmp(mode, "real")) {
		s->reward_mock = false;
	} else {
		snprintf(err, err_len, "Invalid REWARD_CLIENT_MODE: %s (must be 'mock' or 'real')", mode);
		return -1;
	}

	const char *cfg = getenv("CHALLENGE_CONFIG_PATH");
	if (!cfg)
		cfg = getenv("CONFIG_PATH");
	s->config_path = cfg ? cfg : "config/challenges.json";
	s->migrations_path = getenv("MIGRATIONS_PATH");

	s->db_host = env_nonempty_or("DB_HOST", "localhost");
	s->db_port = env_nonempty_or("DB_PORT", "5432");
	s->db_name = env_nonempty_or("DB_NAME", "challenge_service");
	s->db_user = env_nonempty_or("DB_USER", "postgres");
	s->db_password = env_nonempty_or("DB_PASSWORD", "");
	s->db_sslmode = env_nonempty_or("DB_SSLMODE", "disable");
	s->db_max_open_conns = (int)env_int("DB_MAX_OPEN_CONNS", 25, 1, 10000);
	s->log_level = obs_level_parse(getenv("LOG_LEVEL"));
	s->flush_interval_ms = (int)env_int("FLUSH_INTERVAL_MS", 100, 1, 60000);

	s->http_port = (int)env_int("HTTP_PORT", 8000, 0, 65535);
	s->grpc_port = (int)env_int("GRPC_PORT", 6565, 0, 65535);
	s->metrics_port = (int)env_int("METRICS_PORT", 8080, 0, 65535);

	const char *role = env_or("CHALLENGED_ROLE", "all");
	if (parse_role(role, &s->role) < 0) {
		snprintf(err, err_len, "invalid CHALLENGED_ROLE '%s' (must be all, api or events)", role);
		return -1;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	s->shards = (unsigned)env_int("CHALLENGED_SHARDS", ncpu > 0 ? ncpu : 1, 1, 256);
	s->jwks_file = getenv("AUTH_JWKS_FILE");
	s->access_log = env_bool("CHALLENGED_ACCESS_LOG", true);
	s->max_body = (uint64_t)env_int("CHALLENGED_MAX_BODY_BYTES", 1 << 20, 1, 1L << 30);
	s->header_timeout_ms = (int)env_int("CHALLENGED_HEADER_TIMEOUT_MS", 10000, 1, 3600000);
	s->idle_timeout_ms = (int)env_int("CHALLENGED_IDLE_TIMEOUT_MS", 60000, 1, 3600000);
	s->drain_timeout_ms = (int)env_int("CHALLENGED_DRAIN_TIMEOUT_MS", 10000, 0, 3600000);
	s->db_wait_s = (int)env_int("CHALLENGED_DB_WAIT_S", 60, 0, 3600);
	s->max_conns = (unsigned)env_int("CHALLENGED_MAX_CONNS", 16384, 16, 1 << 20);
	s->tx_conns = (unsigned)env_int("CHALLENGED_DB_TX_CONNS", 8, 1, SETTINGS_TX_CONNS_MAX);
	s->mock_reward_latency = getenv("MOCK_REWARD_LATENCY_MS");
	s->event_buffer_max = (unsigned)env_int("CHALLENGED_EVENT_BUFFER_MAX", 200000, 16, 1 << 24);
	const char *ack = env_or("CHALLENGED_ACK", "durable");
	if (parse_ack(ack, &s->ack_durable) < 0) {
		snprintf(err, err_len, "invalid CHALLENGED_ACK '%s' (must be durable or buffered)", ack);
		return -1;
	}
	s->user_cache_entries = (unsigned)env_int("CHALLENGED_USER_CACHE_ENTRIES", 0, 0, 1 << 24);
	return 0;
}

int settings_load(struct settings *s, int argc, char **argv, char *err, size_t err_len)
{
	enum { OPT_HTTP = 256, OPT_GRPC, OPT_METRICS, OPT_SHARDS, OPT_CONFIG, OPT_ROLE, OPT_ACK,
	       OPT_HELP };
	static const struct option opts[] = {
		{ "http-port", required_argument, NULL, OPT_HTTP },
		{ "grpc-port", required_argument, NULL, OPT_GRPC },
		{ "metrics-port", required_argument, NULL, OPT_METRICS },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "ack", required_argument, NULL, OPT_ACK },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};

	memset(s, 0, sizeof(*s));
	/* --help must work without BASE_PATH. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 1;
		}
	if (load_env(s, err, err_len) < 0)
		return -1;

	optind = 1;
	opterr = 0;
	int c;
	long v;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_HTTP:
			if (port_arg("--http-port", optarg, &s->http_port, err, err_len) < 0)
				return -1;
			break;
		case OPT_GRPC:
			if (port_arg("--grpc-port", optarg, &s->grpc_port, err, err_len) < 0)
				return -1;
			break;
		case OPT_METRICS:
			if (port_arg("--metrics-port", optarg, &s->metrics_port, err, err_len) < 0)
				return -1;
			break;
		case OPT_SHARDS:
			if (parse_int(optarg, 1, 256, &v) < 0) {
				snprintf(err, err_len, "invalid --shards '%s' (must be 1-256)", optarg);
				return -1;
			}
			s->shards = (unsigned)v;
			break;
		case OPT_CONFIG:
			s->config_path = optarg;
			break;
		case OPT_ROLE:
			if (parse_role(optarg, &s->role) < 0) {
				snprintf(err, err_len, "invalid --role '%s' (must be all, api or events)", optarg);
				return -1;
			}
			break;
		case OPT_ACK:
			if (parse_ack(optarg, &s->ack_durable) < 0) {
				snprintf(err, err_len, "invalid --ack '%s' (must be durable or buffered)", optarg);
				return -1;
			}
			break;
		default:
			snprintf(err, err_len, "unknown or incomplete option '%s' (see --help)",
				 argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	return 0;
}
