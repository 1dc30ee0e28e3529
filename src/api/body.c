/* Protobuf-JSON decoding of gateway request bodies; see body.h. */
#include "body.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/json.h"

static const char *type_name(enum body_type t)
{
	switch (t) {
	case BODY_BOOL:
		return "bool";
	case BODY_INT32:
		return "int32";
	case BODY_STRING:
	case BODY_STRING_LIST:
		return "string";
	}
	return "?";
}

/* The JSON text of v for messages, shortened. */
static void describe(const struct json_value *v, char *out, size_t len)
{
	switch (v->type) {
	case JSON_STRING:
		snprintf(out, len, "\"%.*s\"", v->len > 64 ? 64 : (int)v->len, v->str);
		break;
	case JSON_BOOL:
		snprintf(out, len, "%s", v->b ? "true" : "false");
		break;
	case JSON_INT:
		snprintf(out, len, "%lld", (long long)v->i);
		break;
	case JSON_UINT:
		snprintf(out, len, "%llu", (unsigned long long)v->u);
		break;
	case JSON_DOUBLE:
		snprintf(out, len, "%g", v->d);
		break;
	case JSON_ARRAY:
		snprintf(out, len, "[");
		break;
	case JSON_OBJECT:
		snprintf(out, len, "{");
		break;
	default:
		snprintf(out, len, "null");
		break;
	}
}

static int invalid(const struct body_field *f, const char *name, const struct json_value *v,
		   char *err, size_t err_len)
{
	char text[80];
	describe(v, text, sizeof(text));
	snprintf(err, err_len, "proto: invalid value for %s%s field %s: %s",
		 f->type == BODY_STRING_LIST ? "repeated " : "", type_name(f->type), name, text);
	return -1;
}

/* int32 from a number or a numeric string, integral and in range. */
static bool to_int32(const struct json_value *v, int32_t *out)
{
	double d;
	if (v->type == JSON_INT) {
		if (v->i < INT32_MIN || v->i > INT32_MAX)
			return false;
		*out = (int32_t)v->i;
		return true;
	}
	if (v->type == JSON_DOUBLE) {
		d = v->d;
	} else if (v->type == JSON_STRING) {
		if (v->len == 0 || v->len > 32 || memchr(v->str, ' ', v->len))
			return false;
		char *end;
		errno = 0;
		d = strtod(v->str, &end);
		if (errno || end != v->str + v->len)
			return false;
	} else {
		return false;
	}
	if (!isfinite(d) || d != floor(d) || d < INT32_MIN || d > INT32_MAX)
		return false;
	*out = (int32_t)d;
	return true;
}

static int decode_field(struct body_field *f, const char *name, const struct json_value *v,
			struct arena *arena, char *err, size_t err_len)
{
	switch (f->type) {
	case BODY_BOOL:
		if (v->type != JSON_BOOL)
			return invalid(f, name, v, err, err_len);
		*(bool *)f->out = v->b;
		return 0;
	case BODY_INT32:
		if (!to_int32(v, (int32_t *)f->out))
			return invalid(f, name, v, err, err_len);
		return 0;
	case BODY_STRING:
		if (v->type != JSON_STRING)
			return invalid(f, name, v, err, err_len);
		*(struct str *)f->out = (struct str){ v->str, v->len };
		return 0;
	case BODY_STRING_LIST: {
		if (v->type != JSON_ARRAY)
			return invalid(f, name, v, err, err_len);
		struct body_list *list = f->out;
		list->n = v->len;
		list->items = arena_alloc(arena, sizeof(struct str) * (v->len ? v->len : 1));
		if (!list->items) {
			snprintf(err, err_len, "request body too large to decode");
			return -1;
		}
		for (uint32_t i = 0; i < v->len; i++) {
			const struct json_value *e = &v->items[i];
			if (e->type != JSON_STRING)
				return invalid(f, name, e, err, err_len);
			char *copy = arena_strndup(arena, e->str, e->len);
			if (!copy) {
				snprintf(err, err_len, "request body too large to decode");
				return -1;
			}
			list->items[i] = (struct str){ copy, e->len };
		}
		return 0;
	}
	}
	return -1;
}

/* Strings in the tree die with the document: copy them into the arena. */
static int keep_string(struct body_field *f, struct arena *arena, char *err, size_t err_len)
{
	if (f->type != BODY_STRING || !f->present)
		return 0;
	struct str *s = f->out;
	char *copy = arena_strndup(arena, s->ptr, s->len);
	if (!copy) {
		snprintf(err, err_len, "request body too large to decode");
		return -1;
	}
	s->ptr = copy;
	return 0;
}

int body_decode(const char *body, size_t len, struct body_field *fields, size_t n_fields,
		struct arena *arena, char *err, size_t err_len)
{
	for (size_t i = 0; i < n_fields; i++)
		fields[i].present = false;
	/* Zero-length body means {} (api.md §2.2, the recommended choice). */
	size_t ws = 0;
	while (ws < len && (body[ws] == ' ' || body[ws] == '\t' || body[ws] == '\r' || body[ws] == '\n'))
		ws++;
	if (ws == len)
		return 0;

	struct json_doc *doc = NULL;
	const char *why = NULL;
	if (json_parse(body, len, 64, &doc, &why) < 0) {
		snprintf(err, err_len, "proto: syntax error: %s", why ? why : "invalid JSON");
		return -1;
	}
	const struct json_value *root = json_doc_root(doc);
	int ret = 0;
	if (root->type != JSON_OBJECT) {
		snprintf(err, err_len, "proto: syntax error: unexpected token, want {");
		ret = -1;
		goto out;
	}
	for (uint32_t m = 0; m < root->len && ret == 0; m++) {
		const struct json_member *mem = &root->members[m];
		for (size_t i = 0; i < n_fields; i++) {
			struct body_field *f = &fields[i];
			if (strcmp(mem->key, f->proto_name) && strcmp(mem->key, f->json_name))
				continue;
			if (f->present) {
				snprintf(err, err_len, "proto: duplicate field %s", mem->key);
				ret = -1;
				break;
			}
			if (mem->value.type == JSON_NULL)
				break; /* null: the field stays unset */
			f->present = true;
			ret = decode_field(f, mem->key, &mem->value, arena, err, err_len);
			break;
		}
	}
	for (size_t i = 0; i < n_fields && ret == 0; i++)
		ret = keep_string(&fields[i], arena, err, err_len);
out:
	json_doc_free(doc);
	return ret;
}
