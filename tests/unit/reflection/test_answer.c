/*
 * One request in, one response out: every question of both protocol
 * versions, the per-stream memory of sent files, and the requests that end
 * the stream instead.
 */
#include <errno.h>
#include <stdlib.h>

#include "challenged/reflection.h"
#include "check.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest Req;
typedef Grpc__Reflection__V1__ServerReflectionResponse Resp;

static const struct reflection_set *set = &reflection_embedded;

/* Answers rq (v1 encoding) on the stream whose memory is *sent. */
static Resp *ask(const Req *rq, uint64_t *sent)
{
	uint8_t wire[1024];
	size_t len = grpc__reflection__v1__server_reflection_request__pack(rq, wire);
	struct buf out;
	buf_init(&out);
	enum grpc_status status = GRPC_OK;
	const char *why = NULL;
	CHECK_INT_EQ(reflection_answer(set, wire, len, sent, &out, &status, &why), 0);
	CHECK(!why);
	Resp *r = grpc__reflection__v1__server_reflection_response__unpack(NULL, out.len,
									  (uint8_t *)out.data);
	CHECK(r);
	buf_fini(&out);
	return r;
}

static Req req_symbol(const char *sym)
{
	Req rq = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	rq.host = "localhost:6565";
	rq.message_request_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
	rq.file_containing_symbol = (char *)sym;
	return rq;
}

static Req req_file(const char *name)
{
	Req rq = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	rq.message_request_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME;
	rq.file_by_filename = (char *)name;
	return rq;
}

/* The proto path inside a serialized FileDescriptorProto (field 1 first). */
static void check_file(const ProtobufCBinaryData *fd, const char *path)
{
	int i = reflection_file_find(set, path);
	CHECK(i >= 0);
	CHECK_INT_EQ(fd->len, set->files[i].len);
	CHECK(memcmp(fd->data, set->files[i].data, fd->len) == 0);
}

