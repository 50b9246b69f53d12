/*
 * The report as one self-contained HTML page: inline CSS and SVG, no
 * script, no external asset (the system's fonts; the boot checks'
 * screenshots as data: URIs). Every string that comes from outside (names,
 * errors, a command's output) goes through report_html_text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobrun/report_int.h"

static const char css[] =
	":root{color-scheme:light;--fg:#1b1f24;--mute:#5b6470;--line:#d6dbe1;--ok:#1f7a3a;--bad:#b3261e}"
	"*{box-sizing:border-box}"
	"body{margin:0 auto;max-width:1100px;padding:12px 16px;color:var(--fg);background:#fff;"
	"font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Liberation Sans',sans-serif}"
	"h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.4em 0 .3em;border-bottom:2px solid var(--line)}"
	"h3{font-size:1.02em;margin:1em 0 .3em}"
	".mute,.src{color:var(--mute)}.src{font-size:.9em}"
	"nav a{margin-right:.8em;white-space:nowrap}"
	".ok{color:var(--ok)}.bad{color:var(--bad);font-weight:600}"
	".plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,440px),1fr));gap:10px}"
	"figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px}"
	"figcaption{font-size:.88em;color:var(--mute)}"
	"svg.plot{width:100%;height:auto;display:block}"
	".axis{stroke:#8a939e;stroke-width:1}.grid{stroke:#e6e9ed;stroke-dasharray:3 3}"
	".lab{font-size:11px;fill:#5b6470}"
	".line{fill:none;stroke-width:1.5;stroke:#3b6fb6}.line.s-stored{stroke:#d9822b}"
	".line.s-overlay{stroke:#7a4fb3}.line.s-chunks{stroke:#2b8a8a}"
	".pt{fill:#3b6fb6}.pt.s-stored{fill:#d9822b}.pt.s-overlay{fill:#7a4fb3}.pt.s-chunks{fill:#2b8a8a}"
	".pt.mode-incremental{fill:#1f7a3a}.pt.mode-full{fill:#d9822b}.pt.fail{fill:var(--bad)}"
	".tw{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92em}"
	"th,td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--line);vertical-align:top}"
	"td.n,th.n{text-align:right;white-space:nowrap}"
	"pre{white-space:pre-wrap;word-break:break-word;background:#f5f6f8;padding:6px;border-radius:4px}"
	"img.shot{max-width:100%;height:auto;border:1px solid var(--line)}"
	"@media (max-width:600px){body{font-size:14px;padding:8px}th,td{padding:2px 4px}}"
	"@media print{nav{display:none}body{max-width:none;font-size:11pt}"
	"section,figure,table{break-inside:avoid}a{color:inherit;text-decoration:none}"
	"h2{break-after:avoid}}";

void
report_html_text(FILE *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

void
report_format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static void
put_time(FILE *out, time_t t)
{
	char b[48];

	report_format_time(t, b, sizeof(b));
	report_html_text(out, b);
}

static void
put_size(FILE *out, uint64_t n)
{
	char b[32];

	fprintf(out, "<td class=\"n\" data-bytes=\"%llu\">%s</td>", (unsigned long long)n,
	    util_format_size(n, b, sizeof(b)));
}

static void
figure(FILE *out, const struct report *rep, const struct report_domain *d, const char *what,
    const char *caption)
{
	fputs("<figure>", out);
	report_svg_runs(out, what, d->runs, d->nruns, rep->since, rep->generated);
	fprintf(out, "<figcaption>%s</figcaption></figure>\n", caption);
}

/* One row of the failures' table: WHEN, JOB, RESULT, MESSAGE; KIND "backup" or "copy". */
static void
failure_row(FILE *out, const char *kind, time_t when, const char *job, const char *result,
    const char *message)
{
	fprintf(out, "<tr data-kind=\"%s\"><td>", kind);
	put_time(out, when);
	fputs("</td><td>", out);
	report_html_text(out, job);
	fputs("</td><td class=\"bad\">", out);
	report_html_text(out, result);
	fputs("</td><td class=\"err\">", out);
	report_html_text(out, message);
	fputs("</td></tr>\n", out);
}

