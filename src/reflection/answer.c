/*
 * One ServerReflectionRequest in, one ServerReflectionResponse out, with
 * grpc-go's answers and error texts (its reflection/internal package over
 * protoregistry). v1 and v1alpha share the wire format, so the v1 message
 * types serve both. Pure; any thread; allocates only for the decoded request.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "challenged/common.h"
#include "challenged/reflection.h"
#include "grpc/reflection/v1/reflection.pb-c.h"

/* protoregistry.NotFound as grpc-go prints it. */
#define NOT_FOUND_TEXT "proto: not found"

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p++, n;
		uint32_t cp;
		if (c < 0x80)
			continue;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 0; i < n; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3F);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
	}
	return true;
}

/* Go rejects a proto3 string field that is not UTF-8 while unmarshalling. */
static bool strings_valid(const Grpc__Reflection__V1__ServerReflectionRequest *rq)
{
	if (!utf8_valid(rq->host))
		return false;
	switch (rq->message_request_case) {
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
		return utf8_valid(rq->file_by_filename);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
		return utf8_valid(rq->file_containing_symbol);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
		return !rq->file_containing_extension ||
		       utf8_valid(rq->file_containing_extension->containing_type);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
		return utf8_valid(rq->all_extension_numbers_of_type);
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
		return utf8_valid(rq->list_services);
	default:
		return true;
	}
}

/* Storage for the arrays a response points into; nothing is copied. */
struct answer {
	Grpc__Reflection__V1__ServerReflectionResponse resp;
	Grpc__Reflection__V1__FileDescriptorResponse files;
	ProtobufCBinaryData file_data[REFLECTION_MAX_FILES];
	Grpc__Reflection__V1__ExtensionNumberResponse ext_numbers;
	int32_t numbers[REFLECTION_MAX_FILES];
	Grpc__Reflection__V1__ListServiceResponse list;
	Grpc__Reflection__V1__ServiceResponse service[REFLECTION_MAX_SERVICES];
	Grpc__Reflection__V1__ServiceResponse *service_ptr[REFLECTION_MAX_SERVICES];
	Grpc__Reflection__V1__ErrorResponse error;
};

static void answer_error(struct answer *a, enum grpc_status code, const char *text)
{
	grpc__reflection__v1__error_response__init(&a->error);
	a->error.error_code = (int32_t)code;
	a->error.error_message = (char *)text;
	a->resp.message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
	a->resp.error_response = &a->error;
}

/* file < 0: the lookup's -ENOENT, answered as grpc-go's NotFound. */
static void answer_files(struct answer *a, const struct reflection_set *set, int file,
			 uint64_t *sent)
{
	if (file < 0) {
		answer_error(a, GRPC_NOT_FOUND, NOT_FOUND_TEXT);
		return;
	}
	uint16_t idx[REFLECTION_MAX_FILES];
	size_t n = reflection_file_closure(set, (unsigned)file, sent, idx, ARRAY_SIZE(idx));
	for (size_t i = 0; i < n; i++) {
		const struct reflection_file *f = &set->files[idx[i]];
		a->file_data[i] = (ProtobufCBinaryData){ .len = f->len, .data = (uint8_t *)f->data };
	}
	grpc__reflection__v1__file_descriptor_response__init(&a->files);
	a->files.n_file_descriptor_proto = n;
	a->files.file_descriptor_proto = a->file_data;
	a->resp.message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
	a->resp.file_descriptor_response = &a->files;
}

/*
 * The extension numbers of a known type, ascending (extensions[] is sorted);
 * NotFound when the type has none and is no known name at all.
 */
