/* Lookups over the embedded descriptor set: files, symbols, import closure. */
#include <errno.h>

#include "challenged/reflection.h"
#include "check.h"

static const struct reflection_set *set = &reflection_embedded;

static int file_of(const char *path)
{
	int i = reflection_file_find(set, path);
	CHECK(i >= 0);
	return i;
}

/* The proto path of the file declaring sym, or NULL. */
static const char *symbol_file(const char *sym)
{
	int i = reflection_symbol_find(set, sym);
	return i < 0 ? NULL : set->files[i].name;
}

static void test_tables(void)
{
	CHECK_INT_EQ(set->n_files, 8);
	for (unsigned i = 0; i < set->n_files; i++) {
		const struct reflection_file *f = &set->files[i];
		/* dependency order: what a file imports comes before it */
		for (unsigned d = 0; d < f->n_deps; d++)
			CHECK(f->deps[d] < i);
		/* a FileDescriptorProto whose field 1 (name) is the path */
		size_t n = strlen(f->name);
		CHECK(f->len > n + 2);
		CHECK_INT_EQ(f->data[0], 0x0a);
		CHECK_INT_EQ(f->data[1], n);
		CHECK_MEM_EQ((const char *)f->data + 2, n, f->name);
	}
	for (unsigned i = 1; i < set->n_symbols; i++)
		CHECK(strcmp(set->symbols[i - 1].name, set->symbols[i].name) < 0);
	CHECK_INT_EQ(set->n_extensions, 0);
}

static void test_files(void)
{
	CHECK_INT_EQ(reflection_file_find(set, "service.proto"), file_of("service.proto"));
	file_of("accelbyte-asyncapi/iam/account/v1/account.proto");
	file_of("accelbyte-asyncapi/social/statistic/v1/statistic.proto");
	file_of("grpc/health/v1/health.proto");
	file_of("grpc/reflection/v1alpha/reflection.proto");
	file_of("grpc/reflection/v1/reflection.proto");
	file_of("google/protobuf/empty.proto");
	file_of("google/protobuf/struct.proto");
	CHECK_INT_EQ(reflection_file_find(set, "nope.proto"), -ENOENT);
	CHECK_INT_EQ(reflection_file_find(set, ""), -ENOENT);
	CHECK_INT_EQ(reflection_file_find(set, "/service.proto"), -ENOENT);
}

static void test_symbols(void)
{
	/* services and methods */
	CHECK_STR_EQ(symbol_file("service.Service"), "service.proto");
	CHECK_STR_EQ(symbol_file("service.Service.GetUserChallenges"), "service.proto");
	CHECK_STR_EQ(symbol_file("accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService"),
		     "accelbyte-asyncapi/iam/account/v1/account.proto");
	CHECK_STR_EQ(symbol_file("accelbyte.social.statistic.v1.StatisticStatItemUpdatedService.OnMessage"),
		     "accelbyte-asyncapi/social/statistic/v1/statistic.proto");
	CHECK_STR_EQ(symbol_file("grpc.health.v1.Health.Watch"), "grpc/health/v1/health.proto");
	CHECK_STR_EQ(symbol_file("grpc.reflection.v1alpha.ServerReflection"),
		     "grpc/reflection/v1alpha/reflection.proto");
	/* messages, a nested message, fields, a oneof */
	CHECK_STR_EQ(symbol_file("service.Goal"), "service.proto");
	CHECK_STR_EQ(symbol_file("service.Goal.expires_in_seconds"), "service.proto");
	CHECK_STR_EQ(symbol_file("accelbyte.social.statistic.v1.StatItem"),
		     "accelbyte-asyncapi/social/statistic/v1/statistic.proto");
	CHECK_STR_EQ(symbol_file("google.protobuf.Struct.FieldsEntry"), "google/protobuf/struct.proto");
	CHECK_STR_EQ(symbol_file("google.protobuf.Struct.FieldsEntry.value"),
		     "google/protobuf/struct.proto");
	CHECK_STR_EQ(symbol_file("grpc.reflection.v1.ServerReflectionRequest.message_request"),
		     "grpc/reflection/v1/reflection.proto");
	/* enums: values are scoped beside their enum */
	CHECK_STR_EQ(symbol_file("grpc.health.v1.HealthCheckResponse.ServingStatus"),
		     "grpc/health/v1/health.proto");
	CHECK_STR_EQ(symbol_file("grpc.health.v1.HealthCheckResponse.SERVING"),
		     "grpc/health/v1/health.proto");
	CHECK_STR_EQ(symbol_file("google.protobuf.NULL_VALUE"), "google/protobuf/struct.proto");
	CHECK(!symbol_file("grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING"));
	/* not symbols */
	CHECK(!symbol_file("service"));
	CHECK(!symbol_file("grpc.health"));
	CHECK(!symbol_file("service.Nope"));
	CHECK(!symbol_file(".service.Service"));
	CHECK(!symbol_file("service.Service."));
	CHECK(!symbol_file(""));
	CHECK(!symbol_file("zzz"));
	CHECK(!symbol_file("a"));
}

