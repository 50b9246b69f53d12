/*
 * virtvault status: the next run of each job, the last run of each domain.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cron.h"
#include "common/log.h"
#include "scheduler/plan.h"
#include "state/runs.h"

/* A time in JSON as everywhere: ISO 8601 in UTC, or null for never. */
static json_object *
iso_or_null(time_t t)
{
	char buf[UTIL_UTC_LEN];

	return t == 0 ? NULL : json_object_new_string(util_format_utc(t, buf, sizeof(buf)));
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault status [--json]\n\n"
	    "Per job: the next scheduled run; per domain: the last run (time, result,\n"
	    "duration, bytes stored, snapshot, quiesced), and whether it runs now.\n"
	    "Works whether or not the daemon runs.\n";
	struct strlist doms = { 0 };
	json_object *root, *jobs, *runs;
	bool json = false;
	time_t now;
	int ch;

	if ((ch = cli_json_opts(argc, argv, use, &json)) >= 0)
		return ch;
	if (optind != argc) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, false) < 0)
		return CLI_EXIT_USAGE;
	now = sched_now();
	root = json_object_new_object();
	jobs = json_object_new_array();
	runs = json_object_new_array();
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
		json_object_array_add(jobs, o);
		if (!json)
			printf("%-20s %-28s %s\n", j->name, when, j->schedule ? j->schedule : "(manual)");
	}
	state_run_list(cli->conf->state_dir, &doms);
	if (!json)
		printf("\n%-20s %-8s %-28s %8s %10s %-16s %-9s %s\n", "DOMAIN", "RESULT", "LAST RUN",
		    "SECONDS", "STORED", "SNAPSHOT", "QUIESCED", "RUNNING");
	for (size_t i = 0; i < doms.n; i++) {
		struct run_record r;
		json_object *o = json_object_new_object();
		int pid = state_running_pid(cli->conf->state_dir, doms.v[i]);
		char when[64], sz[32];

		if (state_run_read(cli->conf->state_dir, doms.v[i], &r) != 0) {
			json_object_put(o);
			continue;
		}
		cli_format_time(r.finished, NULL, when, sizeof(when));
		json_object_object_add(o, "domain", json_object_new_string(r.domain));
		json_object_object_add(o, "job", json_object_new_string(r.job));
		json_object_object_add(o, "result", json_object_new_string(r.ok ? "success" : "failure"));
		json_object_object_add(o, "started", iso_or_null(r.started));
		json_object_object_add(o, "finished", iso_or_null(r.finished));
		json_object_object_add(o, "last_success", iso_or_null(r.last_success));
		json_object_object_add(o, "seconds", json_object_new_int64(r.finished - r.started));
		json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)r.bytes_stored));
		json_object_object_add(o, "snapshot", json_object_new_string(r.snapshot));
		if (r.quiesced >= 0)
			json_object_object_add(o, "quiesced", json_object_new_boolean(r.quiesced));
		json_object_object_add(o, "error", json_object_new_string(r.error));
		json_object_object_add(o, "failures_total", json_object_new_int64((int64_t)r.failures_total));
		json_object_object_add(o, "running", json_object_new_boolean(pid > 0));
		json_object_array_add(runs, o);
		if (!json)
			printf("%-20s %-8s %-28s %8lld %10s %-16s %-9s %s\n", r.domain, r.ok ? "success" : "FAILURE",
			    when, (long long)(r.finished - r.started),
			    util_format_size(r.bytes_stored, sz, sizeof(sz)), r.snapshot[0] ? r.snapshot : "-",
			    r.quiesced < 0 ? "-" : r.quiesced ? "yes" : "no", pid > 0 ? "yes" : "no");
		if (!json && !r.ok && r.error[0])
			printf("  error: %s\n", r.error);
	}
	json_object_object_add(root, "jobs", jobs);
	json_object_object_add(root, "domains", runs);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
	strlist_clear(&doms);
	return CLI_EXIT_OK;
}
