/*
 * The services list_services answers: every service of reflection_embedded,
 * or those of the method table given to reflection_services_init at
 * start-up (then read-only while shards run, so any shard may read it).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/reflection.h"

static const char *service_names[REFLECTION_MAX_SERVICES];
static unsigned n_service_names;
static char *service_store;

/* "/pkg.Service/Method" -> "pkg.Service" as (start, length), or false. */
static bool service_of(const char *path, const char **name, size_t *len)
{
	if (!path || path[0] != '/')
		return false;
	const char *slash = strchr(path + 1, '/');
	if (!slash || slash == path + 1 || !slash[1] || strchr(slash + 1, '/'))
		return false;
	*name = path + 1;
	*len = (size_t)(slash - path - 1);
	return true;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int reflection_services_init(const struct h2_method *methods, size_t n)
{
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		size_t len;
		if (!service_of(methods[i].path, &name, &len))
			return -EINVAL;
		bytes += len + 1;
	}
	if (bytes == 0) {
		free(service_store);
		service_store = NULL;
		n_service_names = 0;
		return 0;
	}
	char *store = malloc(bytes);
	if (!store)
		return -ENOMEM;

	const char *names[REFLECTION_MAX_SERVICES];
	unsigned count = 0;
	char *p = store;
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL;
		size_t len = 0;
		service_of(methods[i].path, &name, &len);
		memcpy(p, name, len);
		p[len] = '\0';
		bool seen = false;
		for (unsigned j = 0; j < count && !seen; j++)
			seen = strcmp(names[j], p) == 0;
		if (seen)
			continue;
		if (count == REFLECTION_MAX_SERVICES) {
			free(store);
			return -E2BIG;
		}
		names[count++] = p;
		p += len + 1;
	}
	qsort(names, count, sizeof(names[0]), name_cmp);

	free(service_store);
	service_store = store;
	memcpy(service_names, names, count * sizeof(names[0]));
	n_service_names = count;
	return 0;
}

void reflection_set_active(struct reflection_set *set)
{
	*set = reflection_embedded;
	if (n_service_names) {
		set->services = service_names;
		set->n_services = n_service_names;
	}
}
