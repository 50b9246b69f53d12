/*
 * Cron expressions: five fields (minute hour day-of-month month
 * day-of-week) with '*', lists, ranges, steps, month and weekday names, 0
 * or 7 for Sunday, and the macros @hourly @daily @weekly @monthly @yearly
 * (@annually, @midnight). Pure code: no clock, no allocation.
 */
#ifndef VV_CRON_H
#define VV_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
