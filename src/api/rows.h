/* Reading user_goal_progress rows into dom_row, and writing values for
 * Postgres parameters (arrays, timestamps). Pure helpers of src/api. */
#ifndef CHALLENGED_API_ROWS_H
#define CHALLENGED_API_ROWS_H

#include <libpq-fe.h>

#include "challenged/buf.h"
#include "challenged/common.h"
#include "challenged/domain.h"

/* Columns every row read selects, in this order. */
#define ROW_COLUMNS                                                                   \
	"goal_id, progress, status, completed_at, claimed_at, updated_at, is_active, " \
	"baseline_value, assigned_at, created_at, expires_at"

/* Parses every row of res whose goal is configured into rows (room for
 * PQntuples(res) entries); returns the count kept. */
size_t rows_parse(const struct dom_config *cfg, PGresult *res, struct dom_row *rows);

/* Appends a Postgres array literal of text elements, quoted: {"a","b"}. */
void rows_text_array(struct buf *out, const struct str *items, size_t n);
/* Appends "YYYY-MM-DD HH:MM:SS" (UTC) for epoch seconds. */
void rows_timestamp(struct buf *out, int64_t seconds);

#endif
