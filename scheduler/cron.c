#include "scheduler/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
