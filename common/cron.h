/*
 * Cron expressions: five fields (minute hour day-of-month month
 * day-of-week) with '*', lists, ranges, steps, month and weekday names, 0
 * or 7 for Sunday, and the macros @hourly @daily @weekly @monthly @yearly
 * (@annually, @midnight). Pure code: no clock of its own.
 */
#ifndef VV_CRON_H
#define VV_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cron {
	uint64_t minute;	/* bit N: minute N, 0-59 */
	uint32_t hour;		/* bit N: hour N, 0-23 */
	uint32_t mday;		/* bit N: day N of the month, 1-31 */
	uint16_t month;		/* bit N: month N, 1-12 */
	uint8_t wday;		/* bit N: weekday N, 0-6, 0 = Sunday */
	/*
	 * Whether the day fields began with '*'. As in cron, when neither
	 * did, a day matches if either field matches; otherwise both must.
	 */
	bool mday_star;
	bool wday_star;
};

/*
 * cron_parse: parse EXPR into *OUT. Returns 0, or -1 with a message naming
 * the field and what is wrong in ERR (ERRLEN bytes, always terminated).
 */
int cron_parse(const char *expr, struct cron *out, char *err, size_t errlen);

/*
 * cron_next: the first time after AFTER (exclusive) at which C fires, in
 * the local time of TZ (an IANA zone name such as "Europe/Berlin", or NULL
 * for the process's zone). Daylight saving time is handled like cronie: a
 * wall time skipped by a spring-forward jump fires once, right after the
 * jump; a wall time that occurs twice in autumn fires once, the first
 * time. Returns 0 with *OUT set, or -1 when C never fires within eight
 * years (an impossible date such as 31 February).
 *
 * Looking up TZ sets the TZ environment variable for the duration of the
 * call: call it from one thread only.
 */
int cron_next(const struct cron *c, time_t after, const char *tz, time_t *out);

/*
 * cron_localtime: T broken down in the local time of TZ (NULL: the
 * process's zone); the same TZ caveat as cron_next.
 */
void cron_localtime(time_t t, const char *tz, struct tm *out);

/* cron_zone_valid: whether TZ names a zone in the system's zone database. */
bool cron_zone_valid(const char *tz);

#endif
