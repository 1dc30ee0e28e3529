/*
 * /apidocs: the embedded Swagger document parses, describes every route of
 * the REST surface with resolvable schemas, carries BASE_PATH; the page is
 * self-contained; lookups answer 200/301/404/500 as the header promises.
 */
#include <errno.h>
#include <string.h>

#include "challenged/apidocs.h"
#include "challenged/json.h"
#include "check.h"

static int get(const char *rest, const char **type, const char **body, size_t *len)
{
	return api_apidocs_get(rest, strlen(rest), type, body, len);
}

static const struct json_value *need(const struct json_value *obj, const char *key)
{
	const struct json_value *v = json_get(obj, key);
	if (!v) {
		fprintf(stderr, "missing member %s\n", key);
		exit(1);
	}
	return v;
}

static void check_str(const struct json_value *v, const char *want)
{
	CHECK(v && v->type == JSON_STRING);
	CHECK_STR_EQ(v->str, want);
}

/* Every "$ref" anywhere names an existing definition. */
static void check_refs(const struct json_value *v, const struct json_value *defs)
{
	if (v->type == JSON_ARRAY) {
		for (uint32_t i = 0; i < v->len; i++)
			check_refs(&v->items[i], defs);
	} else if (v->type == JSON_OBJECT) {
		for (uint32_t i = 0; i < v->len; i++) {
			const struct json_member *m = &v->members[i];
			if (!strcmp(m->key, "$ref")) {
				CHECK(m->value.type == JSON_STRING);
				CHECK(!strncmp(m->value.str, "#/definitions/", 14));
				if (!json_get(defs, m->value.str + 14)) {
					fprintf(stderr, "unresolved %s\n", m->value.str);
					exit(1);
				}
			}
			check_refs(&m->value, defs);
		}
	}
}

static const struct json_value *param(const struct json_value *op, const char *name)
{
	const struct json_value *ps = json_get(op, "parameters");
	for (uint32_t i = 0; ps && i < ps->len; i++)
		if (!strcmp(need(&ps->items[i], "name")->str, name))
			return &ps->items[i];
	return NULL;
}

static const struct {
	const char *path, *method, *operation, *ok_schema;
	bool secured;
} routes[] = {
	{ "/healthz", "get", "Service_HealthCheck", "serviceHealthCheckResponse", false },
	{ "/v1/challenges", "get", "Service_GetUserChallenges", "serviceGetChallengesResponse", true },
	{ "/v1/challenges/initialize", "post", "Service_InitializePlayer", "serviceInitializeResponse", true },
	{ "/v1/challenges/{challengeId}/goals/batch-select", "post", "Service_BatchSelectGoals",
	  "serviceGoalSelectionResponse", true },
	{ "/v1/challenges/{challengeId}/goals/random-select", "post", "Service_RandomSelectGoals",
	  "serviceGoalSelectionResponse", true },
	{ "/v1/challenges/{challengeId}/goals/{goalId}/active", "put", "Service_SetGoalActive",
	  "serviceSetGoalActiveResponse", true },
	{ "/v1/challenges/{challengeId}/goals/{goalId}/claim", "post", "Service_ClaimGoalReward",
	  "serviceClaimRewardResponse", true },
	{ "/v1/challenges/{challengeId}/rotation", "get", "Service_GetRotationStatus",
	  "serviceGetRotationStatusResponse", true },
};

static void check_route(const struct json_value *paths, size_t r)
{
	const struct json_value *item = need(paths, routes[r].path);
	CHECK_INT_EQ(item->len, 1); /* one method per path */
	const struct json_value *op = need(item, routes[r].method);
	check_str(need(op, "operationId"), routes[r].operation);
	CHECK(need(op, "summary")->len > 0);
	const struct json_value *ok = need(need(need(op, "responses"), "200"), "schema");
	char ref[128];
	snprintf(ref, sizeof(ref), "#/definitions/%s", routes[r].ok_schema);
	check_str(need(ok, "$ref"), ref);
	const struct json_value *sec = json_get(op, "security");
	if (routes[r].secured) {
		CHECK(sec && sec->len == 1);
		CHECK(json_get(&sec->items[0], "Bearer"));
	} else {
		CHECK(!sec);
	}
	/* Every {param} of the template is a required path parameter. */
	for (const char *p = strchr(routes[r].path, '{'); p; p = strchr(p + 1, '{')) {
		char name[32];
		size_t n = strcspn(p + 1, "}");
		memcpy(name, p + 1, n);
		name[n] = '\0';
		const struct json_value *pp = param(op, name);
		CHECK(pp);
		check_str(need(pp, "in"), "path");
		CHECK(need(pp, "required")->b);
	}
	bool body = !strcmp(routes[r].method, "post") || !strcmp(routes[r].method, "put");
	CHECK((param(op, "body") != NULL) == body);
}

