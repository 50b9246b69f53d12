#include "agent/chain.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/instant.h"
#include "state/journal.h"
#include "agent/overlay.h"
#include "agent/qimg.h"
#include "common/log.h"

int
chain_describe(struct hv *hv, const char *dom, struct domxml_domain **out)
{
	struct domxml_domain *d;
	char *xml = NULL;
	char err[256];
	int r;

	r = hv_domain_xml(hv, dom, false, &xml);
	if (r != 0)
		return r;
	d = domxml_parse(xml, err, sizeof(err));
	free(xml);
	if (d == NULL) {
		log_error("domain %s: cannot parse its XML: %s", dom, err);
		return -1;
	}
	for (size_t i = 0; i < d->ndisks; i++) {
		struct domxml_disk *k = &d->disks[i];
		struct domxml_image *chain;
		size_t n;

		if (k->chain_complete || k->nchain == 0 ||
		    k->chain[0].type != DOMXML_FILE)
			continue;
		if (qimg_chain(k->chain[0].path, k->chain[0].format, &chain, &n) < 0) {
			log_error("domain %s, disk %s: cannot read the backing chain of %s",
			    dom, k->target, k->chain[0].path);
			domxml_free(d);
			return -1;
		}
		domxml_disk_chain_set(k, chain, n);
	}
	*out = d;
	return 0;
}

static void problem(struct strlist *problems, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct strlist *problems, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_add(problems, s);
	free(s);
}

/* Overlay files of IMAGE in DIR that are not in use as ACTIVE. */
static void
find_stray_overlays(const char *dir, const char *image, const char *active,
    const char *target, struct strlist *seen, struct strlist *problems)
{
	DIR *dh = opendir(dir);
	struct dirent *e;

	if (dh == NULL)
		return;
	while ((e = readdir(dh)) != NULL) {
		char *p;

		if (!overlay_is_ours_of(e->d_name, image))
			continue;
		p = util_path_join(dir, e->d_name);
		if (strcmp(p, active) != 0 && !strlist_contains(seen, p)) {
			problem(problems, "disk %s: leftover overlay file %s of an interrupted backup (not in use)",
			    target, p);
			strlist_add(seen, p);
		}
		free(p);
	}
	closedir(dh);
}

static void
check_disk(const struct domxml_disk *k, const char *overlay_dir,
    struct strlist *seen, struct strlist *problems)
{
	const char *active = k->chain[0].path;

	for (size_t j = 0; j < k->nchain; j++) {
		const struct domxml_image *im = &k->chain[j];
		struct stat st;

		if (im->type != DOMXML_FILE && im->type != DOMXML_BLOCK)
			continue;
		if (stat(im->path, &st) < 0) {
			if (j == 0)
				problem(problems, "disk %s: active image %s: %s", k->target,
				    im->path, strerror(errno));
			else
				problem(problems, "disk %s: image %s (backing file of %s): %s",
				    k->target, im->path, k->chain[j - 1].path, strerror(errno));
		}
		if (overlay_is_ours(im->path))
			problem(problems, "disk %s: %s %s is a virtvault overlay left by an interrupted backup",
			    k->target, j == 0 ? "runs on" : "has in its chain", im->path);
	}
	/* Stray overlays next to each image of the chain, and in overlay_dir. */
	for (size_t j = 0; j < k->nchain; j++) {
		const struct domxml_image *im = &k->chain[j];
		char *dir;

		if (im->type != DOMXML_FILE || overlay_is_ours(im->path))
			continue;
		dir = xstrndup(im->path, (size_t)(util_basename(im->path) - im->path));
		find_stray_overlays(*dir ? dir : ".", im->path, active, k->target, seen,
		    problems);
		if (overlay_dir != NULL && *overlay_dir != '\0')
			find_stray_overlays(overlay_dir, im->path, active, k->target,
			    seen, problems);
		free(dir);
	}
}

static int
check_snapshots(struct hv *hv, const char *dom, const struct domxml_domain *d,
    struct strlist *problems)
{
	struct strlist xmls = { 0 };
	char err[256];
	int r;

	r = hv_snapshots(hv, dom, &xmls);
	for (size_t i = 0; r == 0 && i < xmls.n; i++) {
		struct domxml_snapshot *s = domxml_snapshot_parse(xmls.v[i], err, sizeof(err));

		if (s == NULL) {
			log_warn("domain %s: cannot parse a snapshot's XML: %s", dom, err);
			continue;
		}
		if (strncmp(s->name, OVERLAY_SNAPSHOT_PREFIX, strlen(OVERLAY_SNAPSHOT_PREFIX)) == 0)
			problem(problems, "leftover snapshot metadata '%s' of a virtvault backup", s->name);
		for (size_t j = 0; j < s->ndisks; j++) {
			const struct domxml_snapdisk *sd = &s->disks[j];

			if (sd->source == NULL || sd->snapshot == NULL ||
			    strcmp(sd->snapshot, "external") != 0)
				continue;
			for (size_t k = 0; k < d->ndisks; k++) {
				const struct domxml_disk *dk = &d->disks[k];

				if (dk->nchain > 0 && strcmp(dk->chain[0].path, sd->source) == 0)
					problem(problems, "disk %s: runs on overlay %s of external snapshot '%s' (never committed back)",
					    dk->target, sd->source, s->name);
			}
		}
		domxml_snapshot_free(s);
	}
	strlist_clear(&xmls);
	return r;
}