/* The failed backups and the failed copies of the period, newest first. */
static void
failures(FILE *out, const struct report_domain *d)
{
	fprintf(out, "<h3>Failures</h3>\n");
	if (d->failures + d->copy_failures == 0) {
		fputs("<p class=\"mute\">None in the period.</p>\n", out);
		return;
	}
	fputs("<div class=\"tw\"><table class=\"failures\"><tr><th>Started</th><th>Job</th>"
	    "<th>Result</th><th>Message</th></tr>\n", out);
	for (size_t i = d->nruns; i-- > 0;) {
		const struct run_record *r = &d->runs[i];
		char what[sizeof(r->copy.repository) + 32];

		/* A copy follows its run's backup: listed above it. */
		if (state_copy_failed(&r->copy)) {
			snprintf(what, sizeof(what), "copy to %s failed", r->copy.repository);
			failure_row(out, "copy", r->copy.started, r->job, what, r->copy.error);
		}
		if (!r->ok)
			failure_row(out, "backup", r->started, r->job, r->result, r->error);
	}
	fputs("</table></div>\n", out);
}

/* The newest copy of each job and destination: where the off-site copies stand. */
static void
copies(FILE *out, const struct report_domain *d)
{
	fputs("<h3>Copies</h3>\n", out);
	if (d->ncopies == 0) {
		fputs("<p class=\"mute\">No copy made on this host in the period (no job copies this domain: copy_to).</p>\n",
		    out);
		return;
	}
	fputs("<div class=\"tw\"><table class=\"copies\"><tr><th>Job</th><th>To</th><th>Last copy</th>"
	    "<th>Result</th><th class=\"n\">Snapshots</th><th class=\"n\">Stored</th>"
	    "<th>Last success</th><th class=\"n\">Not copied</th></tr>\n", out);
	for (size_t i = 0; i < d->ncopies; i++) {
		const struct run_copy *c = &d->copies[i].copy;
		bool ok = strcmp(c->result, "success") == 0;

		fputs("<tr data-job=\"", out);
		report_html_text(out, d->copies[i].job);
		fputs("\" data-repository=\"", out);
		report_html_text(out, c->repository);
		fprintf(out, "\" data-result=\"%s\" data-missing=\"%llu\"><td>", ok ? "success" : "failure",
		    (unsigned long long)c->missing);
		report_html_text(out, d->copies[i].job);
		fputs("</td><td>", out);
		report_html_text(out, c->repository);
		fputs("</td><td>", out);
		put_time(out, c->finished);
		fprintf(out, "</td><td class=\"%s\">%s</td><td class=\"n\">%llu</td>", ok ? "ok" : "bad",
		    ok ? "success" : "failed", (unsigned long long)c->snapshots);
		put_size(out, c->bytes_stored);
		fputs("<td>", out);
		if (c->last_success != 0)
			put_time(out, c->last_success);
		else
			fputs("<span class=\"bad\">never</span>", out);
		fprintf(out, "</td><td class=\"n%s\">%llu</td></tr>\n", c->missing ? " bad" : "",
		    (unsigned long long)c->missing);
	}
	fputs("</table></div>\n<p class=\"src\">Not copied: snapshots of the group newer than the "
	    "destination's newest, left for the next copy. A failed copy's message is under Failures.</p>\n",
	    out);
}

