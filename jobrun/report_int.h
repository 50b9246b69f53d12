/*
 * Internals of `report` shared by its files (jobrun/report.h).
 */
#ifndef VV_JOBRUN_REPORT_INT_H
#define VV_JOBRUN_REPORT_INT_H

#include <stdio.h>

#include "jobrun/report.h"

/*
 * report_keep_group: G's job (the first of C's jobs with keep rules whose
 * domains take G's name, for a group of this host HERE), its rules as
 * text, the rule that keeps each snapshot at NOW and the date its job's
 * rules drop it (struct report_snapshot, enum report_expiry).
 */
void report_keep_group(const struct conf *c, const char *here, time_t now,
    struct report_group *g);

/* report_html_text: S with <, >, &, " and ' escaped, written to OUT. */
void report_html_text(FILE *out, const char *s);

/*
 * report_svg_runs: the plot of one figure of RUNS (N, oldest first) over
 * [SINCE, UNTIL]: WHAT is "duration", "overlay", "bytes" (read and stored)
 * or "mode" (a mark per run: incremental, full, or none for a failure).
 * One circle (or mark) per run and series, written to OUT.
 */
void report_svg_runs(FILE *out, const char *what, const struct run_record *runs, size_t n,
    time_t since, time_t until);

/* report_svg_repo: the repository's POINTS as a plot of "stored" or "chunks", to OUT. */
void report_svg_repo(FILE *out, const char *what, const struct report_point *p, size_t n,
    time_t since, time_t until);

/* report_format_time: T in local time with its zone, "2026-12-05 01:30 CET", into BUF. */
void report_format_time(time_t t, char *buf, size_t len);

#endif
