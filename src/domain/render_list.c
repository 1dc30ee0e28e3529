/*
 * The body of GET /v1/challenges (api.md §5.1), byte for byte as the
 * reference builds it: protobuf-JSON ("omit empty") of each challenge and
 * goal pre-rendered at load, then per request the dynamic fields appended
 * before each goal's closing brace, duplicate keys included. Rendering is
 * one reserve and plain stores: no printf, no allocation beyond the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dom_private.h"

/* Upper bound of one goal's dynamic fields plus its closing brace and comma. */
#define DYNAMIC_MAX 256

static const char default_dynamic[] =
	",\"progress\":0,\"status\":\"not_started\",\"completedAt\":\"\",\"claimedAt\":\"\","
	"\"isActive\":false,\"expiresAt\":\"\",\"expiresInSeconds\":0";

#define PUT_LIT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

static char *put_i64(char *o, int64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	uint64_t u = (uint64_t)v;
	if (v < 0) {
		*o++ = '-';
		u = 0 - u;
	}
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	memcpy(o, tmp + i, sizeof(tmp) - i);
	return o + sizeof(tmp) - i;
}

/* ---- load time: the static fragments ---------------------------------- */

static void key(struct buf *b, const char *lit)
{
	buf_append_str(b, lit);
}

static void str_field(struct buf *b, const char *k, const char *v)
{
	key(b, k);
	json_write_string_proto(b, v, strlen(v));
}

/*
 * The reference converts config integers to the proto's int32 (wrapping),
 * and protojson omits a zero: reproduce both.
 */
static int32_t as_int32(int64_t v)
{
	return (int32_t)(uint32_t)(uint64_t)v;
}

/* A proto message whose fields are omitted when empty: commas only between
 * the fields actually written. */
static void msg_field(struct buf *b, bool *first, const char *name)
{
	if (!*first)
		buf_append_char(b, ',');
	*first = false;
	buf_append_char(b, '"');
	buf_append_str(b, name);
	buf_append(b, "\":", 2);
}

static void render_requirement(struct buf *b, const struct dom_goal *g)
{
	bool first = true;
	key(b, ",\"requirement\":{");
	if (*g->stat_code) {
		msg_field(b, &first, "statCode");
		json_write_string_proto(b, g->stat_code, strlen(g->stat_code));
	}
	if (*g->op) {
		msg_field(b, &first, "operator");
		json_write_string_proto(b, g->op, strlen(g->op));
	}
	if (as_int32(g->target_value)) {
		msg_field(b, &first, "targetValue");
		json_write_i64(b, as_int32(g->target_value));
	}
	buf_append_char(b, '}');
}

static void render_reward(struct buf *b, const struct dom_goal *g)
{
	bool first = true;
	const char *type = g->reward_type == DOM_REWARD_ITEM ? "ITEM" : "WALLET";
	key(b, ",\"reward\":{");
	msg_field(b, &first, "type");
	json_write_string_proto(b, type, strlen(type));
	if (*g->reward_id) {
		msg_field(b, &first, "rewardId");
		json_write_string_proto(b, g->reward_id, strlen(g->reward_id));
	}
	if (as_int32(g->reward_quantity)) {
		msg_field(b, &first, "quantity");
		json_write_i64(b, as_int32(g->reward_quantity));
	}
	buf_append_char(b, '}');
}

static void render_goal(struct buf *b, const struct dom_goal *g, int64_t now)
{
	str_field(b, "{\"goalId\":", g->id);
	str_field(b, ",\"name\":", g->name);
	if (*g->description)
		str_field(b, ",\"description\":", g->description);
	render_requirement(b, g);
	render_reward(b, g);
	if (g->n_prerequisites) {
		key(b, ",\"prerequisites\":[");
		for (size_t i = 0; i < g->n_prerequisites; i++) {
			if (i)
				buf_append_char(b, ',');
			json_write_string_proto(b, g->prerequisites[i], strlen(g->prerequisites[i]));
		}
		buf_append_char(b, ']');
	}
	key(b, ",\"status\":\"not_started\"");
	if (g->n_prerequisites)
		key(b, ",\"locked\":true");
	int64_t exp = dom_goal_next_expiry(g, now);
	if (exp >= 0) {
		char ts[21];
		dom_time_format(exp, ts);
		key(b, ",\"expiresAt\":\"");
		buf_append(b, ts, 20);
		buf_append_char(b, '"');
		int32_t secs = as_int32(exp - now);
		if (secs) {
			key(b, ",\"expiresInSeconds\":");
			json_write_i64(b, secs);
		}
	}
}

static void render_head(struct buf *b, const struct dom_challenge *c)
{
	str_field(b, "{\"challengeId\":", c->id);
	str_field(b, ",\"name\":", c->name);
	if (*c->description)
		str_field(b, ",\"description\":", c->description);
	key(b, ",\"goals\":[");
}

/* Where each fragment sits in the static buffer while it is being built. */
struct span {
	size_t off, len;
};

