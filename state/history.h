/*
 * The run history of this host: every run record (state/runs.h) written
 * is also one line of STATE/history/DOMAIN@JOB.jsonl, oldest first, for
 * `report`. A line:
 *
 *   {"domain", "job", "started", "finished", "result", "error",
 *    "snapshot", "bytes_read", "bytes_stored", "chunks_new",
 *    "chunks_reused", "seconds", "seconds_on_overlay",
 *    "read_modes": ["incremental"|"full", ...],
 *    "copy": {the copy the run made, as state_copy_json writes it} (absent: none)}
 *
 * Bounded: the last HISTORY_MAX_LINES lines no older than
 * HISTORY_MAX_DAYS days are kept; the file is replaced whole (temporary
 * name, fsync, rename) under STATE/history/.DOMAIN@JOB.lock. A damaged
 * line is skipped by the reader and dropped by the next append.
 */
#ifndef VV_STATE_HISTORY_H
#define VV_STATE_HISTORY_H

#include <stddef.h>
#include <time.h>

#include "common/util.h"
#include "state/runs.h"

#define HISTORY_MAX_LINES 1000
#define HISTORY_MAX_DAYS 400

/*
 * state_history_append: R (a run record as state_run_record writes it)
 * as the newest line of its (domain, job)'s history; lines beyond the
 * bounds at NOW, and damaged ones, dropped. Returns 0 or -1 (logged,
 * naming the file).
 */
int state_history_append(const char *state_dir, const struct run_record *r, time_t now);

/*
 * state_history_read: the runs of DOMAIN by JOB (NULL: every job) that
 * started at SINCE or later, oldest first, into a new *OUT (free it) of
 * *N. Damaged lines are skipped and counted in *DAMAGED (may be NULL).
 * No history is none. Returns 0, or -1 when a file exists but cannot be
 * read (logged).
 */
int state_history_read(const char *state_dir, const char *domain, const char *job,
    time_t since, struct run_record **out, size_t *n, size_t *damaged);

/*
 * state_history_domains: the domains with a history, sorted, unique,
 * appended to NAMES. Returns 0 or -1 (logged).
 */
int state_history_domains(const char *state_dir, struct strlist *names);

/*
 * state_history_remove: forget the history of DOMAIN (of every job), as
 * state_run_remove does its records. Returns 0 or -1 (logged).
 */
int state_history_remove(const char *state_dir, const char *domain);

#endif