static void check_files(const Resp *r, size_t n, const char *const *paths)
{
	CHECK_INT_EQ(r->message_response_case,
		     GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
	CHECK_INT_EQ(r->file_descriptor_response->n_file_descriptor_proto, n);
	for (size_t i = 0; i < n; i++)
		check_file(&r->file_descriptor_response->file_descriptor_proto[i], paths[i]);
}

static void check_not_found(const Resp *r)
{
	CHECK_INT_EQ(r->message_response_case,
		     GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE);
	CHECK_INT_EQ(r->error_response->error_code, GRPC_NOT_FOUND);
	CHECK_STR_EQ(r->error_response->error_message, "proto: not found");
}

static void done(Resp *r)
{
	grpc__reflection__v1__server_reflection_response__free_unpacked(r, NULL);
}

/* A v1alpha client: its own message types, the same answer. */
static void test_list_services_v1alpha(void)
{
	Grpc__Reflection__V1alpha__ServerReflectionRequest rq =
		GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
	rq.host = "h";
	rq.message_request_case =
		GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
	rq.list_services = "*";
	uint8_t wire[64];
	size_t len = grpc__reflection__v1alpha__server_reflection_request__pack(&rq, wire);

	struct buf out;
	buf_init(&out);
	uint64_t sent = 0;
	enum grpc_status status = GRPC_OK;
	const char *why = NULL;
	CHECK_INT_EQ(reflection_answer(set, wire, len, &sent, &out, &status, &why), 0);
	Grpc__Reflection__V1alpha__ServerReflectionResponse *r =
		grpc__reflection__v1alpha__server_reflection_response__unpack(NULL, out.len,
									       (uint8_t *)out.data);
	CHECK(r);
	CHECK_STR_EQ(r->valid_host, "h");
	CHECK(r->original_request);
	CHECK_INT_EQ(r->original_request->message_request_case,
		     GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES);
	CHECK_STR_EQ(r->original_request->list_services, "*");
	CHECK_INT_EQ(r->message_response_case,
		     GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
	static const char *const want[] = {
		"accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService",
		"accelbyte.social.statistic.v1.StatisticStatItemUpdatedService",
		"grpc.health.v1.Health",
		"grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection",
		"service.Service",
	};
	CHECK_INT_EQ(r->list_services_response->n_service, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		CHECK_STR_EQ(r->list_services_response->service[i]->name, want[i]);
	CHECK_INT_EQ(sent, 0);
	grpc__reflection__v1alpha__server_reflection_response__free_unpacked(r, NULL);
	buf_fini(&out);
}

static void test_symbols(void)
{
	uint64_t sent = 0;
	Req rq = req_symbol("service.Service");
	Resp *r = ask(&rq, &sent);
	CHECK_STR_EQ(r->valid_host, "localhost:6565");
	CHECK_STR_EQ(r->original_request->file_containing_symbol, "service.Service");
	check_files(r, 1, (const char *const[]){ "service.proto" });
	done(r);

	/* a message with imports, then a method, a nested message, an enum value */
	rq = req_symbol("accelbyte.social.statistic.v1.StatItemUpdated");
	r = ask(&rq, &sent);
	check_files(r, 3, (const char *const[]){
		"accelbyte-asyncapi/social/statistic/v1/statistic.proto",
		"google/protobuf/empty.proto", "google/protobuf/struct.proto" });
	done(r);

	rq = req_symbol("accelbyte.iam.account.v1.UserAuthenticationUserLoggedInService.OnMessage");
	r = ask(&rq, &sent);
	/* empty.proto went with statistic.proto on this stream */
	check_files(r, 1, (const char *const[]){ "accelbyte-asyncapi/iam/account/v1/account.proto" });
	done(r);

	rq = req_symbol("google.protobuf.Struct.FieldsEntry");
	r = ask(&rq, &sent);
	check_files(r, 1, (const char *const[]){ "google/protobuf/struct.proto" });
	done(r);

	rq = req_symbol("grpc.health.v1.HealthCheckResponse.NOT_SERVING");
	r = ask(&rq, &sent);
	check_files(r, 1, (const char *const[]){ "grpc/health/v1/health.proto" });
	done(r);

	rq = req_symbol("service.Nope");
	r = ask(&rq, &sent);
	check_not_found(r);
	CHECK_STR_EQ(r->original_request->file_containing_symbol, "service.Nope");
	done(r);

	rq = req_symbol("service");
	r = ask(&rq, &sent);
	check_not_found(r);
	done(r);
}

static void test_filenames(void)
{
	uint64_t sent = 0;
	Req rq = req_file("accelbyte-asyncapi/iam/account/v1/account.proto");
	Resp *r = ask(&rq, &sent);
	CHECK_STR_EQ(r->valid_host, "");
	check_files(r, 2, (const char *const[]){ "accelbyte-asyncapi/iam/account/v1/account.proto",
						 "google/protobuf/empty.proto" });
	done(r);

	rq = req_file("accelbyte-asyncapi/social/statistic/v1/statistic.proto");
	r = ask(&rq, &sent);
	check_files(r, 2, (const char *const[]){ "accelbyte-asyncapi/social/statistic/v1/statistic.proto",
						 "google/protobuf/struct.proto" });
	done(r);

	rq = req_file("google/protobuf/empty.proto");
	r = ask(&rq, &sent);
	check_files(r, 1, (const char *const[]){ "google/protobuf/empty.proto" });
	done(r);

	rq = req_file("google/protobuf/descriptor.proto");
	r = ask(&rq, &sent);
	check_not_found(r);
	done(r);
}

static void test_extensions(void)
{
	uint64_t sent = 0;
	Grpc__Reflection__V1__ExtensionRequest ext = GRPC__REFLECTION__V1__EXTENSION_REQUEST__INIT;
	ext.containing_type = "google.protobuf.MethodOptions";
	ext.extension_number = 72295728;
	Req rq = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	rq.message_request_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION;
	rq.file_containing_extension = &ext;
	Resp *r = ask(&rq, &sent);
	check_not_found(r);
	CHECK_INT_EQ(r->original_request->file_containing_extension->extension_number, 72295728);
	done(r);

	/* a known type without extensions: an empty list, as grpc-go answers */
	rq = (Req)GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	rq.message_request_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE;
	rq.all_extension_numbers_of_type = "service.Goal";
	r = ask(&rq, &sent);
	CHECK_INT_EQ(r->message_response_case,
		     GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
	CHECK_STR_EQ(r->all_extension_numbers_response->base_type_name, "service.Goal");
	CHECK_INT_EQ(r->all_extension_numbers_response->n_extension_number, 0);
	done(r);

	rq.all_extension_numbers_of_type = "google.protobuf.MethodOptions";
	r = ask(&rq, &sent);
	check_not_found(r);
	done(r);
	CHECK_INT_EQ(sent, 0);
}

static void check_ends(const uint8_t *wire, size_t len, enum grpc_status want, const char *why_want)
{
	struct buf out;
	buf_init(&out);
	uint64_t sent = 0;
	enum grpc_status status = GRPC_OK;
	const char *why = NULL;
	CHECK(reflection_answer(set, wire, len, &sent, &out, &status, &why) < 0);
	CHECK_INT_EQ(status, want);
	CHECK_STR_EQ(why, why_want);
	CHECK_INT_EQ(out.len, 0);
	buf_fini(&out);
}

static void test_stream_enders(void)
{
	/* no question at all: an empty message, or only a host */
	check_ends((const uint8_t *)"", 0, GRPC_INVALID_ARGUMENT, "invalid MessageRequest: <nil>");
	check_ends((const uint8_t *)"\x0a\x01h", 3, GRPC_INVALID_ARGUMENT,
		   "invalid MessageRequest: <nil>");
	/* truncated length-delimited field */
	check_ends((const uint8_t *)"\x22\x09service", 9, GRPC_INTERNAL,
		   "grpc: failed to unmarshal the received message: "
		   "proto: cannot parse invalid wire-format data");
	/* a symbol that is not UTF-8 (a lone continuation byte, an overlong '/') */
	check_ends((const uint8_t *)"\x22\x02\x80x", 4, GRPC_INTERNAL,
		   "grpc: failed to unmarshal the received message: "
		   "string field contains invalid UTF-8");
	check_ends((const uint8_t *)"\x1a\x02\xc0\xaf", 4, GRPC_INTERNAL,
		   "grpc: failed to unmarshal the received message: "
		   "string field contains invalid UTF-8");
	check_ends((const uint8_t *)"\x0a\x03\xed\xa0\x80\x3a\x00", 7, GRPC_INTERNAL,
		   "grpc: failed to unmarshal the received message: "
		   "string field contains invalid UTF-8");

	/* valid multi-byte UTF-8 is just an unknown symbol */
	uint64_t sent = 0;
	Req rq = req_symbol("service.S\xc3\xa9rvice\xf0\x9f\x98\x80");
	Resp *r = ask(&rq, &sent);
	check_not_found(r);
	done(r);
}

/* Unknown fields of the request are echoed back in original_request. */
static void test_unknown_fields_echoed(void)
{
	/* field 15 varint 7, then list_services "" */
	static const uint8_t wire[] = { 0x78, 0x07, 0x3a, 0x00 };
	struct buf out;
	buf_init(&out);
	uint64_t sent = 0;
	enum grpc_status status = GRPC_OK;
	const char *why = NULL;
	CHECK_INT_EQ(reflection_answer(set, wire, sizeof(wire), &sent, &out, &status, &why), 0);
	Resp *r = grpc__reflection__v1__server_reflection_response__unpack(NULL, out.len,
									  (uint8_t *)out.data);
	CHECK(r);
	CHECK_INT_EQ(r->original_request->base.n_unknown_fields, 1);
	CHECK_INT_EQ(r->original_request->base.unknown_fields[0].tag, 15);
	done(r);
	buf_fini(&out);
}

int main(void)
{
	test_list_services_v1alpha();
	test_symbols();
	test_filenames();
	test_extensions();
	test_stream_enders();
	test_unknown_fields_echoed();
	return 0;
}
