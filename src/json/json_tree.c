/*
 * Member lookup in a parsed json_doc tree, with Go encoding/json's rules for
 * duplicate keys (the last one wins) and case-insensitive field names.
 * Pure functions over read-only data; any thread.
 */
#include "challenged/json.h"

#include <string.h>

static char ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - ('a' - 'A')) : c;
}

/*
 * Go folds a key rune by rune to upper(lower(r)). Besides ASCII letters only
 * four runes land on ASCII: U+017F (long s) on S, U+212A (Kelvin) on K, and
 * U+0130/U+0131 (dotted/dotless I) on I. Returns the folded ASCII letter and
 * the bytes consumed, or 0 when the rune at k folds to non-ASCII.
 */
static char fold_special(const unsigned char *k, size_t left, size_t *used)
{
	if (left >= 2 && k[0] == 0xC5 && k[1] == 0xBF) {
		*used = 2;
		return 'S';
	}
	if (left >= 2 && k[0] == 0xC4 && (k[1] == 0xB0 || k[1] == 0xB1)) {
		*used = 2;
		return 'I';
	}
	if (left >= 3 && k[0] == 0xE2 && k[1] == 0x84 && k[2] == 0xAA) {
		*used = 3;
		return 'K';
	}
	return 0;
}

bool json_key_fold_eq(const char *key, size_t len, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t i = 0;
	for (; *name; name++) {
		if (i >= len)
			return false;
		char want = ascii_upper(*name);
		if (k[i] < 0x80) {
			if (ascii_upper((char)k[i]) != want)
				return false;
			i++;
			continue;
		}
		size_t used = 0;
		if (fold_special(k + i, len - i, &used) != want)
			return false;
		i += used;
	}
	return i == len;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	size_t klen = strlen(key);
	for (uint32_t i = obj->len; i-- > 0;) {
		const struct json_member *m = &obj->members[i];
		if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
			return &m->value;
	}
	return NULL;
}

const struct json_value *json_get_ci(const struct json_value *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (uint32_t i = obj->len; i-- > 0;) {
		const struct json_member *m = &obj->members[i];
		if (json_key_fold_eq(m->key, m->key_len, key))
			return &m->value;
	}
	return NULL;
}
