/*
 * virtvault status: the next run (and boot check) of each job, the last
 * run of each (domain, job), the last boot check of each domain, the
 * domains a killed run left to repair; and forgetting
 * the records of domains that are gone.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/hv.h"
#include "cli/cli.h"
#include "common/cron.h"
#include "common/log.h"
#include "common/outcome.h"
#include "scheduler/sched_env.h"
#include "state/bootrec.h"
#include "state/journal.h"
#include "state/runs.h"

/* A time in JSON as everywhere: ISO 8601 in UTC, or null for never. */
static json_object *
iso_or_null(time_t t)
{
	char buf[UTIL_UTC_LEN];

	return t == 0 ? NULL : json_object_new_string(util_format_utc(t, buf, sizeof(buf)));
}

/*
 * Forget the records of the domains named in FORGET, and with GONE of
 * every domain libvirt does not know. Returns an exit code.
 */
static int
forget_records(struct cli *cli, const struct strlist *forget, bool gone)
{
	struct run_record *recs = NULL;
	struct strlist doms = { 0 };
	struct hv *hv = NULL;
	size_t n = 0;
	int ret = CLI_EXIT_OK;

	for (size_t i = 0; i < forget->n; i++)
		if (!strlist_contains(&doms, forget->v[i]))
			strlist_add(&doms, forget->v[i]);
	if (gone) {
		if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) == NULL ||
		    state_run_list(cli->conf->state_dir, &recs, &n) < 0) {
			ret = CLI_EXIT_FAILURE;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			enum hv_state st;
			int rc;

			/* Records are sorted by domain: ask libvirt once for each. */
			if (i > 0 && strcmp(recs[i].domain, recs[i - 1].domain) == 0)
				continue;
			rc = hv_domain_state(hv, recs[i].domain, &st, NULL);
			if (rc < 0) {
				ret = CLI_EXIT_FAILURE;
				goto out;
			}
			if (rc == VV_NOT_FOUND && !strlist_contains(&doms, recs[i].domain))
				strlist_add(&doms, recs[i].domain);
		}
	}
	for (size_t i = 0; i < doms.n; i++) {
		int c = state_run_remove(cli->conf->state_dir, doms.v[i]);

		if (c < 0)
			ret = CLI_EXIT_FAILURE;
		else if (c == 0 && !gone)
			log_warn("domain %s: no run record to forget", doms.v[i]);
		else if (c > 0)
			printf("forgot %d run record%s of %s\n", c, c == 1 ? "" : "s", doms.v[i]);
	}
	if (doms.n > 0 && cli->conf->metrics_file != NULL &&
	    state_write_metrics(cli->conf->state_dir, cli->conf->metrics_file) < 0)
		ret = CLI_EXIT_FAILURE;
out:
	free(recs);
	strlist_clear(&doms);
	hv_close(hv);
	return ret;
}

static void
print_jobs(struct cli *cli, bool json, json_object *jobs, time_t now)
{
	if (!json)
		printf("%-20s %-28s %s\n", "JOB", "NEXT RUN", "SCHEDULE");
	for (size_t i = 0; i < cli->conf->njobs; i++) {
		const struct conf_job *j = &cli->conf->jobs[i];
		json_object *o = json_object_new_object();
		struct cron c;
		char err[160], when[64] = "-";
		time_t next = 0;

		if (j->schedule && cron_parse(j->schedule, &c, err, sizeof(err)) == 0 &&
		    cron_next(&c, now, j->timezone, &next) == 0)
			cli_format_time(next, j->timezone, when, sizeof(when));
		json_object_object_add(o, "job", json_object_new_string(j->name));
		json_object_object_add(o, "schedule", j->schedule ? json_object_new_string(j->schedule) : NULL);
		json_object_object_add(o, "next_run", iso_or_null(next));
		if (!json)
			printf("%-20s %-28s %s\n", j->name, when, j->schedule ? j->schedule : "(manual)");
		next = 0;
		snprintf(when, sizeof(when), "-");
		if (j->boot_check && cron_parse(j->boot_check, &c, err, sizeof(err)) == 0 &&
		    cron_next(&c, now, j->timezone, &next) == 0)
			cli_format_time(next, j->timezone, when, sizeof(when));
		json_object_object_add(o, "boot_check",
		    j->boot_check ? json_object_new_string(j->boot_check) : NULL);
		json_object_object_add(o, "next_boot_check", iso_or_null(next));
		json_object_array_add(jobs, o);
		if (!json && j->boot_check)
			printf("  boot check: next at %s (%s)\n", when, j->boot_check);
	}
}

