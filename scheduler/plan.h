/*
 * The scheduler's decisions (plan.c): pure functions of the time, the
 * schedule and the outcome so far. The daemon's loop (daemon.c) and its
 * children (daemon_kids.c) act on them.
 */
#ifndef VV_PLAN_H
#define VV_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/cron.h"

/*
 * sched_now: the scheduler's clock. VIRTVAULT_TEST_CLOCK="EPOCH SPEED"
 * starts it at EPOCH and runs it SPEED times faster than real time (for
 * tests); otherwise it is the real time.
 */
time_t sched_now(void);

/* sched_speed: how much faster than real time the clock runs (1 normally). */
double sched_speed(void);

/*
 * sched_retry_at: when attempt ATTEMPT (1 for the first retry) of a failed
 * domain may start: NOW + DELAY * 2^(ATTEMPT-1); 0 when that is not before
 * WINDOW_END (the job's next run) or RETRIES are used up.
 */
time_t sched_retry_at(time_t now, unsigned long delay, int attempt, int retries,
    time_t window_end);

/*
 * sched_missed: whether a run of the schedule C (in zone TZ) fell in
 * (LAST, NOW]: what catch_up runs once at start-up.
 */
bool sched_missed(const struct cron *c, const char *tz, time_t last, time_t now);

/*
 * sched_next: the next run of schedule C (in zone TZ) after AFTER into
 * *BASE, and into *NEXT that time plus a random delay in [0, MAX_DELAY]
 * seconds (randomized_delay). Returns 0, or -1 when there is none.
 */
int sched_next(const struct cron *c, const char *tz, uint64_t max_delay, time_t after,
    time_t *base, time_t *next);

#endif
