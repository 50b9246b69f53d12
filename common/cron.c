#include "common/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <unistd.h>

struct field_def {
	const char *name;
	int min;
	int max;
	const char *const *names;	/* names for min, min+1, ... or NULL */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const wday_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

static const struct field_def fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	/* 7 is Sunday too; folded into 0 after parsing. */
	{ "day of week", 0, 7, wday_names },
};

static const struct {
	const char *macro;
	const char *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* Parse a number or a name at *P; advance *P. Returns 0 or -1. */
static int
parse_value(const char **p, const struct field_def *f, int idx, int *out,
    char *err, size_t errlen)
{
	const char *s = *p;
	long v = 0;

	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s - '0');
			if (v > 1000) {
				snprintf(err, errlen, "field %d (%s): number too large",
				    idx + 1, f->name);
				return -1;
			}
			s++;
		}
	} else if (isalpha((unsigned char)*s) && f->names != NULL) {
		size_t n = 0;

		while (isalpha((unsigned char)s[n]))
			n++;
		for (v = 0; f->names[v] != NULL; v++)
			if (n == 3 && strncasecmp(s, f->names[v], 3) == 0)
				break;
		if (f->names[v] == NULL) {
			snprintf(err, errlen, "field %d (%s): unknown name '%.*s'",
			    idx + 1, f->name, (int)(n > 16 ? 16 : n), s);
			return -1;
		}
		v += f->min;
		s += n;
	} else {
		snprintf(err, errlen, "field %d (%s): expected a number%s, got '%.16s'",
		    idx + 1, f->name, f->names ? " or a name" : "", s);
		return -1;
	}
	if (v < f->min || v > f->max) {
		snprintf(err, errlen, "field %d (%s): %ld is out of range %d-%d",
		    idx + 1, f->name, v, f->min, f->max);
		return -1;
	}
	*p = s;
	*out = (int)v;
	return 0;
}

/* Parse one field (text TEXT of length N) into the bit set *BITS. */
static int
parse_field(const char *text, size_t n, int idx, uint64_t *bits, char *err,
    size_t errlen)
{
	const struct field_def *f = &fields[idx];
	char buf[128];
	char *item, *save = NULL;

	if (n >= sizeof(buf)) {
		snprintf(err, errlen, "field %d (%s): too long", idx + 1, f->name);
		return -1;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	*bits = 0;
	if (buf[0] == ',' || buf[n - 1] == ',' || strstr(buf, ",,") != NULL) {
		snprintf(err, errlen, "field %d (%s): empty list item", idx + 1,
		    f->name);
		return -1;
	}
	for (item = strtok_r(buf, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		const char *p = item;
		int lo, hi, step = 1;

		if (*p == '*') {
			lo = f->min;
			hi = f->max;
			p++;
		} else {
			if (parse_value(&p, f, idx, &lo, err, errlen) < 0)
				return -1;
			hi = lo;
			if (*p == '-') {
				p++;
				if (parse_value(&p, f, idx, &hi, err, errlen) < 0)
					return -1;
				if (hi < lo) {
					snprintf(err, errlen,
					    "field %d (%s): range %d-%d is backwards",
					    idx + 1, f->name, lo, hi);
					return -1;
				}
			}
		}
		if (*p == '/') {
			long s = 0;

			p++;
			if (!isdigit((unsigned char)*p)) {
				snprintf(err, errlen, "field %d (%s): step must be a number",
				    idx + 1, f->name);
				return -1;
			}
			while (isdigit((unsigned char)*p) && s <= 1000)
				s = s * 10 + (*p++ - '0');
			if (s < 1 || s > f->max - f->min + 1) {
				snprintf(err, errlen, "field %d (%s): step %ld is out of range 1-%d",
				    idx + 1, f->name, s, f->max - f->min + 1);
				return -1;
			}
			step = (int)s;
			/* "N/S" runs from N to the end, as in cron. */
			if (hi == lo && item[0] != '*')
				hi = f->max;
		}
		if (*p != '\0') {
			snprintf(err, errlen, "field %d (%s): unexpected '%.16s'",
			    idx + 1, f->name, p);
			return -1;
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= (uint64_t)1 << v;
	}
	return 0;
}

int
cron_parse(const char *expr, struct cron *out, char *err, size_t errlen)
{
	const char *start[5], *p;
	size_t len[5];
	uint64_t bits[5];
	int n = 0;

	while (isspace((unsigned char)*expr))
		expr++;
	if (expr[0] == '@') {
		size_t m = strcspn(expr, " \t");

		for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
			if (strlen(macros[i].macro) == m &&
			    strncasecmp(expr, macros[i].macro, m) == 0 &&
			    expr[m + strspn(expr + m, " \t")] == '\0')
				return cron_parse(macros[i].expr, out, err, errlen);
		}
		snprintf(err, errlen,
		    "unknown macro '%.*s' (expected @hourly, @daily, @weekly, @monthly or @yearly)",
		    (int)(m > 20 ? 20 : m), expr);
		return -1;
	}
	for (p = expr; *p != '\0';) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (n == 5) {
			snprintf(err, errlen, "expected 5 fields, got more");
			return -1;
		}
		start[n] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		len[n] = (size_t)(p - start[n]);
		n++;
	}
	if (n != 5) {
		snprintf(err, errlen, "expected 5 fields (minute hour day-of-month month day-of-week), got %d", n);
		return -1;
	}
	for (int i = 0; i < 5; i++)
		if (parse_field(start[i], len[i], i, &bits[i], err, errlen) < 0)
			return -1;

	memset(out, 0, sizeof(*out));
	out->minute = bits[0];
	out->hour = (uint32_t)bits[1];
	out->mday = (uint32_t)bits[2];
	out->month = (uint16_t)bits[3];
	out->wday = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7F);
	out->mday_star = start[2][0] == '*';
	out->wday_star = start[4][0] == '*';
	return 0;
}

