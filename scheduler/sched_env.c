/*
 * The scheduler's clock and randomness, from the environment and the
 * system (the decisions on them are plan.c's).
 */
#include "scheduler/sched_env.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/clock.h"
#include "scheduler/plan.h"

/* The clock of VIRTVAULT_TEST_CLOCK, its start pinned in VIRTVAULT_TEST_CLOCK_T0. */
static void
env_clock(struct plan_clock *c)
{
	const char *m0 = getenv("VIRTVAULT_TEST_CLOCK_T0");

	if (!plan_clock_parse(getenv("VIRTVAULT_TEST_CLOCK"), 0, c))
		return;
	if (m0 == NULL) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%.6f", clock_mono());
		setenv("VIRTVAULT_TEST_CLOCK_T0", buf, 1);
		m0 = getenv("VIRTVAULT_TEST_CLOCK_T0");
	}
	c->t0 = strtod(m0, NULL);
}

time_t
sched_env_now(void)
{
	struct plan_clock c;

	env_clock(&c);
	return plan_clock_now(&c, time(NULL), c.test ? clock_mono() : 0);
}

double
sched_env_speed(void)
{
	struct plan_clock c;

	/* The speed only: no start to pin. */
	plan_clock_parse(getenv("VIRTVAULT_TEST_CLOCK"), 0, &c);
	return c.speed;
}

uint32_t
sched_env_random(void)
{
	uint32_t r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid();
	if (fd >= 0)
		close(fd);
	return r;
}
