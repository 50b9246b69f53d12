/*
 * The monotonic clock, for durations and deadlines (never for dates).
 */
#ifndef VV_CLOCK_H
#define VV_CLOCK_H

/* clock_mono: seconds on CLOCK_MONOTONIC, with nanosecond resolution. */
double clock_mono(void);

#endif
