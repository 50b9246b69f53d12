#include "common/progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "common/clock.h"

struct progress {
	char *label;
	uint64_t total;
	uint64_t done;
	FILE *out;
	bool tty;
	bool quiet;
	bool drawn;
	double start;
	double last_print;
	double interval;
	progress_clock_fn clock;
	void *clock_arg;
	pthread_mutex_t lock;
};

static double
now_of(struct progress *p)
{
	if (p->clock != NULL)
		return p->clock(p->clock_arg);
	return clock_mono();
}

struct progress *
progress_new(const char *label, uint64_t total, FILE *out, int tty, bool quiet)
{
	struct progress *p = xcalloc(1, sizeof(*p));

	p->label = xstrdup(label);
	p->total = total;
	p->out = out;
	p->tty = tty < 0 ? isatty(fileno(out)) == 1 : tty == 1;
	p->quiet = quiet;
	p->interval = 10.0;
	pthread_mutex_init(&p->lock, NULL);
	p->start = now_of(p);
	p->last_print = p->start;
	return p;
}

void
progress_set_clock(struct progress *p, progress_clock_fn clock, void *arg)
{
	p->clock = clock;
	p->clock_arg = arg;
	p->start = now_of(p);
	p->last_print = p->start;
}

void
progress_set_interval(struct progress *p, double seconds)
{
	p->interval = seconds;
}

static void
format_eta(double secs, char *buf, size_t len)
{
	unsigned long s = (unsigned long)(secs + 0.5);

	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

/* Print one status line; the caller holds the lock. */
static void
draw(struct progress *p, double now, bool final)
{
	char done[32], total[32], rate[32], eta[32] = "", pct[16] = "";
	double elapsed = now - p->start;
	double r = elapsed > 0 ? (double)p->done / elapsed : 0;

	util_format_size(p->done, done, sizeof(done));
	util_format_size((uint64_t)r, rate, sizeof(rate));
	if (p->total > 0) {
		util_format_size(p->total, total, sizeof(total));
		snprintf(pct, sizeof(pct), "%5.1f%% ",
		    100.0 * (double)p->done / (double)p->total);
		if (!final && r > 0 && p->done <= p->total) {
			char e[24];

			format_eta((double)(p->total - p->done) / r, e, sizeof(e));
			snprintf(eta, sizeof(eta), ", ETA %s", e);
		}
	} else {
		snprintf(total, sizeof(total), "?");
	}
	if (final) {
		char t[24];

		format_eta(elapsed, t, sizeof(t));
		fprintf(p->out, "%s%s: %s in %s, %s/s\n", p->tty ? "\r\033[K" : "",
		    p->label, done, t, rate);
	} else if (p->tty) {
		fprintf(p->out, "\r\033[K%s: %s%s / %s, %s/s%s", p->label, pct,
		    done, total, rate, eta);
		p->drawn = true;
	} else {
		fprintf(p->out, "%s: %s%s / %s, %s/s%s\n", p->label, pct, done,
		    total, rate, eta);
	}
	fflush(p->out);
}

static void
maybe_draw(struct progress *p)
{
	double now = now_of(p);

	if (now - p->last_print >= (p->tty ? 0.25 : p->interval)) {
		p->last_print = now;
		draw(p, now, false);
	}
}

void
progress_set_total(struct progress *p, uint64_t total)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->total = total;
	pthread_mutex_unlock(&p->lock);
}

void
progress_add(struct progress *p, uint64_t delta)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->done += delta;
	if (!p->quiet)
		maybe_draw(p);
	pthread_mutex_unlock(&p->lock);
}

void
progress_set(struct progress *p, uint64_t done)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->done = done;
	if (!p->quiet)
		maybe_draw(p);
	pthread_mutex_unlock(&p->lock);
}

void
progress_finish(struct progress *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	if (!p->quiet)
		draw(p, now_of(p), true);
	pthread_mutex_unlock(&p->lock);
}

void
progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->label);
	free(p);
}
