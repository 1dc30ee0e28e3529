/*
 * Gateway request bodies decoded by protobuf-JSON rules (spec api.md §2.2):
 * each field by its JSON name or its proto name, unknown fields ignored, a
 * field given twice is an error, null means unset, int32 as a number or a
 * numeric string, and an empty body means {}. Pure; allocations go to the
 * request's arena.
 */
#ifndef CHALLENGED_API_BODY_H
#define CHALLENGED_API_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenged/arena.h"
#include "challenged/common.h"

enum body_type { BODY_BOOL, BODY_INT32, BODY_STRING, BODY_STRING_LIST };

struct body_list {
	struct str *items;
	size_t n;
};

struct body_field {
	const char *proto_name;   /* goal_ids */
	const char *json_name;    /* goalIds */
	enum body_type type;
	void *out;                /* bool *, int32_t *, struct str *, struct body_list * */
	bool present;             /* set by the decoder */
};

/*
 * Decodes body into fields. Returns 0, or -1 with err holding the message of
 * the 400 answer (protojson's wording where we can match it).
 */
int body_decode(const char *body, size_t len, struct body_field *fields, size_t n_fields,
		struct arena *arena, char *err, size_t err_len);

#endif
