/*
 * loadgen's entry: flags, the target (loopback only unless --allow-remote),
 * users and their tokens, then the workers, the progress line and the
 * summary. Everything here runs before the workers start or after they end,
 * except the once-a-second progress merge.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "challenged/common.h"
#include "challenged/json.h"
#include "run.h"

#define DEFAULT_HTTP_URL "http://127.0.0.1:8000/challenge"
#define DEFAULT_GRPC_URL "http://127.0.0.1:6565"

/* The demo config's daily-challenges goals: set-active's default pool. */
static const char *const default_goals[] = {
	"daily-login", "daily-10-kills", "daily-3-matches", "daily-headshots", "daily-wins",
	"daily-20-kills", "daily-5-matches", "daily-10-headshots",
};

struct options {
	const char *url;
	const char *jwt_key;
	const char *jwks_out;
	const char *gen_key;
	const char *config;
	const char *claim;
	const char *tokens_cache;
	unsigned key_bits;
	bool mock_users;
	bool allow_remote;
};

static void usage(FILE *f)
{
	fputs("usage: loadgen -d SECONDS [options]\n"
	      "  -s, --scenario NAME    get | list | api-mix | initialize | set-active | events | sessions\n"
	      "                         (default list)\n"
	      "  -u, --url URL          http://HOST:PORT/BASE_PATH (default " DEFAULT_HTTP_URL ",\n"
	      "                         events: " DEFAULT_GRPC_URL "; get: the URL as is)\n"
	      "  -d, --duration S       measured seconds (required)\n"
	      "  -n, --requests N       stop after N requests as well\n"
	      "  -w, --warmup S         run S seconds first without recording\n"
	      "  -r, --rate R           open loop at R requests/s in total (default: closed loop)\n"
	      "  -c, --connections N    connections in total (default 16)\n"
	      "  -t, --threads N        worker threads, one epoll loop each (default 1)\n"
	      "  -m, --streams N        gRPC streams in flight per connection (default 32)\n"
	      "  -p, --pipeline N       HTTP/1.1 requests in flight per connection (default 1)\n"
	      "      --think MS[-MS]    closed loop: pause after each answer (uniform range)\n"
	      "      --timeout MS       a request unanswered this long fails (default 10000)\n"
	      "      --users N          users user-000001.. drawn uniformly (default 10000)\n"
	      "      --namespace NS     event namespace (default test)\n"
	      "      --mock-users       send X-Mock-User-Id (the default without --jwt-key)\n"
	      "      --jwt-key PEM      send Authorization: Bearer <RS256 token per user>\n"
	      "      --jwks-out FILE    write the JWKS of the key (for AUTH_JWKS_FILE)\n"
	      "      --tokens-cache F   keep the minted tokens in F and reuse them while valid\n"
	      "      --gen-key PEM      write a fresh RSA key (and --jwks-out), then exit\n"
	      "      --key-bits N       size of --gen-key (default 2048)\n"
	      "      --claim CH/GOAL    goal claimed by api-mix (default daily-challenges/daily-login)\n"
	      "      --challenge ID     challenge of the sessions scenario (default daily-challenges)\n"
	      "      --config FILE      challenges.json whose goals set-active toggles\n"
	      "  -H, --header 'K: V'    extra request header (repeatable)\n"
	      "      --seed N           random seed (default 1)\n"
	      "      --allow-remote     allow a target that is not a loopback address\n"
	      "  -q, --quiet            no progress line\n",
	      f);
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_double(const char *s, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_think(struct lg_config *cfg, const char *s)
{
	char lo[32];
	const char *dash = strchr(s, '-');

	if (!dash)
		return parse_u32(s, 0, 3600000, &cfg->think_min_ms) < 0 ? -EINVAL :
			(cfg->think_max_ms = cfg->think_min_ms, 0);
	if ((size_t)(dash - s) >= sizeof(lo))
		return -EINVAL;
	memcpy(lo, s, (size_t)(dash - s));
	lo[dash - s] = '\0';
	if (parse_u32(lo, 0, 3600000, &cfg->think_min_ms) < 0 ||
	    parse_u32(dash + 1, cfg->think_min_ms, 3600000, &cfg->think_max_ms) < 0)
		return -EINVAL;
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127);
	}
	return false;
}

