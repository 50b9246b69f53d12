/*
 * virtvault backup: domains, live (DOMAIN... | --all | --job NAME), or
 * image files (--image PATH... --name NAME).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "jobrun/jobrun.h"
#include "repo/backup.h"
#include "repo/forget.h"
#include "repo/layout.h"
#include "repo/manifest.h"

/* How the front end prints a run of domains. */
struct front {
	bool json;
	bool quiet;			/* -q or --json: no summary lines */
	bool child;			/* a daemon's child: a partial summary before a copy */
};

/* The job's keep rules, said as they are applied (jobrun_report.forget). */
static size_t
front_forget(void *arg, const char *job, struct repo *r, struct forget_plan *plan)
{
	const struct front *f = arg;

	if (f->json)
		return forget_remove(r, plan);
	printf("job %s: applying its keep rules\n", job);
	return cli_forget_apply(r, plan, false, NULL);
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
	if (res->stats.chunks_patched > 0)
		printf("; %llu changed chunks stored as patches",
		    (unsigned long long)res->stats.chunks_patched);
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

/* Print S (a new line of JSON), at once: a daemon reads it from a pipe. */
static void
print_line(char *s)
{
	printf("%s\n", s);
	fflush(stdout);
	free(s);
}

/* A domain's outcome, as the run tells it (jobrun_report.domain). */
static void
front_domain(void *arg, enum jobrun_event ev, const struct summary_domain *d)
{
	const struct front *f = arg;

	if (ev == JOBRUN_UNMATCHED) {
		if (!f->json)
			printf("%s: FAILED (matches no domain)\n", d->domain);
		return;
	}
	if (ev == JOBRUN_COPYING) {
		/* The daemon reads the last line: this one, if the child dies copying. */
		if (f->child && f->json) {
			struct summary s;

			memset(&s, 0, sizeof(s));
			summary_add(&s, d->domain, d->result, NULL, &d->seq)->copy = d->copy;
			s.partial = true;
			print_line(summary_format(&s));
			summary_clear(&s);
		}
		return;
	}
	switch (d->result) {
	case SUMMARY_SUCCESS:
		if (!f->quiet)
			print_done(d->domain, &d->seq);
		break;
	case SUMMARY_BUSY:
		if (!f->json)
			printf("%s: SKIPPED (another run holds it)\n", d->domain);
		break;
	case SUMMARY_INTERRUPTED:
		if (!f->json)
			printf("%s: INTERRUPTED (its disks were put back; nothing published)\n", d->domain);
		break;
	case SUMMARY_FAILURE:
		if (!f->json)
			printf("%s: FAILED (see the errors above)\n", d->domain);
		break;
	}
}

/*
 * A daemon's child that ended before its run told anything: the daemon
 * still reads each named domain's failure, with the last error logged.
 */
static void
print_child_failure(const struct strlist *doms, bool dry_run)
{
	char err[512];
	struct summary s;

	log_last_error(err, sizeof(err), false);
	if (err[0] == '\0')
		snprintf(err, sizeof(err), "the backup failed before its first domain (see the log)");
	if (dry_run) {
		struct strlist none = { 0 };

		print_line(summary_format_selection(&none, &none, err, true));
		return;
	}
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < doms->n; i++)
		summary_add(&s, doms->v[i], SUMMARY_FAILURE, err, NULL);
	print_line(summary_format(&s));
	summary_clear(&s);
}

static int
backup_domains(struct cli *cli, struct strlist *doms, const char *jobname, bool all,
    int quiesce, const time_t *when, bool json, unsigned flags)
{
	static const int exits[] = {
		[JOBRUN_OK] = CLI_EXIT_OK,
		[JOBRUN_PARTIAL] = CLI_EXIT_PARTIAL,
		[JOBRUN_FAILED] = CLI_EXIT_FAILURE,
		[JOBRUN_REFUSED] = CLI_EXIT_USAGE,
	};
	struct front f = { .json = json, .quiet = cli->verbosity < 0 || json,
		.child = flags & JOBRUN_DAEMON_CHILD };
	struct jobrun_report rep = { &f, front_domain, front_forget };
	struct jobrun_opts o = {
		.job = jobname,
		.domains = doms,
		.all = all,
		.quiesce = quiesce,
		.when = when,
		.flags = flags,
		.quiet = f.quiet,
	};
	struct jobrun_result res;
	bool child = flags & JOBRUN_DAEMON_CHILD, dry_run = flags & JOBRUN_DRY_RUN, told = false;
	enum jobrun_status st;

	if (cli_load_conf(cli, true) < 0) {
		if (child && json)
			print_child_failure(doms, dry_run);
		return CLI_EXIT_USAGE;
	}
	cli_catch_signals(cli);
	o.cancel = cli->cancel;
	st = jobrun_run(cli->conf, &o, &rep, &res);
	if (dry_run && st == JOBRUN_OK) {
		if (json)
			print_line(summary_format_selection(&res.selected, &res.unmatched, NULL, child));
		else
			for (size_t i = 0; i < res.selected.n; i++)
				printf("%s\n", res.selected.v[i]);
		told = true;
	} else if (json && (res.summary_whole || (child && res.summary.n > 0))) {
		print_line(summary_format(&res.summary));
		told = true;
	}
	if (child && json && !told)
		print_child_failure(doms, dry_run);
	jobrun_result_clear(&res);
	return exits[st];
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
		case 'C': flags |= JOBRUN_NO_CBT; break;
		case 'K': flags |= JOBRUN_CHECK_CBT; break;
		case 'D': flags |= JOBRUN_DAEMON_CHILD; break;
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
		if (flags == (JOBRUN_NO_CBT | JOBRUN_CHECK_CBT)) {
			log_error("--no-cbt and --check-cbt exclude each other");
			goto usage_quiet;
		}
		for (int i = optind; i < argc; i++)
			strlist_add(&doms, argv[i]);
		ret = backup_domains(cli, &doms, jobname, all, quiesce, when_given ? &when : NULL, json,
		    flags | (dry_run ? JOBRUN_DRY_RUN : 0));
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
