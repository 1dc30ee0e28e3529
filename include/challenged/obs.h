/*
 * Observability: structured logs (one JSON object per line on stderr) and,
 * later, per-shard metrics merged on scrape. Logging is thread-safe: each
 * line is formatted into a stack buffer and written with one write(2), which
 * is atomic for lines under PIPE_BUF on pipes and never interleaves on files.
 */
#ifndef CHALLENGED_OBS_H
#define CHALLENGED_OBS_H

#include <stdarg.h>

enum obs_level {
	OBS_LEVEL_TRACE,
	OBS_LEVEL_DEBUG,
	OBS_LEVEL_INFO,
	OBS_LEVEL_WARN,
	OBS_LEVEL_ERROR,
	OBS_LEVEL_FATAL,
};

extern int obs_log_level;

/* Parses a logrus level name (case-insensitive); unknown names give INFO. */
enum obs_level obs_level_parse(const char *name);

/*
 * Writes {"time":..,"level":..,"msg":msg, <fields>} where fields is a
 * printf format producing the rest of the object's members, already JSON
 * (e.g. "\"port\":%d"), or NULL. Strings placed in fields must be escaped by
 * the caller with obs_json_escape when they come from outside.
 */
void obs_log(enum obs_level level, const char *msg, const char *fields, ...)
	__attribute__((format(printf, 3, 4)));

/* Escapes s into out (NUL-terminated, truncated to fit) for use in fields. */
const char *obs_json_escape(const char *s, char *out, unsigned out_len);

#define obs_error(msg, ...) obs_log(OBS_LEVEL_ERROR, msg, __VA_ARGS__)
#define obs_warn(msg, ...) obs_log(OBS_LEVEL_WARN, msg, __VA_ARGS__)
#define obs_info(msg, ...) obs_log(OBS_LEVEL_INFO, msg, __VA_ARGS__)
#define obs_debug(msg, ...)                                          \
	do {                                                         \
		if (obs_log_level <= OBS_LEVEL_DEBUG)                \
			obs_log(OBS_LEVEL_DEBUG, msg, __VA_ARGS__);  \
	} while (0)

#endif
