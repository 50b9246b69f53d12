/*
 * Logging: one line a message, to stderr and optionally syslog.
 *
 * The log is the one process-wide sink: main sets it up once with log_setup
 * before any thread starts, after which it is only read.
 */
#ifndef VV_LOG_H
#define VV_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* log_setup: messages up to LEVEL are shown; USE_SYSLOG also sends them to
 * syslog (daemon facility) under the ident PROGNAME (not copied). */
void log_setup(const char *progname, enum log_level level, bool use_syslog);

/* log_level: the level set by log_setup (LOG_LVL_INFO before). */
enum log_level log_level(void);

/* log_msg: print one message at LEVEL when the level is enabled. Callers
 * name the object concerned (domain, disk, file:line) in FMT. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * log_last_error: the last error message logged (whatever the level shown)
 * into OUT, "" when none; CLEAR forgets it.
 */
void log_last_error(char *out, size_t len, bool clear);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* log_level_parse: "error", "warn"/"warning", "info", "debug" into *OUT.
 * Returns 0, or -1 when S is none of them. */
int log_level_parse(const char *s, enum log_level *out);

/* log_level_name: the canonical name of LEVEL. */
const char *log_level_name(enum log_level level);

#endif
