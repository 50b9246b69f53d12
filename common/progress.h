/*
 * Progress of a long operation (copy, restore, verify, commit).
 *
 * On a terminal: one line rewritten in place at most four times a second,
 * with bytes done, rate and ETA. Off a terminal: a plain log line every
 * INTERVAL seconds (default 10), so that logs stay readable.
 * Updates may come from several threads.
 */
#ifndef VV_PROGRESS_H
#define VV_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress;

/* A clock in seconds, for tests; NULL means CLOCK_MONOTONIC. */
typedef double (*progress_clock_fn)(void *arg);

/*
 * progress_new: report progress of LABEL (copied) towards TOTAL bytes
 * (0: unknown) on OUT. TTY: 1 in-place line, 0 log lines, -1 decide from
 * isatty(OUT). QUIET: show nothing. Returns a handle the caller frees with
 * progress_free.
 */
struct progress *progress_new(const char *label, uint64_t total, FILE *out,
    int tty, bool quiet);

/* progress_set_clock: use CLOCK (with ARG) instead of the monotonic clock. */
void progress_set_clock(struct progress *p, progress_clock_fn clock, void *arg);

/* progress_set_interval: seconds between log lines off a terminal. */
void progress_set_interval(struct progress *p, double seconds);

/* progress_set_total: the work is TOTAL bytes (known only once it started); NULL: no-op. */
void progress_set_total(struct progress *p, uint64_t total);

/* progress_add: DELTA more bytes done; prints when it is time to. */
void progress_add(struct progress *p, uint64_t delta);

/* progress_set: DONE bytes done in all. */
void progress_set(struct progress *p, uint64_t done);

/* progress_finish: print the final line (total, time, mean rate). */
void progress_finish(struct progress *p);

/* progress_free: free P; NULL is a no-op. */
void progress_free(struct progress *p);

#endif