/* http://HOST[:PORT][/PATH]; HOST may be [v6]. Resolves to the first address. */
static int parse_url(struct lg_config *cfg, const char *url, bool allow_remote)
{
	const char *p = url, *host, *host_end, *path;
	char port[8] = "80";
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	size_t hl;

	if (strncmp(p, "http://", 7) != 0) {
		fprintf(stderr, "loadgen: --url must start with http:// (h2c for events): %s\n", url);
		return -EINVAL;
	}
	host = p + 7;
	if (*host == '[') {
		host_end = strchr(host, ']');
		if (!host_end)
			goto bad;
		host++;
		p = host_end + 1;
	} else {
		host_end = host + strcspn(host, ":/");
		p = host_end;
	}
	hl = (size_t)(host_end - host);
	if (hl == 0 || hl >= sizeof(cfg->host))
		goto bad;
	memcpy(cfg->host, host, hl);
	cfg->host[hl] = '\0';
	if (*p == ':') {
		size_t pl = strcspn(p + 1, "/");

		if (pl == 0 || pl >= sizeof(port))
			goto bad;
		memcpy(port, p + 1, pl);
		port[pl] = '\0';
		p += 1 + pl;
	}
	path = *p ? p : "/";
	if (strlen(path) >= sizeof(cfg->base))
		goto bad;
	snprintf(cfg->base, sizeof(cfg->base), "%s", path);
	snprintf(cfg->authority, sizeof(cfg->authority), strchr(cfg->host, ':') ? "[%s]:%s" : "%s:%s",
		 cfg->host, port);
	if (getaddrinfo(cfg->host, port, &hints, &res) != 0 || !res) {
		fprintf(stderr, "loadgen: cannot resolve %s\n", cfg->host);
		return -EINVAL;
	}
	memcpy(&cfg->addr, res->ai_addr, res->ai_addrlen);
	cfg->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	if (!allow_remote && !is_loopback(&cfg->addr)) {
		fprintf(stderr, "loadgen: %s is not a loopback address; benchmarks here hit "
				"127.0.0.1 only (--allow-remote to override)\n", cfg->host);
		return -EPERM;
	}
	return 0;
bad:
	fprintf(stderr, "loadgen: bad --url %s\n", url);
	return -EINVAL;
}

static int add_header(struct lg_config *cfg, const char *h)
{
	const char *colon = strchr(h, ':');

	if (!colon || colon == h || strpbrk(h, "\r\n")) {
		fprintf(stderr, "loadgen: -H wants 'Name: value', got %s\n", h);
		return -EINVAL;
	}
	buf_append_str(&cfg->extra_headers, h);
	buf_append_str(&cfg->extra_headers, "\r\n");
	return 0;
}

/* The fixed request of the get scenario: the URL's path, Host, -H lines. */
static void build_get(struct lg_config *cfg)
{
	struct buf *b = &cfg->get_request;

	buf_printf(b, "GET %s HTTP/1.1\r\nHost: %s\r\n", cfg->base, cfg->authority);
	buf_append(b, cfg->extra_headers.data, cfg->extra_headers.len);
	buf_append_str(b, "\r\n");
}

static int goals_default(struct lg_config *cfg)
{
	cfg->goal_count = ARRAY_SIZE(default_goals);
	cfg->goals = calloc(cfg->goal_count, sizeof(*cfg->goals));
	if (!cfg->goals)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->goal_count; i++) {
		cfg->goals[i].challenge = strdup("daily-challenges");
		cfg->goals[i].goal = strdup(default_goals[i]);
		if (!cfg->goals[i].challenge || !cfg->goals[i].goal)
			return -ENOMEM;
	}
	return 0;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Every (challengeId, goalId) of a challenges.json. */