static void
boot(FILE *out, const struct report_domain *d)
{
	const struct boot_record *b = &d->boot;

	fputs("<h3>Last boot check</h3>\n", out);
	if (!d->has_boot) {
		fputs("<p class=\"mute\">No boot check recorded on this host.</p>\n", out);
		return;
	}
	fprintf(out, "<p class=\"boot\"><span class=\"%s\">%s</span>: snapshot ", b->ok ? "ok" : "bad",
	    b->ok ? "booted" : "failed");
	report_html_text(out, b->snapshot);
	fputs(" (of ", out);
	report_html_text(out, b->snapshot_host);
	fputs("), ", out);
	put_time(out, b->started);
	fputs(", job ", out);
	report_html_text(out, b->job);
	if (b->seconds_to_agent >= 0)
		fprintf(out, "; the guest agent answered after %.1f s", b->seconds_to_agent);
	fputs(".</p>\n", out);
	if (b->reason[0] != '\0') {
		fputs("<p class=\"bad\">", out);
		report_html_text(out, b->reason);
		fputs("</p>\n", out);
	}
	if (b->command[0] != '\0') {
		fputs("<p>Command <code>", out);
		report_html_text(out, b->command);
		if (b->command_exit >= 0)
			fprintf(out, "</code> exited %d.</p>\n", b->command_exit);
		else
			fputs("</code> did not run.</p>\n", out);
		if (b->output[0] != '\0') {
			fputs("<pre>", out);
			report_html_text(out, b->output);
			fputs("</pre>\n", out);
		}
	}
	if (d->screenshot != NULL) {
		fputs("<img class=\"shot\" alt=\"The console of ", out);
		report_html_text(out, d->name);
		fprintf(out, " at its boot check\" src=\"data:image/png;base64,%s\">\n", d->screenshot);
	} else {
		fputs("<p class=\"mute\">No screenshot (the domain has no display, or it was not kept).</p>\n",
		    out);
	}
}

