/* json_write_*: the escaping table of Go's encoding/json (HTML-safe) and of
 * protojson, and integer/bool output. */
#include "challenged/common.h"
#include "challenged/json.h"
#include "check.h"

struct esc_case {
	const char *in;
	size_t len;
	const char *go;    /* json_write_string */
	const char *proto; /* json_write_string_proto */
};

#define IN(s) s, sizeof(s) - 1

static const struct esc_case cases[] = {
	{ IN(""), "\"\"", "\"\"" },
	{ IN("plain text / 123"), "\"plain text / 123\"", "\"plain text / 123\"" },
	{ IN("a\"b\\c"), "\"a\\\"b\\\\c\"", "\"a\\\"b\\\\c\"" },
	{ IN("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\"" },
	{ IN("\x01\x1f\x0b"), "\"\\u0001\\u001f\\u000b\"", "\"\\u0001\\u001f\\u000b\"" },
	{ IN("x\0y"), "\"x\\u0000y\"", "\"x\\u0000y\"" },
	{ IN("\x7f"), "\"\x7f\"", "\"\x7f\"" },
	{ IN("<a href='x'>&amp;</a>"), "\"\\u003ca href='x'\\u003e\\u0026amp;\\u003c/a\\u003e\"",
	  "\"<a href='x'>&amp;</a>\"" },
	{ IN("\xe2\x80\xa8|\xe2\x80\xa9"), "\"\\u2028|\\u2029\"", "\"\xe2\x80\xa8|\xe2\x80\xa9\"" },
	{ IN("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac\"",
	  "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac\"" },
	/* A literal U+FFFD is valid and passes. */
	{ IN("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"", "\"\xef\xbf\xbd\"" },
	/* Invalid UTF-8: one replacement per byte that starts no valid rune. */
	{ IN("\xff"), "\"\\ufffd\"", "\"\xef\xbf\xbd\"" },
	{ IN("a\xe2\x82z"), "\"a\\ufffd\\ufffdz\"", "\"a\xef\xbf\xbd\xef\xbf\xbdz\"" },
	{ IN("\xc0\xaf"), "\"\\ufffd\\ufffd\"", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ IN("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ IN("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ IN("\xe0\x9f\xbf"), "\"\\ufffd\\ufffd\\ufffd\"",
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ IN("\xf0\x8f\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ IN("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\"" },
	{ IN("\xc3"), "\"\\ufffd\"", "\"\xef\xbf\xbd\"" },
};

static void test_escaping(void)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&b);
		json_write_string(&b, cases[i].in, cases[i].len);
		CHECK_MEM_EQ(b.data, b.len, cases[i].go);
		buf_reset(&b);
		json_write_string_proto(&b, cases[i].in, cases[i].len);
		CHECK_MEM_EQ(b.data, b.len, cases[i].proto);
	}
	/* Appends, never overwrites. */
	buf_reset(&b);
	buf_append_str(&b, "x=");
	json_write_string(&b, "<", 1);
	CHECK_MEM_EQ(b.data, b.len, "x=\"\\u003c\"");
	buf_fini(&b);
}

static void test_numbers(void)
{
	struct buf b;
	buf_init(&b);
	const int64_t v[] = { 0, 7, -7, 1000000, INT64_MAX, INT64_MIN };
	const char *want[] = { "0", "7", "-7", "1000000", "9223372036854775807",
			       "-9223372036854775808" };
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		buf_reset(&b);
		json_write_i64(&b, v[i]);
		CHECK_MEM_EQ(b.data, b.len, want[i]);
	}
	buf_reset(&b);
	json_write_u64(&b, UINT64_MAX);
	CHECK_MEM_EQ(b.data, b.len, "18446744073709551615");
	buf_reset(&b);
	json_write_bool(&b, true);
	buf_append_char(&b, ',');
	json_write_bool(&b, false);
	CHECK_MEM_EQ(b.data, b.len, "true,false");
	buf_fini(&b);
}

/* Escaped output parses back to the (repaired) input. */
static void test_round_trip(void)
{
	struct buf b;
	buf_init(&b);
	const char in[] = "q\"<>&\x01\n\xe2\x80\xa8 \xc3\xa9";
	json_write_string(&b, in, sizeof(in) - 1);
	struct json_doc *d = NULL;
	CHECK_INT_EQ(json_parse(b.data, b.len, 0, &d, NULL), 0);
	CHECK_MEM_EQ(json_doc_root(d)->str, json_doc_root(d)->len, in);
	json_doc_free(d);
	buf_fini(&b);
}

int main(void)
{
	test_escaping();
	test_numbers();
	test_round_trip();
	return 0;
}