static void test_closure(void)
{
	int stat = file_of("accelbyte-asyncapi/social/statistic/v1/statistic.proto");
	int acct = file_of("accelbyte-asyncapi/iam/account/v1/account.proto");
	int empty = file_of("google/protobuf/empty.proto");
	int st = file_of("google/protobuf/struct.proto");
	uint16_t out[REFLECTION_MAX_FILES];
	uint64_t sent = 0;

	/* the file, then its imports in import order */
	size_t n = reflection_file_closure(set, (unsigned)stat, &sent, out, ARRAY_SIZE(out));
	CHECK_INT_EQ(n, 3);
	CHECK_INT_EQ(out[0], stat);
	CHECK_INT_EQ(out[1], empty);
	CHECK_INT_EQ(out[2], st);
	CHECK_INT_EQ(sent, (UINT64_C(1) << stat) | (UINT64_C(1) << empty) | (UINT64_C(1) << st));

	/* imports already sent on the stream are left out */
	n = reflection_file_closure(set, (unsigned)acct, &sent, out, ARRAY_SIZE(out));
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(out[0], acct);

	/* the file asked for always goes, sent or not */
	n = reflection_file_closure(set, (unsigned)empty, &sent, out, ARRAY_SIZE(out));
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(out[0], empty);
	n = reflection_file_closure(set, (unsigned)stat, &sent, out, ARRAY_SIZE(out));
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(out[0], stat);

	/* a fresh stream gets account.proto with its import */
	sent = 0;
	n = reflection_file_closure(set, (unsigned)acct, &sent, out, ARRAY_SIZE(out));
	CHECK_INT_EQ(n, 2);
	CHECK_INT_EQ(out[0], acct);
	CHECK_INT_EQ(out[1], empty);
}

/* A diamond: 3 imports 1 and 2, both import 0. Each file goes once. */
static void test_closure_diamond(void)
{
	static const uint8_t data[] = { 0 };
	static const uint16_t d1[] = { 0 }, d3[] = { 1, 2 };
	static const struct reflection_file files[] = {
		{ "a", data, 1, NULL, 0 },
		{ "b", data, 1, d1, 1 },
		{ "c", data, 1, d1, 1 },
		{ "d", data, 1, d3, 2 },
	};
	const struct reflection_set diamond = { .files = files, .n_files = 4 };
	uint16_t out[4];
	uint64_t sent = 0;
	size_t n = reflection_file_closure(&diamond, 3, &sent, out, ARRAY_SIZE(out));
	CHECK_INT_EQ(n, 4);
	CHECK_INT_EQ(out[0], 3);
	CHECK_INT_EQ(out[1], 1);
	CHECK_INT_EQ(out[2], 2);
	CHECK_INT_EQ(out[3], 0);

	/* b already sent: c still brings a, reached through it */
	sent = UINT64_C(1) << 1;
	n = reflection_file_closure(&diamond, 3, &sent, out, ARRAY_SIZE(out));
	CHECK_INT_EQ(n, 3);
	CHECK_INT_EQ(out[0], 3);
	CHECK_INT_EQ(out[1], 2);
	CHECK_INT_EQ(out[2], 0);

	/* out is never overrun */
	sent = 0;
	n = reflection_file_closure(&diamond, 3, &sent, out, 2);
	CHECK_INT_EQ(n, 2);
}

static void test_extensions(void)
{
	CHECK_INT_EQ(reflection_extension_find(set, "google.protobuf.MethodOptions", 72295728), -ENOENT);
	CHECK_INT_EQ(reflection_extension_find(set, "service.Goal", 1), -ENOENT);

	static const uint8_t data[] = { 0 };
	static const struct reflection_file files[] = { { "x.proto", data, 1, NULL, 0 } };
	static const struct reflection_extension exts[] = {
		{ "a.M", 100, 0 }, { "a.M", 200, 0 }, { "b.N", 5, 0 },
	};
	const struct reflection_set set2 = { .files = files, .n_files = 1,
					     .extensions = exts, .n_extensions = 3 };
	CHECK_INT_EQ(reflection_extension_find(&set2, "a.M", 200), 0);
	CHECK_INT_EQ(reflection_extension_find(&set2, "b.N", 5), 0);
	CHECK_INT_EQ(reflection_extension_find(&set2, "a.M", 150), -ENOENT);
	CHECK_INT_EQ(reflection_extension_find(&set2, "b.N", 100), -ENOENT);
}

int main(void)
{
	test_tables();
	test_files();
	test_symbols();
	test_closure();
	test_closure_diamond();
	test_extensions();
	return 0;
}
