/*
 * JSON in and out.
 *
 * Parsing goes through simdjson (src/json/simdjson_shim.cpp, the only C++ in
 * the project) and yields a read-only tree of plain C structs owned by one
 * json_doc. Numbers keep their kind: integers that fit int64 are JSON_INT,
 * larger non-negative ones JSON_UINT, everything with a fraction or exponent
 * JSON_DOUBLE. Strings are unescaped UTF-8, NUL-terminated for convenience,
 * and may contain NUL bytes (use len).
 *
 * Writing is plain appends to a struct buf (json_write_*); the caller places
 * commas and braces itself, which keeps pre-rendered fragments cheap.
 */
#ifndef CHALLENGED_JSON_H
#define CHALLENGED_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/buf.h"

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,
	JSON_UINT,
	JSON_DOUBLE,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_member;

struct json_value {
	enum json_type type;
	uint32_t len; /* bytes of a string, elements of an array or object */
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
		const char *str;
		const struct json_value *items;    /* JSON_ARRAY */
		const struct json_member *members; /* JSON_OBJECT, in document order */
	};
};

struct json_member {
	const char *key; /* unescaped, NUL-terminated */
	uint32_t key_len;
	struct json_value value;
};

struct json_doc;

/*
 * Parses len bytes at text (no padding needed: the shim copies into its own
 * padded buffer). Nesting deeper than max_depth (0 = 64) is an error.
 * Returns 0 and *out (free with json_doc_free), or -EINVAL with *why set to a
 * static description of the first error (simdjson's message), or -ENOMEM.
 */
int json_parse(const char *text, size_t len, unsigned max_depth,
	       struct json_doc **out, const char **why);
const struct json_value *json_doc_root(const struct json_doc *doc);
void json_doc_free(struct json_doc *doc);

/* Last member whose key equals key exactly, or NULL (also for non-objects). */
const struct json_value *json_get(const struct json_value *obj, const char *key);
/*
 * Last member whose key equals key ignoring ASCII case (Go encoding/json's
 * rule: the last matching key wins), or NULL.
 */
const struct json_value *json_get_ci(const struct json_value *obj, const char *key);

/* Appends s as a JSON string literal with quotes, escaping as Go does
 * (", \\, control characters as \n \r \t or \u00XX; <, >, & as \u003c \u003e
 * \u0026 like Go's HTML-safe encoder; invalid UTF-8 as \ufffd). */
void json_write_string(struct buf *b, const char *s, size_t len);
void json_write_i64(struct buf *b, int64_t v);
void json_write_bool(struct buf *b, bool v);

#endif