static void check_fields(const struct json_value *defs, const char *name, const char *const *fields)
{
	const struct json_value *props = need(need(defs, name), "properties");
	size_t i = 0;
	for (; fields[i]; i++) {
		CHECK(i < props->len);
		CHECK_STR_EQ(props->members[i].key, fields[i]); /* proto JSON names, field order */
	}
	CHECK_INT_EQ(props->len, i);
}

static void check_definitions(const struct json_value *defs)
{
	static const char *const status[] = { "code", "message", "details", NULL };
	static const char *const goal[] = { "goalId", "name", "description", "requirement", "reward",
		"prerequisites", "progress", "status", "locked", "completedAt", "claimedAt", "isActive",
		"expiresAt", "expiresInSeconds", NULL };
	static const char *const selected[] = { "goalId", "name", "description", "requirement",
		"reward", "status", "progress", "target", "isActive", "assignedAt", "expiresAt", NULL };
	static const char *const assigned[] = { "challengeId", "goalId", "name", "description",
		"isActive", "assignedAt", "expiresAt", "progress", "target", "status", "requirement",
		"reward", NULL };
	static const char *const selection[] = { "selectedGoals", "challengeId", "totalActiveGoals",
		"replacedGoals", NULL };
	static const char *const requirement[] = { "statCode", "operator", "targetValue", NULL };
	static const char *const reward[] = { "type", "rewardId", "quantity", NULL };
	static const char *const rotation[] = { "enabled", "type", "schedule", "currentPeriod",
		"nextPeriod", NULL };
	static const char *const period[] = { "startTime", "endTime", "expiresInSeconds", NULL };
	static const char *const active[] = { "challengeId", "goalId", "isActive", "assignedAt",
		"message", NULL };
	static const char *const claim[] = { "goalId", "status", "reward", "claimedAt", NULL };
	static const char *const init[] = { "assignedGoals", "newAssignments", "totalActive", NULL };
	check_fields(defs, "rpcStatus", status);
	check_fields(defs, "serviceGoal", goal);
	check_fields(defs, "serviceSelectedGoal", selected);
	check_fields(defs, "serviceAssignedGoal", assigned);
	check_fields(defs, "serviceGoalSelectionResponse", selection);
	check_fields(defs, "serviceRequirement", requirement);
	check_fields(defs, "serviceReward", reward);
	check_fields(defs, "serviceRotationInfo", rotation);
	check_fields(defs, "serviceRotationPeriod", period);
	check_fields(defs, "serviceSetGoalActiveResponse", active);
	check_fields(defs, "serviceClaimRewardResponse", claim);
	check_fields(defs, "serviceInitializeResponse", init);
	need(defs, "protobufAny");
	need(defs, "serviceChallenge");
	need(defs, "serviceGetChallengesResponse");
	need(defs, "serviceGetRotationStatusResponse");
	need(defs, "serviceHealthCheckResponse");
}

static void test_document(void)
{
	const char *type, *body;
	size_t len;
	CHECK_INT_EQ(api_apidocs_init("/challenge"), 0);
	CHECK_INT_EQ(get("/apidocs/api.json", &type, &body, &len), 200);
	CHECK_STR_EQ(type, "application/json");
	CHECK(len > 1000 && !memcmp(body, "{\n  \"swagger\": \"2.0\",\n", 22)); /* two-space indent */

	struct json_doc *doc;
	const char *why = NULL;
	CHECK_INT_EQ(json_parse(body, len, 0, &doc, &why), 0);
	const struct json_value *root = json_doc_root(doc);
	check_str(need(root, "basePath"), "/challenge");
	const struct json_value *info = need(root, "info");
	check_str(need(info, "title"), "AccelByte Challenge Service API");
	check_str(need(info, "version"), "1.0");
	const struct json_value *bearer = need(need(root, "securityDefinitions"), "Bearer");
	check_str(need(bearer, "type"), "apiKey");
	check_str(need(bearer, "in"), "header");
	check_str(need(bearer, "name"), "Authorization");

	const struct json_value *paths = need(root, "paths");
	CHECK_INT_EQ(paths->len, sizeof(routes) / sizeof(routes[0]));
	for (size_t r = 0; r < sizeof(routes) / sizeof(routes[0]); r++)
		check_route(paths, r);
	const struct json_value *defs = need(root, "definitions");
	check_definitions(defs);
	check_refs(root, defs);
	json_doc_free(doc);
}