static void answer_extension_numbers(struct answer *a, const struct reflection_set *set,
				     const char *type)
{
	size_t n = 0;
	for (unsigned i = 0; i < set->n_extensions && n < ARRAY_SIZE(a->numbers); i++)
		if (strcmp(set->extensions[i].extendee, type) == 0)
			a->numbers[n++] = set->extensions[i].number;
	if (n == 0 && reflection_symbol_find(set, type) < 0) {
		answer_error(a, GRPC_NOT_FOUND, NOT_FOUND_TEXT);
		return;
	}
	grpc__reflection__v1__extension_number_response__init(&a->ext_numbers);
	a->ext_numbers.base_type_name = (char *)type;
	a->ext_numbers.n_extension_number = n;
	a->ext_numbers.extension_number = a->numbers;
	a->resp.message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
	a->resp.all_extension_numbers_response = &a->ext_numbers;
}

static void answer_services(struct answer *a, const struct reflection_set *set)
{
	size_t n = MIN(set->n_services, ARRAY_SIZE(a->service));
	for (size_t i = 0; i < n; i++) {
		grpc__reflection__v1__service_response__init(&a->service[i]);
		a->service[i].name = (char *)set->services[i];
		a->service_ptr[i] = &a->service[i];
	}
	grpc__reflection__v1__list_service_response__init(&a->list);
	a->list.n_service = n;
	a->list.service = a->service_ptr;
	a->resp.message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
	a->resp.list_services_response = &a->list;
}

/* Fills a->resp for rq; false when rq asks nothing. */
static bool answer_fill(struct answer *a, const struct reflection_set *set,
			Grpc__Reflection__V1__ServerReflectionRequest *rq, uint64_t *sent)
{
	const Grpc__Reflection__V1__ExtensionRequest *ext;
	switch (rq->message_request_case) {
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
		answer_files(a, set, reflection_file_find(set, rq->file_by_filename), sent);
		return true;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
		answer_files(a, set, reflection_symbol_find(set, rq->file_containing_symbol), sent);
		return true;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
		ext = rq->file_containing_extension;
		answer_files(a, set,
			     ext ? reflection_extension_find(set, ext->containing_type,
							     ext->extension_number)
				 : -ENOENT,
			     sent);
		return true;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
		answer_extension_numbers(a, set, rq->all_extension_numbers_of_type);
		return true;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
		answer_services(a, set);
		return true;
	default:
		return false;
	}
}

int reflection_answer(const struct reflection_set *set, const uint8_t *req, size_t len,
		      uint64_t *sent, struct buf *out, enum grpc_status *status, const char **why)
{
	Grpc__Reflection__V1__ServerReflectionRequest *rq =
		grpc__reflection__v1__server_reflection_request__unpack(NULL, len, req);
	if (!rq || !strings_valid(rq)) {
		*status = GRPC_INTERNAL;
		*why = rq ? "grpc: failed to unmarshal the received message: "
			    "string field contains invalid UTF-8"
			  : "grpc: failed to unmarshal the received message: "
			    "proto: cannot parse invalid wire-format data";
		if (rq)
			grpc__reflection__v1__server_reflection_request__free_unpacked(rq, NULL);
		return -EINVAL;
	}

	struct answer a;
	grpc__reflection__v1__server_reflection_response__init(&a.resp);
	a.resp.valid_host = rq->host;
	a.resp.original_request = rq;
	int rc = 0;
	if (!answer_fill(&a, set, rq, sent)) {
		*status = GRPC_INVALID_ARGUMENT;
		*why = "invalid MessageRequest: <nil>";
		rc = -EINVAL;
		goto out;
	}
	size_t size = grpc__reflection__v1__server_reflection_response__get_packed_size(&a.resp);
	uint8_t *dst = (uint8_t *)buf_reserve(out, size);
	if (!dst) {
		*status = GRPC_RESOURCE_EXHAUSTED;
		*why = "out of memory for the reflection answer";
		rc = -ENOMEM;
		goto out;
	}
	out->len += grpc__reflection__v1__server_reflection_response__pack(&a.resp, dst);
out:
	grpc__reflection__v1__server_reflection_request__free_unpacked(rq, NULL);
	return rc;
}
