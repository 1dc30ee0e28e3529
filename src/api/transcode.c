/* JSON (our own protobuf-JSON answers) to protobuf wire bytes; see transcode.h. */
#include "transcode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/json.h"

/* "challenge_id" -> "challengeId" (protobuf's default JSON name). */
static void json_name(const char *proto, char *out, size_t cap)
{
	size_t o = 0;
	bool upper = false;
	for (const char *p = proto; *p && o + 1 < cap; p++) {
		if (*p == '_') {
			upper = true;
			continue;
		}
		out[o++] = upper && *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
		upper = false;
	}
	out[o] = '\0';
}

static bool as_i64(const struct json_value *v, int64_t *out)
{
	if (v->type == JSON_INT) {
		*out = v->i;
		return true;
	}
	if (v->type == JSON_UINT && v->u <= INT64_MAX) {
		*out = (int64_t)v->u;
		return true;
	}
	return false;
}

static ProtobufCMessage *build(const ProtobufCMessageDescriptor *desc, const struct json_value *obj,
			       int *err);

/* Stores one scalar or message value at dst; returns false on a type error. */
static bool set_value(const ProtobufCFieldDescriptor *f, const struct json_value *v, void *dst,
		      int *err)
{
	int64_t i;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		if (!as_i64(v, &i))
			return false;
		*(int32_t *)dst = (int32_t)i;
		return true;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!as_i64(v, &i))
			return false;
		*(uint32_t *)dst = (uint32_t)i;
		return true;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!as_i64(v, &i))
			return false;
		*(int64_t *)dst = i;
		return true;
	case PROTOBUF_C_TYPE_BOOL:
		if (v->type != JSON_BOOL)
			return false;
		*(protobuf_c_boolean *)dst = v->b;
		return true;
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_FLOAT: {
		double d = v->type == JSON_DOUBLE ? v->d : v->type == JSON_INT ? (double)v->i : 0;
		if (v->type != JSON_DOUBLE && v->type != JSON_INT)
			return false;
		if (f->type == PROTOBUF_C_TYPE_DOUBLE)
			*(double *)dst = d;
		else
			*(float *)dst = (float)d;
		return true;
	}
	case PROTOBUF_C_TYPE_STRING: {
		if (v->type != JSON_STRING)
			return false;
		char *s = malloc(v->len + 1);
		if (!s) {
			*err = -ENOMEM;
			return false;
		}
		memcpy(s, v->str, v->len);
		s[v->len] = '\0';
		*(char **)dst = s;
		return true;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		if (v->type != JSON_OBJECT)
			return false;
		ProtobufCMessage *m = build(f->descriptor, v, err);
		*(ProtobufCMessage **)dst = m;
		return m != NULL;
	}
	default:
		return false; /* bytes: none of our answers has them */
	}
}

static size_t elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

static bool set_field(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
		      const struct json_value *v, int *err)
{
	char *base = (char *)msg;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (v->type != JSON_ARRAY)
			return false;
		size_t size = elem_size(f->type);
		void *arr = calloc(v->len ? v->len : 1, size);
		if (!arr) {
			*err = -ENOMEM;
			return false;
		}
		/* Install first so a failure part-way is freed with the message. */
		*(void **)(base + f->offset) = arr;
		for (uint32_t k = 0; k < v->len; k++) {
			if (!set_value(f, &v->items[k], (char *)arr + k * size, err))
				return false;
			*(size_t *)(base + f->quantifier_offset) = k + 1;
		}
		return true;
	}
	if (!set_value(f, v, base + f->offset, err))
		return false;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
	    f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	return true;
}

static ProtobufCMessage *build(const ProtobufCMessageDescriptor *desc, const struct json_value *obj,
			       int *err)
{
	ProtobufCMessage *msg = malloc(desc->sizeof_message);
	if (!msg) {
		*err = -ENOMEM;
		return NULL;
	}
	desc->message_init(msg);
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		char name[128];
		json_name(f->name, name, sizeof(name));
		const struct json_value *v = json_get(obj, name);
		if (!v || v->type == JSON_NULL)
			continue;
		if (!set_field(msg, f, v, err)) {
			if (!*err)
				*err = -EINVAL;
			protobuf_c_message_free_unpacked(msg, NULL);
			return NULL;
		}
	}
	return msg;
}

int transcode_json_to_pb(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
			 struct buf *out)
{
	struct json_doc *doc;
	const char *why;
	int ret = json_parse(json, len, 64, &doc, &why);
	if (ret < 0)
		return ret == -ENOMEM ? -ENOMEM : -EINVAL;
	const struct json_value *root = json_doc_root(doc);
	int err = 0;
	ProtobufCMessage *msg = root->type == JSON_OBJECT ? build(desc, root, &err) : NULL;
	json_doc_free(doc);
	if (!msg)
		return err ? err : -EINVAL;
	size_t size = protobuf_c_message_get_packed_size(msg);
	uint8_t *dst = (uint8_t *)buf_reserve(out, size);
	if (dst) {
		protobuf_c_message_pack(msg, dst);
		out->len += size;
	}
	protobuf_c_message_free_unpacked(msg, NULL);
	return dst ? 0 : -ENOMEM;
}
