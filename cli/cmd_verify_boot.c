/*
 * virtvault verify --boot: a snapshot brought up in a throwaway domain to
 * see that it boots (agent/bootcheck.h); --job J: each domain's newest of
 * the job (jobrun/jobrun_boot.h).
 */
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/bootcheck.h"
#include "cli/cli.h"
#include "common/log.h"
#include "jobrun/jobrun_boot.h"
#include "repo/lock.h"
#include "state/bootrec.h"

struct printer {
	const struct conf *conf;
	const char *screenshot;		/* --screenshot FILE, or NULL */
	bool json;
};

/* Where REC's screenshot is (a new string), or NULL when it has none. */
static char *
shot_path(const struct printer *p, const struct boot_record *rec)
{
	if (!rec->screenshot)
		return NULL;
	return p->screenshot ? xstrdup(p->screenshot) : state_boot_screenshot_path(p->conf->state_dir, rec->domain);
}

static void
print_json(const struct printer *p, const struct boot_record *r)
{
	json_object *o = state_boot_record_json(r);
	char *shot = shot_path(p, r);

	json_object_object_add(o, "screenshot_file", shot ? json_object_new_string(shot) : NULL);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	free(shot);
}

/* One check's outcome, as it ends. */
static void
print_one(void *arg, const struct boot_record *r)
{
	const struct printer *p = arg;
	char *shot;

	if (p->json) {
		print_json(p, r);
		fflush(stdout);
		return;
	}
	printf("%s: boot check %s (snapshot %s, %lds)", r->domain, r->ok ? "passed" : "FAILED",
	    r->snapshot[0] ? r->snapshot : "-", (long)(r->finished - r->started));
	if (r->seconds_to_agent >= 0)
		printf("; guest agent answered after %.1fs", r->seconds_to_agent);
	if (r->command_exit >= 0)
		printf("; command exited %d", r->command_exit);
	printf("\n");
	if (!r->ok)
		printf("  reason: %s\n", r->reason);
	if (r->output[0] != '\0') {
		printf("  output:\n");
		for (const char *s = r->output, *e; *s != '\0'; s = *e ? e + 1 : e) {
			e = strchr(s, '\n');
			if (e == NULL)
				e = s + strlen(s);
			printf("    %.*s\n", (int)(e - s), s);
		}
	}
	if ((shot = shot_path(p, r)) != NULL)
		printf("  screenshot: %s\n", shot);
	free(shot);
	fflush(stdout);
}

/* A whole number of seconds, 1 to a day. Returns 0 or -1 (logged). */
static int
parse_timeout(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 86400) {
		log_error("--timeout '%s': expected whole seconds, 1 to 86400", s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
cmd_verify_boot(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault verify --boot SNAPSHOT [--timeout S] [--command CMD]\n"
	    "                        [--screenshot FILE] [--json]\n"
	    "       virtvault verify --boot --job JOB [--json]\n\n"
	    "Boots the snapshot as a throwaway domain (a new name and UUID, qcow2\n"
	    "overlays over a mount of the snapshot, its own firmware and TPM copies,\n"
	    "no network interface) and waits for its guest agent to answer (--timeout,\n"
	    "default 180 s); runs CMD in it with /bin/sh -c, which must exit 0; keeps\n"
	    "a screenshot when it has a display; then removes everything. The outcome\n"
	    "is the domain's last boot check (status, metrics). --job: the newest\n"
	    "snapshot of this host of each domain of the job, with the job's\n"
	    "boot_check_command and boot_timeout. Exit 0 when every guest answered.\n";
	static const struct option opts[] = {
		{ "boot", no_argument, NULL, 'b' },
		{ "job", required_argument, NULL, 'J' },
		{ "timeout", required_argument, NULL, 't' },
		{ "command", required_argument, NULL, 'C' },
		{ "screenshot", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bootcheck_opts o = { .job = "manual", .timeout = BOOTCHECK_TIMEOUT };
	struct printer p = { 0 };
	struct boot_record rec, *recs = NULL;
	struct repo_lock *lock = NULL;
	struct manifest *m = NULL;
	struct repo *r;
	const char *job = NULL;
	char self[PATH_MAX];
	ssize_t len;
	size_t n = 0, failed = 0;
	int ch, rc = -1;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': break;
		case 'J': job = optarg; break;
		case 't': if (parse_timeout(optarg, &o.timeout) < 0) return CLI_EXIT_USAGE; break;
		case 'C': o.command = optarg; break;
		case 'S': p.screenshot = optarg; break;
		case 'j': p.json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (job != NULL ? optind != argc : cli_operands("verify --boot", argc, argv, optind, "SNAPSHOT") < 0) {
		if (job != NULL)
			log_error("verify --boot --job %s: no snapshot is named with --job", job);
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		log_error("verify --boot: cannot find this program");
		return CLI_EXIT_FAILURE;
	}
	self[len] = '\0';
	o.self = self;
	o.screenshot = p.screenshot;
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	o.config_path = cli->conf->path;
	p.conf = cli->conf;
	cli_catch_signals(cli);
	o.cancel = cli->cancel;
	{
		struct hv *hv = hv_open_libvirt(cli->conf->libvirt_uri);

		/* Shared: no prune removes what the booted snapshot reads. */
		if (hv == NULL || repo_lock_take(r, REPO_LOCK_SHARED, "verify --boot", &lock) != 0) {
			hv_close(hv);
			repo_close(r);
			return CLI_EXIT_FAILURE;
		}
		if (job != NULL) {
			rc = jobrun_boot(hv, r, cli->conf, job, &o, print_one, &p, &recs, &n);
			for (size_t i = 0; i < n; i++)
				failed += !recs[i].ok;
			if (rc >= 0 && p.json)
				printf("{\"boot_checks\": %zu, \"failed\": %zu}\n", n, failed);
			else if (rc >= 0)
				printf("%zu boot check%s of job %s, %zu failed\n", n, n == 1 ? "" : "s", job, failed);
			free(recs);
		} else if ((m = cli_find_snapshot(r, argv[optind])) != NULL) {
			rc = bootcheck_run(hv, r, cli->conf, m, &o, &rec);
			print_one(&p, &rec);
			jobrun_boot_after(cli->conf, o.job, &rec, 1);
			manifest_free(m);
		}
		hv_close(hv);
	}
	repo_lock_release(lock);
	repo_close(r);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
