#include "agent/cbt_tidy.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/chain.h"
#include "agent/qimg.h"
#include "common/log.h"
#include "common/outcome.h"
#include "repo/layout.h"
#include "state/cbt.h"

#define TIDY_PREFIX "virtvault-"
#define TIDY_HASH_LEN 8

/* Whether NAME is a checkpoint of virtvault: its flow prefix into PREFIX. */
static bool
prefix_of(const char *name, char *prefix, size_t len)
{
	size_t n = strlen(TIDY_PREFIX);

	if (strncmp(name, TIDY_PREFIX, n) != 0 || strlen(name) < n + TIDY_HASH_LEN + 1 ||
	    name[n + TIDY_HASH_LEN] != '-')
		return false;
	snprintf(prefix, len, "%.*s", (int)(n + TIDY_HASH_LEN + 1), name);
	return true;
}

/* When checkpoint NAME was made (its run's stamp), or 0 when it does not say. */
static time_t
made_at(const char *name)
{
	struct tm tm = { 0 };
	const char *s = name + strlen(TIDY_PREFIX) + TIDY_HASH_LEN + 1;
	const char *end;

	if (strlen(name) < strlen(TIDY_PREFIX) + TIDY_HASH_LEN + 1)
		return 0;
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	return end == NULL ? 0 : timegm(&tm);
}

/* Whether URL is a file:// repository whose configuration is gone. */
static bool
repo_gone(const char *url)
{
	char *p;
	bool gone;

	if (url == NULL || strncmp(url, "file://", 7) != 0)
		return false;
	p = xasprintf("%s/%s", url + 7, LAYOUT_CONFIG);
	gone = access(p, F_OK) != 0;
	free(p);
	return gone;
}

int
cbt_tidy_drop(struct hv *hv, const char *dom, const struct domxml_domain *d, bool running,
    const char *name)
{
	int rc;

	if (running) {
		rc = hv_checkpoint_delete(hv, dom, name);
		return rc == VV_NOT_FOUND ? 0 : rc;
	}
	for (size_t i = 0; i < d->ndisks; i++) {
		const struct domxml_disk *k = &d->disks[i];
		struct strlist names = { 0 }, flags = { 0 };
		uint64_t vsize;

		if (k->nchain == 0 || k->chain[0].type != DOMXML_FILE || k->chain[0].format == NULL ||
		    strcmp(k->chain[0].format, "qcow2") != 0)
			continue;
		rc = qimg_bitmaps(k->chain[0].path, &vsize, &names, &flags);
		if (rc == 0 && strlist_contains(&names, name))
			rc = qimg_bitmap_remove(k->chain[0].path, name);
		strlist_clear(&names);
		strlist_clear(&flags);
		if (rc < 0) {
			log_error("domain %s, disk %s: bitmap %s cannot be removed from %s", dom,
			    k->target, name, k->chain[0].path);
			return -1;
		}
	}
	rc = hv_checkpoint_forget(hv, dom, name);
	return rc == VV_NOT_FOUND ? 0 : rc;
}

/* Drop NAME, saying WHY at info level; a failure is a warning. */
static void
drop_why(struct hv *hv, const char *dom, const struct domxml_domain *d, bool running,
    const char *name, const char *why)
{
	if (cbt_tidy_drop(hv, dom, d, running, name) == 0)
		log_info("domain %s: checkpoint %s dropped with its bitmaps: %s", dom, name, why);
	else
		log_warn("domain %s: checkpoint %s (%s) stays; the next backup tries again", dom,
		    name, why);
}