static int goals_from_config(struct lg_config *cfg, const char *path)
{
	const struct json_value *root, *chs;
	struct json_doc *doc = NULL;
	const char *why = NULL;
	size_t len = 0, n = 0;
	char *text = read_all(path, &len);
	int rc = -EINVAL;

	if (!text || json_parse(text, len, 0, &doc, &why) < 0)
		goto out;
	root = json_doc_root(doc);
	chs = json_get(root, "challenges");
	if (!chs || chs->type != JSON_ARRAY)
		goto out;
	for (uint32_t i = 0; i < chs->len; i++) {
		const struct json_value *goals = json_get(&chs->items[i], "goals");

		n += goals && goals->type == JSON_ARRAY ? goals->len : 0;
	}
	cfg->goals = calloc(n ? n : 1, sizeof(*cfg->goals));
	if (!cfg->goals)
		goto out;
	for (uint32_t i = 0; i < chs->len; i++) {
		const struct json_value *id = json_get(&chs->items[i], "challengeId");
		const struct json_value *goals = json_get(&chs->items[i], "goals");

		for (uint32_t j = 0; id && id->type == JSON_STRING && goals &&
				     goals->type == JSON_ARRAY && j < goals->len; j++) {
			const struct json_value *g = json_get(&goals->items[j], "goalId");

			if (!g || g->type != JSON_STRING)
				continue;
			cfg->goals[cfg->goal_count].challenge = strdup(id->str);
			cfg->goals[cfg->goal_count].goal = strdup(g->str);
			cfg->goal_count++;
		}
	}
	rc = cfg->goal_count ? 0 : -EINVAL;
out:
	if (rc < 0)
		fprintf(stderr, "loadgen: --config %s: %s\n", path,
			why ? why : "no challenges[].goals[].goalId found");
	json_doc_free(doc);
	free(text);
	return rc;
}

static int users_init(struct lg_config *cfg)
{
	cfg->user_ids = calloc(cfg->users, sizeof(*cfg->user_ids));
	if (!cfg->user_ids)
		return -ENOMEM;
	for (uint32_t u = 0; u < cfg->users; u++) {
		char id[32];

		snprintf(id, sizeof(id), "user-%06u", u + 1);
		cfg->user_ids[u] = strdup(id);
		if (!cfg->user_ids[u])
			return -ENOMEM;
	}
	if (cfg->auth == LG_AUTH_NONE)
		return 0;
	cfg->auth_lines = calloc(cfg->users, sizeof(*cfg->auth_lines));
	cfg->auth_line_lens = calloc(cfg->users, sizeof(*cfg->auth_line_lens));
	if (!cfg->auth_lines || !cfg->auth_line_lens)
		return -ENOMEM;
	if (cfg->auth == LG_AUTH_JWT)
		return 0;
	for (uint32_t u = 0; u < cfg->users; u++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "X-Mock-User-Id: %s\r\n", cfg->user_ids[u]);

		cfg->auth_lines[u] = strdup(line);
		cfg->auth_line_lens[u] = (size_t)n;
		if (!cfg->auth_lines[u])
			return -ENOMEM;
	}
	return 0;
}

static void config_free(struct lg_config *cfg)
{
	for (uint32_t u = 0; cfg->user_ids && u < cfg->users; u++)
		free(cfg->user_ids[u]);
	for (uint32_t u = 0; cfg->auth_lines && u < cfg->users; u++)
		free(cfg->auth_lines[u]);
	for (size_t i = 0; cfg->goals && i < cfg->goal_count; i++) {
		free(cfg->goals[i].challenge);
		free(cfg->goals[i].goal);
	}
	free(cfg->user_ids);
	free(cfg->auth_lines);
	free(cfg->auth_line_lens);
	free(cfg->goals);
	buf_fini(&cfg->extra_headers);
	buf_fini(&cfg->get_request);
}

enum {
	OPT_THINK = 256, OPT_TIMEOUT, OPT_USERS, OPT_NAMESPACE, OPT_MOCK, OPT_JWT_KEY,
	OPT_JWKS_OUT, OPT_GEN_KEY, OPT_KEY_BITS, OPT_CLAIM, OPT_CHALLENGE, OPT_CONFIG, OPT_SEED,
	OPT_ALLOW_REMOTE, OPT_TOKENS_CACHE,
};

