/*
 * The scheduler's decisions (plan.c): pure functions of the time, the
 * schedule, the outcome so far and the randomness they are given; no
 * process, signal, file or environment. The daemon (daemon*.c) acts on
 * them; sched_env.h gives it the clock and the randomness.
 */
#ifndef VV_PLAN_H
#define VV_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/cron.h"

/*
 * The scheduler's clock: the real time, or for tests one that starts at
 * START when the monotonic clock read T0 and runs SPEED times faster.
 */
struct plan_clock {
	bool test;
	time_t start;
	double speed;		/* 1 for the real clock */
	double t0;		/* clock_mono() at START */
};

/*
 * plan_clock_parse: SPEC ("EPOCH SPEED", as VIRTVAULT_TEST_CLOCK) into
 * *OUT, started at T0; the real clock when SPEC is NULL or not that.
 * Returns whether it is a test clock.
 */
bool plan_clock_parse(const char *spec, double t0, struct plan_clock *out);

/* plan_clock_now: the time of clock C when the real time is REAL and the monotonic clock MONO. */
time_t plan_clock_now(const struct plan_clock *c, time_t real, double mono);

/*
 * plan_retry_at: when attempt ATTEMPT (1 for the first retry) of a failed
 * domain may start: NOW + DELAY * 2^(ATTEMPT-1); 0 when that is not before
 * WINDOW_END (the job's next run) or RETRIES are used up.
 */
time_t plan_retry_at(time_t now, unsigned long delay, int attempt, int retries,
    time_t window_end);

/*
 * plan_missed: whether a run of the schedule C (in zone TZ) fell in
 * (LAST, NOW]: what catch_up runs once at start-up.
 */
bool plan_missed(const struct cron *c, const char *tz, time_t last, time_t now);

/*
 * plan_next: the next run of schedule C (in zone TZ) after AFTER into
 * *BASE, and into *NEXT that time plus a delay in [0, MAX_DELAY] seconds
 * (randomized_delay) drawn from RANDOM (any 32 random bits). Returns 0,
 * or -1 when there is none.
 */
int plan_next(const struct cron *c, const char *tz, uint64_t max_delay, uint32_t random,
    time_t after, time_t *base, time_t *next);

/* What the daemon does with a job's boot check (plan_boot_check). */
enum plan_boot {
	PLAN_BOOT_NONE = 0,	/* nothing: not due */
	PLAN_BOOT_START,	/* start `verify --boot --job J` now */
	PLAN_BOOT_WAIT,		/* due, but the job's backup run is in progress: later */
	PLAN_BOOT_SKIP,		/* due, but the job's last boot check still runs: dropped */
};

/*
 * plan_boot_check: a job's boot check when its schedule's time came now
 * (DUE) or came before and waits (WAITING); RUNNING: a boot check of the
 * job still runs; BACKUP: the job's backup run is in progress (domains
 * queued or backing up, its message not sent); STOPPING: the daemon
 * stops. Never two boot checks of one job at once, never one beside the
 * job's backup run.
 */
enum plan_boot plan_boot_check(bool due, bool waiting, bool running, bool backup, bool stopping);

/* plan_wake: the earliest of TIMES (N of them; 0 is none), or 0. */
time_t plan_wake(const time_t *times, size_t n);

/*
 * plan_timeout_ms: how long the daemon may sleep at NOW, on a clock
 * running SPEED times faster than real time, before WAKE (0: none):
 * MAX_MS, or less when WAKE comes sooner.
 */
int plan_timeout_ms(time_t wake, time_t now, double speed, int max_ms);

#endif
