/*
 * Fuzz target for src/json: parse any bytes; on success walk the tree,
 * look keys up the Go way, and check that every string written back by both
 * writers parses again to valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(struct buf *b, const char *s, size_t len)
{
	struct json_doc *d = NULL;
	buf_reset(b);
	json_write_string(b, s, len);
	if (b->failed || json_parse(b->data, b->len, 0, &d, NULL) != 0)
		abort();
	if (json_doc_root(d)->type != JSON_STRING)
		abort();
	json_doc_free(d);
	buf_reset(b);
	json_write_string_proto(b, s, len);
	if (b->failed || json_parse(b->data, b->len, 0, &d, NULL) != 0)
		abort();
	json_doc_free(d);
}

static void walk(struct buf *b, const struct json_value *v)
{
	switch (v->type) {
	case JSON_STRING:
		check_string(b, v->str, v->len);
		break;
	case JSON_ARRAY:
		for (uint32_t i = 0; i < v->len; i++)
			walk(b, &v->items[i]);
		break;
	case JSON_OBJECT:
		for (uint32_t i = 0; i < v->len; i++) {
			const struct json_member *m = &v->members[i];
			check_string(b, m->key, m->key_len);
			/* The last member under a name is what json_get finds. */
			if (m->key_len == strlen(m->key) && json_get(v, m->key) == NULL)
				abort();
			(void)json_get_ci(v, m->key);
			walk(b, &m->value);
		}
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc *doc = NULL;
	const char *why = NULL;
	if (json_parse((const char *)data, size, 0, &doc, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	struct buf b;
	buf_init(&b);
	walk(&b, json_doc_root(doc));
	buf_fini(&b);
	json_doc_free(doc);
	return 0;
}
