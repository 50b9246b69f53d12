/*
 * The report's data: the repository's manifests (through the cache) and
 * this host's state_dir, gathered into plain data (jobrun/report.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "jobrun/report_int.h"
#include "repo/manifest.h"
#include "state/bootrec.h"
#include "state/history.h"

/* The file PATH (at most MAX bytes) in base64, a new string, or NULL (not logged). */
static char *
file_base64(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	char *out = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = xcalloc(max + 1, 1);
	n = fread(buf, 1, max + 1, f);
	if (!ferror(f) && n <= max)
		out = crypto_base64(buf, n);
	fclose(f);
	free(buf);
	return out;
}

static uint64_t
total_size(const struct manifest *m)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->nfiles; i++)
		t += m->files[i].size;
	return t;
}

/* Group (host, name), then newest first. */
static int
by_group(const void *a, const void *b)
{
	const struct manifest *x = *(struct manifest *const *)a, *y = *(struct manifest *const *)b;
	int c = manifest_group_cmp(x, y);

	if (c == 0)
		c = strcmp(y->time, x->time);
	return c ? c : strcmp(y->id, x->id);
}

/* Oldest first. */
static int
by_time(const void *a, const void *b)
{
	const struct manifest *x = *(struct manifest *const *)a, *y = *(struct manifest *const *)b;
	int c = strcmp(x->time, y->time);

	return c ? c : strcmp(x->id, y->id);
}

static void
add_groups(const struct conf *c, struct report *rep, struct manifest **l, size_t n)
{
	qsort(l, n, sizeof(*l), by_group);
	rep->groups = xcalloc(n + 1, sizeof(*rep->groups));
	for (size_t i = 0; i < n;) {
		struct report_group *g = &rep->groups[rep->ngroups++];
		size_t e = i;

		while (e < n && manifest_same_group(l[i], l[e]))
			e++;
		snprintf(g->host, sizeof(g->host), "%s", manifest_host(l[i]));
		snprintf(g->name, sizeof(g->name), "%s", l[i]->name);
		g->snaps = xcalloc(e - i, sizeof(*g->snaps));
		for (size_t k = i; k < e; k++) {
			struct report_snapshot *s = &g->snaps[g->n++];

			snprintf(s->id, sizeof(s->id), "%s", l[k]->id);
			snprintf(s->time, sizeof(s->time), "%s", l[k]->time);
			s->when = l[k]->when;
			s->future = l[k]->future;
			s->size = total_size(l[k]);
			s->stored = l[k]->stats.bytes_stored;
			s->chunks_new = l[k]->stats.chunks_new;
			s->rule = "";
		}
		report_keep_group(c, rep->here, rep->generated, g);
		i = e;
	}
}

static void
add_points(struct report *rep, struct manifest **l, size_t n)
{
	qsort(l, n, sizeof(*l), by_time);
	rep->points = xcalloc(n + 1, sizeof(*rep->points));
	for (size_t i = 0; i < n; i++) {
		rep->stored_total += l[i]->stats.bytes_stored;
		rep->chunks_total += l[i]->stats.chunks_new;
		if (l[i]->when < rep->since || l[i]->future)
			continue;
		rep->points[rep->npoints].when = l[i]->when;
		rep->points[rep->npoints].stored = rep->stored_total;
		rep->points[rep->npoints].chunks = rep->chunks_total;
		rep->npoints++;
	}
	rep->nsnapshots = n;
}

/* This host's verify records of the hosts shown into REP, their names added to NAMES. */
static int
add_verifies(const struct conf *c, struct report *rep, struct strlist *names)
{
	struct strlist keys = { 0 };

	if (state_verify_list(c->state_dir, &keys) < 0)
		return -1;
	rep->verifies = xcalloc(keys.n + 1, sizeof(*rep->verifies));
	for (size_t i = 0; i < keys.n; i++) {
		struct verify_record *v = &rep->verifies[rep->nverifies];

		if (state_verify_read(c->state_dir, keys.v[i], v) != 0 ||
		    (rep->host[0] != '\0' && strcmp(v->host, rep->host) != 0))
			continue;
		strlist_add(names, v->name);
		rep->nverifies++;
	}
	strlist_clear(&keys);
	return 0;
}

/* The newest copy of each job and destination among D's runs, and the failed ones counted. */
static void
add_copies(struct report_domain *d)
{
	d->copies = xcalloc(d->nruns + 1, sizeof(*d->copies));
	for (size_t i = d->nruns; i-- > 0;) {
		const struct run_record *r = &d->runs[i];
		size_t k = 0;

		if (r->copy.result[0] == '\0')
			continue;
		d->copy_failures += state_copy_failed(&r->copy);
		while (k < d->ncopies && (strcmp(d->copies[k].job, r->job) != 0 ||
		    strcmp(d->copies[k].copy.repository, r->copy.repository) != 0))
			k++;
		if (k < d->ncopies)
			continue;
		snprintf(d->copies[k].job, sizeof(d->copies[k].job), "%s", r->job);
		d->copies[k].copy = r->copy;
		d->ncopies++;
	}
}

