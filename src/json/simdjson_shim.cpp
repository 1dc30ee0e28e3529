/*
 * The only C++ in the project: runs simdjson's DOM parser and copies its
 * tape into the plain C tree of include/challenged/json.h, one malloc block
 * per document. No exception may leave this file; simdjson is used through
 * its error-code API and everything else is guarded by a catch-all.
 */
extern "C" {
#include "challenged/json.h"
}

#include <simdjson.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

struct json_doc {
	struct json_value root;
};

namespace {

/* Above this the input gets a parser of its own, freed after the call, so a
 * thread does not keep a large parser alive for a one-off document. */
constexpr size_t kReuseLimit = 256 * 1024;
constexpr unsigned kDefaultDepth = 64;
constexpr unsigned kMaxDepth = 1024;

struct thread_state {
	simdjson::dom::parser parser;
	char *pad = nullptr;
	size_t cap = 0;
	~thread_state() { std::free(pad); }
};

struct sizes {
	size_t values = 0;  /* array elements */
	size_t members = 0; /* object members */
	size_t bytes = 0;   /* string and key bytes, NUL included */
};

struct cursor {
	struct json_value *values;
	struct json_member *members;
	char *bytes;
};

const char *const kTooDeep =
	"The JSON document was too deep (too many nested objects and arrays)";
const char *const kTooBig = "The JSON document is too large";

/* First pass: how much room the C tree needs, and the depth check. */
bool measure(simdjson::dom::element e, unsigned depth, unsigned max_depth, sizes &sz)
{
	switch (e.type()) {
	case simdjson::dom::element_type::ARRAY: {
		if (depth + 1 > max_depth)
			return false;
		simdjson::dom::array arr;
		if (e.get_array().get(arr))
			return false;
		for (simdjson::dom::element child : arr) {
			sz.values++;
			if (!measure(child, depth + 1, max_depth, sz))
				return false;
		}
		return true;
	}
	case simdjson::dom::element_type::OBJECT: {
		if (depth + 1 > max_depth)
			return false;
		simdjson::dom::object obj;
		if (e.get_object().get(obj))
			return false;
		for (simdjson::dom::key_value_pair kv : obj) {
			sz.members++;
			sz.bytes += kv.key.size() + 1;
			if (!measure(kv.value, depth + 1, max_depth, sz))
				return false;
		}
		return true;
	}
	case simdjson::dom::element_type::STRING: {
		std::string_view sv;
		if (e.get_string().get(sv))
			return false;
		sz.bytes += sv.size() + 1;
		return true;
	}
	default:
		return true;
	}
}

const char *copy_bytes(cursor &c, std::string_view sv)
{
	char *p = c.bytes;
	if (!sv.empty())
		std::memcpy(p, sv.data(), sv.size());
	p[sv.size()] = '\0';
	c.bytes += sv.size() + 1;
	return p;
}

/* Second pass: fill. measure() has already proven every get_* succeeds. */
void fill(simdjson::dom::element e, struct json_value *out, cursor &c)
{
	std::memset(out, 0, sizeof(*out));
	switch (e.type()) {
	case simdjson::dom::element_type::NULL_VALUE:
		out->type = JSON_NULL;
		break;
	case simdjson::dom::element_type::BOOL:
		out->type = JSON_BOOL;
		out->b = e.get_bool().value_unsafe();
		break;
	case simdjson::dom::element_type::INT64:
		out->type = JSON_INT;
		out->i = e.get_int64().value_unsafe();
		break;
	case simdjson::dom::element_type::UINT64:
		out->type = JSON_UINT;
		out->u = e.get_uint64().value_unsafe();
		break;
	case simdjson::dom::element_type::DOUBLE:
		out->type = JSON_DOUBLE;
		out->d = e.get_double().value_unsafe();
		break;
	case simdjson::dom::element_type::STRING: {
		std::string_view sv = e.get_string().value_unsafe();
		out->type = JSON_STRING;
		out->len = (uint32_t)sv.size();
		out->str = copy_bytes(c, sv);
		break;
	}
	case simdjson::dom::element_type::ARRAY: {
		simdjson::dom::array arr = e.get_array().value_unsafe();
		uint32_t n = 0;
		for (simdjson::dom::element child : arr) {
			(void)child;
			n++;
		}
		struct json_value *items = c.values;
		c.values += n;
		out->type = JSON_ARRAY;
		out->len = n;
		out->items = items;
		uint32_t i = 0;
		for (simdjson::dom::element child : arr)
			fill(child, &items[i++], c);
		break;
	}
	case simdjson::dom::element_type::OBJECT: {
		simdjson::dom::object obj = e.get_object().value_unsafe();
		uint32_t n = 0;
		for (simdjson::dom::key_value_pair kv : obj) {
			(void)kv;
			n++;
		}
		struct json_member *members = c.members;
		c.members += n;
		out->type = JSON_OBJECT;
		out->len = n;
		out->members = members;
		uint32_t i = 0;
		for (simdjson::dom::key_value_pair kv : obj) {
			struct json_member *m = &members[i++];
			m->key = copy_bytes(c, kv.key);
			m->key_len = (uint32_t)kv.key.size();
			fill(kv.value, &m->value, c);
		}
		break;
	}
	}
}

int build(simdjson::dom::element root, unsigned max_depth, struct json_doc **out,
	  const char **why)
{
	sizes sz;
	if (!measure(root, 0, max_depth, sz)) {
		*why = kTooDeep;
		return -EINVAL;
	}
	/* Lengths and counts are uint32_t in the C tree. */
	if (sz.bytes > UINT32_MAX || sz.values > UINT32_MAX || sz.members > UINT32_MAX) {
		*why = kTooBig;
		return -EINVAL;
	}
	size_t total = sizeof(struct json_doc) + sz.values * sizeof(struct json_value) +
		       sz.members * sizeof(struct json_member) + sz.bytes;
	auto *doc = static_cast<struct json_doc *>(std::malloc(total));
	if (!doc) {
		*why = "out of memory";
		return -ENOMEM;
	}
	char *base = reinterpret_cast<char *>(doc + 1);
	cursor c;
	c.values = reinterpret_cast<struct json_value *>(base);
	c.members = reinterpret_cast<struct json_member *>(c.values + sz.values);
	c.bytes = reinterpret_cast<char *>(c.members + sz.members);
	fill(root, &doc->root, c);
	*out = doc;
	return 0;
}

int parse_with(simdjson::dom::parser &parser, const char *padded, size_t len,
	       unsigned max_depth, struct json_doc **out, const char **why)
{
	simdjson::dom::element root;
	simdjson::error_code err =
		parser.parse(reinterpret_cast<const uint8_t *>(padded), len, false).get(root);
	if (err) {
		*why = simdjson::error_message(err);
		return err == simdjson::MEMALLOC ? -ENOMEM : -EINVAL;
	}
	return build(root, max_depth, out, why);
}

char *padded_copy(char *dst, const char *text, size_t len)
{
	if (len)
		std::memcpy(dst, text, len);
	std::memset(dst + len, 0, simdjson::SIMDJSON_PADDING);
	return dst;
}

int parse_any(const char *text, size_t len, unsigned max_depth, struct json_doc **out,
	      const char **why)
{
	if (len > kReuseLimit) {
		char *pad = static_cast<char *>(std::malloc(len + simdjson::SIMDJSON_PADDING));
		if (!pad) {
			*why = "out of memory";
			return -ENOMEM;
		}
		simdjson::dom::parser parser;
		int rc = parse_with(parser, padded_copy(pad, text, len), len, max_depth, out, why);
		std::free(pad);
		return rc;
	}
	static thread_local thread_state tl;
	if (tl.cap < len + simdjson::SIMDJSON_PADDING) {
		size_t cap = kReuseLimit + simdjson::SIMDJSON_PADDING;
		char *pad = static_cast<char *>(std::malloc(cap));
		if (!pad) {
			*why = "out of memory";
			return -ENOMEM;
		}
		std::free(tl.pad);
		tl.pad = pad;
		tl.cap = cap;
	}
	return parse_with(tl.parser, padded_copy(tl.pad, text, len), len, max_depth, out, why);
}

} // namespace

extern "C" int json_parse(const char *text, size_t len, unsigned max_depth,
			  struct json_doc **out, const char **why)
{
	const char *ignored;
	if (!why)
		why = &ignored;
	*out = nullptr;
	*why = nullptr;
	if (max_depth == 0)
		max_depth = kDefaultDepth;
	if (max_depth > kMaxDepth)
		max_depth = kMaxDepth;
	try {
		return parse_any(text, len, max_depth, out, why);
	} catch (...) {
		*why = "out of memory";
		return -ENOMEM;
	}
}

extern "C" const struct json_value *json_doc_root(const struct json_doc *doc)
{
	return &doc->root;
}

extern "C" void json_doc_free(struct json_doc *doc)
{
	std::free(doc);
}
