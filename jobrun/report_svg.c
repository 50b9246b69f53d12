/*
 * The report's plots: inline SVG, no script. Every plot carries
 * data-plot (what it shows) and data-points (how many values a series
 * has); each value is one element of class "pt" (a circle) with a
 * <title> telling it, so that a reader (or a test) counts the runs.
 */
#include <stdio.h>
#include <string.h>

#include "jobrun/report_int.h"

#define VB_W 640.0
#define VB_H 180.0
#define M_LEFT 70.0
#define M_RIGHT 12.0
#define M_TOP 14.0
#define M_BOTTOM 30.0

enum unit { U_SECONDS, U_BYTES, U_COUNT };

struct axis {
	time_t since, until;
	double max;
	enum unit unit;
};

static double
ax_x(const struct axis *a, time_t t)
{
	double span = (double)(a->until - a->since);

	if (span <= 0)
		span = 1;
	if (t < a->since)
		t = a->since;
	if (t > a->until)
		t = a->until;
	return M_LEFT + (double)(t - a->since) / span * (VB_W - M_LEFT - M_RIGHT);
}

static double
ax_y(const struct axis *a, double v)
{
	double h = VB_H - M_TOP - M_BOTTOM;

	return M_TOP + h - (a->max > 0 ? v / a->max : 0) * h;
}

static void
format_value(enum unit u, double v, char *buf, size_t len)
{
	if (u == U_BYTES)
		util_format_size((uint64_t)(v < 0 ? 0 : v), buf, len);
	else if (u == U_SECONDS && v >= 120)
		snprintf(buf, len, "%.1f min", v / 60);
	else if (u == U_SECONDS)
		snprintf(buf, len, v < 10 ? "%.2f s" : "%.1f s", v);
	else
		snprintf(buf, len, "%.0f", v);
}

static void
open_svg(FILE *out, const char *what, const char *label, size_t npoints, const struct axis *a)
{
	char top[32], t0[48], t1[48];

	fprintf(out, "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" data-plot=\"%s\" data-points=\"%zu\" aria-label=\"", VB_W, VB_H, what, npoints);
	report_html_text(out, label);
	fputs("\"><title>", out);
	report_html_text(out, label);
	fputs("</title>", out);
	fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
	    M_LEFT, M_TOP, M_LEFT, VB_H - M_BOTTOM);
	fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
	    M_LEFT, VB_H - M_BOTTOM, VB_W - M_RIGHT, VB_H - M_BOTTOM);
	if (a->unit != U_COUNT || a->max > 0) {
		format_value(a->unit, a->max, top, sizeof(top));
		fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
		    M_LEFT, M_TOP, VB_W - M_RIGHT, M_TOP);
		fprintf(out, "<text class=\"lab\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
		    M_LEFT - 4, M_TOP + 4, top);
		fprintf(out, "<text class=\"lab\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>",
		    M_LEFT - 4, VB_H - M_BOTTOM + 4);
	}
	report_format_time(a->since, t0, sizeof(t0));
	report_format_time(a->until, t1, sizeof(t1));
	fprintf(out, "<text class=\"lab\" x=\"%.1f\" y=\"%.1f\">", M_LEFT, VB_H - 10);
	report_html_text(out, t0);
	fprintf(out, "</text><text class=\"lab\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
	    VB_W - M_RIGHT, VB_H - 10);
	report_html_text(out, t1);
	fputs("</text>", out);
}

/* One value: a circle of classes CLS with its time and value as its title. */
static void
point(FILE *out, const struct axis *a, const char *cls, time_t t, double y, const char *tip)
{
	char when[48];

	report_format_time(t, when, sizeof(when));
	fprintf(out, "<circle class=\"pt %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>", cls,
	    ax_x(a, t), y);
	report_html_text(out, when);
	fputs(": ", out);
	report_html_text(out, tip);
	fputs("</title></circle>", out);
}

static double
run_value(const struct run_record *r, const char *what, int series)
{
	if (strcmp(what, "duration") == 0)
		return r->seconds > 0 ? r->seconds : (double)(r->finished - r->started);
	if (strcmp(what, "overlay") == 0)
		return r->seconds_on_overlay;
	return series == 0 ? (double)r->bytes_read : (double)r->bytes_stored;
}

