/* Row parsing and parameter formatting for the handlers; see rows.h. */
#include "rows.h"

#include <stdlib.h>
#include <string.h>

enum { COL_GOAL, COL_PROGRESS, COL_STATUS, COL_COMPLETED, COL_CLAIMED, COL_UPDATED, COL_ACTIVE,
       COL_BASELINE, COL_ASSIGNED, COL_CREATED, COL_EXPIRES };

static int64_t ts_col(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return -1;
	int64_t us;
	return dom_time_parse_pg(PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col),
				 &us) == 0 ? us : -1;
}

static int32_t int_col(PGresult *res, int row, int col)
{
	return (int32_t)strtol(PQgetvalue(res, row, col), NULL, 10);
}

size_t rows_parse(const struct dom_config *cfg, PGresult *res, struct dom_row *rows)
{
	int n = PQntuples(res);
	size_t kept = 0;
	for (int i = 0; i < n; i++) {
		const struct dom_goal *g = dom_config_goal(cfg, PQgetvalue(res, i, COL_GOAL),
							   (size_t)PQgetlength(res, i, COL_GOAL));
		if (!g)
			continue; /* a goal no longer in the config */
		struct dom_row *r = &rows[kept++];
		memset(r, 0, sizeof(*r));
		r->goal = g;
		r->progress = int_col(res, i, COL_PROGRESS);
		if (dom_status_parse(PQgetvalue(res, i, COL_STATUS),
				     (size_t)PQgetlength(res, i, COL_STATUS), &r->status) < 0)
			r->status = DOM_STATUS_NOT_STARTED;
		r->completed_at_us = ts_col(res, i, COL_COMPLETED);
		r->claimed_at_us = ts_col(res, i, COL_CLAIMED);
		r->updated_at_us = ts_col(res, i, COL_UPDATED);
		r->is_active = PQgetvalue(res, i, COL_ACTIVE)[0] == 't';
		r->has_baseline = !PQgetisnull(res, i, COL_BASELINE);
		r->baseline = r->has_baseline ? int_col(res, i, COL_BASELINE) : 0;
		r->assigned_at_us = ts_col(res, i, COL_ASSIGNED);
		r->created_at_us = ts_col(res, i, COL_CREATED);
		r->expires_at_us = ts_col(res, i, COL_EXPIRES);
	}
	return kept;
}

void rows_text_array(struct buf *out, const struct str *items, size_t n)
{
	buf_append_char(out, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append_char(out, ',');
		buf_append_char(out, '"');
		for (size_t k = 0; k < items[i].len; k++) {
			char c = items[i].ptr[k];
			if (c == '"' || c == '\\')
				buf_append_char(out, '\\');
			buf_append_char(out, c);
		}
		buf_append_char(out, '"');
	}
	buf_append_char(out, '}');
}

void rows_timestamp(struct buf *out, int64_t seconds)
{
	char rfc[21];
	dom_time_format(seconds, rfc);
	/* "2025-06-15T14:03:11Z" -> "2025-06-15 14:03:11" */
	rfc[10] = ' ';
	buf_append(out, rfc, 19);
}
