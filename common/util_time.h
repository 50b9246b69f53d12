/*
 * UTC times as a repository writes them ("2026-11-26T02:00:00Z"), their
 * range and the tolerated clock skew.
 */
#ifndef VV_UTIL_TIME_H
#define VV_UTIL_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* UTIL_UTC_LEN: room for util_format_utc's "2026-11-26T02:00:00Z". */
#define UTIL_UTC_LEN 32

/* util_format_utc: T as "2026-11-26T02:00:00Z" into BUF (UTIL_UTC_LEN bytes). */
char *util_format_utc(time_t t, char *buf, size_t len);

/*
 * UTIL_TIME_MAX: 9999-12-31T23:59:59Z, the last time a snapshot can have
 * (its key spells it YYYYMMDDTHHMMSSZ); the first is 1970-01-01T00:00:00Z.
 */
#define UTIL_TIME_MAX ((time_t)253402300799LL)

/*
 * UTIL_CLOCK_SKEW: how far (seconds) a time from the user or a repository
 * (a snapshot's, a lock's) may lie ahead of this host's clock: 10 minutes.
 * Later is "in the future": refused, or ignored (docs/FORMAT.md).
 */
#define UTIL_CLOCK_SKEW 600

/*
 * util_parse_utc: "2026-11-26T02:00:00" at the start of S, as UTC, into
 * *T: exactly those digits and separators, a real date (no 2026-02-30),
 * years 1970 to 9999. Returns what follows it ("Z", ".000Z", "+01:00",
 * ...) for the caller to judge, or NULL when S does not start with such a
 * time. The one parser of times: every other goes through it.
 */
const char *util_parse_utc(const char *s, time_t *t);

/*
 * util_parse_time: S is exactly a UTC time "2026-11-26T02:00:00Z" (as
 * util_parse_utc, then "Z" and nothing else): how times are written in a
 * repository. Returns 0 with *T, or -1.
 */
int util_parse_time(const char *s, time_t *t);

/* util_time_in_range: whether T is from 1970-01-01T00:00:00Z to UTIL_TIME_MAX. */
bool util_time_in_range(time_t t);

/* util_time_future: whether T lies more than UTIL_CLOCK_SKEW after NOW. */
bool util_time_future(time_t t, time_t now);

#endif
