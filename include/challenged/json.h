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
 * padded buffer). Nesting deeper than max_depth (0 = 64, at most 1024) is an
 * error; a scalar root has depth 0, "[]" depth 1. Integers outside
 * [INT64_MIN, UINT64_MAX] and invalid UTF-8 are errors (simdjson's rules).
 * The whole tree is one allocation. Any thread may call it; each thread
 * keeps its own simdjson parser for small inputs.
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
 * Last member whose key matches key the way Go encoding/json matches a field
 * name (json_key_fold_eq; the last matching key wins), or NULL.
 */
const struct json_value *json_get_ci(const struct json_value *obj, const char *key);
/*
 * True when the len bytes at key name the field name (ASCII) under Go
 * encoding/json's case folding: ASCII letters ignore case, and the non-ASCII
 * runes that fold to ASCII letters (U+017F long s -> S, U+212A Kelvin -> K,
 * U+0130 and U+0131 -> I) match too.
 */
bool json_key_fold_eq(const char *key, size_t len, const char *name);

/*
 * Appends s as a JSON string literal with quotes, escaping as Go's
 * encoding/json does (Go >= 1.22): \" and \\; \b \f \n \r \t; other control
 * characters as \u00xx (lower-case hex); <, >, & as \u003c \u003e \u0026
 * (HTML-safe encoder); U+2028/U+2029 as \u2028/\u2029; each invalid UTF-8
 * byte as \ufffd.
 */
void json_write_string(struct buf *b, const char *s, size_t len);
/*
 * Appends s as protobuf-JSON (protojson) writes a string: \" and \\;
 * \b \f \n \r \t; other control characters as \u00xx; everything else,
 * including <, >, &, U+2028 and U+2029, as is. protojson refuses invalid
 * UTF-8; here each invalid byte becomes U+FFFD (raw) so output stays valid.
 */
void json_write_string_proto(struct buf *b, const char *s, size_t len);
void json_write_i64(struct buf *b, int64_t v);
void json_write_u64(struct buf *b, uint64_t v);
void json_write_bool(struct buf *b, bool v);

#endif
