/* Gateway body decoding by protobuf-JSON rules (spec api.md §2.2). */
#include <string.h>

#include "../../../src/api/body.h"
#include "check.h"

struct sel {
	struct body_list ids;
	bool replace;
	int32_t count;
	struct str name;
};

static int decode(const char *json, struct sel *s, struct arena *a, char *err)
{
	memset(s, 0, sizeof(*s));
	struct body_field f[] = {
		{ "goal_ids", "goalIds", BODY_STRING_LIST, &s->ids, false },
		{ "replace_existing", "replaceExisting", BODY_BOOL, &s->replace, false },
		{ "count", "count", BODY_INT32, &s->count, false },
		{ "challenge_id", "challengeId", BODY_STRING, &s->name, false },
	};
	return body_decode(json, strlen(json), f, 4, a, err, 256);
}

int main(void)
{
	struct arena a;
	arena_init(&a, 1024);
	struct sel s;
	char err[256];

	/* empty body and whitespace are {} */
	CHECK_INT_EQ(decode("", &s, &a, err), 0);
	CHECK_INT_EQ(decode(" \r\n", &s, &a, err), 0);
	CHECK_INT_EQ(s.ids.n, 0);

	/* proto names and JSON names */
	CHECK_INT_EQ(decode("{\"goal_ids\":[\"a\",\"b\"],\"replace_existing\":true,\"count\":3}", &s, &a, err), 0);
	CHECK_INT_EQ(s.ids.n, 2);
	CHECK_MEM_EQ(s.ids.items[1].ptr, s.ids.items[1].len, "b");
	CHECK(s.replace);
	CHECK_INT_EQ(s.count, 3);
	CHECK_INT_EQ(decode("{\"goalIds\":[\"x\"],\"replaceExisting\":false,\"challengeId\":\"c\"}", &s, &a, err), 0);
	CHECK_INT_EQ(s.ids.n, 1);
	CHECK_MEM_EQ(s.name.ptr, s.name.len, "c");

	/* unknown fields ignored; null leaves a field unset */
	CHECK_INT_EQ(decode("{\"other\":{\"deep\":[1,2]},\"count\":null}", &s, &a, err), 0);
	CHECK_INT_EQ(s.count, 0);

	/* int32 from numbers and numeric strings, integral and in range */
	CHECK_INT_EQ(decode("{\"count\":\"7\"}", &s, &a, err), 0);
	CHECK_INT_EQ(s.count, 7);
	CHECK_INT_EQ(decode("{\"count\":1e2}", &s, &a, err), 0);
	CHECK_INT_EQ(s.count, 100);
	CHECK_INT_EQ(decode("{\"count\":-2147483648}", &s, &a, err), 0);
	CHECK_INT_EQ(s.count, INT32_MIN);
	CHECK_INT_EQ(decode("{\"count\":2147483648}", &s, &a, err), -1);
	CHECK_STR_EQ(err, "proto: invalid value for int32 field count: 2147483648");
	CHECK_INT_EQ(decode("{\"count\":2.5}", &s, &a, err), -1);
	CHECK_INT_EQ(decode("{\"count\":\"2x\"}", &s, &a, err), -1);
	CHECK_INT_EQ(decode("{\"count\":true}", &s, &a, err), -1);

	/* wrong types */
	CHECK_INT_EQ(decode("{\"replace_existing\":\"not-a-boolean\"}", &s, &a, err), -1);
	CHECK_STR_EQ(err, "proto: invalid value for bool field replace_existing: \"not-a-boolean\"");
	CHECK_INT_EQ(decode("{\"goal_ids\":\"a\"}", &s, &a, err), -1);
	CHECK_STR_EQ(err, "proto: invalid value for repeated string field goal_ids: \"a\"");
	CHECK_INT_EQ(decode("{\"goal_ids\":[1]}", &s, &a, err), -1);

	/* the same field twice, under either name */
	CHECK_INT_EQ(decode("{\"count\":1,\"count\":2}", &s, &a, err), -1);
	CHECK_STR_EQ(err, "proto: duplicate field count");
	CHECK_INT_EQ(decode("{\"goal_ids\":[],\"goalIds\":[]}", &s, &a, err), -1);
	CHECK_STR_EQ(err, "proto: duplicate field goalIds");

	/* not JSON, not an object */
	CHECK_INT_EQ(decode("{", &s, &a, err), -1);
	CHECK(strncmp(err, "proto: syntax error", 19) == 0);
	CHECK_INT_EQ(decode("[]", &s, &a, err), -1);
	CHECK_STR_EQ(err, "proto: syntax error: unexpected token, want {");
	CHECK_INT_EQ(decode("1", &s, &a, err), -1);

	/* strings outlive the parsed document (they live in the arena) */
	CHECK_INT_EQ(decode("{\"challenge_id\":\"winter\\u00e9\"}", &s, &a, err), 0);
	CHECK_MEM_EQ(s.name.ptr, s.name.len, "winter\xc3\xa9");

	arena_fini(&a);
	return 0;
}
