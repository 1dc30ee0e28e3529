/*
 * JSON-lines logger. Any thread may call it; each line is one write(2) of a
 * stack buffer, so lines never interleave and nothing allocates.
 */
#include "challenged/obs.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int obs_log_level = OBS_LEVEL_INFO;

static const char *const level_names[] = {
	[OBS_LEVEL_TRACE] = "trace", [OBS_LEVEL_DEBUG] = "debug",
	[OBS_LEVEL_INFO] = "info",   [OBS_LEVEL_WARN] = "warning",
	[OBS_LEVEL_ERROR] = "error", [OBS_LEVEL_FATAL] = "fatal",
};

enum obs_level obs_level_parse(const char *name)
{
	if (!name)
		return OBS_LEVEL_INFO;
	if (!strcasecmp(name, "trace"))
		return OBS_LEVEL_TRACE;
	if (!strcasecmp(name, "debug"))
		return OBS_LEVEL_DEBUG;
	if (!strcasecmp(name, "warn") || !strcasecmp(name, "warning"))
		return OBS_LEVEL_WARN;
	if (!strcasecmp(name, "error"))
		return OBS_LEVEL_ERROR;
	if (!strcasecmp(name, "fatal") || !strcasecmp(name, "panic"))
		return OBS_LEVEL_FATAL;
	return OBS_LEVEL_INFO;
}

const char *obs_json_escape(const char *s, char *out, unsigned out_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned o = 0;
	for (; s && *s && o + 7 < out_len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

void obs_log(enum obs_level level, const char *msg, const char *fields, ...)
{
	if ((int)level < obs_log_level)
		return;
	char line[4096];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char esc[1024];
	int n = snprintf(line, sizeof(line),
			 "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, level_names[level],
			 obs_json_escape(msg, esc, sizeof(esc)));
	if (n < 0)
		return;
	if (fields && (size_t)n < sizeof(line) - 3) {
		line[n++] = ',';
		va_list ap;
		va_start(ap, fields);
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 2, fields, ap);
		va_end(ap);
		if (m > 0)
			n += m;
		if ((size_t)n > sizeof(line) - 3)
			n = sizeof(line) - 3;
	}
	if ((size_t)n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	line[n++] = '}';
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}
