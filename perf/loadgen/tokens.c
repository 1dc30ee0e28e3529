/*
 * One "Authorization: Bearer <RS256 token>" line per user, minted on every
 * CPU before the load starts (2048-bit signing costs ~1-2 ms each), or read
 * back from a cache file written by an earlier run with the same key,
 * namespace and users while its tokens stay valid long enough. Start-up only.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define CACHE_MAGIC "loadgen-tokens-1"
/* Header plus one ~400-byte token line per user; refuse anything absurd. */
#define TOKEN_LINE_MAX 4096

struct mint_job {
	struct lg_config *cfg;
	const struct lg_key *key;
	int64_t iat, exp;
	atomic_uint next;
	atomic_int failed;
};

static int line_set(struct lg_config *cfg, uint32_t u, const char *token, size_t len)
{
	static const char pre[] = "Authorization: Bearer ";
	size_t n = sizeof(pre) - 1 + len + 2;
	char *line = malloc(n);

	if (!line)
		return -ENOMEM;
	memcpy(line, pre, sizeof(pre) - 1);
	memcpy(line + sizeof(pre) - 1, token, len);
	memcpy(line + n - 2, "\r\n", 2);
	cfg->auth_lines[u] = line;
	cfg->auth_line_lens[u] = n;
	return 0;
}

static void *mint_thread(void *arg)
{
	struct mint_job *j = arg;
	struct lg_config *cfg = j->cfg;
	struct buf b;
	uint32_t u;

	buf_init(&b);
	while ((u = atomic_fetch_add(&j->next, 1)) < cfg->users) {
		buf_reset(&b);
		if (lg_jwt_mint(j->key, cfg->user_ids[u], cfg->ns, j->iat, j->exp, &b) < 0 ||
		    line_set(cfg, u, b.data, b.len) < 0) {
			atomic_store(&j->failed, 1);
			break;
		}
	}
	buf_fini(&b);
	return NULL;
}

static int mint_all(struct lg_config *cfg, const struct lg_key *key, int64_t iat, int64_t exp)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t nt = cpus > 0 && cpus < 64 ? (uint32_t)cpus : 1, started = 0;
	struct mint_job j = { .cfg = cfg, .key = key, .iat = iat, .exp = exp };
	pthread_t tids[64];

	atomic_init(&j.next, 0);
	atomic_init(&j.failed, 0);
	for (uint32_t i = 0; i < nt; i++)
		if (pthread_create(&tids[i], NULL, mint_thread, &j) == 0)
			started++;
	if (started == 0)
		mint_thread(&j);
	for (uint32_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return atomic_load(&j.failed) ? -EINVAL : 0;
}

/* A compact JWS: three base64url segments. */
static bool jws_shaped(const char *s, size_t len)
{
	unsigned dots = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return dots == 2;
}

/* Loads the cache if it was made for this key, namespace and users and lasts until min_exp. */
static int cache_read(struct lg_config *cfg, const struct lg_key *key, const char *path,
		      int64_t min_exp)
{
	char head[512], want[512], *line = NULL;
	size_t cap = 0;
	long long exp;
	ssize_t n;
	uint32_t u = 0;
	FILE *f = fopen(path, "r");
	int rc = -ENOENT;

	if (!f)
		return -ENOENT;
	snprintf(want, sizeof(want), CACHE_MAGIC " %s %s %u ", key->kid, cfg->ns, cfg->users);
	if (!fgets(head, sizeof(head), f) || strncmp(head, want, strlen(want)) != 0 ||
	    sscanf(head + strlen(want), "%lld", &exp) != 1 || exp < min_exp)
		goto out;
	for (; u < cfg->users && (n = getline(&line, &cap, f)) > 1; u++) {
		if (n > TOKEN_LINE_MAX || line[n - 1] != '\n' ||
		    !jws_shaped(line, (size_t)n - 1) || line_set(cfg, u, line, (size_t)n - 1) < 0)
			break;
	}
	rc = u == cfg->users ? 0 : -EINVAL;
out:
	for (uint32_t i = 0; rc < 0 && i < u; i++) {
		free(cfg->auth_lines[i]);
		cfg->auth_lines[i] = NULL;
	}
	free(line);
	fclose(f);
	return rc;
}

static void cache_write(const struct lg_config *cfg, const struct lg_key *key, const char *path,
			int64_t exp)
{
	static const size_t pre = sizeof("Authorization: Bearer ") - 1;
	char tmp[4096];
	FILE *f;
	bool ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	ok = fprintf(f, CACHE_MAGIC " %s %s %u %lld\n", key->kid, cfg->ns, cfg->users,
		     (long long)exp) > 0;
	for (uint32_t u = 0; ok && u < cfg->users; u++)
		ok = fprintf(f, "%.*s\n", (int)(cfg->auth_line_lens[u] - pre - 2),
			     cfg->auth_lines[u] + pre) > 0;
	if (fclose(f) == 0 && ok && rename(tmp, path) == 0)
		return;
	unlink(tmp);
fail:
	fprintf(stderr, "loadgen: could not write the token cache %s (tokens were minted anyway)\n",
		path);
}

int lg_tokens_prepare(struct lg_config *cfg, const struct lg_key *key, const char *cache)
{
	int64_t now = (int64_t)time(NULL);
	/* Valid for the whole run and at least the hour the suite's tokens get. */
	int64_t need = now + (int64_t)(cfg->warmup_s + cfg->duration_s) + 600;
	int64_t exp = now + (int64_t)fmax(3600.0, cfg->warmup_s + cfg->duration_s + 600.0);
	uint64_t t0 = lg_now();

	if (cache && cache_read(cfg, key, cache, need) == 0) {
		if (!cfg->quiet)
			fprintf(stderr, "loadgen: %u tokens (kid %s) from %s\n", cfg->users,
				key->kid, cache);
		return 0;
	}
	if (mint_all(cfg, key, now, exp) < 0) {
		fprintf(stderr, "loadgen: minting tokens failed\n");
		return -EINVAL;
	}
	if (!cfg->quiet)
		fprintf(stderr, "loadgen: minted %u RS256 tokens (kid %s) in %.2f s\n", cfg->users,
			key->kid, (double)(lg_now() - t0) / 1e9);
	if (cache)
		cache_write(cfg, key, cache, exp);
	return 0;
}