void
cbt_tidy_run(struct hv *hv, const struct conf *c, const struct cbt_run *run,
    const struct domxml_domain *d, bool running)
{
	struct strlist names = { 0 }, flows = { 0 }, keep = { 0 }, gone = { 0 };
	time_t now = time(NULL);
	char prefix[64], why[512];
	uint64_t days = c->cbt_forget_after / 86400;

	if (hv_checkpoints(hv, run->dom, &names) < 0 || names.n == 0)
		goto out;
	if (cbt_ref_flows(c->state_dir, run->dom, &flows) < 0)
		goto out;
	/* The flows known here: kept, or forgotten with their checkpoints. */
	for (size_t i = 0; i < flows.n; i++) {
		struct strlist cps = { 0 };
		char *repo = NULL;
		time_t last = 0;
		bool own = strcmp(flows.v[i], run->flow) == 0;

		if (cbt_ref_flow_info(c->state_dir, run->dom, flows.v[i], &cps, &repo, &last) < 0) {
			strlist_clear(&cps);
			continue;
		}
		why[0] = '\0';
		if (!own && c->cbt_forget_after > 0 && last + (time_t)c->cbt_forget_after < now)
			snprintf(why, sizeof(why),
			    "its backups (%s) have not run for %llu days (cbt_forget_after)", flows.v[i],
			    (unsigned long long)((uint64_t)(now - last) / 86400));
		else if (!own && repo_gone(repo))
			snprintf(why, sizeof(why), "the repository of its backups (%s), %s, is gone",
			    flows.v[i], repo);
		for (size_t k = 0; k < cps.n; k++) {
			if (why[0] == '\0')
				strlist_add(&keep, cps.v[k]);
			else if (strlist_contains(&names, cps.v[k])) {
				drop_why(hv, run->dom, d, running, cps.v[k], why);
				strlist_add(&gone, cps.v[k]);
			}
		}
		if (why[0] != '\0' && cbt_ref_forget(c->state_dir, run->dom, flows.v[i], why) == 0)
			log_info("domain %s: the next backup of %s reads whole: %s", run->dom,
			    flows.v[i], why);
		free(repo);
		strlist_clear(&cps);
	}
	for (size_t i = 0; i < names.n; i++) {
		time_t t;

		if (!prefix_of(names.v[i], prefix, sizeof(prefix)) ||
		    strlist_contains(&keep, names.v[i]) || strlist_contains(&gone, names.v[i]))
			continue;
		t = made_at(names.v[i]);
		if (strcmp(prefix, run->prefix) == 0)
			drop_why(hv, run->dom, d, running, names.v[i],
			    "no reference names it (a backup that did not finish made it)");
		else if (c->cbt_forget_after > 0 && t != 0 && t + (time_t)c->cbt_forget_after < now) {
			snprintf(why, sizeof(why),
			    "made %llu days ago by backups that have not run since (cbt_forget_after = %llu days)",
			    (unsigned long long)((uint64_t)(now - t) / 86400), (unsigned long long)days);
			drop_why(hv, run->dom, d, running, names.v[i], why);
		}
	}
out:
	strlist_clear(&names);
	strlist_clear(&flows);
	strlist_clear(&keep);
	strlist_clear(&gone);
}

void
cbt_tidy_abandon(struct hv *hv, struct cbt_run *run, const struct domxml_domain *d)
{
	if (run->checkpoint == NULL)
		return;
	if (cbt_tidy_drop(hv, run->dom, d, true, run->checkpoint) == 0)
		log_debug("domain %s: checkpoint %s of the failed backup deleted", run->dom,
		    run->checkpoint);
	else
		log_warn("domain %s: checkpoint %s of the failed backup stays; the next backup deletes it",
		    run->dom, run->checkpoint);
	free(run->checkpoint);
	run->checkpoint = NULL;
}

int
cbt_tidy_forget_domain(struct hv *hv, const struct conf *c, const char *dom, size_t *dropped)
{
	struct strlist names = { 0 };
	struct domxml_domain *d = NULL;
	enum hv_state state;
	char prefix[64];
	int rc, ret = -1;

	*dropped = 0;
	rc = hv_domain_state(hv, dom, &state, NULL);
	if (rc != 0)
		return rc;
	if (chain_describe(hv, dom, &d) != 0 || hv_checkpoints(hv, dom, &names) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++) {
		if (!prefix_of(names.v[i], prefix, sizeof(prefix)))
			continue;
		if (cbt_tidy_drop(hv, dom, d, state != HV_STATE_SHUTOFF, names.v[i]) < 0)
			goto out;
		log_info("domain %s: checkpoint %s dropped with its bitmaps", dom, names.v[i]);
		(*dropped)++;
	}
	if (cbt_ref_forget(c->state_dir, dom, NULL,
	    "its checkpoints were dropped by 'virtvault repair --forget-cbt'") < 0)
		goto out;
	ret = 0;
out:
	strlist_clear(&names);
	domxml_free(d);
	return ret;
}
