/*
 * Scheduler commands: schedule, daemon, status.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli.h"
#include "common/log.h"
#include "scheduler/cron.h"
#include "scheduler/daemon.h"
#include "scheduler/state.h"

static void
fmt_time(time_t t, const char *tz, char *buf, size_t len)
{
	struct tm tm;

	cron_localtime(t, tz, &tm);
	strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
}

int
cmd_schedule(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault schedule 'EXPR' [-n N] [--timezone ZONE]\n\n"
	    "Prints the next N (default 5) times the cron expression EXPR fires, in\n"
	    "local time (or ZONE). Needs no configuration. Exit 2 when EXPR is invalid.\n";
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tz = NULL;
	struct cron c;
	char err[200], buf[64];
	long n = 5;
	time_t t;
	int ch;

	(void)cli;
	while ((ch = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': {
			char *end;

			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 1000) {
				log_error("-n '%s': expected a count from 1 to 1000", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'z':
			if (!cron_zone_valid(optarg)) {
				log_error("--timezone '%s': not a time zone of /usr/share/zoneinfo", optarg);
				return CLI_EXIT_USAGE;
			}
			tz = optarg;
			break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cron_parse(argv[optind], &c, err, sizeof(err)) < 0) {
		log_error("schedule '%s': %s", argv[optind], err);
		return CLI_EXIT_USAGE;
	}
	t = sched_now();
	for (long i = 0; i < n; i++) {
		if (cron_next(&c, t, tz, &t) < 0) {
			if (i == 0)
				log_error("schedule '%s' never fires", argv[optind]);
			return i == 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
		}
		fmt_time(t, tz, buf, sizeof(buf));
		printf("%s\n", buf);
	}
	return CLI_EXIT_OK;
}

int
cmd_daemon(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault daemon [--pidfile FILE]\n\n"
	    "Runs every [job NAME] at the times of its schedule, in the foreground,\n"
	    "logging to stderr (and syslog). At start-up it repairs interrupted\n"
	    "backups. SIGHUP reloads the configuration (a broken one is reported and\n"
	    "the old one kept); SIGTERM or SIGINT stop it after running backups reach\n"
	    "a safe point.\n";
	static const struct option opts[] = {
		{ "pidfile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = { NULL, cli->config_path, NULL };
	char self[4096];
	ssize_t n;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': o.pidfile = optarg; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		log_error("cannot find the virtvault binary (/proc/self/exe)");
		return CLI_EXIT_FAILURE;
	}
	self[n] = '\0';
	o.self = self;
	/* A path given relative to the start folder stays valid for children. */
	if (o.config_path == NULL && cli->conf->path)
		o.config_path = cli->conf->path;
	r = daemon_run(&o, cli->conf);
	cli->conf = NULL;	/* the daemon freed it */
	return r == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault status [--json]\n\n"
	    "Per job: the next scheduled run; per domain: the last run (time, result,\n"
	    "duration, bytes stored, snapshot, quiesced), and whether it runs now.\n"
	    "Works whether or not the daemon runs.\n";
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist doms = { 0 };
	json_object *root, *jobs, *runs;
	bool json = false;
	time_t now;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
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
			fmt_time(next, j->timezone, when, sizeof(when));
		json_object_object_add(o, "job", json_object_new_string(j->name));
		json_object_object_add(o, "schedule", j->schedule ? json_object_new_string(j->schedule) : NULL);
		json_object_object_add(o, "next_run", json_object_new_int64(next));
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
		fmt_time(r.finished, NULL, when, sizeof(when));
		json_object_object_add(o, "domain", json_object_new_string(r.domain));
		json_object_object_add(o, "job", json_object_new_string(r.job));
		json_object_object_add(o, "result", json_object_new_string(r.ok ? "success" : "failure"));
		json_object_object_add(o, "started", json_object_new_int64(r.started));
		json_object_object_add(o, "finished", json_object_new_int64(r.finished));
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
