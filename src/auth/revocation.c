/*
 * The IAM revocation list (GET /iam/v3/oauth/revocationlist) as an immutable
 * table: a Bloom filter of revoked tokens laid out as the reference's
 * AccelByte/bloom + willf/bitset read it, and the revoked users sorted by id
 * for binary search. Built at start-up or on a refresh (allocates freely);
 * the lookups are pure and may run on every shard at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "challenged/json.h"
#include "auth_private.h"

/*
 * Each hash function costs one probe per request. IAM sends k around 17;
 * anything past this is not a filter we want on the request path.
 */
#define K_MAX 1024

struct user_rev {
	const char *id; /* into the table's id arena; may hold NUL bytes */
	size_t id_len;
	int64_t revoked_at; /* Unix seconds, fraction dropped as Go's Unix() does */
	uint32_t order;     /* position in the document: the last duplicate wins */
};

struct auth_revocation {
	uint64_t *bits; /* bit i is bit i % 64 of word i / 64 */
	size_t words;
	uint64_t k;
	struct user_rev *users; /* sorted by id, ids unique */
	size_t user_count;
	char *ids;
};

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n decimal digits at *p; false unless all are digits. Advances *p. */
static bool digits(const char **p, const char *end, int n, int64_t *out)
{
	int64_t v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect_char(const char **p, const char *end, char c)
{
	if (*p == end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* "Z", "+hh:mm" or "-hh:mm" (also without the colon); seconds east of UTC. */
static bool zone(const char **p, const char *end, int64_t *off)
{
	int64_t hh, mm;
	char sign;

	if (*p == end)
		return false;
	sign = **p;
	if (sign == 'Z') {
		(*p)++;
		*off = 0;
		return true;
	}
	if (sign != '+' && sign != '-')
		return false;
	(*p)++;
	if (!digits(p, end, 2, &hh))
		return false;
	if (*p < end && **p == ':')
		(*p)++;
	if (!digits(p, end, 2, &mm) || hh > 23 || mm > 59)
		return false;
	*off = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return true;
}

/*
 * RFC 3339 date-time ("2024-01-02T03:04:05.123456Z", "...+07:00") to Unix
 * seconds, with Go's ranges: no leap second, day checked against its month.
 */
static bool parse_rfc3339(const char *s, size_t len, int64_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s, *end = s + len;
	int64_t y, mo, d, h, mi, sec, off, dim;

	if (!digits(&p, end, 4, &y) || !expect_char(&p, end, '-') ||
	    !digits(&p, end, 2, &mo) || !expect_char(&p, end, '-') ||
	    !digits(&p, end, 2, &d) || !expect_char(&p, end, 'T') ||
	    !digits(&p, end, 2, &h) || !expect_char(&p, end, ':') ||
	    !digits(&p, end, 2, &mi) || !expect_char(&p, end, ':') ||
	    !digits(&p, end, 2, &sec))
		return false;
	if (p < end && *p == '.') {
		const char *frac = ++p;

		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == frac)
			return false;
	}
	if (!zone(&p, end, &off) || p != end)
		return false;
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return false;
	dim = mdays[mo - 1] + (mo == 2 && is_leap(y));
	if (d < 1 || d > dim)
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return true;
}

static int bits_fill(struct auth_revocation *rv, const struct json_value *tokens,
		     const char **why)
{
	const struct json_value *k = json_get(tokens, "k"), *bits = json_get(tokens, "bits");

	/* The reference dereferences k unchecked; refusing is kinder than a panic. */
	if (!k || k->type != JSON_INT || k->i < 0 || k->i > K_MAX) {
		*why = "revocation list \"revoked_tokens\".\"k\" is not an integer in 0..1024";
		return -EINVAL;
	}
	rv->k = (uint64_t)k->i;
	if (!bits || bits->type == JSON_NULL)
		return 0;
	if (bits->type != JSON_ARRAY) {
		*why = "revocation list \"revoked_tokens\".\"bits\" is not an array";
		return -EINVAL;
	}
	if (bits->len == 0)
		return 0;
	rv->bits = malloc((size_t)bits->len * sizeof(rv->bits[0]));
	if (!rv->bits) {
		*why = "out of memory building the revocation list";
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < bits->len; i++) {
		const struct json_value *w = &bits->items[i];

		if (w->type == JSON_INT && w->i >= 0) {
			rv->bits[i] = (uint64_t)w->i;
		} else if (w->type == JSON_UINT) {
			rv->bits[i] = w->u;
		} else {
			*why = "revocation list \"revoked_tokens\".\"bits\" holds a value that "
			       "is not an unsigned 64-bit integer";
			return -EINVAL;
		}
	}
	rv->words = bits->len;
	return 0;
}

static int user_cmp(const void *a, const void *b)
{
	const struct user_rev *x = a, *y = b;
	size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
	int c = n ? memcmp(x->id, y->id, n) : 0;

	if (c)
		return c;
	if (x->id_len != y->id_len)
		return x->id_len < y->id_len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* One record; id points into the JSON document until users_fill copies it. */
static int user_read(const struct json_value *u, struct user_rev *out, const char **why)
{
	const struct json_value *id = json_get(u, "id"), *at = json_get(u, "revoked_at");

	if (u->type != JSON_OBJECT) {
		*why = "revocation list \"revoked_users\" holds a record that is not an object";
		return -EINVAL;
	}
	if (!id || id->type != JSON_STRING) {
		*why = "revocation list revoked user has no string \"id\"";
		return -EINVAL;
	}
	if (!at || at->type != JSON_STRING || !parse_rfc3339(at->str, at->len, &out->revoked_at)) {
		*why = "revocation list revoked user has no RFC 3339 \"revoked_at\" time";
		return -EINVAL;
	}
	out->id = id->str;
	out->id_len = id->len;
	return 0;
}

/* Sorted by id; of equal ids only the last in the document stays (a Go map). */
static int users_fill(struct auth_revocation *rv, const struct json_value *users,
		      const char **why)
{
	size_t arena = 0, n = 0, count;
	char *p;
	int rc;

	if (!users || users->type == JSON_NULL)
		return 0;
	if (users->type != JSON_ARRAY) {
		*why = "revocation list \"revoked_users\" is not an array";
		return -EINVAL;
	}
	count = users->len;
	if (count == 0)
		return 0;
	rv->users = malloc(count * sizeof(rv->users[0]));
	if (!rv->users)
		goto nomem;
	for (size_t i = 0; i < count; i++) {
		rc = user_read(&users->items[i], &rv->users[i], why);
		if (rc < 0)
			return rc;
		rv->users[i].order = (uint32_t)i;
		arena += rv->users[i].id_len;
	}
	rv->ids = p = malloc(arena ? arena : 1);
	if (!rv->ids)
		goto nomem;
	for (size_t i = 0; i < count; i++) {
		struct user_rev *u = &rv->users[i];

		memcpy(p, u->id, u->id_len);
		u->id = p;
		p += u->id_len;
	}
	qsort(rv->users, count, sizeof(rv->users[0]), user_cmp);
	for (size_t i = 0; i < count; i++) {
		const struct user_rev *u = &rv->users[i], *next = u + 1;

		if (i + 1 < count && next->id_len == u->id_len &&
		    memcmp(next->id, u->id, u->id_len) == 0)
			continue;
		rv->users[n++] = *u;
	}
	rv->user_count = n;
	return 0;
nomem:
	*why = "out of memory building the revocation list";
	return -ENOMEM;
}

int auth_revocation_from_json(const char *json, size_t len, struct auth_revocation **out,
			      const char **why)
{
	const struct json_value *root, *tokens;
	struct auth_revocation *rv;
	struct json_doc *doc;
	const char *ignored;
	int rc;

	if (!why)
		why = &ignored;
	*why = NULL;
	rc = json_parse(json, len, 0, &doc, why);
	if (rc < 0) {
		if (!*why)
			*why = "revocation list is not valid JSON";
		return rc;
	}
	rv = calloc(1, sizeof(*rv));
	if (!rv) {
		*why = "out of memory building the revocation list";
		rc = -ENOMEM;
		goto out;
	}
	root = json_doc_root(doc);
	tokens = json_get(root, "revoked_tokens");
	if (root->type != JSON_OBJECT) {
		*why = "revocation list is not a JSON object";
		rc = -EINVAL;
	} else if (!tokens || tokens->type != JSON_OBJECT) {
		*why = "revocation list has no \"revoked_tokens\" object";
		rc = -EINVAL;
	} else if ((rc = bits_fill(rv, tokens, why)) == 0) {
		rc = users_fill(rv, json_get(root, "revoked_users"), why);
	}
	if (rc < 0) {
		auth_revocation_free(rv);
		goto out;
	}
	*out = rv;
out:
	json_doc_free(doc);
	return rc;
}

void auth_revocation_free(struct auth_revocation *rv)
{
	if (!rv)
		return;
	free(rv->bits);
	free(rv->users);
	free(rv->ids);
	free(rv);
}

size_t auth_revocation_users(const struct auth_revocation *rv)
{
	return rv ? rv->user_count : 0;
}

uint64_t auth_revocation_bits(const struct auth_revocation *rv)
{
	return rv ? (uint64_t)rv->words * 64 : 0;
}

/*
 * AccelByte/bloom's MURMUR128MITZ64 strategy: index i is
 * (h1 + i * h2) with the sign bit cleared, modulo m, in int64 arithmetic
 * that wraps; unsigned arithmetic gives the same bits.
 */
bool auth_revocation_token_revoked(const struct auth_revocation *rv, const char *token,
				   size_t len)
{
	uint64_t h[2], combined, m;

	/* k == 0 would make every token "revoked" in the reference, m == 0 panic it. */
	if (!rv || rv->words == 0 || rv->k == 0)
		return false;
	m = (uint64_t)rv->words * 64;
	auth_murmur3_x64_128(token, len, 0, h);
	combined = h[0];
	for (uint64_t i = 0; i < rv->k; i++) {
		uint64_t idx = (combined & UINT64_C(0x7fffffffffffffff)) % m;

		if (!(rv->bits[idx / 64] >> (idx % 64) & 1))
			return false;
		combined += h[1];
	}
	return true;
}

bool auth_revocation_user_revoked(const struct auth_revocation *rv, const char *sub,
				  size_t sub_len, int64_t iat)
{
	size_t lo = 0, hi = rv ? rv->user_count : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct user_rev *u = &rv->users[mid];
		size_t n = u->id_len < sub_len ? u->id_len : sub_len;
		int c = n ? memcmp(u->id, sub, n) : 0;

		if (c == 0 && u->id_len == sub_len)
			return u->revoked_at >= iat;
		if (c < 0 || (c == 0 && u->id_len < sub_len))
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
