/*
 * Which domains a run backs up: a job's globs and exclusions, or the
 * domains named; and when libvirt cannot be asked, those a job backed up
 * before.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "agent/bootcheck.h"
#include "common/log.h"
#include "jobrun/jobrun_int.h"

int
jobrun_select_job(struct hv *hv, const struct conf_job *job, bool all, struct strlist *out,
    struct strlist *unmatched)
{
	struct strlist names = { 0 };

	if (hv_list_domains(hv, &names) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
		/* A boot check's throwaway domain is no domain of a job. */
		if (strncmp(names.v[i], BOOTCHECK_PREFIX, strlen(BOOTCHECK_PREFIX)) == 0)
			continue;
		if (!all && !strlist_glob_any(&job->domains, names.v[i]))
			continue;
		if (!all && strlist_glob_any(&job->exclude_domains, names.v[i]))
			continue;
		strlist_add(out, names.v[i]);
	}
	for (size_t k = 0; !all && k < job->domains.n; k++) {
		bool hit = false;

		for (size_t i = 0; i < names.n && !hit; i++)
			hit = fnmatch(job->domains.v[k], names.v[i], 0) == 0;
		if (!hit)
			strlist_add(unmatched, job->domains.v[k]);
	}
	strlist_clear(&names);
	strlist_sort(out);
	return 0;
}

int
jobrun_select_named(struct hv *hv, const struct strlist *named, struct strlist *out)
{
	size_t missing = 0;

	for (size_t i = 0; i < named->n; i++)
		if (!strlist_contains(out, named->v[i]))
			strlist_add(out, named->v[i]);
	/* A name that is not a domain is the command's error, not a
	 * domain's record: nothing is done, nothing recorded. */
	for (size_t i = 0; i < out->n; i++) {
		enum hv_state st;
		int rc = hv_domain_state(hv, out->v[i], &st, NULL);

		if (rc == VV_NOT_FOUND) {
			log_error("domain %s: not found at %s", out->v[i], hv_uri(hv));
			missing++;
		} else if (rc < 0) {
			return -1;
		}
	}
	if (missing > 0) {
		log_error("%zu of the domains named %s not defined; nothing backed up",
		    missing, missing == 1 ? "is" : "are");
		return 1;
	}
	return 0;
}

void
jobrun_select_known(const struct conf *c, const char *job, struct strlist *out)
{
	struct run_record *recs = NULL;
	size_t n = 0;

	if (state_run_list(c->state_dir, &recs, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (strcmp(recs[i].job, job) == 0 && !strlist_contains(out, recs[i].domain))
			strlist_add(out, recs[i].domain);
	free(recs);
}