static const struct option long_opts[] = {
	{ "scenario", required_argument, NULL, 's' },
	{ "url", required_argument, NULL, 'u' },
	{ "duration", required_argument, NULL, 'd' },
	{ "requests", required_argument, NULL, 'n' },
	{ "warmup", required_argument, NULL, 'w' },
	{ "rate", required_argument, NULL, 'r' },
	{ "connections", required_argument, NULL, 'c' },
	{ "threads", required_argument, NULL, 't' },
	{ "streams", required_argument, NULL, 'm' },
	{ "pipeline", required_argument, NULL, 'p' },
	{ "header", required_argument, NULL, 'H' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "think", required_argument, NULL, OPT_THINK },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "mock-users", no_argument, NULL, OPT_MOCK },
	{ "jwt-key", required_argument, NULL, OPT_JWT_KEY },
	{ "jwks-out", required_argument, NULL, OPT_JWKS_OUT },
	{ "gen-key", required_argument, NULL, OPT_GEN_KEY },
	{ "key-bits", required_argument, NULL, OPT_KEY_BITS },
	{ "claim", required_argument, NULL, OPT_CLAIM },
	{ "challenge", required_argument, NULL, OPT_CHALLENGE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE },
	{ "tokens-cache", required_argument, NULL, OPT_TOKENS_CACHE },
	{ NULL, 0, NULL, 0 },
};

/* One flag into cfg/opt; -EINVAL names nothing (the caller prints usage). */
static int apply_opt(struct lg_config *cfg, struct options *o, int ch, const char *arg)
{
	uint32_t u32;
	double d;

	switch (ch) {
	case 's':
		cfg->scenario_name = arg;
		return lg_scenario_parse(arg, &cfg->scenario);
	case 'u': o->url = arg; return 0;
	case 'd': return parse_double(arg, 0.001, &cfg->duration_s);
	case 'n':
		if (parse_double(arg, 1, &d) < 0 || d > 1e15)
			return -EINVAL;
		cfg->requests = (uint64_t)d;
		return 0;
	case 'w': return parse_double(arg, 0, &cfg->warmup_s);
	case 'r': return parse_double(arg, 0.001, &cfg->rate);
	case 'c': return parse_u32(arg, 1, 1000000, &cfg->connections);
	case 't': return parse_u32(arg, 1, 256, &cfg->threads);
	case 'm': return parse_u32(arg, 1, 100000, &cfg->streams);
	case 'p': return parse_u32(arg, 1, 1024, &cfg->pipeline);
	case 'H': return add_header(cfg, arg);
	case 'q': cfg->quiet = true; return 0;
	case OPT_THINK: return parse_think(cfg, arg);
	case OPT_TIMEOUT: return parse_u32(arg, 1, 3600000, &cfg->timeout_ms);
	case OPT_USERS: return parse_u32(arg, 1, 10000000, &cfg->users);
	case OPT_NAMESPACE: cfg->ns = arg; return 0;
	case OPT_MOCK: o->mock_users = true; return 0;
	case OPT_JWT_KEY: o->jwt_key = arg; return 0;
	case OPT_JWKS_OUT: o->jwks_out = arg; return 0;
	case OPT_GEN_KEY: o->gen_key = arg; return 0;
	case OPT_KEY_BITS: return parse_u32(arg, 1024, 4096, &o->key_bits);
	case OPT_CLAIM: o->claim = arg; return 0;
	case OPT_CHALLENGE: cfg->session_challenge = arg; return 0;
	case OPT_CONFIG: o->config = arg; return 0;
	case OPT_SEED:
		if (parse_u32(arg, 0, UINT32_MAX, &u32) < 0)
			return -EINVAL;
		cfg->seed = u32;
		return 0;
	case OPT_ALLOW_REMOTE: o->allow_remote = true; return 0;
	case OPT_TOKENS_CACHE: o->tokens_cache = arg; return 0;
	default: return -EINVAL;
	}
}

static const char *opt_name(int ch)
{
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == ch)
			return lo->name;
	return "?";
}

