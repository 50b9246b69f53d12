#include "agent/commit.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/progress.h"
#include "common/clock.h"

/* How many times a commit that does not converge is started again. */
#define COMMIT_ATTEMPTS 3

int
commit_disk(struct hv *hv, const char *dom, const char *target,
    unsigned long timeout, bool join, bool quiet)
{
	double deadline = clock_mono() + (double)timeout;
	double per_try = (double)timeout / COMMIT_ATTEMPTS;
	struct hv_block_job job;
	char label[96], err[256];
	int r;

	snprintf(label, sizeof(label), "commit %s %s", dom, target);
	r = hv_block_job(hv, dom, target, &job);
	if (r < 0)
		return -1;
	if (r == 1 && !join) {
		log_error("domain %s, disk %s: a block job (%s) is already running", dom, target, job.type);
		return -1;
	}
	for (int attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
		double try_end = clock_mono() + per_try;
		struct progress *p;

		if (r != 1 && hv_block_commit(hv, dom, target) < 0)
			return -1;
		r = 0;
		p = progress_new(label, 0, stderr, -1, quiet);
		for (;;) {
			int jr = hv_block_job(hv, dom, target, &job);

			if (jr < 0) {
				progress_free(p);
				return -1;
			}
			if (jr == 0) {
				/* The job vanished without a pivot: it failed or was cancelled. */
				log_error("domain %s, disk %s: the block commit ended without a pivot", dom, target);
				progress_free(p);
				return -1;
			}
			if (job.end > 0)
				progress_set_total(p, job.end);
			progress_set(p, job.cur);
			if (job.end > 0 && job.cur == job.end) {
				int pr = hv_block_pivot(hv, dom, target, err, sizeof(err));

				if (pr == 0) {
					progress_free(p);
					log_debug("domain %s, disk %s: committed and pivoted", dom, target);
					return 0;
				}
				if (pr < 0) {
					log_error("domain %s, disk %s: pivot failed: %s", dom, target, err);
					progress_free(p);
					return -1;
				}
			}
			if (clock_mono() > try_end || clock_mono() > deadline)
				break;
			usleep(50000);
		}
		progress_free(p);
		if (clock_mono() > deadline || attempt == COMMIT_ATTEMPTS)
			break;
		/* Not converging: the guest outwrites the mirror. Start over. */
		log_warn("domain %s, disk %s: the block commit did not become ready in %.0fs; starting it again (attempt %d of %d)",
		    dom, target, per_try, attempt + 1, COMMIT_ATTEMPTS);
		if (hv_block_abort(hv, dom, target) < 0)
			return -1;
		for (int i = 0; i < 100 && hv_block_job(hv, dom, target, &job) == 1; i++)
			usleep(50000);
	}
	/* Give up without leaving a mirror running under the guest. */
	hv_block_abort(hv, dom, target);
	log_error("domain %s, disk %s: the block commit did not complete within %lus (commit_timeout); the disk stays on its overlay until 'virtvault repair %s'",
	    dom, target, timeout, dom);
	return -1;
}
