/*
 * Calendar arithmetic and the two timestamp texts the service speaks:
 * Postgres TIMESTAMP output (parsed to µs) and RFC3339 UTC with second
 * precision (formatted without strftime). Pure functions, any thread.
 */
#include <time.h>
#include <errno.h>
#include <string.h>

#include "dom_private.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
int64_t dom_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void dom_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void put2(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

/*
 * Years outside 0000-9999 (which Postgres allows and Go prints with more
 * digits or a sign) keep only their last four digits: the field stays 20
 * bytes, which every caller relies on.
 */
void dom_time_put(int64_t seconds, char *out)
{
	int64_t days = seconds / 86400, sod = seconds % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	dom_civil_from_days(days, &y, &m, &d);
	unsigned yy = (unsigned)(((y % 10000) + 10000) % 10000);
	put2(out, yy / 100);
	put2(out + 2, yy % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, (unsigned)(sod / 3600));
	out[13] = ':';
	put2(out + 14, (unsigned)(sod / 60 % 60));
	out[16] = ':';
	put2(out + 17, (unsigned)(sod % 60));
	out[19] = 'Z';
}

void dom_time_format(int64_t seconds, char out[21])
{
	dom_time_put(seconds, out);
	out[20] = '\0';
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

struct scan {
	const char *p, *end;
};

/* Reads between min and max digits; -1 when fewer than min are there. */
static int64_t digits(struct scan *s, int min, int max, int *count)
{
	int64_t v = 0;
	int n = 0;
	while (n < max && s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		v = v * 10 + (*s->p - '0');
		s->p++;
		n++;
	}
	if (count)
		*count = n;
	return n < min ? -1 : v;
}

static bool expect(struct scan *s, char c)
{
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* Optional zone suffix ("Z", "+HH", "+HH:MM", "+HHMM", "+HH:MM:SS") in seconds east. */
static int zone(struct scan *s, int64_t *off)
{
	*off = 0;
	if (s->p == s->end)
		return 0;
	if (expect(s, 'Z'))
		return 0;
	int sign = *s->p == '-' ? -1 : 1;
	if (!expect(s, '+') && !expect(s, '-'))
		return -EINVAL;
	int64_t h = digits(s, 2, 2, NULL), mi = 0, sec = 0;
	if (h < 0)
		return -EINVAL;
	if (s->p < s->end) {
		expect(s, ':');
		if ((mi = digits(s, 2, 2, NULL)) < 0)
			return -EINVAL;
		if (expect(s, ':') && (sec = digits(s, 2, 2, NULL)) < 0)
			return -EINVAL;
	}
	*off = sign * (h * 3600 + mi * 60 + sec);
	return 0;
}

int dom_time_parse_pg(const char *text, size_t len, int64_t *us)
{
	struct scan s = { text, text + len };
	int64_t y = digits(&s, 4, 7, NULL);
	if (y < 0 || !expect(&s, '-'))
		return -EINVAL;
	int64_t mo = digits(&s, 2, 2, NULL);
	if (mo < 1 || mo > 12 || !expect(&s, '-'))
		return -EINVAL;
	int64_t d = digits(&s, 2, 2, NULL);
	if (d < 1 || d > month_days(y, (unsigned)mo))
		return -EINVAL;
	if (!expect(&s, ' ') && !expect(&s, 'T'))
		return -EINVAL;
	int64_t h = digits(&s, 2, 2, NULL);
	if (h < 0 || !expect(&s, ':'))
		return -EINVAL;
	int64_t mi = digits(&s, 2, 2, NULL);
	if (mi < 0 || !expect(&s, ':'))
		return -EINVAL;
	int64_t sec = digits(&s, 2, 2, NULL);
	if (sec < 0 || h > 24 || mi > 59 || sec > 59 || (h == 24 && (mi || sec)))
		return -EINVAL;
	int64_t frac = 0;
	if (expect(&s, '.')) {
		int n;
		frac = digits(&s, 1, 6, &n);
		if (frac < 0)
			return -EINVAL;
		for (; n < 6; n++)
			frac *= 10;
		while (s.p < s.end && *s.p >= '0' && *s.p <= '9')
			s.p++; /* below a microsecond: truncated */
	}
	int64_t off;
	if (zone(&s, &off) || s.p != s.end)
		return -EINVAL;
	int64_t days = dom_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off;
	*us = secs * 1000000 + frac;
	return 0;
}

int64_t dom_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