static int parse_args(int argc, char **argv, struct lg_config *cfg, struct options *o)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "s:u:d:n:w:r:c:t:m:p:H:qh", long_opts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			exit(0);
		}
		if (apply_opt(cfg, o, ch, optarg) < 0) {
			if (ch != '?')
				fprintf(stderr, "loadgen: bad value for --%s: %s\n", opt_name(ch),
					optarg ? optarg : "");
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "loadgen: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Fills in what the flags leave open and checks they fit together. */
static int finish_config(struct lg_config *cfg, struct options *o)
{
	const char *slash;

	cfg->grpc = cfg->scenario == LG_SC_EVENTS;
	if (!o->url)
		o->url = cfg->grpc ? DEFAULT_GRPC_URL : DEFAULT_HTTP_URL;
	cfg->url = o->url;
	if (cfg->duration_s <= 0) {
		fprintf(stderr, "loadgen: -d/--duration is required (the run must end by itself)\n");
		return -EINVAL;
	}
	if (cfg->connections < cfg->threads) {
		fprintf(stderr, "loadgen: need at least one connection per thread (-c >= -t)\n");
		return -EINVAL;
	}
	if (o->jwt_key && o->mock_users) {
		fprintf(stderr, "loadgen: --jwt-key and --mock-users exclude each other\n");
		return -EINVAL;
	}
	if (parse_url(cfg, o->url, o->allow_remote) < 0)
		return -EINVAL;
	if (cfg->scenario != LG_SC_GET) {
		size_t n = strlen(cfg->base);

		while (n > 0 && cfg->base[n - 1] == '/')
			cfg->base[--n] = '\0';
	}
	cfg->auth = o->jwt_key ? LG_AUTH_JWT :
		(o->mock_users || (cfg->scenario != LG_SC_GET && !cfg->grpc)) ? LG_AUTH_MOCK :
		LG_AUTH_NONE;
	if (cfg->grpc)
		cfg->auth = LG_AUTH_NONE;  /* events carry the user in the message */
	/* Event bodies are built in fixed LG_GRPC_BODY_MAX-byte slots. */
	if (strlen(cfg->ns) > 128) {
		fprintf(stderr, "loadgen: --namespace is longer than 128 bytes\n");
		return -EINVAL;
	}
	if (o->claim && strlen(o->claim) >= 512) {
		fprintf(stderr, "loadgen: --claim is longer than 511 bytes\n");
		return -EINVAL;
	}
	slash = o->claim ? strchr(o->claim, '/') : NULL;
	if (o->claim && (!slash || slash == o->claim || !slash[1] || strchr(slash + 1, '/'))) {
		fprintf(stderr, "loadgen: --claim wants CHALLENGE/GOAL\n");
		return -EINVAL;
	}
	return 0;
}

static int setup(struct lg_config *cfg, struct options *o, char *claim_buf, size_t claim_cap)
{
	static struct lg_key key;
	const char *why = NULL;

	if (o->claim) {
		snprintf(claim_buf, claim_cap, "%s", o->claim);
		*strchr(claim_buf, '/') = '\0';
		cfg->claim_challenge = claim_buf;
		cfg->claim_goal = claim_buf + strlen(claim_buf) + 1;
	}
	if (cfg->scenario == LG_SC_GET)
		build_get(cfg);
	if (cfg->scenario == LG_SC_SET_ACTIVE &&
	    (o->config ? goals_from_config(cfg, o->config) : goals_default(cfg)) < 0)
		return -EINVAL;
	if (users_init(cfg) < 0)
		return -ENOMEM;
	if (cfg->auth != LG_AUTH_JWT)
		return 0;
	if (lg_key_load(&key, o->jwt_key, &why) < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", o->jwt_key, why);
		return -EINVAL;
	}
	if (o->jwks_out && lg_jwks_write(&key, o->jwks_out, &why) < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", o->jwks_out, why);
		return -EINVAL;
	}
	return lg_tokens_prepare(cfg, &key, o->tokens_cache);
}

static int gen_key(const struct options *o)
{
	static struct lg_key key;
	const char *why = NULL;

	if (lg_key_generate(&key, o->key_bits, o->gen_key, &why) < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", o->gen_key, why);
		return 1;
	}
	if (o->jwks_out && lg_jwks_write(&key, o->jwks_out, &why) < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", o->jwks_out, why);
		return 1;
	}
	fprintf(stderr, "loadgen: wrote a %u-bit RSA key to %s (kid %s)%s%s\n", o->key_bits,
		o->gen_key, key.kid, o->jwks_out ? " and its JWKS to " : "",
		o->jwks_out ? o->jwks_out : "");
	return 0;
}

static void on_sigint(int sig)
{
	(void)sig;
	atomic_store(&lg_stop, true);
}

static bool all_finished(struct lg_worker *w, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!atomic_load(&w[i].finished))
			return false;
	return true;
}

