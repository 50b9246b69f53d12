/*
 * The daemon: runs every [job NAME] at the times of its schedule. Each
 * domain is backed up by a child `virtvault backup DOMAIN --job NAME`, at
 * most max_parallel at once, never one domain twice (the per-domain lock
 * also keeps manual runs out). Signals come through a signalfd.
 */
#ifndef VV_DAEMON_H
#define VV_DAEMON_H

#include <stdbool.h>
#include <time.h>

#include "conf/conf.h"

struct daemon_opts {
	const char *self;		/* the virtvault binary to run children with */
	const char *config_path;	/* what -c said, or NULL */
	const char *pidfile;		/* or NULL */
};

/*
 * daemon_run: repair leftover journals, then schedule until SIGTERM or
 * SIGINT, after which running backups are brought to a safe point. C is
 * the loaded configuration (the daemon takes it over). Returns 0, or -1
 * when it could not start (logged).
 */
int daemon_run(const struct daemon_opts *o, struct conf *c);

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
struct cron;
bool sched_missed(const struct cron *c, const char *tz, time_t last, time_t now);

#endif
