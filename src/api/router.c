/*
 * Path routing under BASE_PATH (spec api.md §1.2). Pure: no allocation, no
 * I/O. The two "optimized" paths match exactly; the gateway routes match by
 * segments; everything else under the base is a gateway 404.
 */
#include <string.h>

#include "challenged/api.h"

static bool eq(struct str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* Splits path (after the base) into at most 8 segments at '/'. Returns the
 * count, or -1 when there are more. A leading '/' is required. */
static int split(struct str path, struct str *seg, int max)
{
	if (path.len == 0 || path.ptr[0] != '/')
		return -1;
	int n = 0;
	size_t i = 1, start = 1;
	for (; i <= path.len; i++) {
		if (i == path.len || path.ptr[i] == '/') {
			if (n == max)
				return -1;
			seg[n++] = (struct str){ path.ptr + start, i - start };
			start = i + 1;
		}
	}
	return n;
}

void api_route(struct str base, struct str method, struct str path, struct api_match *m)
{
	memset(m, 0, sizeof(*m));
	m->route = API_ROUTE_OUTSIDE_BASE;
	if (path.len < base.len || memcmp(path.ptr, base.ptr, base.len) != 0)
		return;
	struct str rest = { path.ptr + base.len, path.len - base.len };
	if (rest.len > 0 && rest.ptr[0] != '/')
		return; /* "/challengefoo" is not under "/challenge" */

	m->route = API_ROUTE_NOT_FOUND;
	bool get = eq(method, "GET"), post = eq(method, "POST"), put = eq(method, "PUT");

	if (eq(rest, "/v1/challenges")) {
		m->route = API_ROUTE_LIST;
		m->method_ok = get;
		return;
	}
	if (eq(rest, "/v1/challenges/initialize")) {
		m->route = API_ROUTE_INITIALIZE;
		m->method_ok = post;
		return;
	}
	if (eq(rest, "/apidocs") || (rest.len >= 9 && !memcmp(rest.ptr, "/apidocs/", 9))) {
		m->route = API_ROUTE_APIDOCS;
		m->method_ok = get;
		return;
	}
	if (eq(rest, "/healthz")) {
		m->route = API_ROUTE_HEALTH;
		m->method_ok = get;
		return;
	}

	struct str seg[8];
	int n = split(rest, seg, 8);
	if (n < 4 || !eq(seg[0], "v1") || !eq(seg[1], "challenges"))
		return;
	m->challenge_id = seg[2];
	if (n == 4 && eq(seg[3], "rotation")) {
		m->route = API_ROUTE_ROTATION;
		m->method_ok = get;
	} else if (n == 5 && eq(seg[3], "goals") && eq(seg[4], "batch-select")) {
		m->route = API_ROUTE_BATCH_SELECT;
		m->method_ok = post;
	} else if (n == 5 && eq(seg[3], "goals") && eq(seg[4], "random-select")) {
		m->route = API_ROUTE_RANDOM_SELECT;
		m->method_ok = post;
	} else if (n == 6 && eq(seg[3], "goals") && eq(seg[5], "active")) {
		m->route = API_ROUTE_SET_ACTIVE;
		m->goal_id = seg[4];
		m->method_ok = put;
	} else if (n == 6 && eq(seg[3], "goals") && eq(seg[5], "claim")) {
		m->route = API_ROUTE_CLAIM;
		m->goal_id = seg[4];
		m->method_ok = post;
	} else {
		m->challenge_id = (struct str){ 0 };
	}
}
