/* json_get / json_get_ci / json_key_fold_eq: exact and Go-folded key lookup,
 * the last duplicate winning, non-objects. */
#include "challenged/json.h"
#include "check.h"

static struct json_doc *parse(const char *text)
{
	struct json_doc *doc = NULL;
	CHECK_INT_EQ(json_parse(text, strlen(text), 0, &doc, NULL), 0);
	return doc;
}

static void test_exact(void)
{
	struct json_doc *d = parse("{\"a\":1,\"b\":2,\"a\":3,\"A\":4}");
	const struct json_value *root = json_doc_root(d);
	CHECK_INT_EQ(json_get(root, "a")->i, 3);
	CHECK_INT_EQ(json_get(root, "A")->i, 4);
	CHECK_INT_EQ(json_get(root, "b")->i, 2);
	CHECK(json_get(root, "c") == NULL);
	CHECK(json_get(root, "") == NULL);
	CHECK(json_get(NULL, "a") == NULL);
	CHECK(json_get(&root->members[0].value, "a") == NULL);
	json_doc_free(d);

	/* A key with an embedded NUL is not the shorter key. */
	d = parse("{\"a\\u0000b\":1}");
	CHECK(json_get(json_doc_root(d), "a") == NULL);
	json_doc_free(d);
}

static void test_ci(void)
{
	struct json_doc *d = parse("{\"goalId\":\"x\",\"GOALID\":\"y\",\"name\":\"n\"}");
	const struct json_value *root = json_doc_root(d);
	CHECK_STR_EQ(json_get_ci(root, "goalId")->str, "y");
	CHECK_STR_EQ(json_get_ci(root, "GoalID")->str, "y");
	CHECK_STR_EQ(json_get_ci(root, "NAME")->str, "n");
	CHECK(json_get_ci(root, "goal") == NULL);
	CHECK(json_get_ci(root, "goalIds") == NULL);
	json_doc_free(d);

	d = parse("[1]");
	CHECK(json_get_ci(json_doc_root(d), "a") == NULL);
	json_doc_free(d);
}

static void test_fold(void)
{
	CHECK(json_key_fold_eq("statCode", 8, "statCode"));
	CHECK(json_key_fold_eq("STATCODE", 8, "statCode"));
	CHECK(!json_key_fold_eq("statCod", 7, "statCode"));
	CHECK(!json_key_fold_eq("statCodes", 9, "statCode"));
	CHECK(!json_key_fold_eq("stat_code", 9, "statCode"));
	/* U+017F LATIN SMALL LETTER LONG S folds to S in Go. */
	CHECK(json_key_fold_eq("\xc5\xbftatCode", 9, "statCode"));
	/* U+212A KELVIN SIGN folds to K. */
	CHECK(json_key_fold_eq("\xe2\x84\xaa" "ey", 5, "key"));
	/* U+0130 and U+0131 fold to I. */
	CHECK(json_key_fold_eq("goal\xc4\xb1" "d", 7, "goalId"));
	CHECK(json_key_fold_eq("goal\xc4\xb0" "d", 7, "goalId"));
	/* Other non-ASCII never matches an ASCII name; nor a truncated rune. */
	CHECK(!json_key_fold_eq("goal\xc3\xad" "d", 7, "goalId"));
	CHECK(!json_key_fold_eq("\xc5", 1, "s"));
	CHECK(!json_key_fold_eq("\xe2\x84", 2, "k"));
	CHECK(json_key_fold_eq("", 0, ""));
	CHECK(!json_key_fold_eq("a", 1, ""));
	/* Non-letters compare exactly. */
	CHECK(!json_key_fold_eq("a_b", 3, "a-b"));
	CHECK(!json_key_fold_eq("@", 1, "`"));
}

int main(void)
{
	test_exact();
	test_ci();
	test_fold();
	return 0;
}
