/*
 * The disks of one domain's backup: which are backed up, the journal's
 * plan of their overlays, the copy of their images and of the domain's
 * firmware variables and TPM state into the snapshot.
 */
#include "agent/seq_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/overlay.h"
#include "common/log.h"
#include "common/progress.h"
#include "repo/backup.h"

static bool
disk_excluded(const struct strlist *ex, const char *dom, const char *target)
{
	char both[256];

	snprintf(both, sizeof(both), "%s:%s", dom, target);
	for (size_t i = 0; ex && i < ex->n; i++)
		if (fnmatch(ex->v[i], target, 0) == 0 || fnmatch(ex->v[i], both, 0) == 0)
			return true;
	return false;
}

/*
 * Choose the disks to back up; refuse the domain (-1, logged) for a disk
 * virtvault cannot snapshot and copy. A RUNNING domain (or a paused one)
 * gets overlays; a shut-off one is read as it is, and needs none.
 */
int
seq_select_disks(const struct domxml_domain *d, const struct conf *c, const struct seq_opts *o,
    bool running, bool *sel)
{
	size_t n = 0;

	for (size_t i = 0; i < d->ndisks; i++) {
		const struct domxml_disk *k = &d->disks[i];

		sel[i] = false;
		if (strcmp(k->device, "disk") != 0) {
			log_debug("domain %s, disk %s: %s skipped", d->name, k->target, k->device);
			continue;
		}
		if (!k->has_source || k->nchain == 0)
			continue;
		if (disk_excluded(o->exclude_disks, d->name, k->target)) {
			log_info("domain %s, disk %s: excluded by the job", d->name, k->target);
			continue;
		}
		if (k->transient || k->readonly) {
			log_info("domain %s, disk %s: %s, not backed up", d->name, k->target,
			    k->transient ? "transient" : "read-only");
			continue;
		}
		if (k->chain[0].type != DOMXML_FILE && k->chain[0].type != DOMXML_BLOCK) {
			log_error("domain %s, disk %s: a %s disk (%s) cannot be backed up by virtvault; exclude it with exclude_disks",
			    d->name, k->target, domxml_type_name(k->chain[0].type), k->chain[0].path);
			return -1;
		}
		/* A block device's overlay is a file: it needs a folder of its own. */
		if (running && k->chain[0].type == DOMXML_BLOCK &&
		    (c->overlay_dir == NULL || *c->overlay_dir == '\0')) {
			log_error("domain %s, disk %s: a block device (%s): its snapshot overlay is a file, and needs a folder: set overlay_dir in [agent]",
			    d->name, k->target, k->chain[0].path);
			return -1;
		}
		for (size_t j = 1; j < k->nchain; j++) {
			if (k->chain[j].type != DOMXML_FILE && k->chain[j].type != DOMXML_BLOCK) {
				log_error("domain %s, disk %s: its backing chain holds a %s image (%s), which cannot be copied",
				    d->name, k->target, domxml_type_name(k->chain[j].type), k->chain[j].path);
				return -1;
			}
		}
		if (overlay_is_ours(k->chain[0].path)) {
			log_error("domain %s, disk %s: runs on a virtvault overlay (%s) without a journal; run 'virtvault check-chain %s'",
			    d->name, k->target, k->chain[0].path, d->name);
			return -1;
		}
		sel[i] = true;
		n++;
	}
	if (n == 0) {
		log_error("domain %s: no disk to back up", d->name);
		return -1;
	}
	return 0;
}

/* Names in the manifest: base names, a folder per disk where they clash. */
static char *
file_name(const struct manifest *m, const char *target, const char *path)
{
	const char *base = util_basename(path);

	for (size_t i = 0; i < m->nfiles; i++)
		if (strcmp(util_basename(m->files[i].name), base) == 0)
			return xasprintf("%s/%s", target, base);
	return xstrdup(base);
}

int
seq_copy_disks(struct backup *b, const struct conf *c, const char *dom,
    const struct journal *j, const struct cbt_run *cbt, bool quiet,
    const volatile sig_atomic_t *cancel)
{
	static const struct backup_reuse backing = { .reason = "a backing file: read whole" };

	for (size_t i = 0; i < j->ndisks; i++) {
		const struct journal_disk *d = &j->disks[i];

		for (size_t k = 0; k < d->chain.n; k++) {
			char *name = file_name(backup_manifest(b), d->target, d->chain.v[k]);
			char *label = xasprintf("copy %s %s", d->target, util_basename(d->chain.v[k]));
			struct progress *p = progress_new(label, 0, stderr, -1, quiet);
			const struct cbt_disk *cd = k == 0 ? &cbt->disks[i] : NULL;
			int r = backup_add_file_reuse(b, d->chain.v[k], name, d->target,
			    cd ? &cd->reuse : &backing, p);

			/* The next run's reference, recorded with this snapshot. */
			if (r == 0 && cd != NULL && cd->mapped && cbt->checkpoint != NULL)
				backup_set_cbt(b, name, cbt->checkpoint, cd->map_sha);
			if (r == 0)
				progress_finish(p);
			progress_free(p);
			free(label);
			free(name);
			if (r < 0)
				return -1;	/* logged where it failed, naming the image */
		}
		if (i == 0)
			seq_stall(c, dom, "copy-mid", cancel);
	}
	return 0;
}

