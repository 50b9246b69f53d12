/*
 * virtvault backup: domains, live (DOMAIN... | --all | --job NAME), or
 * image files (--image PATH... --name NAME).
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/sequence.h"
#include "common/run.h"
#include "jobrun/notify.h"
#include "state/runs.h"
#include "cli/cli.h"
#include "common/log.h"
#include "repo/backup.h"
#include "repo/forget.h"
#include "repo/layout.h"
#include "repo/manifest.h"

/*
 * The domains a job selects: its globs, less its exclusions, sorted, into
 * OUT; each name or glob of its domains that matches no domain at all into
 * UNMATCHED (a typo, or a domain that is gone: a failure of its own).
 */
static int
job_domains(struct hv *hv, const struct conf_job *job, bool all, struct strlist *out,
    struct strlist *unmatched)
{
	struct strlist names = { 0 };

	if (hv_list_domains(hv, &names) < 0)
		return -1;
	for (size_t i = 0; i < names.n; i++) {
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

/* The record of a job's pattern that matched no domain (not kept in the
 * state folder: it names no domain; the run's message and summary say it). */
static void
record_unmatched(const struct conf_job *job, const char *pattern, const char *uri, time_t started,
    struct run_record *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->job, sizeof(out->job), "%s", job->name);
	snprintf(out->domain, sizeof(out->domain), "%s", pattern);
	out->started = started;
	out->finished = time(NULL);
	out->quiesced = -1;
	snprintf(out->error, sizeof(out->error), "'%s' in the job's domains matches no domain at %s",
	    pattern, uri);
}

/* A domain's entry in the JSON summary; RESULT is "success", "failure",
 * "interrupted" or "busy", ERROR why it was not a success (or NULL). */
static json_object *
result_json(const char *dom, const struct seq_result *r, const char *result, const char *error)
{
	json_object *o;

	if (strcmp(result, "success") != 0) {
		o = json_object_new_object();
		json_object_object_add(o, "domain", json_object_new_string(dom));
		json_object_object_add(o, "ok", json_object_new_boolean(false));
		json_object_object_add(o, "result", json_object_new_string(result));
		json_object_object_add(o, "error", json_object_new_string(error ? error : ""));
		return o;
	}
	o = cli_stats_json(&r->stats);
	json_object_object_add(o, "domain", json_object_new_string(dom));
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "result", json_object_new_string("success"));
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	if (r->quiesced >= 0)
		json_object_object_add(o, "quiesced", json_object_new_boolean(r->quiesced));
	json_object_object_add(o, "seconds_snapshot", json_object_new_double(r->seconds_snapshot));
	json_object_object_add(o, "seconds_copy", json_object_new_double(r->seconds_copy));
	json_object_object_add(o, "seconds_commit", json_object_new_double(r->seconds_commit));
	json_object_object_add(o, "seconds_verify", json_object_new_double(r->seconds_verify));
	json_object_object_add(o, "seconds_publish", json_object_new_double(r->seconds_publish));
	json_object_object_add(o, "seconds_on_overlay", json_object_new_double(r->seconds_on_overlay));
	{
		json_object *files = json_object_new_array();

		for (size_t i = 0; i < r->nreads; i++) {
			json_object *f = json_object_new_object();

			json_object_object_add(f, "file", json_object_new_string(r->reads[i].file));
			json_object_object_add(f, "read_mode", json_object_new_string(r->reads[i].mode));
			json_object_object_add(f, "read_reason", json_object_new_string(r->reads[i].reason));
			json_object_object_add(f, "bytes_skipped",
			    json_object_new_int64((int64_t)r->reads[i].bytes_skipped));
			json_object_array_add(files, f);
		}
		json_object_object_add(o, "files", files);
	}
	return o;
}

/*
 * After a job's run: its keep rules applied to this host's snapshots of
 * the domains it backed up. Returns 0, or -1 (logged).
 */
