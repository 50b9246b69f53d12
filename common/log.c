#include "common/log.h"

#include <pthread.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

/* Written once by log_setup from main, before threads; read-only after. */
static struct {
	const char *progname;
	enum log_level level;
	bool syslog;
} sink = { "virtvault", LOG_LVL_INFO, false };

/* The last error logged (run records and notifications name it). */
static char last_error[512];
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_last_error(char *out, size_t len, bool clear)
{
	pthread_mutex_lock(&last_lock);
	snprintf(out, len, "%s", last_error);
	if (clear)
		last_error[0] = '\0';
	pthread_mutex_unlock(&last_lock);
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_setup(const char *progname, enum log_level level, bool use_syslog)
{
	sink.progname = progname;
	sink.level = level;
	if (use_syslog && !sink.syslog)
		openlog(progname, LOG_PID, LOG_DAEMON);
	else if (!use_syslog && sink.syslog)
		closelog();
	sink.syslog = use_syslog;
}

enum log_level
log_level(void)
{
	return sink.level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[4096];
	va_list ap;

	/* Errors are kept even when not shown; nothing else is formatted
	 * unless it is shown. */
	if (level > sink.level && level != LOG_LVL_ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (level == LOG_LVL_ERROR) {
		pthread_mutex_lock(&last_lock);
		snprintf(last_error, sizeof(last_error), "%s", line);
		pthread_mutex_unlock(&last_lock);
	}
	if (level > sink.level)
		return;

	/* One fprintf so that lines of concurrent threads do not mix. */
	if (level == LOG_LVL_INFO)
		fprintf(stderr, "%s: %s\n", sink.progname, line);
	else
		fprintf(stderr, "%s: %s: %s\n", sink.progname,
		    level == LOG_LVL_WARN ? "warning" : level_names[level], line);
	if (sink.syslog)
		syslog(prio[level], "%s", line);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return level_names[level];
}