/* Starts the workers, prints progress each second, merges and reports. */
static int run(struct lg_config *cfg)
{
	struct lg_worker *w = calloc(cfg->threads, sizeof(*w));
	struct lg_progress pr = { malloc(sizeof(struct lg_stats)),
				  malloc(sizeof(struct lg_kind_stats)), 0, 0 };
	uint64_t start, next;
	uint32_t started = 0;
	int rc = 0;

	if (!w || !pr.total || !pr.all) {
		rc = -ENOMEM;
		goto out;
	}
	start = lg_now() + 50 * 1000 * 1000;  /* connect first, then arrivals begin */
	for (uint32_t i = 0; i < cfg->threads; i++) {
		if (lg_worker_init(&w[i], cfg, i, start) < 0) {
			fprintf(stderr, "loadgen: worker %u: out of memory or bad rate\n", i);
			rc = -ENOMEM;
			goto out;
		}
	}
	for (; started < cfg->threads; started++)
		if (pthread_create(&w[started].thread, NULL, lg_worker_main, &w[started]) != 0)
			break;
	if (started < cfg->threads) {
		atomic_store(&lg_stop, true);
		rc = -EAGAIN;
	}
	pr.prev_ns = start;
	next = start + LG_NS_PER_S;
	while (!all_finished(w, started)) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		uint64_t now;

		nanosleep(&ts, NULL);
		now = lg_now();
		if (now >= next) {
			lg_report_progress(cfg, w, &pr, start, now);
			next += LG_NS_PER_S;
		}
	}
	for (uint32_t i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	if (rc == 0) {
		lg_stats_init(pr.total);
		for (uint32_t i = 0; i < cfg->threads; i++)
			lg_stats_merge(pr.total, w[i].stats);
		lg_report_summary(cfg, pr.total, start + (uint64_t)(cfg->warmup_s * 1e9),
				  lg_now() - start);
	}
out:
	for (uint32_t i = 0; w && i < cfg->threads; i++)
		if (w[i].cfg)
			lg_worker_fini(&w[i]);
	free(w);
	free(pr.total);
	free(pr.all);
	return rc;
}

int main(int argc, char **argv)
{
	struct lg_config cfg = {
		.scenario = LG_SC_LIST, .scenario_name = "list", .threads = 1, .connections = 16,
		.streams = 32, .pipeline = 1, .requests = UINT64_MAX, .timeout_ms = 10000,
		.users = 10000, .ns = "test", .claim_challenge = "daily-challenges",
		.claim_goal = "daily-login", .session_challenge = "daily-challenges", .seed = 1,
	};
	struct options o = { .key_bits = 2048 };
	struct sigaction sa = { .sa_handler = on_sigint, .sa_flags = SA_RESETHAND };
	char claim_buf[512];
	int rc = 1;

	buf_init(&cfg.extra_headers);
	buf_init(&cfg.get_request);
	if (parse_args(argc, argv, &cfg, &o) < 0)
		goto out;
	if (o.gen_key) {
		rc = gen_key(&o);
		goto out;
	}
	if (finish_config(&cfg, &o) < 0 || setup(&cfg, &o, claim_buf, sizeof(claim_buf)) < 0)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = run(&cfg) < 0 ? 1 : 0;
out:
	config_free(&cfg);
	return rc;
}
