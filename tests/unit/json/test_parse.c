/* json_parse: every value type, numbers by kind, strings with escapes and
 * NULs, the nesting limit, and simdjson's messages for broken input. */
#include <errno.h>

#include "challenged/common.h"
#include "challenged/json.h"
#include "check.h"

static struct json_doc *parse_ok(const char *text)
{
	struct json_doc *doc = NULL;
	const char *why = NULL;
	int rc = json_parse(text, strlen(text), 0, &doc, &why);
	if (rc != 0)
		fprintf(stderr, "parse of %s failed: %s\n", text, why ? why : "?");
	CHECK_INT_EQ(rc, 0);
	CHECK(doc != NULL);
	return doc;
}

static const char *parse_err(const char *text, size_t len, unsigned depth)
{
	struct json_doc *doc = (struct json_doc *)1;
	const char *why = NULL;
	CHECK_INT_EQ(json_parse(text, len, depth, &doc, &why), -EINVAL);
	CHECK(doc == NULL);
	CHECK(why != NULL);
	return why;
}

static void test_scalars(void)
{
	struct json_doc *d = parse_ok("null");
	CHECK_INT_EQ(json_doc_root(d)->type, JSON_NULL);
	json_doc_free(d);

	d = parse_ok(" true ");
	CHECK_INT_EQ(json_doc_root(d)->type, JSON_BOOL);
	CHECK(json_doc_root(d)->b);
	json_doc_free(d);

	d = parse_ok("false");
	CHECK(!json_doc_root(d)->b);
	json_doc_free(d);

	d = parse_ok("-9223372036854775808");
	CHECK_INT_EQ(json_doc_root(d)->type, JSON_INT);
	CHECK(json_doc_root(d)->i == INT64_MIN);
	json_doc_free(d);

	d = parse_ok("9223372036854775807");
	CHECK_INT_EQ(json_doc_root(d)->type, JSON_INT);
	CHECK(json_doc_root(d)->i == INT64_MAX);
	json_doc_free(d);

	d = parse_ok("9223372036854775808");
	CHECK_INT_EQ(json_doc_root(d)->type, JSON_UINT);
	CHECK(json_doc_root(d)->u == 9223372036854775808ull);
	json_doc_free(d);

	d = parse_ok("18446744073709551615");
	CHECK_INT_EQ(json_doc_root(d)->type, JSON_UINT);
	CHECK(json_doc_root(d)->u == UINT64_MAX);
	json_doc_free(d);

	/* Go refuses these for an int field: callers look at the type. */
	const char *doubles[] = { "10.5", "1e2", "10.0", "-0.0", "1E-2" };
	const double want[] = { 10.5, 100, 10, 0, 0.01 };
	for (size_t i = 0; i < ARRAY_SIZE(doubles); i++) {
		d = parse_ok(doubles[i]);
		CHECK_INT_EQ(json_doc_root(d)->type, JSON_DOUBLE);
		CHECK(json_doc_root(d)->d == want[i]);
		json_doc_free(d);
	}

	d = parse_ok("-0");
	CHECK_INT_EQ(json_doc_root(d)->type, JSON_INT);
	CHECK_INT_EQ(json_doc_root(d)->i, 0);
	json_doc_free(d);
}