/* Days in MONTH (1-12) of YEAR. */
static int
days_in(int year, int month)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return d[month - 1];
}

/* Weekday (0 = Sunday) of a date, by Sakamoto's method. */
static int
weekday(int y, int m, int d)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

	if (m < 3)
		y -= 1;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static bool
day_matches(const struct cron *c, int y, int m, int d)
{
	bool dom = (c->mday >> d) & 1, dow = (c->wday >> weekday(y, m, d)) & 1;

	if (!((c->month >> m) & 1))
		return false;
	/* Both restricted: either matches; otherwise both must. */
	if (!c->mday_star && !c->wday_star)
		return dom || dow;
	return dom && dow;
}

/*
 * The UTC time of the first occurrence of wall time (y-m-d h:mi) in the
 * current zone, or, when the wall time does not exist (skipped by a jump),
 * of the first wall minute after it that does.
 */
static time_t
wall_to_utc(int y, int m, int d, int h, int mi)
{
	for (int shift = 0; shift <= 24 * 60; shift++) {
		struct tm tm = { 0 };
		time_t t;
		int mm = mi + shift;

		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		tm.tm_hour = h + mm / 60;
		tm.tm_min = mm % 60;
		/* The earlier of two occurrences is the one in summer time. */
		for (int dst = 1; dst >= 0; dst--) {
			struct tm want = tm, back;

			want.tm_isdst = dst;
			t = mktime(&want);
			if (t == (time_t)-1)
				continue;
			localtime_r(&t, &back);
			if (back.tm_isdst == dst && back.tm_year == want.tm_year &&
			    back.tm_mon == want.tm_mon && back.tm_mday == want.tm_mday &&
			    back.tm_hour == want.tm_hour && back.tm_min == want.tm_min)
				return t;
		}
	}
	return (time_t)-1;
}

static int
next_in_zone(const struct cron *c, time_t after, time_t *out)
{
	struct tm now;
	int y, m, d, h, mi;

	localtime_r(&after, &now);
	y = now.tm_year + 1900;
	m = now.tm_mon + 1;
	d = now.tm_mday;
	h = now.tm_hour;
	/* Start at the wall minute of AFTER: a skipped time maps forward. */
	mi = now.tm_min;
	for (int guard = 0; y <= now.tm_year + 1900 + 8; guard++) {
		if (!day_matches(c, y, m, d)) {
			h = 0;
			mi = 0;
			goto next_day;
		}
		for (; h < 24; h++, mi = 0) {
			if (!((c->hour >> h) & 1))
				continue;
			for (; mi < 60; mi++) {
				time_t t;

				if (!((c->minute >> mi) & 1))
					continue;
				t = wall_to_utc(y, m, d, h, mi);
				if (t != (time_t)-1 && t > after) {
					*out = t;
					return 0;
				}
			}
		}
		h = 0;
		mi = 0;
next_day:
		if (++d > days_in(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		(void)guard;
	}
	return -1;
}

/* Switch the process to zone TZ (NULL or "": stay); returns the old TZ to restore. */
static char *
zone_enter(const char *tz, bool *switched)
{
	const char *o = getenv("TZ");
	char *old = o ? strdup(o) : NULL;

	*switched = tz != NULL && *tz != '\0';
	if (*switched) {
		setenv("TZ", tz, 1);
		tzset();
	}
	return old;
}

static void
zone_leave(char *old, bool switched)
{
	if (switched) {
		if (old != NULL)
			setenv("TZ", old, 1);
		else
			unsetenv("TZ");
		tzset();
	}
	free(old);
}

int
cron_next(const struct cron *c, time_t after, const char *tz, time_t *out)
{
	bool sw;
	char *old = zone_enter(tz, &sw);
	int r = next_in_zone(c, after, out);

	zone_leave(old, sw);
	return r;
}

void
cron_localtime(time_t t, const char *tz, struct tm *out)
{
	bool sw;
	char *old = zone_enter(tz, &sw);

	localtime_r(&t, out);
	zone_leave(old, sw);
}

bool
cron_zone_valid(const char *tz)
{
	char path[512];

	if (tz == NULL || *tz == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL ||
	    strlen(tz) > 200)
		return false;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return access(path, R_OK) == 0;
}
