/*
 * Processes that are not our children, known by what a journal recorded:
 * a reader (qemu-nbd) a crashed run left behind. A pid alone may have been
 * given to another process since; its start time (from /proc/PID/stat)
 * and its command line tell whether it is still the one recorded.
 */
#ifndef VV_PROC_H
#define VV_PROC_H

#include <sys/types.h>

/*
 * proc_start_time: the start time of live process PID, in clock ticks
 * since boot. Returns 0 with *START, -1 when there is no such process (or
 * it is a zombie: it holds nothing any more). Not logged.
 */
int proc_start_time(pid_t pid, unsigned long long *start);

/*
 * proc_is: whether PID is alive, started at START, runs a program whose
 * name (argv[0] without its folder) is PROGRAM, and has ARG as one of its
 * arguments. Returns 1 or 0. Not logged.
 */
int proc_is(pid_t pid, unsigned long long start, const char *program, const char *arg);

/*
 * proc_end: end PID, which proc_is identified: SIGTERM, then SIGKILL after
 * GRACE_MS, and wait (at most 5 s more) until it is gone. A process that
 * is gone already, or whose start time differs (another process now has
 * the pid), is left alone. Returns 0 when it is gone, -1 when it is not
 * (logged).
 */
int proc_end(pid_t pid, unsigned long long start, int grace_ms);

#endif