/* The last boot check of each domain (state/bootrec.h), when there is any. */
static void
print_boots(struct cli *cli, bool json, json_object *arr)
{
	const char *sd = cli->conf->state_dir;
	struct strlist doms = { 0 };
	bool head = false;

	state_boot_list(sd, &doms);
	for (size_t i = 0; i < doms.n; i++) {
		json_object *o;
		struct boot_record r;
		char when[64], agent[32] = "-", *shot;

		if (state_boot_read(sd, doms.v[i], &r) != 0)
			continue;
		shot = r.screenshot ? state_boot_screenshot_path(sd, r.domain) : NULL;
		if (r.seconds_to_agent >= 0)
			snprintf(agent, sizeof(agent), "%.1fs", r.seconds_to_agent);
		o = state_boot_view_json(&r, shot);
		json_object_array_add(arr, o);
		if (!json) {
			if (!head)
				printf("\n%-20s %-12s %-6s %-26s %7s %-16s %s\n", "DOMAIN", "BOOT CHECK",
				    "RESULT", "FINISHED", "SECONDS", "SNAPSHOT", "AGENT AFTER");
			head = true;
			cli_format_time(r.finished, NULL, when, sizeof(when));
			printf("%-20s %-12s %-6s %-26s %7lld %-16s %s\n", r.domain, r.job,
			    r.ok ? "passed" : "FAILED", r.finished ? when : "-",
			    (long long)(r.finished > r.started ? r.finished - r.started : 0),
			    r.snapshot[0] ? r.snapshot : "-", agent);
			if (!r.ok && r.reason[0])
				printf("  reason: %s\n", r.reason);
			if (shot != NULL)
				printf("  screenshot: %s\n", shot);
		}
		free(shot);
	}
	strlist_clear(&doms);
}

/* The copy of run R to its job's copy_to, apart from the backup: JSON into O, a line unless JSON. */
static void
print_copy(const struct run_record *r, json_object *o, bool json)
{
	const struct run_copy *c = &r->copy;
	json_object *j;
	char when[64];

	if (c->repository[0] == '\0')
		return;
	j = json_object_new_object();
	json_object_object_add(j, "repository", json_object_new_string(c->repository));
	json_object_object_add(j, "result", c->result[0] ? json_object_new_string(c->result) : NULL);
	json_object_object_add(j, "started", iso_or_null(c->started));
	json_object_object_add(j, "finished", iso_or_null(c->finished));
	json_object_object_add(j, "last_success", iso_or_null(c->last_success));
	json_object_object_add(j, "seconds", json_object_new_int64(c->finished > c->started ?
	    (int64_t)(c->finished - c->started) : 0));
	json_object_object_add(j, "snapshots", json_object_new_int64((int64_t)c->snapshots));
	json_object_object_add(j, "bytes_stored", json_object_new_int64((int64_t)c->bytes_stored));
	json_object_object_add(j, "forgotten", json_object_new_int64((int64_t)c->forgotten));
	json_object_object_add(j, "missing", json_object_new_int64((int64_t)c->missing));
	json_object_object_add(j, "failures_total", json_object_new_int64((int64_t)c->failures_total));
	json_object_object_add(j, "error", json_object_new_string(c->error));
	json_object_object_add(o, "copy", j);
	if (json || c->result[0] == '\0')
		return;
	cli_format_time(c->finished, NULL, when, sizeof(when));
	if (state_copy_failed(c))
		printf("  copy to %s: FAILED at %s: %s\n", c->repository, when, c->error);
	else
		printf("  copy to %s: success at %s, %llu snapshot%s copied\n", c->repository, when,
		    (unsigned long long)c->snapshots, c->snapshots == 1 ? "" : "s");
}

