/*
 * The parameters of EVT_FLUSH_SQL (sql/events_flush.sql) for one batch: the
 * copy rows of spec events.md §5.5 step 4 as eleven Postgres array
 * literals. Runs on the flushing shard; a batch of 10k+ rows is written with
 * plain appends, never a printf per element.
 */
#include <errno.h>
#include <string.h>

#include "evt_private.h"

enum {
	P_USER, P_GOAL, P_PROGRESS, P_MODE, P_INC, P_TARGET, P_BOUNDARY, P_EXPIRES,
	P_RESELECT, P_RESET, P_CHALLENGE,
};

/* "YYYY-MM-DD HH:MM:SS" (UTC) of each schedule's current period at now. */
struct period_text {
	bool valid;
	char start[20];
	char end[20];
};

static void timestamp_text(int64_t seconds, char out[20])
{
	char rfc[21];
	dom_time_format(seconds, rfc);
	/* "2025-06-15T14:03:11Z" -> "2025-06-15 14:03:11" */
	rfc[10] = ' ';
	rfc[19] = '\0';
	memcpy(out, rfc, 20);
}

static void periods_init(struct period_text p[4], int64_t now)
{
	for (int s = 0; s < 4; s++) {
		int64_t start = dom_period_start((enum dom_schedule)s, now);
		int64_t end = dom_period_end((enum dom_schedule)s, now);
		p[s].valid = start >= 0 && end >= 0;
		if (p[s].valid) {
			timestamp_text(start, p[s].start);
			timestamp_text(end, p[s].end);
		}
	}
}

/* An array element in double quotes, '"' and '\' escaped: the only
 * characters special inside a quoted element. */
static void append_quoted(struct buf *out, const char *s, size_t len)
{
	char *d = buf_reserve(out, 2 * len + 2);
	if (!d)
		return;
	char *p = d;
	*p++ = '"';
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '"' || c == '\\')
			*p++ = '\\';
		*p++ = c;
	}
	*p++ = '"';
	out->len += (size_t)(p - d);
}

static void append_lit(struct buf *out, const char *s, size_t len)
{
	buf_append(out, s, len);
}

#define APPEND_LIT(out, s) append_lit((out), (s), sizeof(s) - 1)

static void append_row(struct buf *params, const struct evt_batch *batch,
		       const struct evt_entry *e, const struct period_text periods[4])
{
	const struct dom_goal *g = e->goal;
	append_quoted(&params[P_USER], batch->users + e->user_off, e->user_len);
	append_quoted(&params[P_GOAL], g->id, strlen(g->id));
	if (e->has_value)
		buf_append_i64(&params[P_PROGRESS], e->value);
	else
		APPEND_LIT(&params[P_PROGRESS], "NULL");
	if (g->mode == DOM_MODE_RELATIVE)
		APPEND_LIT(&params[P_MODE], "relative");
	else
		APPEND_LIT(&params[P_MODE], "absolute");
	buf_append_i64(&params[P_INC], e->inc);
	buf_append_i64(&params[P_TARGET], g->target_value);

	const struct period_text *p = NULL;
	if (g->rotation.enabled && (unsigned)g->rotation.schedule < 4 &&
	    periods[g->rotation.schedule].valid)
		p = &periods[g->rotation.schedule];
	if (p) {
		append_quoted(&params[P_BOUNDARY], p->start, 19);
		append_quoted(&params[P_EXPIRES], p->end, 19);
		buf_append_char(&params[P_RESELECT], g->rotation.allow_reselection ? 't' : 'f');
		buf_append_char(&params[P_RESET], g->rotation.reset_progress ? 't' : 'f');
	} else {
		APPEND_LIT(&params[P_BOUNDARY], "NULL");
		APPEND_LIT(&params[P_EXPIRES], "NULL");
		buf_append_char(&params[P_RESELECT], 'f');
		buf_append_char(&params[P_RESET], 'f');
	}
	const char *chal = g->challenge ? g->challenge->id : "";
	append_quoted(&params[P_CHALLENGE], chal, strlen(chal));
}

int evt_batch_params(const struct evt_batch *batch, int64_t now, struct buf params[EVT_FLUSH_PARAMS])
{
	struct period_text periods[4];
	periods_init(periods, now);
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++) {
		buf_reset(&params[i]);
		buf_append_char(&params[i], '{');
	}
	for (size_t k = 0; k < batch->n; k++) {
		if (k)
			for (int i = 0; i < EVT_FLUSH_PARAMS; i++)
				buf_append_char(&params[i], ',');
		append_row(params, batch, &batch->ents[k], periods);
	}
	int ret = 0;
	for (int i = 0; i < EVT_FLUSH_PARAMS; i++) {
		buf_append(&params[i], "}", 2); /* the brace and a NUL */
		if (params[i].failed)
			ret = -ENOMEM;
		else
			params[i].len--;
	}
	return ret;
}
