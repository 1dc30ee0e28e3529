/* Routing of REST paths under BASE_PATH (spec api.md §1.2). */
#include <string.h>

#include "challenged/api.h"
#include "check.h"

static struct api_match route(const char *method, const char *path)
{
	struct api_match m;
	api_route((struct str){ "/challenge", 10 }, (struct str){ method, strlen(method) },
		  (struct str){ path, strlen(path) }, &m);
	return m;
}

static void check_route(const char *method, const char *path, enum api_route want, bool ok)
{
	struct api_match m = route(method, path);
	if (m.route != want || m.method_ok != ok) {
		fprintf(stderr, "%s %s: route %d ok %d, want %d %d\n", method, path, m.route,
			m.method_ok, want, ok);
		exit(1);
	}
}

int main(void)
{
	check_route("GET", "/challenge/v1/challenges", API_ROUTE_LIST, true);
	check_route("POST", "/challenge/v1/challenges", API_ROUTE_LIST, false);
	check_route("DELETE", "/challenge/v1/challenges", API_ROUTE_LIST, false);
	check_route("POST", "/challenge/v1/challenges/initialize", API_ROUTE_INITIALIZE, true);
	check_route("GET", "/challenge/v1/challenges/initialize", API_ROUTE_INITIALIZE, false);
	check_route("GET", "/challenge/healthz", API_ROUTE_HEALTH, true);
	check_route("POST", "/challenge/healthz", API_ROUTE_HEALTH, false);
	check_route("GET", "/challenge/v1/challenges/c1/rotation", API_ROUTE_ROTATION, true);
	check_route("POST", "/challenge/v1/challenges/c1/goals/batch-select", API_ROUTE_BATCH_SELECT, true);
	check_route("POST", "/challenge/v1/challenges/c1/goals/random-select", API_ROUTE_RANDOM_SELECT, true);
	check_route("PUT", "/challenge/v1/challenges/c1/goals/g1/active", API_ROUTE_SET_ACTIVE, true);
	check_route("POST", "/challenge/v1/challenges/c1/goals/g1/active", API_ROUTE_SET_ACTIVE, false);
	check_route("POST", "/challenge/v1/challenges/c1/goals/g1/claim", API_ROUTE_CLAIM, true);
	check_route("GET", "/challenge/apidocs/", API_ROUTE_APIDOCS, true);
	check_route("GET", "/challenge/apidocs/api.json", API_ROUTE_APIDOCS, true);

	/* outside the base path: plain 404 */
	check_route("GET", "/v1/challenges", API_ROUTE_OUTSIDE_BASE, false);
	check_route("GET", "/challengefoo/v1/challenges", API_ROUTE_OUTSIDE_BASE, false);
	check_route("GET", "/", API_ROUTE_OUTSIDE_BASE, false);
	/* under it but unknown: gateway 404 */
	check_route("GET", "/challenge", API_ROUTE_NOT_FOUND, false);
	check_route("GET", "/challenge/", API_ROUTE_NOT_FOUND, false);
	check_route("GET", "/challenge/v1/challenges/", API_ROUTE_NOT_FOUND, false);
	check_route("GET", "/challenge/v1/challenges/c1", API_ROUTE_NOT_FOUND, false);
	check_route("GET", "/challenge/v1/challenges/c1/goals/g1", API_ROUTE_NOT_FOUND, false);
	check_route("POST", "/challenge/v1/challenges/c1/goals/g1/claim/x", API_ROUTE_NOT_FOUND, false);
	check_route("GET", "/challenge/v2/challenges/c1/rotation", API_ROUTE_NOT_FOUND, false);

	/* path parameters */
	struct api_match m = route("POST", "/challenge/v1/challenges/winter/goals/kill-10/claim");
	CHECK_MEM_EQ(m.challenge_id.ptr, m.challenge_id.len, "winter");
	CHECK_MEM_EQ(m.goal_id.ptr, m.goal_id.len, "kill-10");
	/* an empty segment matches with an empty id (the handler answers 400) */
	m = route("POST", "/challenge/v1/challenges//goals/g/claim");
	CHECK_INT_EQ(m.route, API_ROUTE_CLAIM);
	CHECK_INT_EQ(m.challenge_id.len, 0);
	return 0;
}
