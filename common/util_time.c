#include "common/util_time.h"

#include <stdio.h>
#include <string.h>

char *
util_format_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* N decimal digits at S into *V; false unless all N are digits. */
static bool
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

const char *
util_parse_utc(const char *s, time_t *t)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec;
	bool leap;
	struct tm tm;

	/* Exactly YYYY-MM-DDTHH:MM:SS: strptime would take "2026-2-30" and roll it over. */
	if (s == NULL || strnlen(s, 19) < 19 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return NULL;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) ||
	    h > 23 || mi > 59 || sec > 59)
		return NULL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm);
	return s + 19;
}

int
util_parse_time(const char *s, time_t *t)
{
	const char *rest = util_parse_utc(s, t);

	return rest != NULL && strcmp(rest, "Z") == 0 ? 0 : -1;
}

bool
util_time_in_range(time_t t)
{
	return t >= 0 && t <= UTIL_TIME_MAX;
}

bool
util_time_future(time_t t, time_t now)
{
	return t > now && t - now > UTIL_CLOCK_SKEW;
}
