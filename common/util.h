/*
 * Small shared helpers: allocation, parsing of sizes and durations, string
 * lists, UTF-8 checks, formatting.
 */
#ifndef VV_UTIL_H
#define VV_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Allocation that cannot fail: on exhaustion the process prints a message
 * and aborts. Every size a caller passes is bounded by the caller.
 */
void *xmalloc(size_t n) __attribute__((returns_nonnull, malloc));
void *xcalloc(size_t n, size_t size) __attribute__((returns_nonnull, malloc));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((returns_nonnull, malloc));
char *xstrndup(const char *s, size_t n) __attribute__((returns_nonnull, malloc));
/* xasprintf: a new formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xvasprintf: the same with a va_list. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * util_parse_size: "123", "512K", "4M", "4MiB", "1G", "2T" (binary units,
 * case-insensitive, optional "B"/"iB") into bytes. Returns 0, or -1 on a
 * malformed value or overflow.
 */
int util_parse_size(const char *s, uint64_t *out);

/*
 * util_parse_duration: "90" (seconds), "30s", "5m", "2h", "1d", "1w" and
 * sums such as "1h30m" into seconds. Returns 0, or -1 when malformed.
 */
int util_parse_duration(const char *s, uint64_t *out);

/*
 * util_format_size_exact: N as the configuration spells sizes, exact: the
 * largest unit that divides it ("64M", "512K", "1000") into BUF (at least
 * 24 bytes); returns BUF.
 */
char *util_format_size_exact(uint64_t n, char *buf, size_t len);

/* util_format_size: "1.5 GiB" into BUF (at least 16 bytes); returns BUF. */
char *util_format_size(uint64_t bytes, char *buf, size_t len);

/*
 * util_utf8_check: whether the LEN bytes at S are valid UTF-8 without NUL.
 * Returns -1 when valid, else the offset of the first bad byte.
 */
long util_utf8_check(const char *s, size_t len);

/*
 * util_has_control: whether S holds a control character (below 0x20, 0x7f,
 * or a UTF-8 C1 code, U+0080 to U+009F): text that could move a terminal's
 * cursor or fake a line. False for NULL.
 */
bool util_has_control(const char *s);

/*
 * util_escape: S as it may be shown to a person: each control character
 * (as util_has_control) as \xHH, a backslash as \\. NULL gives "-".
 * Returns a new string (the caller frees it).
 */
char *util_escape(const char *s);

/* A list of owned strings. */
struct strlist {
	char **v;
	size_t n;
};

/* strlist_add: append a copy of S. */
void strlist_add(struct strlist *l, const char *s);
/* strlist_clear: free every string and the array; the list is empty. */
void strlist_clear(struct strlist *l);
/* strlist_sort: sort L's strings in strcmp order. */
void strlist_sort(struct strlist *l);
/* strlist_contains: whether S is in L. */
bool strlist_contains(const struct strlist *l, const char *s);
/*
 * strlist_split: append to L the items of S separated by commas and/or
 * white space, empty items skipped. Returns the number appended.
 */
size_t strlist_split(struct strlist *l, const char *s);
/* strlist_glob_any: whether NAME matches any glob pattern of L. */
bool strlist_glob_any(const struct strlist *l, const char *name);

/* util_path_join: DIR "/" NAME, a new string. */
char *util_path_join(const char *dir, const char *name);

/*
 * util_name_valid: whether NAME can be part of a repository object name (a
 * backup, domain or host name): 1 to 128 of [A-Za-z0-9_.-], not starting
 * with '.'.
 */
bool util_name_valid(const char *name);

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

/* What util_name_valid accepts, for messages. */
#define UTIL_NAME_RULE "1 to 128 letters, digits, '_', '.' or '-', not starting with '.'"

/*
 * util_url_origin: "scheme://host[:port]" of URL into BUF (LEN bytes):
 * without the user information ("user:token@"), path, query and
 * fragment, which may all hold secrets; the part a log may show. When
 * USERINFO is not NULL, *USERINFO tells whether URL had user
 * information. Returns BUF.
 */
const char *util_url_origin(const char *url, char *buf, size_t len, bool *userinfo);

/* util_basename: the part of PATH after its last '/', inside PATH. */
const char *util_basename(const char *path);

/*
 * util_edit_distance: the Levenshtein distance between A and B (99 when
 * either is 63 bytes or longer): how "did you mean" suggestions are found.
 */
size_t util_edit_distance(const char *a, const char *b);

#endif