static void
verify(FILE *out, const struct report_domain *d)
{
	const struct verify_record *v = &d->verify;
	char b[32];

	fputs("<h3>Last verify</h3>\n", out);
	if (!d->has_verify) {
		fputs("<p class=\"mute\">No verify recorded on this host.</p>\n", out);
		return;
	}
	fprintf(out, "<p class=\"verify\" data-ok=\"%d\" data-problems=\"%llu\"><span class=\"%s\">%s</span>: ",
	    v->ok, (unsigned long long)v->problems, v->ok ? "ok" : "bad", v->ok ? "ok" : "failed");
	put_time(out, v->finished);
	if (v->deep && v->sample < 1)
		fprintf(out, ", deep (a %.0f%% sample)", v->sample * 100);
	else
		fputs(v->deep ? ", deep" : ", quick", out);
	fprintf(out, ", %llu snapshot%s of ", (unsigned long long)v->snapshots,
	    v->snapshots == 1 ? "" : "s");
	report_html_text(out, v->host);
	fputs(" checked", out);
	if (v->deep)
		fprintf(out, " (the run read %llu chunks, %s)", (unsigned long long)v->chunks_read,
		    util_format_size(v->bytes_read, b, sizeof(b)));
	fprintf(out, ": %llu problem%s.</p>\n", (unsigned long long)v->problems,
	    v->problems == 1 ? "" : "s");
	if (v->nmessages == 0)
		return;
	fputs("<ul class=\"err\">\n", out);
	for (size_t i = 0; i < v->nmessages; i++) {
		fputs("<li>", out);
		report_html_text(out, v->messages[i]);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

static void
domain(FILE *out, const struct report *rep, const struct report_domain *d)
{
	char b[32];

	fputs("<section class=\"domain\" id=\"d-", out);
	report_html_text(out, d->name);
	fputs("\" data-domain=\"", out);
	report_html_text(out, d->name);
	fprintf(out, "\" data-runs=\"%zu\" data-failures=\"%zu\" data-copy-failures=\"%zu\" "
	    "data-snapshots=\"%zu\">\n<h2>", d->nruns, d->failures, d->copy_failures, d->nsnapshots);
	report_html_text(out, d->name);
	fputs("</h2>\n<p>", out);
	if (rep->history_shown) {
		fprintf(out, "%zu runs on this host in the period, <span class=\"%s\">%zu failed</span>",
		    d->nruns, d->failures ? "bad" : "ok", d->failures);
		if (d->ncopies > 0)
			fprintf(out, "; <span class=\"%s\">%zu of their copies failed</span>",
			    d->copy_failures ? "bad" : "ok", d->copy_failures);
		fputs(". ", out);
	}
	fprintf(out, "%zu snapshots in the repository", d->nsnapshots);
	if (d->nsnapshots > 0)
		fprintf(out, ", the newest %s", util_format_size(d->size_newest, b, sizeof(b)));
	fputs(".</p>\n", out);
	if (rep->history_shown && d->nruns == 0) {
		fputs("<p class=\"mute\">No run of this domain on this host in the period.</p>\n", out);
	} else if (rep->history_shown) {
		fputs("<div class=\"plots\">\n", out);
		figure(out, rep, d, "duration", "Duration of each run (a failure in red).");
		figure(out, rep, d, "bytes", "Bytes read (blue) and stored new (orange), each run.");
		figure(out, rep, d, "overlay", "Time the disks ran on overlays, each run.");
		figure(out, rep, d, "mode", "How each run read the disks: incremental, full, or failed.");
		fputs("</div>\n", out);
		failures(out, d);
		copies(out, d);
	}
	boot(out, d);
	verify(out, d);
	fputs("</section>\n", out);
}

static void
expiry(FILE *out, const struct report_group *g, const struct report_snapshot *s)
{
	if (g->expiry == REPORT_EXPIRY_OTHER_HOST || g->expiry == REPORT_EXPIRY_NONE) {
		fputs("<td>", out);
		fputs(g->expiry == REPORT_EXPIRY_NONE ? "no keep rules" : "its host's rules", out);
		fputs("</td><td class=\"mute\">&#8212;</td>", out);
		return;
	}
	fputs("<td>", out);
	fputs(s->rule[0] ? s->rule : "<span class=\"bad\">none: removed by the next run</span>", out);
	fputs("</td><td>", out);
	if (s->expires != 0) {
		put_time(out, s->expires);
	} else {
		fputs("kept past ", out);
		put_time(out, g->horizon);
	}
	fputs("</td>", out);
}

static void
group(FILE *out, const struct report_group *g)
{
	fputs("<h3>", out);
	report_html_text(out, g->host[0] ? g->host : "(no host)");
	fputs(" / ", out);
	report_html_text(out, g->name);
	fputs("</h3>\n<p class=\"src\">", out);
	switch (g->expiry) {
	case REPORT_EXPIRY_NONE:
		fputs("No job of this host's configuration has keep rules for it: every snapshot stays until forgotten by hand.", out);
		break;
	case REPORT_EXPIRY_OTHER_HOST:
		fputs("Another host's snapshots: their keep rules are in that host's configuration, not known here.", out);
		break;
	default:
		fputs("Job ", out);
		report_html_text(out, g->job);
		fputs(": ", out);
		report_html_text(out, g->policy);
		fputs(g->expiry == REPORT_EXPIRY_SCHEDULE ?
		    ". Expires: the job's first scheduled run after which its rules no longer keep the snapshot, "
		    "computed from the schedule and the rules assuming every run succeeds." :
		    ". Expires: computed assuming one successful run a day (the job has no schedule).", out);
	}
	fputs("</p>\n<div class=\"tw\"><table class=\"snapshots\" data-host=\"", out);
	report_html_text(out, g->host);
	fputs("\" data-name=\"", out);
	report_html_text(out, g->name);
	fprintf(out, "\" data-count=\"%zu\"><tr><th>Snapshot</th><th>Time</th><th class=\"n\">Size</th>"
	    "<th class=\"n\">Stored</th><th>Kept by</th><th>Expires</th></tr>\n", g->n);
	for (size_t i = 0; i < g->n; i++) {
		const struct report_snapshot *s = &g->snaps[i];

		fputs("<tr data-snapshot=\"", out);
		report_html_text(out, s->id);
		fputs("\"><td><code>", out);
		report_html_text(out, s->id);
		fputs("</code></td><td>", out);
		put_time(out, s->when);
		if (s->future)
			fputs(" <span class=\"bad\">(in the future)</span>", out);
		fputs("</td>", out);
		put_size(out, s->size);
		put_size(out, s->stored);
		expiry(out, g, s);
		fputs("</tr>\n", out);
	}
	fputs("</table></div>\n", out);
}

static void
repository(FILE *out, const struct report *rep)
{
	char b[32];

	fprintf(out, "<section id=\"repository\" data-snapshots=\"%zu\" data-stored=\"%llu\" "
	    "data-chunks=\"%llu\">\n<h2>Repository</h2>\n<p>", rep->nsnapshots,
	    (unsigned long long)rep->stored_total, (unsigned long long)rep->chunks_total);
	fprintf(out, "%zu snapshots; their backups stored %s new in %llu new chunks.",
	    rep->nsnapshots, util_format_size(rep->stored_total, b, sizeof(b)), (unsigned long long)rep->chunks_total);
	if (rep->host[0]) {
		fputs(" Host: ", out);
		report_html_text(out, rep->host);
		fputs(".", out);
	}
	if (rep->unreadable > 0)
		fprintf(out, " <span class=\"bad\">%zu manifests could not be read.</span>", rep->unreadable);
	fputs("</p>\n<p class=\"src\">Over time: each snapshot of the period adds what its backup stored new "
	    "(from its manifest), summed in time order over the snapshots still in the repository; "
	    "data of forgotten snapshots, and what prune freed, is not counted.</p>\n<div class=\"plots\">\n", out);
	fputs("<figure>", out);
	report_svg_repo(out, "stored", rep->points, rep->npoints, rep->since, rep->generated);
	fputs("<figcaption>Bytes stored, summed by snapshot time.</figcaption></figure>\n<figure>", out);
	report_svg_repo(out, "chunks", rep->points, rep->npoints, rep->since, rep->generated);
	fputs("<figcaption>Chunks stored, summed by snapshot time.</figcaption></figure>\n</div>\n", out);
	fputs("<h3>Snapshots kept, by group</h3>\n", out);
	if (rep->ngroups == 0)
		fputs("<p class=\"mute\">No snapshot.</p>\n", out);
	for (size_t i = 0; i < rep->ngroups; i++)
		group(out, &rep->groups[i]);
	fputs("</section>\n", out);
}

char *
report_html(const struct report *rep)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<title>virtvault report</title><style>%s</style></head>\n<body>\n<header><h1>virtvault report</h1>\n<p>",
	    css);
	fputs("Made ", out);
	put_time(out, rep->generated);
	fprintf(out, " on host ");
	report_html_text(out, rep->here);
	fprintf(out, "; the last %u days, since ", rep->days);
	put_time(out, rep->since);
	fputs(rep->host[0] ? "; snapshots of host " : "; snapshots of every host", out);
	report_html_text(out, rep->host);
	fputs(".</p>\n<p class=\"src\">Where the figures come from: runs, failures, copies and boot checks from the "
	    "run records and run history under this host's state_dir (this host's runs only", out);
	if (!rep->history_shown)
		fputs(", not shown: another host was chosen", out);
	fputs("); snapshots, sizes, the repository over time and retention from the repository's manifests.",
	    out);
	if (rep->history_damaged > 0)
		fprintf(out, " Damaged lines of the run history skipped: %zu.", rep->history_damaged);
	fputs("</p>\n</header>\n<nav>", out);
	for (size_t i = 0; i < rep->ndoms; i++) {
		fputs("<a href=\"#d-", out);
		report_html_text(out, rep->doms[i].name);
		fputs("\">", out);
		report_html_text(out, rep->doms[i].name);
		fputs("</a>", out);
	}
	fputs("<a href=\"#repository\">Repository</a></nav>\n<main>\n", out);
	if (rep->ndoms == 0)
		fputs("<p class=\"mute\">No domain: no run, boot check or snapshot.</p>\n", out);
	for (size_t i = 0; i < rep->ndoms; i++)
		domain(out, rep, &rep->doms[i]);
	repository(out, rep);
	fputs("</main>\n</body></html>\n", out);
	fclose(out);
	return buf;
}
