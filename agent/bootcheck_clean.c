/*
 * The boot check's clean-up: of its own throwaway domain at its end, and
 * of what checks that died left (repair, check-chain, the next check).
 */
#include "agent/bootcheck.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/bootcheck_int.h"
#include "agent/domxml.h"
#include "agent/instant_mount.h"
#include "common/log.h"
#include "state/bootjournal.h"

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/*
 * Remove the tree PATH when it lies below UNDER (what a journal names is
 * never trusted further); never into another file system (a mount still
 * there). Returns 0, or -1 when PATH is still there (logged).
 */
static int
remove_tree(const char *path, const char *under)
{
	size_t n = strlen(under);

	if (path == NULL || *path == '\0')
		return 0;
	if (strncmp(path, under, n) != 0 || path[n] != '/' || strstr(path, "/..") != NULL) {
		log_error("boot check: %s is not below %s: left alone", path, under);
		return -1;
	}
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (access(path, F_OK) == 0) {
		log_error("boot check: cannot remove %s (see above)", path);
		return -1;
	}
	return 0;
}

int
bootcheck_clean(struct hv *hv, const struct bootjournal *j)
{
	int rc = hv_domain_destroy(hv, j->name);

	if (rc < 0 && rc != VV_NOT_FOUND)
		return -1;
	if (*j->mount != '\0') {
		instant_mount_release(j->mount_pid, j->mount);
		if (instant_mount_active(j->mount)) {
			log_error("boot check %s: the mount %s is still there", j->name, j->mount);
			return -1;
		}
	}
	if (remove_tree(j->dir, BOOTCHECK_WORKDIR) < 0)
		return -1;
	return remove_tree(j->tpm_state, DOMXML_SWTPM_DIR);
}

int
bootcheck_repair(struct hv *hv, const struct conf *c, const char *dom, bool *did)
{
	struct strlist names = { 0 };
	int ret = 0;

	if (did != NULL)
		*did = false;
	if (bootjournal_list(c->state_dir, &names) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		struct bootjournal j;
		int fd = -1, rc;

		if (bootjournal_read(c->state_dir, names.v[i], &j) != 0) {
			ret = -1;
			continue;
		}
		if (dom != NULL && strcmp(j.domain, dom) != 0 && strcmp(j.name, dom) != 0)
			goto next;
		if ((rc = bootjournal_lock(c->state_dir, j.name, &fd)) != 0) {
			if (rc < 0)
				ret = -1;
			else if (dom != NULL)
				log_info("domain %s: a boot check runs (throwaway domain %s, pid %ld): left alone",
				    j.domain, j.name, (long)j.pid);
			goto next;
		}
		log_warn("domain %s: a boot check of snapshot %s was interrupted; removing its throwaway domain %s, its mount and files in %s",
		    j.domain, j.snapshot, j.name, j.dir);
		if (bootcheck_clean(hv, &j) < 0) {
			ret = -1;
			close(fd);	/* the lock file stays beside the journal */
			goto next;
		}
		bootjournal_remove(c->state_dir, j.name);
		bootjournal_unlock(c->state_dir, j.name, fd);
		if (did != NULL)
			*did = true;
next:
		bootjournal_clear(&j);
	}
	strlist_clear(&names);
	return ret;
}

size_t
bootcheck_leftovers(const struct conf *c, const char *dom, struct strlist *problems)
{
	struct strlist names = { 0 };
	size_t n = 0;

	if (bootjournal_list(c->state_dir, &names) < 0)
		return 0;
	for (size_t i = 0; i < names.n; i++) {
		struct bootjournal j;

		if (bootjournal_read(c->state_dir, names.v[i], &j) != 0)
			continue;
		if ((strcmp(j.domain, dom) == 0 || strcmp(j.name, dom) == 0) &&
		    !bootjournal_busy(c->state_dir, j.name)) {
			char *s = xasprintf("a boot check of snapshot %s was interrupted: its throwaway domain %s, mount and files in %s may be left; run: virtvault repair %s",
			    j.snapshot, j.name, j.dir, j.domain);

			strlist_add(problems, s);
			free(s);
			n++;
		}
		bootjournal_clear(&j);
	}
	strlist_clear(&names);
	return n;
}