static int
job_forget(struct repo *r, const struct conf_job *job, const struct strlist *done, bool json)
{
	const struct keep_policy *p = &job->keep;
	struct forget_plan plan;
	size_t failed;

	if (done->n == 0 || retention_policy_empty(p))
		return 0;
	if (forget_select(r, repo_host(r), done, NULL, p, job->timezone, &plan) < 0)
		return -1;
	if (json) {
		failed = forget_remove(r, &plan);
	} else {
		printf("job %s: applying its keep rules\n", job->name);
		failed = cli_forget_apply(r, &plan, false, NULL);
	}
	if (plan.nremove > 0)
		log_info("job %s: %zu snapshots forgotten; 'virtvault prune' frees their data",
		    job->name, plan.nremove - failed);
	forget_plan_free(&plan);
	return failed ? -1 : 0;
}

/* backup_domains' switches. */
#define BK_NO_CBT 1		/* --no-cbt */
#define BK_CHECK_CBT 2		/* --check-cbt */
#define BK_DAEMON_CHILD 4	/* run by the daemon, which records it */

/*
 * Every run leaves its record, as a daemon run does: DOM's run record
 * (status), and the job's on_success/on_failure hook. The metrics file is
 * rewritten once the run is over.
 */
/* Why a run failed, when no error was logged: where its messages went. */
#define BK_SEE_LOG "the backup failed (its messages went to the standard error of the run; " \
	"under systemd: journalctl -u 'virtvault*')"

/*
 * The outcome of a domain's run into *OUT (RESULT: success, failure or
 * interrupted; an error from the log unless ERR is given), written as the
 * last run of (domain, job) unless KEEP is false, and its hook run.
 * Returns 0, or -1 when the record could not be written (logged).
 */
static int
record_run(const struct conf *c, const struct conf_job *job, const char *dom, time_t started,
    const char *result, const struct seq_result *res, const char *err, bool keep,
    struct run_record *out)
{
	struct run_record r;
	bool ok = strcmp(result, "success") == 0;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	snprintf(r.job, sizeof(r.job), "%s", job->name ? job->name : STATE_MANUAL_JOB);
	snprintf(r.domain, sizeof(r.domain), "%s", dom);
	snprintf(r.result, sizeof(r.result), "%s", result);
	r.ok = ok;
	r.started = started;
	r.finished = time(NULL);
	r.quiesced = ok ? res->quiesced : -1;
	if (ok) {
		r.bytes_read = res->stats.bytes_read;
		r.bytes_stored = res->stats.bytes_stored;
		r.chunks_new = res->stats.chunks_new;
		r.chunks_reused = res->stats.chunks_reused;
		snprintf(r.snapshot, sizeof(r.snapshot), "%s", res->snapshot);
	} else if (err != NULL) {
		snprintf(r.error, sizeof(r.error), "%s", err);
	} else {
		log_last_error(r.error, sizeof(r.error), false);
		if (r.error[0] == '\0')
			snprintf(r.error, sizeof(r.error), "%s", BK_SEE_LOG);
	}
	if (keep && state_run_record(c->state_dir, &r) < 0) {
		log_error("domain %s: its run record cannot be written in %s", dom, c->state_dir);
		ret = -1;
	}
	if (keep && job->name != NULL && (ok ? job->on_success : job->on_failure) != NULL) {
		char **vars = state_run_hook_vars(&r);
		const char *hook = ok ? job->on_success : job->on_failure;
		int st = 0, rc = run_shell(hook, (const char *const *)vars,
		    job->hook_timeout ? (unsigned)job->hook_timeout : 60, &st);

		if (rc != 0 || st != 0)
			log_error("job %s, domain %s: the %s hook failed (%s %d)", r.job, r.domain,
			    ok ? "on_success" : "on_failure", rc == 1 ? "timed out after" : "exit",
			    rc == 1 ? (int)job->hook_timeout : st);
		run_env_free(vars);
	}
	*out = r;
	return ret;
}

