/*
 * GET .../rotation (api.md §5.7): the rotation block of the challenge's
 * first rotating goal, its current and next period. Pure; any thread.
 */
#include "challenged/domain_ops.h"
#include "dom_private.h"

static const char *const schedule_names[] = {
	[DOM_SCHEDULE_DAILY] = "daily",
	[DOM_SCHEDULE_WEEKLY] = "weekly",
	[DOM_SCHEDULE_MONTHLY] = "monthly",
};

static void render_period(struct buf *b, int64_t start, int64_t end, int64_t expires_in)
{
	buf_append_str(b, "{\"startTime\":");
	dom_json_time(b, start);
	buf_append_str(b, ",\"endTime\":");
	dom_json_time(b, end);
	buf_append_str(b, ",\"expiresInSeconds\":");
	json_write_i64(b, dom_int32_wrap(expires_in));
	buf_append_char(b, '}');
}

void dom_render_rotation(struct buf *out, const struct dom_challenge *ch, int64_t now)
{
	dom_render_rotation_us(out, ch, now * 1000000);
}

void dom_render_rotation_us(struct buf *out, const struct dom_challenge *ch, int64_t now_us)
{
	int64_t now = now_us / 1000000 - (now_us % 1000000 < 0);
	const struct dom_goal *g = dom_challenge_rotation(ch);
	buf_append_str(out, "{\"challengeId\":");
	dom_json_str(out, ch->id, true);
	if (!g) {
		buf_append_str(out, ",\"rotation\":{\"enabled\":false,\"type\":\"\",\"schedule\":\"\","
				    "\"currentPeriod\":null,\"nextPeriod\":null}}");
		return;
	}
	enum dom_schedule s = g->rotation.schedule;
	int64_t start = dom_period_start(s, now), end = dom_period_end(s, now);
	/* Validation admits only type "global" for an enabled rotation. */
	buf_append_str(out, ",\"rotation\":{\"enabled\":true,\"type\":\"global\",\"schedule\":\"");
	buf_append_str(out, schedule_names[s]);
	/* end is always after now, so the seconds left are positive; a month
	 * fits int32. The next period's countdown is always 0. */
	buf_append_str(out, "\",\"currentPeriod\":");
	render_period(out, start, end, (end * 1000000 - now_us) / 1000000);
	buf_append_str(out, ",\"nextPeriod\":");
	render_period(out, end, dom_period_end(s, end), 0);
	buf_append_str(out, "}}");
}