static void test_strings(void)
{
	struct json_doc *d = parse_ok("\"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\"");
	const struct json_value *v = json_doc_root(d);
	CHECK_INT_EQ(v->type, JSON_STRING);
	CHECK_MEM_EQ(v->str, v->len, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_INT_EQ(v->str[v->len], '\0');
	json_doc_free(d);

	d = parse_ok("\"x\\u0000y\"");
	v = json_doc_root(d);
	CHECK_INT_EQ(v->len, 3);
	CHECK(memcmp(v->str, "x\0y", 4) == 0);
	json_doc_free(d);

	d = parse_ok("\"\"");
	CHECK_INT_EQ(json_doc_root(d)->len, 0);
	CHECK_STR_EQ(json_doc_root(d)->str, "");
	json_doc_free(d);
}

static void test_containers(void)
{
	struct json_doc *d = parse_ok(
		"{\"a\":[1,\"two\",{\"three\":3.5},[],{}],\"b\":{\"c\":null},\"\":true}");
	const struct json_value *root = json_doc_root(d);
	CHECK_INT_EQ(root->type, JSON_OBJECT);
	CHECK_INT_EQ(root->len, 3);
	CHECK_STR_EQ(root->members[0].key, "a");
	CHECK_INT_EQ(root->members[0].key_len, 1);
	CHECK_STR_EQ(root->members[2].key, "");
	CHECK_INT_EQ(root->members[2].key_len, 0);

	const struct json_value *a = &root->members[0].value;
	CHECK_INT_EQ(a->type, JSON_ARRAY);
	CHECK_INT_EQ(a->len, 5);
	CHECK_INT_EQ(a->items[0].type, JSON_INT);
	CHECK_INT_EQ(a->items[0].i, 1);
	CHECK_STR_EQ(a->items[1].str, "two");
	CHECK_INT_EQ(a->items[2].type, JSON_OBJECT);
	CHECK_STR_EQ(a->items[2].members[0].key, "three");
	CHECK(a->items[2].members[0].value.d == 3.5);
	CHECK_INT_EQ(a->items[3].type, JSON_ARRAY);
	CHECK_INT_EQ(a->items[3].len, 0);
	CHECK_INT_EQ(a->items[4].type, JSON_OBJECT);
	CHECK_INT_EQ(a->items[4].len, 0);

	const struct json_value *b = &root->members[1].value;
	CHECK_INT_EQ(b->members[0].value.type, JSON_NULL);
	json_doc_free(d);
}

static void test_depth(void)
{
	char text[2100];
	/* Default limit 64: 64 nested arrays pass, 65 fail. */
	for (int depth = 63; depth <= 65; depth++) {
		memset(text, '[', (size_t)depth);
		memset(text + depth, ']', (size_t)depth);
		struct json_doc *d = NULL;
		const char *why = NULL;
		int rc = json_parse(text, (size_t)depth * 2, 0, &d, &why);
		if (depth <= 64) {
			CHECK_INT_EQ(rc, 0);
			json_doc_free(d);
		} else {
			CHECK_INT_EQ(rc, -EINVAL);
			CHECK(strstr(why, "too deep") != NULL);
		}
	}
	/* An explicit limit counts objects too; a scalar root has depth 0. */
	CHECK(strstr(parse_err("{\"a\":{\"b\":[1]}}", 15, 2), "too deep"));
	struct json_doc *d = NULL;
	CHECK_INT_EQ(json_parse("{\"a\":{\"b\":[1]}}", 15, 3, &d, NULL), 0);
	json_doc_free(d);
	CHECK_INT_EQ(json_parse("1", 1, 1, &d, NULL), 0);
	json_doc_free(d);
	/* Beyond 1024 simdjson itself refuses, whatever the caller asked. */
	memset(text, '[', 1025);
	memset(text + 1025, ']', 1025);
	CHECK(strstr(parse_err(text, 2050, 5000), "too deep"));
}

static void test_errors(void)
{
	CHECK_STR_EQ(parse_err("", 0, 0), "Empty: no JSON found");
	CHECK_STR_EQ(parse_err("   ", 3, 0), "Empty: no JSON found");
	CHECK_STR_EQ(parse_err("[1,]", 4, 0),
		     "The JSON document has an improper structure: missing or superfluous "
		     "commas, braces, missing keys, etc.");
	CHECK_STR_EQ(parse_err("1 2", 3, 0),
		     "The JSON document has an improper structure: missing or superfluous "
		     "commas, braces, missing keys, etc.");
	CHECK_STR_EQ(parse_err("18446744073709551616", 20, 0), "Problem while parsing a number");
	CHECK_STR_EQ(parse_err("1.5e400", 7, 0), "Problem while parsing a number");
	CHECK_STR_EQ(parse_err("\"\xff\"", 3, 0), "The input is not valid UTF-8");
	CHECK_STR_EQ(parse_err("\"\\ud800\"", 8, 0), "Problem while parsing a string");
	CHECK(parse_err("{\"a\":1", 6, 0) != NULL);
	CHECK(parse_err("tru", 3, 0) != NULL);
	CHECK(parse_err("{\"a\" 1}", 7, 0) != NULL);
	/* Input is taken by length, not up to a NUL. */
	CHECK(parse_err("[1]\0", 4, 0) != NULL);
}

static void test_large(void)
{
	/* Past the per-thread parser's limit a private parser is used. */
	size_t n = 300 * 1024;
	char *text = malloc(n + 2);
	CHECK(text != NULL);
	text[0] = '"';
	memset(text + 1, 'x', n);
	text[n + 1] = '"';
	struct json_doc *d = NULL;
	CHECK_INT_EQ(json_parse(text, n + 2, 0, &d, NULL), 0);
	CHECK_INT_EQ(json_doc_root(d)->len, n);
	json_doc_free(d);
	free(text);
	/* And a small one after it reuses the thread's parser. */
	d = parse_ok("[1,2,3]");
	CHECK_INT_EQ(json_doc_root(d)->len, 3);
	json_doc_free(d);
}

int main(void)
{
	test_scalars();
	test_strings();
	test_containers();
	test_depth();
	test_errors();
	test_large();
	return 0;
}