/*
 * The domains a job is to back up when libvirt cannot be asked: those it
 * backed up before (its run records), into OUT.
 */
static void
job_known_domains(const struct conf *c, const char *job, struct strlist *out)
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

/*
 * The run's message ([notify]), once every domain ended: RECS, or when the
 * run failed before any domain started, one line per domain named (or for
 * the job) with the error that stopped it.
 */
static void
notify_run(const struct conf *c, const struct conf_job *job, const struct strlist *named,
    const struct run_record *recs, size_t n, time_t started)
{
	const char *jn = job->name ? job->name : "manual";
	struct run_record *early = NULL;

	if (n == 0) {
		char err[sizeof(early->error)];
		size_t k = named->n ? named->n : 1;

		log_last_error(err, sizeof(err), false);
		early = xcalloc(k, sizeof(*early));
		for (size_t i = 0; i < k; i++) {
			struct run_record *r = &early[i];

			snprintf(r->job, sizeof(r->job), "%s", jn);
			snprintf(r->domain, sizeof(r->domain), "%s", named->n ? named->v[i] : "(every domain of the job)");
			r->started = started;
			r->finished = time(NULL);
			snprintf(r->error, sizeof(r->error), "%s", err[0] ? err : "the run failed before any domain (see the log)");
		}
		recs = early;
		n = k;
	}
	if (notify_due(c, recs, n))
		notify_send(c, jn, recs, n);
	free(early);
}

/*
 * A run that failed before its first domain: recorded as a failure of
 * each domain it was to back up (SEL), with the reason logged last.
 * Returns 0, or -1 when a record could not be written.
 */
static int
record_early_failure(const struct conf *c, const struct conf_job *job, const struct strlist *sel,
    time_t started, bool daemon_child, struct run_record *recs, size_t *nrecs)
{
	char err[sizeof(recs->error)];
	int ret = 0;

	log_last_error(err, sizeof(err), false);
	for (size_t i = 0; i < sel->n; i++)
		if (record_run(c, job, sel->v[i], started, "failure", NULL,
		    err[0] ? err : "the run failed before any domain", !daemon_child,
		    &recs[(*nrecs)++]) < 0)
			ret = -1;
	return ret;
}

/* Print the summary line of domain DOM backed up as RES. */
static void
print_done(const char *dom, const struct seq_result *res)
{
	char a[32], b[32];

	printf("%s: snapshot %s (%s), read %s, %llu chunks: %llu new, %llu reused, %llu zero; stored %s; %.1fs",
	    dom, res->snapshot, res->quiesced < 0 ? "shut off" :
	    res->quiesced ? "quiesced" : "crash-consistent",
	    util_format_size(res->stats.bytes_read, a, sizeof(a)),
	    (unsigned long long)res->stats.chunks_total, (unsigned long long)res->stats.chunks_new,
	    (unsigned long long)res->stats.chunks_reused, (unsigned long long)res->stats.chunks_zero,
	    util_format_size(res->stats.bytes_stored, b, sizeof(b)), res->stats.seconds);
	/* A shut-off domain had no snapshot, commit or overlay: no times of them. */
	if (res->quiesced < 0)
		printf(" (copy %.1fs, read as it is)\n", res->seconds_copy);
	else
		printf(" (snapshot %.1fs, copy %.1fs, commit %.1fs, verify %.1fs; %.1fs on the overlay)\n",
		    res->seconds_snapshot, res->seconds_copy, res->seconds_commit,
		    res->seconds_verify, res->seconds_on_overlay);
	for (size_t k = 0; k < res->nreads; k++)
		printf("  %s: %s read, %s skipped: %s\n", res->reads[k].file, res->reads[k].mode,
		    util_format_size(res->reads[k].bytes_skipped, a, sizeof(a)), res->reads[k].reason);
}