static void
print_runs(struct cli *cli, bool json, json_object *runs)
{
	struct run_record *recs = NULL;
	size_t n = 0;

	state_run_list(cli->conf->state_dir, &recs, &n);
	if (!json)
		printf("\n%-20s %-12s %-11s %-26s %7s %9s %-16s %-8s %s\n", "DOMAIN", "JOB", "RESULT",
		    "LAST RUN", "SECONDS", "STORED", "SNAPSHOT", "QUIESCED", "RUNNING");
	for (size_t i = 0; i < n; i++) {
		const struct run_record *r = &recs[i];
		json_object *o = json_object_new_object();
		int pid = state_running_pid(cli->conf->state_dir, r->domain);
		char when[64], sz[32], res[16];

		cli_format_time(r->finished, NULL, when, sizeof(when));
		json_object_object_add(o, "domain", json_object_new_string(r->domain));
		json_object_object_add(o, "job", json_object_new_string(r->job));
		json_object_object_add(o, "result", json_object_new_string(r->result));
		json_object_object_add(o, "started", iso_or_null(r->started));
		json_object_object_add(o, "finished", iso_or_null(r->finished));
		json_object_object_add(o, "last_success", iso_or_null(r->last_success));
		json_object_object_add(o, "seconds", json_object_new_int64(r->finished - r->started));
		json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)r->bytes_stored));
		json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
		if (r->quiesced >= 0)
			json_object_object_add(o, "quiesced", json_object_new_boolean(r->quiesced));
		json_object_object_add(o, "error", json_object_new_string(r->error));
		json_object_object_add(o, "failures_total", json_object_new_int64((int64_t)r->failures_total));
		json_object_object_add(o, "skipped_total", json_object_new_int64((int64_t)r->skipped_total));
		json_object_object_add(o, "last_skipped", iso_or_null(r->last_skipped));
		json_object_object_add(o, "running", json_object_new_boolean(pid > 0));
		json_object_array_add(runs, o);
		if (json) {
			print_copy(r, o, true);
			continue;
		}
		snprintf(res, sizeof(res), "%s", r->result);
		if (strcmp(res, "success") != 0)
			for (char *c = res; *c; c++)
				*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
		printf("%-20s %-12s %-11s %-26s %7lld %9s %-16s %-8s %s\n", r->domain, r->job, res,
		    r->finished ? when : "-", (long long)(r->finished - r->started),
		    util_format_size(r->bytes_stored, sz, sizeof(sz)), r->snapshot[0] ? r->snapshot : "-",
		    r->quiesced < 0 ? "-" : r->quiesced ? "yes" : "no", pid > 0 ? "yes" : "no");
		if (r->ok == false && r->error[0])
			printf("  error: %s\n", r->error);
		if (r->skipped_total > 0) {
			cli_format_time(r->last_skipped, NULL, when, sizeof(when));
			printf("  skipped %llu time%s (another run held the domain), last at %s\n",
			    (unsigned long long)r->skipped_total, r->skipped_total == 1 ? "" : "s", when);
		}
		print_copy(r, o, false);
	}
	free(recs);
}

/* The domains a killed run left on overlays: what status must not hide. */
static void
print_repairs(struct cli *cli, bool json, json_object *arr)
{
	struct strlist doms = { 0 };

	state_needs_repair(cli->conf->state_dir, &doms);
	for (size_t i = 0; i < doms.n; i++) {
		json_object *o = json_object_new_object();
		char *phase = NULL, *hint = xasprintf("virtvault repair %s", doms.v[i]);

		journal_peek(cli->conf->state_dir, doms.v[i], &phase);
		json_object_object_add(o, "domain", json_object_new_string(doms.v[i]));
		json_object_object_add(o, "phase", json_object_new_string(phase ? phase : "unknown"));
		json_object_object_add(o, "run", json_object_new_string(hint));
		json_object_array_add(arr, o);
		if (!json)
			printf("%sINTERRUPTED %s: a backup was killed in phase '%s' (its disks may still be on overlays); run: %s\n",
			    i == 0 ? "\n" : "", doms.v[i], phase ? phase : "unknown", hint);
		free(phase);
		free(hint);
	}
	strlist_clear(&doms);
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault status [--json]\n"
	    "       virtvault status --forget DOMAIN... | --forget-gone\n\n"
	    "Per job: the next scheduled run; per domain and job (manual runs are the\n"
	    "job 'manual'): the last run (time, result, duration, bytes stored,\n"
	    "snapshot, quiesced, runs skipped), and whether it runs now; per domain the\n"
	    "last boot check (verify --boot); the domains a killed run left to repair.\n"
	    "Works whether or not the daemon runs.\n"
	    "--forget removes the run records of the domains named; --forget-gone\n"
	    "those of every domain libvirt no longer knows (and their metrics).\n";
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "forget", no_argument, NULL, 'f' },
		{ "forget-gone", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist forget = { 0 };
	json_object *root, *jobs, *runs, *boots, *repairs;
	bool json = false, fg = false, gone = false;
	int ch, ret;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'f': fg = true; break;
		case 'g': gone = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if ((fg && optind == argc) || (!fg && optind != argc) || ((fg || gone) && json)) {
		if (fg && optind == argc)
			log_error("--forget needs the domains whose records to remove");
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, false) < 0)
		return CLI_EXIT_USAGE;
	if (fg || gone) {
		for (int i = optind; i < argc; i++)
			strlist_add(&forget, argv[i]);
		ret = forget_records(cli, &forget, gone);
		strlist_clear(&forget);
		return ret;
	}
	root = json_object_new_object();
	jobs = json_object_new_array();
	runs = json_object_new_array();
	boots = json_object_new_array();
	repairs = json_object_new_array();
	print_jobs(cli, json, jobs, sched_env_now());
	print_runs(cli, json, runs);
	print_boots(cli, json, boots);
	print_repairs(cli, json, repairs);
	json_object_object_add(root, "jobs", jobs);
	json_object_object_add(root, "domains", runs);
	json_object_object_add(root, "boot_checks", boots);
	json_object_object_add(root, "needs_repair", repairs);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
	return CLI_EXIT_OK;
}