/* Whether NAME (a d_name) is a regular file in the folder DIRFD. */
static bool
regular_in(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static int
add_state_file(struct backup *b, const char *dom, const char *path, const char *name,
    const char *kind)
{
	if (backup_add_file(b, path, name, NULL, NULL) < 0) {
		log_error("domain %s: its %s file %s could not be backed up", dom,
		    strcmp(kind, MANIFEST_KIND_NVRAM) == 0 ? "NVRAM" : "TPM state", path);
		return -1;
	}
	return backup_set_kind(b, name, kind);
}

/*
 * The domain's firmware variables (<nvram>) and its emulated TPM's state
 * folder, as files of the snapshot: nvram/FILE and tpm/FILE. Neither exists
 * before the domain's first start: then it is said, and nothing is missed.
 */
int
seq_copy_firmware(struct backup *b, const struct domxml_domain *d)
{
	char *tpm = domxml_tpm_state(d);
	int ret = 0;

	if (d->nvram != NULL) {
		if (access(d->nvram, F_OK) != 0) {
			log_warn("domain %s: its NVRAM file %s does not exist (libvirt makes it at the first start): not backed up",
			    d->name, d->nvram);
		} else {
			char *name = xasprintf("nvram/%s", util_basename(d->nvram));

			ret = add_state_file(b, d->name, d->nvram, name, MANIFEST_KIND_NVRAM);
			free(name);
		}
	}
	if (ret == 0 && tpm != NULL) {
		DIR *dir = opendir(tpm);
		struct strlist files = { 0 };
		struct dirent *e;

		if (dir == NULL) {
			if (errno == ENOENT)
				log_warn("domain %s: no TPM state in %s (swtpm makes it at the first start): not backed up",
				    d->name, tpm);
			else {
				log_error("domain %s: cannot read its TPM state folder %s: %s", d->name, tpm,
				    strerror(errno));
				ret = -1;
			}
		} else {
			while ((e = readdir(dir)) != NULL)
				if (e->d_name[0] != '.' && regular_in(dirfd(dir), e->d_name))
					strlist_add(&files, e->d_name);
			closedir(dir);
			strlist_sort(&files);
			for (size_t i = 0; ret == 0 && i < files.n; i++) {
				char *path = util_path_join(tpm, files.v[i]);
				char *name = xasprintf("tpm/%s", files.v[i]);

				ret = add_state_file(b, d->name, path, name, MANIFEST_KIND_TPM);
				free(path);
				free(name);
			}
			strlist_clear(&files);
		}
	}
	free(tpm);
	return ret;
}

/* Journal the plan: the disks, their chains, the overlays to create. */
struct journal *
seq_journal_plan(const struct conf *c, const struct domxml_domain *d, const bool *sel, bool running)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	char stamp[48], when[32];
	time_t t = time(NULL);

	/* Time and pid: two runs in one second never share overlay names. */
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", gmtime(&t));
	snprintf(stamp, sizeof(stamp), "%s-%d", when, (int)getpid());
	j->domain = xstrdup(d->name);
	j->phase = xstrdup("prepare");
	j->snapshot = xasprintf("%s%s", OVERLAY_SNAPSHOT_PREFIX, stamp);
	j->running = running;
	for (size_t i = 0; i < d->ndisks; i++) {
		struct journal_disk *jd;

		if (!sel[i])
			continue;
		jd = journal_add_disk(j);
		jd->target = xstrdup(d->disks[i].target);
		jd->format = xstrdup(d->disks[i].chain[0].format ? d->disks[i].chain[0].format : "raw");
		for (size_t k = 0; k < d->disks[i].nchain; k++)
			strlist_add(&jd->chain, d->disks[i].chain[k].path);
		if (d->disks[i].chain[0].type == DOMXML_BLOCK) {
			/* Two volumes of one name (vg1/root, vg2/root): the target tells them apart. */
			char *st = xasprintf("%s-%s", stamp, d->disks[i].target);

			jd->overlay = overlay_path(d->disks[i].chain[0].path, c->overlay_dir, st);
			free(st);
		} else {
			jd->overlay = overlay_path(d->disks[i].chain[0].path, c->overlay_dir, stamp);
		}
	}
	return j;
}

