/*
 * What the scheduler takes from its surroundings, for plan.h's pure
 * decisions: the clock (the real one, or the test clock of
 * VIRTVAULT_TEST_CLOCK="EPOCH SPEED") and random bits.
 */
#ifndef VV_SCHED_ENV_H
#define VV_SCHED_ENV_H

#include <stdint.h>
#include <time.h>

/*
 * sched_env_now: the scheduler's clock now. The test clock starts at
 * EPOCH when the first process asked (the daemon pins that moment in
 * VIRTVAULT_TEST_CLOCK_T0, which its children inherit) and runs SPEED
 * times faster than real time.
 */
time_t sched_env_now(void);

/* sched_env_speed: how much faster than real time the clock runs (1 normally). */
double sched_env_speed(void);

/* sched_env_random: 32 random bits (/dev/urandom; the pid when it cannot be read). */
uint32_t sched_env_random(void);

#endif
