/*
 * Config loading (config.md §1.2): read the file, parse, decode with Go's
 * rules, apply defaults, validate, then build, index and pre-render the
 * immutable model. Runs once at start-up on the main thread; blocking
 * read() is fine here and nowhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dom_private.h"

/* Go's syscall error texts are strerror's with a lower-case first letter. */
static void os_error(char *err, size_t len, const char *op, const char *path, int e)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "%s", strerror(e));
	if (msg[0] >= 'A' && msg[0] <= 'Z')
		msg[0] = (char)(msg[0] - 'A' + 'a');
	snprintf(err, len, "failed to read config file: %s %s: %s", op, path, msg);
}

static int read_file(const char *path, char **out, size_t *out_len, char *err, size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		os_error(err, err_len, "open", path, errno);
		return -1;
	}
	size_t cap = 64 * 1024, len = 0;
	char *data = malloc(cap);
	int rc = -1;
	if (!data) {
		os_error(err, err_len, "read", path, ENOMEM);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			char *p = realloc(data, cap * 2);
			if (!p) {
				os_error(err, err_len, "read", path, ENOMEM);
				goto out;
			}
			data = p;
			cap *= 2;
		}
		ssize_t n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			os_error(err, err_len, "read", path, errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = data;
	*out_len = len;
	data = NULL;
	rc = 0;
out:
	free(data);
	close(fd);
	return rc;
}

int dom_config_load(const char *path, int64_t now, struct dom_config **out,
		    char *err, size_t err_len)
{
	char *text = NULL;
	size_t len = 0;
	*out = NULL;
	if (read_file(path, &text, &len, err, err_len))
		return -1;
	int rc = dom_config_parse(text, len, now, out, err, err_len);
	free(text);
	return rc;
}

static struct dom_config *store_new(const struct raw_config *raw, int64_t now)
{
	struct dom_store *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	arena_init(&st->arena, 64 * 1024);
	st->cfg.index = st;
	if (dom_store_build(st, raw) || dom_store_index(st) || dom_store_render(st, now)) {
		dom_config_free(&st->cfg);
		return NULL;
	}
	return &st->cfg;
}

int dom_config_parse(const char *text, size_t len, int64_t now,
		     struct dom_config **out, char *err, size_t err_len)
{
	/* JSON nesting beyond the config's own six levels only matters for
	 * unknown keys, which Go skips at any depth: allow the most we can. */
	const unsigned max_depth = 1024;
	char inner[1024];
	struct json_doc *doc = NULL;
	const char *why = NULL;
	struct raw_config raw;
	struct arena scratch;
	int rc = -1;

	*out = NULL;
	arena_init(&scratch, 64 * 1024);
	if (json_parse(text, len, max_depth, &doc, &why) < 0) {
		snprintf(err, err_len, "failed to parse config JSON: %s", why);
		goto out;
	}
	if (dom_raw_decode(json_doc_root(doc), &raw, &scratch, inner, sizeof(inner))) {
		snprintf(err, err_len, "failed to parse config JSON: %s", inner);
		goto out;
	}
	dom_raw_defaults(&raw);
	int v = dom_raw_validate(&raw, inner, sizeof(inner));
	if (v == -ENOMEM) {
		snprintf(err, err_len, "out of memory while loading the config");
		goto out;
	}
	if (v) {
		snprintf(err, err_len, "config validation failed: %s", inner);
		goto out;
	}
	*out = store_new(&raw, now);
	if (!*out) {
		snprintf(err, err_len, "out of memory while loading the config");
		goto out;
	}
	rc = 0;
out:
	arena_fini(&scratch);
	if (doc)
		json_doc_free(doc);
	return rc;
}

void dom_config_free(struct dom_config *cfg)
{
	if (!cfg)
		return;
	struct dom_store *st = cfg->index;
	free(st->static_json);
	arena_fini(&st->arena);
	free(st);
}