int
chain_check(struct hv *hv, const char *state_dir, const char *overlay_dir,
    const char *dom, struct strlist *problems)
{
	struct domxml_domain *d = NULL;
	struct strlist seen = { 0 };
	enum hv_state state;
	char *phase = NULL;
	int r;

	r = chain_describe(hv, dom, &d);
	if (r != 0)
		return r;
	if (hv_domain_state(hv, dom, &state, NULL) < 0)
		goto fail;

	r = journal_peek(state_dir, dom, &phase);
	if (r < 0)
		goto fail;
	if (r == 1) {
		char *jp = journal_path(state_dir, dom);

		problem(problems, "needs repair: a backup was interrupted in phase '%s' (journal %s); run: virtvault repair %s",
		    phase, jp, dom);
		free(jp);
		free(phase);
	}
	{
		struct instant_journal ij;

		if (instant_journal_read(state_dir, dom, &ij) == 0) {
			problem(problems, "an instant restore (snapshot %s) is not finished: its disks still read from %s; it finishes by itself, or run: virtvault repair %s",
			    ij.snapshot, ij.mount, dom);
			instant_journal_clear(&ij);
		}
	}
	for (size_t i = 0; i < d->ndisks; i++) {
		const struct domxml_disk *k = &d->disks[i];
		struct hv_block_job job;

		if (k->nchain > 0)
			check_disk(k, overlay_dir, &seen, problems);
		if (state != HV_STATE_RUNNING && state != HV_STATE_PAUSED)
			continue;
		r = hv_block_job(hv, dom, k->target, &job);
		if (r < 0)
			goto fail;
		if (r == 1)
			problem(problems, "disk %s: a block job is running (%s, %llu of %llu)",
			    k->target, job.type, (unsigned long long)job.cur,
			    (unsigned long long)job.end);
	}
	if (check_snapshots(hv, dom, d, problems) < 0)
		goto fail;
	strlist_clear(&seen);
	domxml_free(d);
	return 0;
fail:
	strlist_clear(&seen);
	domxml_free(d);
	return -1;
}

int
chain_verify(struct hv *hv, const char *dom, const struct journal *j)
{
	struct domxml_domain *d = NULL;
	enum hv_state state = HV_STATE_OTHER;
	int bad = 0;

	if (chain_describe(hv, dom, &d) != 0 || hv_domain_state(hv, dom, &state, NULL) != 0) {
		domxml_free(d);
		return -1;
	}
	for (size_t i = 0; i < j->ndisks; i++) {
		const struct journal_disk *jd = &j->disks[i];
		const struct domxml_disk *k = domxml_find_disk(d, jd->target);
		struct hv_block_job job;

		if (k == NULL) {
			log_error("domain %s, disk %s: gone from the domain", dom, jd->target);
			bad++;
			continue;
		}
		if (k->nchain != jd->chain.n) {
			log_error("domain %s, disk %s: the backing chain has %zu images, %zu before the backup (active image now %s)",
			    dom, jd->target, k->nchain, jd->chain.n, k->nchain ? k->chain[0].path : "none");
			bad++;
			continue;
		}
		for (size_t n = 0; n < k->nchain; n++) {
			if (strcmp(k->chain[n].path, jd->chain.v[n]) != 0) {
				log_error("domain %s, disk %s: image %zu of the chain is %s, was %s", dom,
				    jd->target, n, k->chain[n].path, jd->chain.v[n]);
				bad++;
			}
		}
		if (access(jd->overlay, F_OK) == 0) {
			log_error("domain %s, disk %s: overlay %s is still on disk", dom, jd->target,
			    jd->overlay);
			bad++;
		}
		if (state == HV_STATE_RUNNING || state == HV_STATE_PAUSED) {
			int r = hv_block_job(hv, dom, jd->target, &job);

			if (r == 1)
				log_error("domain %s, disk %s: a block job (%s) is still running", dom,
				    jd->target, job.type);
			bad += r != 0;
		}
		for (size_t n = 0; n < k->nchain; n++)
			if (k->chain[n].format && strcmp(k->chain[n].format, "qcow2") == 0 &&
			    qimg_check(k->chain[n].path) < 0) {
				log_error("domain %s, disk %s: image %zu of its chain fails qemu-img check (see above)",
				    dom, jd->target, n);
				bad++;
			}
	}
	domxml_free(d);
	return bad ? -1 : 0;
}