static int
backup_domains(struct cli *cli, struct strlist *doms, const char *jobname, bool all,
    int quiesce, const time_t *when, bool json, bool dry_run, unsigned flags)
{
	const struct conf_job *job = NULL;
	struct conf_job none;
	struct hv *hv = NULL;
	struct repo *r = NULL;
	struct strlist sel = { 0 }, done = { 0 }, unmatched = { 0 };
	struct backup_stats total;
	json_object *arr = NULL;
	struct run_record *recs = NULL;
	size_t ok = 0, failed = 0, skipped = 0, nrecs = 0;
	time_t run_started = time(NULL);
	bool ran = false, daemon_child = flags & BK_DAEMON_CHILD, unwritten = false;
	bool quiet = cli->verbosity < 0 || json;
	int ret = CLI_EXIT_FAILURE;

	memset(&none, 0, sizeof(none));
	memset(&total, 0, sizeof(total));
	none.quiesce = CONF_QUIESCE_TRY;
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if (jobname != NULL && (job = conf_find_job(cli->conf, jobname)) == NULL) {
		log_error("no [job %s] in %s", jobname, cli->conf->path ? cli->conf->path : CONF_DEFAULT_PATH);
		return CLI_EXIT_USAGE;
	}
	if (job == NULL)
		job = &none;
	cli_catch_signals(cli);
	if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) == NULL) {
		/* The domains it was to back up failed: those named, or those
		 * the job backed up before. */
		if (!dry_run) {
			for (size_t i = 0; i < doms->n; i++)
				strlist_add(&sel, doms->v[i]);
			if (jobname != NULL && doms->n == 0)
				job_known_domains(cli->conf, jobname, &sel);
			recs = xcalloc(sel.n + 1, sizeof(*recs));
			ran = sel.n > 0;
			record_early_failure(cli->conf, job, &sel, run_started, daemon_child, recs, &nrecs);
		}
		goto out;
	}
	if (all || (jobname != NULL && doms->n == 0)) {
		if (job_domains(hv, job, all, &sel, &unmatched) < 0)
			goto out;
		for (size_t i = 0; i < unmatched.n; i++)
			log_error("job %s: '%s' in its domains matches no domain at %s", jobname,
			    unmatched.v[i], hv_uri(hv));
		if (sel.n == 0) {
			log_error("%s selects no domain at %s", all ? "--all" : jobname, hv_uri(hv));
			goto out;
		}
	} else {
		size_t missing = 0;

		for (size_t i = 0; i < doms->n; i++)
			if (!strlist_contains(&sel, doms->v[i]))
				strlist_add(&sel, doms->v[i]);
		/* A name that is not a domain is the command's error, not a
		 * domain's record: nothing is done, nothing recorded. */
		for (size_t i = 0; i < sel.n; i++) {
			enum hv_state st;
			int rc = hv_domain_state(hv, sel.v[i], &st, NULL);

			if (rc == VV_NOT_FOUND) {
				log_error("domain %s: not found at %s", sel.v[i], hv_uri(hv));
				missing++;
			} else if (rc < 0) {
				goto out;
			}
		}
		if (missing > 0) {
			log_error("%zu of the domains named %s not defined; nothing backed up",
			    missing, missing == 1 ? "is" : "are");
			ret = CLI_EXIT_FAILURE;
			goto out;
		}
	}
	strlist_sort(&sel);
	if (dry_run && json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array(),
			    *u = json_object_new_array();

		for (size_t i = 0; i < sel.n; i++)
			json_object_array_add(a, json_object_new_string(sel.v[i]));
		for (size_t i = 0; i < unmatched.n; i++)
			json_object_array_add(u, json_object_new_string(unmatched.v[i]));
		json_object_object_add(o, "domains", a);
		json_object_object_add(o, "unmatched", u);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		ret = CLI_EXIT_OK;
		goto out;
	}
	if (dry_run) {
		for (size_t i = 0; i < sel.n; i++)
			printf("%s\n", sel.v[i]);
		ret = CLI_EXIT_OK;
		goto out;
	}
	/* A name the repository cannot hold fails at once, before any work. */
	for (size_t i = 0; i < sel.n; i++) {
		if (!layout_name_valid(sel.v[i])) {
			log_error("domain %s: its name cannot name a backup (" LAYOUT_NAME_RULE "); nothing done",
			    sel.v[i]);
			ret = CLI_EXIT_USAGE;
			goto out;
		}
	}
	ran = true;
	recs = xcalloc(sel.n + unmatched.n + 1, sizeof(*recs));
	/* The repository last: a run that cannot reach it (a store down, a
	 * wrong password) failed for each domain it was to back up. */
	if ((r = repo_open(cli->conf)) == NULL) {
		if (record_early_failure(cli->conf, job, &sel, run_started, daemon_child, recs,
		    &nrecs) < 0)
			unwritten = true;
		failed = sel.n;
		goto out;
	}
	arr = json_object_new_array();
	/* A name or glob of the job that matched nothing failed, by name. */
	for (size_t i = 0; i < unmatched.n; i++) {
		json_object *o = json_object_new_object();

		record_unmatched(job, unmatched.v[i], hv_uri(hv), run_started, &recs[nrecs]);
		json_object_object_add(o, "domain", json_object_new_string(unmatched.v[i]));
		json_object_object_add(o, "ok", json_object_new_boolean(false));
		json_object_object_add(o, "result", json_object_new_string("failure"));
		json_object_object_add(o, "error", json_object_new_string(recs[nrecs].error));
		json_object_array_add(arr, o);
		nrecs++;
		failed++;
		if (!json)
			printf("%s: FAILED (matches no domain)\n", unmatched.v[i]);
	}
	for (size_t i = 0; i < sel.n; i++) {
		struct seq_opts o = {
			.job = job->name,
			.pre_hook = job->pre_backup,
			.post_hook = job->post_backup,
			.hook_timeout = (unsigned)job->hook_timeout,
			.quiesce = quiesce >= 0 ? (enum conf_quiesce)quiesce : job->quiesce,
			.exclude_disks = &job->exclude_disks,
			.quiet = quiet,
			.time = when ? *when : 0,
			.time_given = when != NULL,
			.no_cbt = flags & BK_NO_CBT,
			.check_cbt = flags & BK_CHECK_CBT,
			.cancel = cli->cancel,
		};
		struct seq_result res;
		time_t started = time(NULL);
		const char *result = "success", *err = NULL;
		char noerr[8];
		int rc;

		if (*cli->cancel) {
			log_warn("stopping on a signal: %s and the domains after it are not backed up", sel.v[i]);
			for (; i < sel.n; i++) {
				json_object_array_add(arr, result_json(sel.v[i], NULL, "interrupted",
				    "interrupted by a signal before it started"));
				if (record_run(cli->conf, job, sel.v[i], started, "interrupted", NULL,
				    "interrupted by a signal before it started; nothing touched",
				    !daemon_child, &recs[nrecs++]) < 0)
					unwritten = true;
				failed++;
			}
			break;
		}
		log_last_error(noerr, sizeof(noerr), true);
		rc = seq_backup_domain(hv, r, cli->conf, sel.v[i], &o, &res);
		if (rc == VV_BUSY) {
			/* Another run has it: skipped, not failed; its record stays. */
			skipped++;
			json_object_array_add(arr, result_json(sel.v[i], &res, "busy",
			    "another run holds the domain"));
			/* For the message only: the domain's record keeps its outcome. */
			memset(&recs[nrecs], 0, sizeof(recs[nrecs]));
			snprintf(recs[nrecs].job, sizeof(recs[nrecs].job), "%s",
			    job->name ? job->name : STATE_MANUAL_JOB);
			snprintf(recs[nrecs].domain, sizeof(recs[nrecs].domain), "%s", sel.v[i]);
			snprintf(recs[nrecs].result, sizeof(recs[nrecs].result), "busy");
			snprintf(recs[nrecs].error, sizeof(recs[nrecs].error),
			    "another run holds the domain");
			recs[nrecs].started = started;
			recs[nrecs].finished = time(NULL);
			recs[nrecs].quiesced = -1;
			nrecs++;
			if (!daemon_child &&
			    state_run_skipped(cli->conf->state_dir, sel.v[i],
			    job->name ? job->name : STATE_MANUAL_JOB, started) < 0)
				unwritten = true;
			if (!json)
				printf("%s: SKIPPED (another run holds it)\n", sel.v[i]);
			continue;
		}
		if (rc != 0) {
			result = *cli->cancel ? "interrupted" : "failure";
			if (*cli->cancel)
				err = "interrupted by a signal: its disks were put back; nothing published";
		}
		if (record_run(cli->conf, job, sel.v[i], started, result, &res, err, !daemon_child,
		    &recs[nrecs]) < 0)
			unwritten = true;
		json_object_array_add(arr, result_json(sel.v[i], &res, result, recs[nrecs].error));
		nrecs++;
		if (rc != 0) {
			failed++;
			if (!json)
				printf("%s: %s\n", sel.v[i], *cli->cancel ?
				    "INTERRUPTED (its disks were put back; nothing published)" :
				    "FAILED (see the errors above)");
			continue;
		}
		ok++;
		strlist_add(&done, sel.v[i]);
		total.bytes_read += res.stats.bytes_read;
		total.chunks_total += res.stats.chunks_total;
		total.chunks_new += res.stats.chunks_new;
		total.chunks_reused += res.stats.chunks_reused;
		total.chunks_zero += res.stats.chunks_zero;
		total.bytes_stored += res.stats.bytes_stored;
		total.seconds += res.stats.seconds;
		if (!quiet)
			print_done(sel.v[i], &res);
	}
	if (json) {
		json_object *o = json_object_new_object(), *t = cli_stats_json(&total);

		json_object_object_add(t, "domains_ok", json_object_new_int((int)ok));
		json_object_object_add(t, "domains_failed", json_object_new_int((int)failed));
		json_object_object_add(t, "domains_skipped", json_object_new_int((int)skipped));
		json_object_object_add(o, "domains", json_object_get(arr));
		json_object_object_add(o, "total", t);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	ret = failed + skipped == 0 ? CLI_EXIT_OK : ok == 0 ? CLI_EXIT_FAILURE : CLI_EXIT_PARTIAL;
	/* Retention only after the job's own run; a failure to forget is a failure. */
	if (jobname != NULL && job_forget(r, job, &done, json) < 0 && ret == CLI_EXIT_OK)
		ret = CLI_EXIT_PARTIAL;
out:
	/* The daemon writes its children's records and metrics itself. */
	if (!daemon_child && ran && cli->conf->metrics_file != NULL &&
	    state_write_metrics(cli->conf->state_dir, cli->conf->metrics_file) < 0) {
		log_error("the metrics file %s cannot be written", cli->conf->metrics_file);
		unwritten = true;
	}
	if (unwritten && ret == CLI_EXIT_OK) {
		log_error("the backups are done, but their records or metrics are not written: monitoring does not see them");
		ret = CLI_EXIT_FAILURE;
	}
	/* The daemon sends its children's message itself, one per job run. */
	if (!daemon_child && !dry_run && (ran || ret != CLI_EXIT_OK) && job != NULL)
		notify_run(cli->conf, job, doms, recs, nrecs, run_started);
	free(recs);
	json_object_put(arr);
	strlist_clear(&sel);
	strlist_clear(&done);
	strlist_clear(&unmatched);
	repo_close(r);
	hv_close(hv);
	return ret;
}

