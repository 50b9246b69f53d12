/*
 * A job's copy_to: each domain's new snapshots into the second
 * repository, with that repository's retention (jobrun_copy.h).
 */
#include "jobrun/jobrun_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "repo/copy.h"
#include "repo/forget.h"

size_t
jobrun_copy_plan(struct manifest *const *l, size_t n, bool dst_has, time_t dst_newest,
    size_t max, size_t *idx, size_t *left)
{
	size_t k = 0, missing = 0;

	/* Newest first: the first MAX missing are taken, the rest counted. */
	for (size_t i = 0; i < n; i++) {
		if (l[i]->future || (dst_has && l[i]->when <= dst_newest))
			continue;
		if (!dst_has && missing > 0)
			break;
		missing++;
		if (k < max)
			idx[k++] = i;
	}
	*left = missing - k;
	/* Oldest first: each copy is seeded from the one before it. */
	for (size_t a = 0, b = k; b > a + 1; a++, b--) {
		size_t t = idx[a];

		idx[a] = idx[b - 1];
		idx[b - 1] = t;
	}
	return k;
}

/* The destination [repository NAME] of C's file, opened (its conf into
 * *DCONF, which it borrows); NULL (logged). */
static struct repo *
open_dest(const struct conf *c, const char *name, struct repo *src, struct conf **dconf)
{
	struct conf *d = conf_load_repo(c->path, true, name);
	struct repo *r = NULL;

	conf_require_repository(d);
	if (d->errors.n > 0)
		log_error("copy to [repository %s]: %s", name, d->errors.v[0]);
	else if (strcmp(d->url, repo_url(src)) == 0)
		log_error("copy to [repository %s]: it is %s, the job's own repository", name, d->url);
	else
		r = repo_open(d);
	if (r == NULL)
		conf_free(d);
	else
		*dconf = d;
	return r;
}

/* The time of DST's newest snapshot of DOM (HOST's) into *WHEN. Returns 1
 * when it holds one, 0 when none, -1 (logged) when it cannot be listed. */
static int
dest_newest(struct repo *dst, const char *host, const char *dom, time_t *when)
{
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	int ret = 0;

	if (manifest_load_all(dst, host, dom, &l, &n, &bad) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (!l[i]->future) {
			*when = l[i]->when;
			ret = 1;
		}
	}
	manifest_list_free(l, n);
	return ret;
}

/* The destination's keep_* rules (P) on DOM's group there. Returns 0 or -1 (logged). */
static int
dest_forget(struct repo *dst, const char *host, const char *dom, const struct keep_policy *p,
    struct run_copy *out)
{
	struct strlist names = { 0 };
	struct forget_plan plan;
	size_t failed;
	int ret = -1;

	if (retention_policy_empty(p))
		return 0;
	strlist_add(&names, dom);
	if (forget_select(dst, host, &names, NULL, p, NULL, &plan) == 0) {
		failed = forget_remove(dst, &plan);
		out->forgotten = plan.nremove - failed;
		if (failed > 0)
			log_error("copy to %s: %zu snapshots of %s its keep_* rules forget could not be removed",
			    repo_url(dst), failed, dom);
		ret = failed > 0 ? -1 : 0;
		forget_plan_free(&plan);
	}
	strlist_clear(&names);
	return ret;
}

/* The missing snapshots of DOM (L, N) copied into DST. Returns 0 or -1 (logged). */
static int
copy_missing(struct repo *src, struct repo *dst, const char *dom, struct manifest **l, size_t n,
    const volatile sig_atomic_t *cancel, struct run_copy *out)
{
	size_t idx[JOBRUN_COPY_MAX], k, left = 0;
	time_t newest = 0;
	int has = dest_newest(dst, repo_host(src), dom, &newest);

	if (has < 0)
		return -1;
	k = jobrun_copy_plan(l, n, has == 1, newest, JOBRUN_COPY_MAX, idx, &left);
	out->missing = left;
	if (left > 0)
		log_warn("copy of %s to %s: %zu older snapshots missing there are not copied by a job's run (at most %d): 'virtvault copy' copies them",
		    dom, repo_url(dst), left, JOBRUN_COPY_MAX);
	for (size_t j = 0; j < k; j++) {
		const struct manifest *m = l[idx[j]];
		struct backup_stats st;
		int p = copy_present(dst, m);

		if (p < 0)
			return -1;
		if (p == 1)
			continue;
		if (copy_snapshot(src, dst, m, copy_previous(l, n, idx[j]), cancel, &st) < 0)
			return -1;
		out->snapshots++;
		out->bytes_stored += st.bytes_stored;
		log_info("domain %s: snapshot %s (%s) copied to %s: %llu chunks stored, %llu there already",
		    dom, m->id, m->time, repo_url(dst), (unsigned long long)st.chunks_new,
		    (unsigned long long)st.chunks_reused);
	}
	return 0;
}

int
jobrun_copy_domain(const struct conf *c, const struct conf_job *job, struct repo *src,
    const char *dom, const volatile sig_atomic_t *cancel, struct run_copy *out)
{
	struct conf *dconf = NULL;
	struct repo *dst = NULL;
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	char none[8];
	int ret = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->repository, sizeof(out->repository), "%s", job->copy_to);
	out->started = time(NULL);
	log_last_error(none, sizeof(none), true);
	if ((dst = open_dest(c, job->copy_to, src, &dconf)) == NULL || copy_check(src, dst) < 0)
		goto out;
	if (manifest_load_all(src, repo_host(src), dom, &l, &n, &bad) < 0)
		goto out;
	if (copy_missing(src, dst, dom, l, n, cancel, out) < 0)
		goto out;
	/* The destination's retention, only after a whole copy. */
	if (dest_forget(dst, repo_host(src), dom, &dconf->keep, out) < 0)
		goto out;
	ret = 0;
out:
	out->finished = time(NULL);
	snprintf(out->result, sizeof(out->result), "%s", ret == 0 ? "success" : "failure");
	if (ret < 0) {
		log_last_error(out->error, sizeof(out->error), false);
		if (out->error[0] == '\0')
			snprintf(out->error, sizeof(out->error), "the copy to [repository %s] failed (see the log)",
			    job->copy_to);
	}
	manifest_list_free(l, n);
	repo_close(dst);
	conf_free(dconf);
	return ret;
}
