/*
 * Token lines per user: minted in parallel, each a Bearer line the server's
 * verifier accepts for that user; the cache file is reused only for the same
 * key, namespace and user count, and a damaged cache is minted over.
 */
#include <unistd.h>

#include "jwt.c"
#include "tokens.c"

#include "challenged/auth.h"
#include "check.h"

#define USERS 24

static char dir[] = "/tmp/lg-test-tokens-XXXXXX";
static char key_path[80], jwks_path[80], cache_path[80];
static char *ids[USERS];

static void config(struct lg_config *cfg, uint32_t users)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->users = users;
	cfg->user_ids = ids;
	cfg->ns = "test";
	cfg->duration_s = 10;
	cfg->quiet = true;
	cfg->auth_lines = calloc(users, sizeof(char *));
	cfg->auth_line_lens = calloc(users, sizeof(size_t));
	CHECK(cfg->auth_lines && cfg->auth_line_lens);
}

static void release(struct lg_config *cfg)
{
	for (uint32_t u = 0; u < cfg->users; u++)
		free(cfg->auth_lines[u]);
	free(cfg->auth_lines);
	free(cfg->auth_line_lens);
}

static void check_lines(const struct lg_config *cfg, const struct auth_keyset *ks)
{
	for (uint32_t u = 0; u < cfg->users; u++) {
		const char *line = cfg->auth_lines[u];
		size_t len = cfg->auth_line_lens[u];
		struct auth_identity id;
		char why_buf[AUTH_WHY_MAX];
		const char *why = NULL;

		CHECK(strncmp(line, "Authorization: Bearer ", 22) == 0);
		CHECK(memcmp(line + len - 2, "\r\n", 2) == 0);
		CHECK_INT_EQ(auth_verify(ks, NULL, line + 22, len - 24, NULL, (int64_t)time(NULL),
					 &id, why_buf, sizeof(why_buf), &why), AUTH_OK);
		CHECK_MEM_EQ(id.sub, id.sub_len, ids[u]);
	}
}

/* Overwrites the first byte of the given line of the cache file. */
static void damage(int lineno)
{
	FILE *f = fopen(cache_path, "r+");
	int c, n = 0;

	CHECK(f != NULL);
	while (n < lineno && (c = fgetc(f)) != EOF)
		n += c == '\n';
	CHECK(fputc('!', f) == '!');
	fclose(f);
}

int main(void)
{
	static struct lg_key key;
	struct auth_keyset *ks = NULL;
	struct lg_config cfg;
	const char *why = NULL;
	char first[1024];
	struct stat st1, st2;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", dir);
	snprintf(cache_path, sizeof(cache_path), "%s/tokens", dir);
	for (int u = 0; u < USERS; u++) {
		char id[32];

		snprintf(id, sizeof(id), "user-%06d", u + 1);
		ids[u] = strdup(id);
	}
	CHECK_INT_EQ(lg_key_generate(&key, 1024, key_path, &why), 0);
	CHECK_INT_EQ(lg_jwks_write(&key, jwks_path, &why), 0);
	CHECK_INT_EQ(auth_keyset_load_file(jwks_path, &ks, &why), 0);

	/* No cache file: mint, and write it. */
	config(&cfg, USERS);
	CHECK_INT_EQ(lg_tokens_prepare(&cfg, &key, cache_path), 0);
	check_lines(&cfg, ks);
	snprintf(first, sizeof(first), "%.*s", (int)cfg.auth_line_lens[3], cfg.auth_lines[3]);
	release(&cfg);
	CHECK_INT_EQ(stat(cache_path, &st1), 0);

	/* Same key, namespace, users: the very same tokens come back, file untouched. */
	config(&cfg, USERS);
	CHECK_INT_EQ(lg_tokens_prepare(&cfg, &key, cache_path), 0);
	check_lines(&cfg, ks);
	CHECK_MEM_EQ(cfg.auth_lines[3], cfg.auth_line_lens[3], first);
	release(&cfg);
	CHECK_INT_EQ(stat(cache_path, &st2), 0);
	CHECK_INT_EQ(st1.st_ino, st2.st_ino);

	/* Fewer users than cached: minted anew (and the cache rewritten). */
	config(&cfg, USERS - 1);
	CHECK_INT_EQ(lg_tokens_prepare(&cfg, &key, cache_path), 0);
	check_lines(&cfg, ks);
	release(&cfg);
	CHECK_INT_EQ(stat(cache_path, &st2), 0);
	CHECK(st1.st_ino != st2.st_ino);

	/* A damaged token line is not trusted. */
	damage(5);
	config(&cfg, USERS - 1);
	CHECK_INT_EQ(lg_tokens_prepare(&cfg, &key, cache_path), 0);
	check_lines(&cfg, ks);
	release(&cfg);

	/* Without a cache path nothing is written. */
	CHECK_INT_EQ(unlink(cache_path), 0);
	config(&cfg, 2);
	CHECK_INT_EQ(lg_tokens_prepare(&cfg, &key, NULL), 0);
	check_lines(&cfg, ks);
	release(&cfg);
	CHECK(access(cache_path, F_OK) != 0);

	auth_keyset_free(ks);
	for (int u = 0; u < USERS; u++)
		free(ids[u]);
	CHECK_INT_EQ(unlink(key_path), 0);
	CHECK_INT_EQ(unlink(jwks_path), 0);
	CHECK_INT_EQ(rmdir(dir), 0);
	return 0;
}