/* Domain NAME's runs, copies, boot check and snapshots, into D. */
static int
add_domain(const struct conf *c, struct report *rep, const char *name, struct report_domain *d)
{
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (rep->history_shown &&
	    state_history_read(c->state_dir, name, NULL, rep->since, &d->runs, &d->nruns,
	    &rep->history_damaged) < 0)
		return -1;
	for (size_t i = 0; i < d->nruns; i++)
		d->failures += !d->runs[i].ok;
	add_copies(d);
	if (state_boot_read(c->state_dir, name, &d->boot) == 0 &&
	    (rep->history_shown || strcmp(d->boot.snapshot_host, rep->host) == 0)) {
		d->has_boot = true;
		if (d->boot.screenshot) {
			d->screenshot_file = state_boot_screenshot_path(c->state_dir, name);
			d->screenshot = file_base64(d->screenshot_file, REPORT_MAX_SCREENSHOT);
			if (d->screenshot == NULL)
				log_warn("domain %s: the boot check's screenshot %s cannot be read (or is over %u bytes): not shown",
				    name, d->screenshot_file, REPORT_MAX_SCREENSHOT);
		}
	}
	/* Of its groups' verify records (one per host), the one that ended last. */
	for (size_t i = 0; i < rep->nverifies; i++) {
		const struct verify_record *v = &rep->verifies[i];

		if (strcmp(v->name, name) == 0 && (!d->has_verify || v->finished > d->verify.finished)) {
			d->verify = *v;
			d->has_verify = true;
		}
	}
	for (size_t i = 0; i < rep->ngroups; i++) {
		const struct report_group *g = &rep->groups[i];

		if (strcmp(g->name, name) != 0)
			continue;
		if (d->nsnapshots == 0 || (g->n > 0 && strcmp(rep->here, g->host) == 0))
			d->size_newest = g->n ? g->snaps[0].size : 0;
		d->nsnapshots += g->n;
	}
	return 0;
}

int
report_gather(const struct conf *c, struct repo *r, const struct report_opts *o,
    struct report *out)
{
	struct strlist names = { 0 };
	struct manifest **l = NULL;
	size_t n = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->generated = o->now;
	out->days = o->days;
	out->since = o->now - (time_t)o->days * 86400;
	snprintf(out->here, sizeof(out->here), "%s", repo_host(r));
	snprintf(out->host, sizeof(out->host), "%s", o->host ? o->host : "");
	out->history_shown = o->host == NULL || strcmp(o->host, out->here) == 0;
	if (manifest_load_all(r, o->host, NULL, &l, &n, &out->unreadable) < 0)
		return -1;
	add_groups(c, out, l, n);
	add_points(out, l, n);
	for (size_t i = 0; i < out->ngroups; i++)
		strlist_add(&names, out->groups[i].name);
	if (out->history_shown && state_history_domains(c->state_dir, &names) < 0)
		goto out;
	if (state_boot_list(c->state_dir, &names) < 0 || add_verifies(c, out, &names) < 0)
		goto out;
	strlist_sort(&names);
	out->doms = xcalloc(names.n + 1, sizeof(*out->doms));
	for (size_t i = 0; i < names.n; i++) {
		if (i > 0 && strcmp(names.v[i], names.v[i - 1]) == 0)
			continue;
		if (add_domain(c, out, names.v[i], &out->doms[out->ndoms]) < 0)
			goto out;
		/* A boot record of another host's snapshot when one host is shown: not this one's. */
		if (out->doms[out->ndoms].nsnapshots == 0 && out->doms[out->ndoms].nruns == 0 &&
		    !out->doms[out->ndoms].has_boot && !out->doms[out->ndoms].has_verify) {
			free(out->doms[out->ndoms].runs);
			free(out->doms[out->ndoms].copies);
			memset(&out->doms[out->ndoms], 0, sizeof(out->doms[0]));
			continue;
		}
		out->ndoms++;
	}
	ret = 0;
out:
	strlist_clear(&names);
	manifest_list_free(l, n);
	return ret;
}

void
report_clear(struct report *rep)
{
	for (size_t i = 0; i < rep->ndoms; i++) {
		free(rep->doms[i].runs);
		free(rep->doms[i].copies);
		free(rep->doms[i].screenshot);
		free(rep->doms[i].screenshot_file);
	}
	free(rep->doms);
	for (size_t i = 0; i < rep->ngroups; i++)
		free(rep->groups[i].snaps);
	free(rep->groups);
	free(rep->verifies);
	free(rep->points);
	memset(rep, 0, sizeof(*rep));
}
