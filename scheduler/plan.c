/*
 * The scheduler's decisions, pure and unit-tested (tests/unit/test_plan.c):
 * the clock, the next run of a schedule, what catch-up runs, when a
 * failed domain is retried, when a boot check starts, when the daemon
 * wakes. No process, signal,
 * file or environment here: the clock and the randomness come in.
 */
#include "scheduler/plan.h"

#include <stdio.h>

bool
plan_clock_parse(const char *spec, double t0, struct plan_clock *out)
{
	long long start;
	double speed;

	out->test = false;
	out->start = 0;
	out->speed = 1;
	out->t0 = t0;
	if (spec == NULL || sscanf(spec, "%lld %lf", &start, &speed) != 2 || !(speed > 0))
		return false;
	out->test = true;
	out->start = (time_t)start;
	out->speed = speed;
	return true;
}

time_t
plan_clock_now(const struct plan_clock *c, time_t real, double mono)
{
	if (!c->test)
		return real;
	return c->start + (time_t)((mono - c->t0) * c->speed);
}

time_t
plan_retry_at(time_t now, unsigned long delay, int attempt, int retries,
    time_t window_end)
{
	time_t at;

	if (attempt > retries || attempt < 1)
		return 0;
	at = now + (time_t)(delay << (attempt - 1 < 16 ? attempt - 1 : 16));
	if (window_end > 0 && at >= window_end)
		return 0;
	return at;
}

bool
plan_missed(const struct cron *c, const char *tz, time_t last, time_t now)
{
	time_t t;

	return last > 0 && cron_next(c, last, tz, &t) == 0 && t <= now;
}

int
plan_next(const struct cron *c, const char *tz, uint64_t max_delay, uint32_t random,
    time_t after, time_t *base, time_t *next)
{
	if (cron_next(c, after, tz, base) < 0)
		return -1;
	*next = *base + (max_delay == 0 ? 0 : (time_t)(random % (max_delay + 1)));
	return 0;
}

enum plan_boot
plan_boot_check(bool due, bool waiting, bool running, bool backup, bool stopping)
{
	if ((!due && !waiting) || stopping)
		return PLAN_BOOT_NONE;
	if (running)
		return PLAN_BOOT_SKIP;
	if (backup)
		return PLAN_BOOT_WAIT;
	return PLAN_BOOT_START;
}

time_t
plan_wake(const time_t *times, size_t n)
{
	time_t wake = 0;

	for (size_t i = 0; i < n; i++)
		if (times[i] != 0 && (wake == 0 || times[i] < wake))
			wake = times[i];
	return wake;
}

int
plan_timeout_ms(time_t wake, time_t now, double speed, int max_ms)
{
	double ms;

	if (wake == 0 || wake <= now || !(speed > 0))
		return max_ms;
	ms = (double)(wake - now) * 1000 / speed;
	return ms < (double)max_ms ? (int)ms : max_ms;
}