/* The restore name of PATH: its base name, in a folder of its own on a clash. */
static char *
file_name_for(const struct manifest *m, const char *path, size_t pos)
{
	const char *base = util_basename(path);

	for (size_t i = 0; i < m->nfiles; i++)
		if (strcmp(m->files[i].name, base) == 0)
			return xasprintf("file%zu.%s", pos + 1, base);
	return xstrdup(base);
}

int
cmd_backup(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault backup DOMAIN... | --all | --job NAME\n"
	    "                        [--quiesce require|try|off] [--no-cbt | --check-cbt]\n"
	    "                        [--time ISO-8601] [--json] [--dry-run]\n"
	    "       virtvault backup --image PATH... --name NAME [--time ISO-8601] [--json]\n"
	    "                        [--dry-run]\n\n"
	    "Backs up running, paused or shut-off domains live and consistently: one\n"
	    "atomic external snapshot of all disks (quiesced per policy), the bases\n"
	    "copied into the repository, the overlays committed back and pivoted,\n"
	    "the chains verified, the manifest published. --job takes the job's\n"
	    "domains, exclusions and quiesce policy; --dry-run only lists the domains.\n"
	    "A job with keep_* rules then forgets this host's snapshots of the\n"
	    "domains it backed up that the rules do not keep (see 'forget').\n"
	    "qcow2 disks are read incrementally: only what changed since the last\n"
	    "backup (changed-block tracking, 'cbt' in the configuration); --no-cbt\n"
	    "reads every disk whole; --check-cbt reads whole and fails when a chunk\n"
	    "the incremental plan would have skipped has changed.\n"
	    "--time records another snapshot time (imports, testing retention).\n"
	    "Exit 3 when some domains failed.\n"
	    "With --image: image files (raw or qcow2, byte for byte), no libvirt.\n";
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "job", required_argument, NULL, 'J' },
		{ "quiesce", required_argument, NULL, 'Q' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "time", required_argument, NULL, 'T' },
		{ "no-cbt", no_argument, NULL, 'C' },
		{ "check-cbt", no_argument, NULL, 'K' },
		/* The daemon's children: the daemon records their runs. */
		{ "daemon-child", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist images = { 0 }, doms = { 0 };
	const char *jobname = NULL;
	bool all = false, dry_run = false;
	unsigned flags = 0;
	int quiesce = -1;
	time_t when = 0;
	bool when_given = false;	/* 1970-01-01T00:00:00Z is a time too */
	const char *name = NULL;
	struct repo *r = NULL;
	struct backup *b = NULL;
	bool json = false;
	int ch, ret = CLI_EXIT_FAILURE;

	/* Options end with the images they named freed, whatever the way out. */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': strlist_add(&images, optarg); break;
		case 'n': name = optarg; break;
		case 'j': json = true; break;
		case 'a': all = true; break;
		case 'N': dry_run = true; break;
		case 'C': flags |= BK_NO_CBT; break;
		case 'K': flags |= BK_CHECK_CBT; break;
		case 'D': flags |= BK_DAEMON_CHILD; break;
		case 'J': jobname = optarg; break;
		case 'T':
			if (cli_parse_time(optarg, "--time", &when) < 0)
				goto usage_quiet;
			when_given = true;
			break;
		case 'Q': {
			enum conf_quiesce q;

			if (conf_quiesce_parse(optarg, &q) < 0) {
				log_error("--quiesce '%s': expected require, try or off", optarg);
				goto usage_quiet;
			}
			quiesce = (int)q;
			break;
		}
		case 'h':
			fputs(use, stdout);
			strlist_clear(&images);
			return CLI_EXIT_OK;
		default:
			goto usage;
		}
	}
	if (images.n == 0) {
		/* DOMAIN... with --job: those domains under the job's policy. */
		bool doms_given = optind < argc;

		if (!doms_given && !all && jobname == NULL) {
			log_error("name the domains to back up, or give --all or --job NAME");
			goto usage_quiet;
		}
		if ((doms_given && all) || (all && jobname != NULL)) {
			log_error("--all backs up every domain: it goes with neither domain names nor --job");
			goto usage_quiet;
		}
		if (flags == (BK_NO_CBT | BK_CHECK_CBT)) {
			log_error("--no-cbt and --check-cbt exclude each other");
			goto usage_quiet;
		}
		for (int i = optind; i < argc; i++)
			strlist_add(&doms, argv[i]);
		ret = backup_domains(cli, &doms, jobname, all, quiesce, when_given ? &when : NULL, json,
		    dry_run, flags);
		strlist_clear(&doms);
		return ret;
	}
	if (all || jobname) {
		log_error("--image backs up image files: --all and --job name domains");
		goto usage_quiet;
	}
	/* --image PATH...: the operands after the options are images too. */
	for (int i = optind; i < argc; i++)
		strlist_add(&images, argv[i]);
	if (images.n == 0 || name == NULL) {
		fputs(use, stderr);
		strlist_clear(&images);
		return CLI_EXIT_USAGE;
	}
	if (!layout_name_valid(name)) {
		log_error("backup name '%s' is invalid: use " LAYOUT_NAME_RULE, name);
		strlist_clear(&images);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0) {
		strlist_clear(&images);
		return CLI_EXIT_USAGE;
	}
	/* Paths as absolute ones: the manifest says where each image was. */
	for (size_t i = 0; i < images.n; i++) {
		char *abs = realpath(images.v[i], NULL);

		if (abs == NULL) {
			log_error("image %s: %s", images.v[i], strerror(errno));
			goto out;
		}
		free(images.v[i]);
		images.v[i] = abs;
	}
	if (dry_run) {
		for (size_t i = 0; i < images.n; i++) {
			struct stat st;
			char sz[32];

			if (stat(images.v[i], &st) < 0 || !S_ISREG(st.st_mode)) {
				log_error("image %s: not a regular file", images.v[i]);
				goto out;
			}
			printf("would back up %s (%s) as %s\n", images.v[i],
			    util_format_size((uint64_t)st.st_size, sz, sizeof(sz)), name);
		}
		ret = CLI_EXIT_OK;
		goto out;
	}
	r = repo_open(cli->conf);
	if (r == NULL || (b = backup_new(r, name)) == NULL)
		goto out;
	if (when_given)
		backup_set_time(b, when);
	for (size_t i = 0; i < images.n; i++) {
		char *label = xasprintf("backup %s", util_basename(images.v[i]));
		struct progress *p = progress_new(label, 0, stderr, -1, cli->verbosity < 0);
		char *fname = file_name_for(backup_manifest(b), images.v[i], i);
		int rc = backup_add_file(b, images.v[i], fname, NULL, p);

		if (rc == 0)
			progress_finish(p);
		progress_free(p);
		free(label);
		free(fname);
		if (rc < 0)
			goto out;
	}
	if (backup_commit(b) < 0)
		goto out;
	{
		const struct manifest *m = backup_manifest(b);
		const struct backup_stats *st = backup_stats(b);
		char rd[32], sd[32];

		if (json) {
			json_object *o = cli_stats_json(st);

			json_object_object_add(o, "snapshot", json_object_new_string(m->id));
			json_object_object_add(o, "name", json_object_new_string(m->name));
			json_object_object_add(o, "requests",
			    json_object_new_int64((int64_t)store_requests(repo_store(r))));
			json_object_object_add(o, "time", json_object_new_string(m->time));
			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else {
			printf("snapshot %s (%s@%s): read %s in %.1fs; %llu chunks: %llu new, %llu reused, %llu zero; stored %s\n",
			    m->id, m->name, m->time, util_format_size(st->bytes_read, rd, sizeof(rd)),
			    st->seconds, (unsigned long long)st->chunks_total,
			    (unsigned long long)st->chunks_new, (unsigned long long)st->chunks_reused,
			    (unsigned long long)st->chunks_zero,
			    util_format_size(st->bytes_stored, sd, sizeof(sd)));
		}
	}
	ret = CLI_EXIT_OK;
out:
	backup_free(b);
	repo_close(r);
	strlist_clear(&images);
	return ret;
usage:
	fputs(use, stderr);
usage_quiet:
	strlist_clear(&images);
	return CLI_EXIT_USAGE;
}
