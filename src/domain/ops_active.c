/*
 * The answer of PUT .../goals/{goal_id}/active (api.md §5.3): the ids and
 * flag echoed, "now" as assignedAt even when deactivating (the reference's
 * quirk), and the fixed message. Pure; any thread.
 */
#include "challenged/domain_ops.h"
#include "dom_private.h"

void dom_render_set_active(struct buf *out, const char *challenge_id, size_t challenge_len,
			   const char *goal_id, size_t goal_len, bool active, int64_t now)
{
	buf_append_str(out, "{\"challengeId\":");
	json_write_string_proto(out, challenge_id, challenge_len);
	buf_append_str(out, ",\"goalId\":");
	json_write_string_proto(out, goal_id, goal_len);
	buf_append_str(out, active ? ",\"isActive\":true,\"assignedAt\":"
				   : ",\"isActive\":false,\"assignedAt\":");
	dom_json_time(out, now);
	buf_append_str(out, active ? ",\"message\":\"Goal activated successfully\"}"
				   : ",\"message\":\"Goal deactivated successfully\"}");
}