static void test_base_path_escaped(void)
{
	const char *type, *body;
	size_t len;
	CHECK_INT_EQ(api_apidocs_init("/a\"b<c d"), 0);
	CHECK_INT_EQ(get("/apidocs/api.json", &type, &body, &len), 200);
	static const char escaped[] = "\"basePath\": \"/a\\\"b\\u003cc d\",";
	CHECK(memmem(body, len, escaped, sizeof(escaped) - 1));
	struct json_doc *doc;
	const char *why;
	CHECK_INT_EQ(json_parse(body, len, 0, &doc, &why), 0);
	check_str(need(json_doc_root(doc), "basePath"), "/a\"b<c d");
	json_doc_free(doc);

	CHECK_STR_EQ(api_apidocs_location(), "/a\"b<c%20d/apidocs/");
	CHECK_INT_EQ(get("/apidocs", &type, &body, &len), 301);
	CHECK_MEM_EQ(body, len, "<a href=\"/a&#34;b&lt;c%20d/apidocs/\">Moved Permanently</a>.\n\n");
	CHECK_INT_EQ(api_apidocs_init(NULL), -EINVAL);
}

static void test_lookups(void)
{
	const char *type, *body;
	size_t len;
	CHECK_INT_EQ(api_apidocs_init("/challenge"), 0);

	CHECK_INT_EQ(get("/apidocs/", &type, &body, &len), 200);
	CHECK_STR_EQ(type, "text/html; charset=utf-8");
	const char *page = body;
	size_t page_len = len;
	CHECK(page != NULL && page_len > 500);
	CHECK(!memcmp(page, "<!DOCTYPE html>", 15));
	CHECK(memmem(page, page_len, "fetch(\"api.json\")", 17));
	/* Offline: nothing fetched from elsewhere. */
	CHECK(!memmem(page, page_len, "http://", 7) && !memmem(page, page_len, "https://", 8));
	CHECK(!memmem(page, page_len, "<script src", 11) && !memmem(page, page_len, "<link", 5));
	CHECK(!memmem(page, page_len, "@import", 7));

	CHECK_INT_EQ(get("/apidocs/index.html", &type, &body, &len), 200);
	CHECK(body == page && len == page_len);

	CHECK_INT_EQ(get("/apidocs", &type, &body, &len), 301);
	CHECK_STR_EQ(api_apidocs_location(), "/challenge/apidocs/");
	CHECK_MEM_EQ(body, len, "<a href=\"/challenge/apidocs/\">Moved Permanently</a>.\n\n");

	static const char *const missing[] = { "/apidocs/swagger-ui.css", "/apidocs/api.json/",
		"/apidocs/API.JSON", "/apidocsx", "/apidocs//api.json", "/apidocs/index.htm", "", "/" };
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		CHECK_INT_EQ(get(missing[i], &type, &body, &len), 404);
		CHECK_STR_EQ(type, "text/plain; charset=utf-8");
		CHECK_MEM_EQ(body, len, "404 page not found\n");
	}
	/* Only rest_len bytes count. */
	CHECK_INT_EQ(api_apidocs_get("/apidocs/api.jsonXYZ", 17, &type, &body, &len), 200);
	CHECK_INT_EQ(api_apidocs_get("/apidocs/api.json", 16, &type, &body, &len), 404);
}

static void test_before_init(void)
{
	const char *type, *body;
	size_t len;
	api_apidocs_fini();
	CHECK_INT_EQ(get("/apidocs/api.json", &type, &body, &len), 500);
	CHECK_STR_EQ(type, "text/plain; charset=utf-8");
	CHECK_MEM_EQ(body, len, "Error finding Swagger JSON file\n");
	CHECK_INT_EQ(get("/apidocs", &type, &body, &len), 404);
	CHECK_STR_EQ(api_apidocs_location(), "");
	CHECK_INT_EQ(get("/apidocs/", &type, &body, &len), 200);
	api_apidocs_fini(); /* twice is harmless */
}

int main(void)
{
	test_before_init();
	test_document();
	test_base_path_escaped();
	test_lookups();
	test_before_init();
	return 0;
}
