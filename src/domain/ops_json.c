/*
 * JSON pieces shared by the write-endpoint answers (api.md §2, §4.2):
 * timestamps, the Requirement and Reward messages with every field present,
 * and the row lookup the goal rules share. Pure appends; any thread.
 */
#include <string.h>

#include "dom_private.h"

void dom_json_str(struct buf *b, const char *s, bool proto)
{
	if (proto)
		json_write_string_proto(b, s, strlen(s));
	else
		json_write_string(b, s, strlen(s));
}

void dom_json_time(struct buf *b, int64_t seconds)
{
	char ts[21];
	dom_time_format(seconds, ts);
	buf_append_char(b, '"');
	buf_append(b, ts, 20);
	buf_append_char(b, '"');
}

int64_t dom_us_to_seconds(int64_t us)
{
	/* Go prints the second a timestamp falls in, also before 1970. */
	int64_t secs = us / 1000000;
	return us % 1000000 < 0 ? secs - 1 : secs;
}

void dom_json_time_us(struct buf *b, int64_t us)
{
	if (us == -1)
		buf_append(b, "\"\"", 2);
	else
		dom_json_time(b, dom_us_to_seconds(us));
}

void dom_json_requirement(struct buf *b, const struct dom_goal *g, bool proto)
{
	buf_append_str(b, "{\"statCode\":");
	dom_json_str(b, g->stat_code, proto);
	buf_append_str(b, ",\"operator\":");
	dom_json_str(b, g->op, proto);
	buf_append_str(b, ",\"targetValue\":");
	json_write_i64(b, dom_int32_wrap(g->target_value));
	buf_append_char(b, '}');
}

void dom_json_reward(struct buf *b, const struct dom_goal *g, bool proto)
{
	buf_append_str(b, g->reward_type == DOM_REWARD_ITEM ? "{\"type\":\"ITEM\",\"rewardId\":"
							     : "{\"type\":\"WALLET\",\"rewardId\":");
	dom_json_str(b, g->reward_id, proto);
	buf_append_str(b, ",\"quantity\":");
	json_write_i64(b, dom_int32_wrap(g->reward_quantity));
	buf_append_char(b, '}');
}

const struct dom_row *dom_rows_find(const struct dom_row *rows, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].goal && strcmp(rows[i].goal->id, id) == 0)
			return &rows[i];
	return NULL;
}