int dom_store_render(struct dom_store *st, int64_t now)
{
	struct dom_config *cfg = &st->cfg;
	struct buf b;
	struct span *heads = calloc(cfg->n_challenges + 1, sizeof(*heads));
	struct span *goals = calloc(cfg->n_goals + 1, sizeof(*goals));
	int rc = -ENOMEM;
	buf_init(&b);
	if (!heads || !goals)
		goto out;
	/* Offsets first, pointers after: the buffer moves while it grows. */
	for (size_t i = 0; i < cfg->n_challenges; i++) {
		const struct dom_challenge *c = &cfg->challenges[i];
		heads[i].off = b.len;
		render_head(&b, c);
		heads[i].len = b.len - heads[i].off;
		for (size_t j = 0; j < c->n_goals; j++) {
			struct span *sp = &goals[c->goals[j].index];
			sp->off = b.len;
			render_goal(&b, &c->goals[j], now);
			sp->len = b.len - sp->off;
		}
	}
	if (b.failed)
		goto out;
	st->static_json_len = b.len;
	st->static_json = buf_steal(&b, NULL);
	if (!st->static_json)
		goto out;
	for (size_t i = 0; i < cfg->n_challenges; i++) {
		struct dom_challenge *c = &cfg->challenges[i];
		c->list_json_head = st->static_json + heads[i].off;
		c->list_json_head_len = heads[i].len;
		for (size_t j = 0; j < c->n_goals; j++) {
			struct dom_goal *g = &c->goals[j];
			g->list_json = st->static_json + goals[g->index].off;
			g->list_json_len = goals[g->index].len;
		}
	}
	st->render_reserve = st->static_json_len + cfg->n_goals * DYNAMIC_MAX +
			     cfg->n_challenges * 4 + 32;
	rc = 0;
out:
	buf_fini(&b);
	free(heads);
	free(goals);
	return rc;
}

/* ---- request time ------------------------------------------------------- */

/* Boundaries of each schedule's current period, computed once per request. */
struct period {
	int64_t start_us;
	int64_t end;
	char end_text[20];
};

static void periods_init(struct period per[4], int64_t now)
{
	for (int s = DOM_SCHEDULE_DAILY; s <= DOM_SCHEDULE_MONTHLY; s++) {
		per[s].start_us = dom_period_start((enum dom_schedule)s, now) * 1000000;
		per[s].end = dom_period_end((enum dom_schedule)s, now);
		dom_time_put(per[s].end, per[s].end_text);
	}
}

static char *put_time_us(char *o, int64_t us)
{
	if (us == -1)
		return o;
	int64_t secs = us / 1000000;
	if (us % 1000000 < 0)
		secs--;
	dom_time_put(secs, o);
	return o + 20;
}

static char *put_dynamic(char *o, const struct dom_goal *g, const struct dom_row *row,
			 const struct period *per, int64_t now_us)
{
	bool rot = g->rotation.enabled && g->rotation.schedule != DOM_SCHEDULE_NONE;
	const struct period *p = rot ? &per[g->rotation.schedule] : NULL;
	int64_t progress;
	enum dom_status status;
	dom_row_display_at(row, p ? p->start_us : 0, &progress, &status);

	o = PUT_LIT(o, ",\"progress\":");
	o = put_i64(o, progress);
	o = PUT_LIT(o, ",\"status\":\"");
	const char *name = dom_status_name(status);
	size_t n = strlen(name);
	memcpy(o, name, n);
	o += n;
	o = PUT_LIT(o, "\",\"completedAt\":\"");
	o = put_time_us(o, row->completed_at_us);
	o = PUT_LIT(o, "\",\"claimedAt\":\"");
	o = put_time_us(o, row->claimed_at_us);
	o = PUT_LIT(o, "\",\"isActive\":");
	o = row->is_active ? PUT_LIT(o, "true") : PUT_LIT(o, "false");
	o = PUT_LIT(o, ",\"expiresAt\":\"");
	if (p) {
		memcpy(o, p->end_text, 20);
		o += 20;
	}
	o = PUT_LIT(o, "\",\"expiresInSeconds\":");
	/* Whole seconds left, truncated from the precise clock as Go's
	 * time.Until(...).Seconds() conversion does. */
	int64_t left = p ? (p->end * 1000000 - now_us) / 1000000 : 0;
	return put_i64(o, left < 0 ? 0 : left);
}

void dom_render_list(struct buf *out, const struct dom_config *cfg,
		     const struct dom_row *const *rows_by_goal, int64_t now)
{
	dom_render_list_us(out, cfg, rows_by_goal, now * 1000000);
}

void dom_render_list_us(struct buf *out, const struct dom_config *cfg,
			const struct dom_row *const *rows_by_goal, int64_t now_us)
{
	int64_t now = now_us / 1000000 - (now_us % 1000000 < 0);
	const struct dom_store *st = cfg->index;
	char *o = buf_reserve(out, st->render_reserve);
	if (!o)
		return;
	char *begin = o;
	struct period per[4];
	if (cfg->n_rotating)
		periods_init(per, now);

	o = PUT_LIT(o, "{\"challenges\":[");
	for (size_t i = 0; i < cfg->n_challenges; i++) {
		const struct dom_challenge *c = &cfg->challenges[i];
		if (i)
			*o++ = ',';
		memcpy(o, c->list_json_head, c->list_json_head_len);
		o += c->list_json_head_len;
		for (size_t j = 0; j < c->n_goals; j++) {
			const struct dom_goal *g = &c->goals[j];
			const struct dom_row *row = rows_by_goal ? rows_by_goal[g->index] : NULL;
			if (j)
				*o++ = ',';
			memcpy(o, g->list_json, g->list_json_len);
			o += g->list_json_len;
			if (row)
				o = put_dynamic(o, g, row, per, now_us);
			else
				o = PUT_LIT(o, default_dynamic);
			*o++ = '}';
		}
		o = PUT_LIT(o, "]}");
	}
	o = PUT_LIT(o, "]}");
	out->len += (size_t)(o - begin);
}
