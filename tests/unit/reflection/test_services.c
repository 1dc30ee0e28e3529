/* The services list_services answers, from a listener's method table. */
#include <errno.h>

#include "challenged/reflection.h"
#include "check.h"

static void on_call(struct h2_call *call, const uint8_t *req, size_t len)
{
	(void)call;
	(void)req;
	(void)len;
}

int main(void)
{
	struct reflection_set set;

	/* by default: every service of the embedded files */
	reflection_set_active(&set);
	CHECK_INT_EQ(set.n_services, 6);
	CHECK(set.services == reflection_embedded.services);

	/* an events-only listener: sorted, each service once */
	struct h2_method table[] = {
		{ .path = "/grpc.health.v1.Health/Check", .handle = on_call },
		{ .path = "/accelbyte.social.statistic.v1.StatisticStatItemUpdatedService/OnMessage",
		  .handle = on_call },
		{ .path = "/grpc.health.v1.Health/Watch", .handle = on_call },
		{ .path = "/accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService/OnMessage",
		  .handle = on_call },
		{ .path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
		  .handle = on_call, .streaming_requests = true },
		{ .path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
		  .handle = on_call, .streaming_requests = true },
	};
	CHECK_INT_EQ(reflection_services_init(table, ARRAY_SIZE(table)), 0);
	reflection_set_active(&set);
	CHECK_INT_EQ(set.n_services, 5);
	CHECK_STR_EQ(set.services[0], "accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService");
	CHECK_STR_EQ(set.services[1], "accelbyte.social.statistic.v1.StatisticStatItemUpdatedService");
	CHECK_STR_EQ(set.services[2], "grpc.health.v1.Health");
	CHECK_STR_EQ(set.services[3], "grpc.reflection.v1.ServerReflection");
	CHECK_STR_EQ(set.services[4], "grpc.reflection.v1alpha.ServerReflection");
	/* everything else still comes from the embedded files */
	CHECK(set.files == reflection_embedded.files);
	CHECK_INT_EQ(set.n_symbols, reflection_embedded.n_symbols);

	/* a bad path changes nothing */
	static const char *const bad[] = { "service.Service/X", "/service.Service", "/service.Service/",
					   "//X", "/a/b/c" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct h2_method m = { .path = bad[i], .handle = on_call };
		CHECK_INT_EQ(reflection_services_init(&m, 1), -EINVAL);
	}
	reflection_set_active(&set);
	CHECK_INT_EQ(set.n_services, 5);

	/* replacing the list */
	struct h2_method one = { .path = "/service.Service/HealthCheck", .handle = on_call };
	CHECK_INT_EQ(reflection_services_init(&one, 1), 0);
	reflection_set_active(&set);
	CHECK_INT_EQ(set.n_services, 1);
	CHECK_STR_EQ(set.services[0], "service.Service");

	/* an empty table goes back to the embedded list */
	CHECK_INT_EQ(reflection_services_init(NULL, 0), 0);
	reflection_set_active(&set);
	CHECK_INT_EQ(set.n_services, 6);
	return 0;
}
