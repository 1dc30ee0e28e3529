/* Fuzz target: gateway request bodies through the protobuf-JSON decoder with
 * every field type; must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "../../../src/api/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 4096);
	struct body_list ids;
	bool flag = false;
	int32_t count = 0;
	struct str name = { 0 };
	struct body_field f[] = {
		{ "goal_ids", "goalIds", BODY_STRING_LIST, &ids, false },
		{ "replace_existing", "replaceExisting", BODY_BOOL, &flag, false },
		{ "count", "count", BODY_INT32, &count, false },
		{ "challenge_id", "challengeId", BODY_STRING, &name, false },
	};
	char err[256];
	body_decode((const char *)data, size, f, 4, &a, err, sizeof(err));
	arena_fini(&a);
	return 0;
}
