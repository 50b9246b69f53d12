/*
 * Sizes and durations as the configuration and the CLI spell them.
 */
#ifndef VV_UTIL_UNITS_H
#define VV_UTIL_UNITS_H

#include <stddef.h>
#include <stdint.h>

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

#endif
