/*
 * The scheduler's decisions, pure and unit-tested: the clock (real, or the
 * test clock), the next run of a schedule, what catch-up runs, when a
 * failed domain is retried. No process, signal or file here.
 */
#include "scheduler/plan.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/clock.h"

double
sched_speed(void)
{
	const char *e = getenv("VIRTVAULT_TEST_CLOCK");
	double speed = 1;
	long long start;

	if (e != NULL && sscanf(e, "%lld %lf", &start, &speed) == 2 && speed > 0)
		return speed;
	return 1;
}

time_t
sched_now(void)
{
	const char *e = getenv("VIRTVAULT_TEST_CLOCK");
	const char *m0 = getenv("VIRTVAULT_TEST_CLOCK_T0");
	long long start;
	double speed, t0;

	if (e == NULL || sscanf(e, "%lld %lf", &start, &speed) != 2 || speed <= 0)
		return time(NULL);
	/* The daemon pins its real start in VIRTVAULT_TEST_CLOCK_T0 (inherited). */
	if (m0 == NULL) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%.6f", clock_mono());
		setenv("VIRTVAULT_TEST_CLOCK_T0", buf, 1);
		m0 = getenv("VIRTVAULT_TEST_CLOCK_T0");
	}
	t0 = strtod(m0, NULL);
	return (time_t)start + (time_t)((clock_mono() - t0) * speed);
}

time_t
sched_retry_at(time_t now, unsigned long delay, int attempt, int retries,
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
sched_missed(const struct cron *c, const char *tz, time_t last, time_t now)
{
	time_t t;

	return last > 0 && cron_next(c, last, tz, &t) == 0 && t <= now;
}

/* A random delay in [0, max] seconds. */
static time_t
random_delay(uint64_t max)
{
	unsigned int r = 0;
	int fd;

	if (max == 0)
		return 0;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			r = (unsigned int)getpid();
		close(fd);
	}
	return (time_t)(r % (max + 1));
}

int
sched_next(const struct cron *c, const char *tz, uint64_t max_delay, time_t after,
    time_t *base, time_t *next)
{
	if (cron_next(c, after, tz, base) < 0)
		return -1;
	*next = *base + random_delay(max_delay);
	return 0;
}