/* A run's lane in the read-mode plot: 0 incremental, 1 full (any file), 2 no read (failed). */
static int
mode_lane(const struct run_record *r)
{
	if (!r->ok || r->read_modes[0] == '\0')
		return 2;
	return strstr(r->read_modes, "full") != NULL ? 1 : 0;
}

static void
plot_modes(FILE *out, const struct run_record *runs, size_t n, struct axis *a)
{
	static const char *const lanes[] = { "incremental", "full", "failed" };

	a->unit = U_COUNT;
	a->max = 0;
	open_svg(out, "mode", "Read mode of each run: incremental, full (a file read whole), or failed", n, a);
	for (int k = 0; k < 3; k++)
		fprintf(out, "<text class=\"lab\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
		    M_LEFT - 4, M_TOP + 20 + k * 45.0 + 4, lanes[k]);
	for (size_t i = 0; i < n; i++) {
		int lane = mode_lane(&runs[i]);
		char cls[48];

		snprintf(cls, sizeof(cls), "mode-%s %s", lanes[lane], runs[i].ok ? "ok" : "fail");
		point(out, a, cls, runs[i].started, M_TOP + 20 + lane * 45.0,
		    runs[i].ok ? (runs[i].read_modes[0] ? runs[i].read_modes : "not recorded") :
		    runs[i].result);
	}
	fputs("</svg>\n", out);
}

void
report_svg_runs(FILE *out, const char *what, const struct run_record *runs, size_t n,
    time_t since, time_t until)
{
	static const char *const names[] = { "read", "stored" };
	struct axis a = { since, until, 0, strcmp(what, "bytes") == 0 ? U_BYTES : U_SECONDS };
	int series = strcmp(what, "bytes") == 0 ? 2 : 1;
	const char *label = strcmp(what, "duration") == 0 ? "Duration of each run" :
	    strcmp(what, "overlay") == 0 ? "Time the disks ran on overlays, each run" :
	    "Bytes read (blue) and stored new (orange), each run";

	if (strcmp(what, "mode") == 0) {
		plot_modes(out, runs, n, &a);
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < series; s++)
			if (run_value(&runs[i], what, s) > a.max)
				a.max = run_value(&runs[i], what, s);
	open_svg(out, what, label, n, &a);
	for (int s = 0; s < series; s++) {
		const char *sn = series == 2 ? names[s] : what;

		fprintf(out, "<polyline class=\"line s-%s\" points=\"", sn);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "", ax_x(&a, runs[i].started),
			    ax_y(&a, run_value(&runs[i], what, s)));
		fputs("\"/>", out);
		for (size_t i = 0; i < n; i++) {
			double v = run_value(&runs[i], what, s);
			char val[48], cls[48];

			format_value(a.unit, v, val, sizeof(val));
			if (!runs[i].ok)
				snprintf(val, sizeof(val), "%s", runs[i].result);
			snprintf(cls, sizeof(cls), "s-%s %s", sn, runs[i].ok ? "ok" : "fail");
			point(out, &a, cls, runs[i].started, ax_y(&a, v), val);
		}
	}
	fputs("</svg>\n", out);
}

void
report_svg_repo(FILE *out, const char *what, const struct report_point *p, size_t n,
    time_t since, time_t until)
{
	bool bytes = strcmp(what, "stored") == 0;
	struct axis a = { since, until, 0, bytes ? U_BYTES : U_COUNT };

	for (size_t i = 0; i < n; i++) {
		double v = bytes ? (double)p[i].stored : (double)p[i].chunks;

		if (v > a.max)
			a.max = v;
	}
	open_svg(out, bytes ? "repo-stored" : "repo-chunks", bytes ?
	    "Bytes stored by the snapshots kept, summed by snapshot time" :
	    "Chunks stored by the snapshots kept, summed by snapshot time", n, &a);
	fprintf(out, "<polyline class=\"line s-%s\" points=\"", what);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%.1f,%.1f", i ? " " : "", ax_x(&a, p[i].when),
		    ax_y(&a, bytes ? (double)p[i].stored : (double)p[i].chunks));
	fputs("\"/>", out);
	for (size_t i = 0; i < n; i++) {
		double v = bytes ? (double)p[i].stored : (double)p[i].chunks;
		char val[48];

		format_value(a.unit, v, val, sizeof(val));
		point(out, &a, bytes ? "s-stored ok" : "s-chunks ok", p[i].when, ax_y(&a, v), val);
	}
	fputs("</svg>\n", out);
}
