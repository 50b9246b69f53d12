/*
 * virtvault forget: apply a keep policy to groups of snapshots (a job's,
 * or one given with --keep-*), or remove the snapshots named.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/forget.h"
#include "repo/layout.h"

static const char use[] =
    "usage: virtvault forget [--job NAME | --keep-* ... | --repo-keep] [--host HOST]\n"
    "                        [NAME...] [--dry-run] [--json]\n"
    "       virtvault forget SNAPSHOT... [--dry-run] [--json]\n\n"
    "With a policy (the job's keep_* keys, or --keep-last N, --keep-hourly N,\n"
    "--keep-daily N, --keep-weekly N, --keep-monthly N, --keep-yearly N,\n"
    "--keep-within DURATION, or with --repo-keep the repository's own keep_*\n"
    "keys): applies it to each group of snapshots (host, name) of HOST\n"
    "(default: this host; with --repo-keep every host) whose name matches a\n"
    "NAME (globs; default: all, or the job's domains), and prints every\n"
    "snapshot, kept with the rule that keeps it, or removed. Rules run in\n"
    "that order, each keeping the newest snapshot of each of its last N\n"
    "periods (in the job's time zone, or the local one) that an earlier rule\n"
    "did not keep; the newest snapshot of a group is always kept.\n"
    "Without a policy: removes the snapshots named (ID, [HOST/]NAME@latest or\n"
    "[HOST/]NAME@ID; an ID prefix that is also a name is refused as ambiguous).\n"
    "A snapshot whose time is in the future is kept by every policy; name it\n"
    "by its ID to remove it.\n"
    "Only manifests are removed; 'virtvault prune' frees the data.\n";

/* Remove the snapshots REFS names, all found before any is removed. */
static int
forget_named(struct repo *r, char **refs, int n, bool dry_run, json_object *arr)
{
	struct manifest **l = NULL;
	int failed = cli_find_snapshots(r, refs, (size_t)n, &l);

	for (int i = 0; i < n; i++) {
		struct manifest *m = l[i];
		bool ok;

		/* Named twice: removed once. */
		for (int j = 0; m != NULL && j < i; j++)
			if (l[j] != NULL && strcmp(l[j]->key, m->key) == 0)
				m = NULL;
		if (m == NULL)
			continue;
		ok = dry_run || forget_manifest(r, m) == 0;
		failed += !ok;
		if (arr != NULL) {
			json_object *o = cli_snapshot_json(m);

			json_object_object_add(o, "keep", json_object_new_boolean(false));
			json_object_object_add(o, "removed", json_object_new_boolean(ok && !dry_run));
			json_object_array_add(arr, o);
		} else {
			printf("%s %s (%s/%s, %s)\n", dry_run ? "would remove" : ok ? "removed" : "FAILED to remove",
			    m->id, manifest_host(m), m->name, m->time);
		}
	}
	manifest_list_free(l, (size_t)n);
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int
count_arg(const char *opt, const char *v, unsigned *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < 0 || n > 1000000) {
		log_error("--%s '%s': expected a whole number from 0 to 1000000", opt, v);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

int
cmd_forget(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "job", required_argument, NULL, 'J' },
		{ "keep-last", required_argument, NULL, 'l' },
		{ "keep-hourly", required_argument, NULL, 'H' },
		{ "keep-daily", required_argument, NULL, 'd' },
		{ "keep-weekly", required_argument, NULL, 'w' },
		{ "keep-monthly", required_argument, NULL, 'm' },
		{ "keep-yearly", required_argument, NULL, 'y' },
		{ "keep-within", required_argument, NULL, 'W' },
		{ "repo-keep", no_argument, NULL, 'R' },
		{ "host", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keep_policy p;
	struct strlist names = { 0 };
	struct forget_plan plan;
	const struct conf_job *job = NULL;
	const char *jobname = NULL, *host = NULL, *tz = NULL;
	bool keep_given = false, repo_keep = false, dry_run = false, json = false;
	json_object *arr = NULL;
	struct repo *r = NULL;
	int ch, ret = CLI_EXIT_FAILURE;

	memset(&p, 0, sizeof(p));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int bad = 0;

		switch (ch) {
		case 'J': jobname = optarg; break;
		case 'l': bad = count_arg("keep-last", optarg, &p.last); keep_given = true; break;
		case 'H': bad = count_arg("keep-hourly", optarg, &p.hourly); keep_given = true; break;
		case 'd': bad = count_arg("keep-daily", optarg, &p.daily); keep_given = true; break;
		case 'w': bad = count_arg("keep-weekly", optarg, &p.weekly); keep_given = true; break;
		case 'm': bad = count_arg("keep-monthly", optarg, &p.monthly); keep_given = true; break;
		case 'y': bad = count_arg("keep-yearly", optarg, &p.yearly); keep_given = true; break;
		case 'W':
			keep_given = true;
			if (util_parse_duration(optarg, &p.within) < 0) {
				log_error("--keep-within '%s': expected a duration such as 36h or 7d", optarg);
				bad = -1;
			}
			break;
		case 'R': repo_keep = true; break;
		case 'o': host = optarg; break;
		case 'n': dry_run = true; break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
		if (bad)
			return CLI_EXIT_USAGE;
	}
	if ((jobname != NULL) + keep_given + repo_keep > 1) {
		log_error("forget: one policy at a time: --job, --keep-* or --repo-keep");
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	keep_given = keep_given || repo_keep;
	if ((jobname && keep_given) || (host && !layout_name_valid(host)) ||
	    (!jobname && !keep_given && (optind == argc || host != NULL))) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if (jobname != NULL) {
		if ((job = conf_find_job(cli->conf, jobname)) == NULL) {
			log_error("no [job %s] in %s", jobname,
			    cli->conf->path ? cli->conf->path : CONF_DEFAULT_PATH);
			return CLI_EXIT_USAGE;
		}
		p = job->keep;
		tz = job->timezone;
	}
	if (repo_keep) {
		p = cli->conf->keep;
		if (retention_policy_empty(&p)) {
			log_error("forget --repo-keep: %s sets no keep_* key in [repository%s%s]",
			    cli->conf->path ? cli->conf->path : CONF_DEFAULT_PATH,
			    cli->conf->repo_name ? " " : "", cli->conf->repo_name ? cli->conf->repo_name : "");
			return CLI_EXIT_USAGE;
		}
	}
	if ((r = repo_open(cli->conf)) == NULL)
		return CLI_EXIT_FAILURE;
	arr = json ? json_object_new_array() : NULL;
	if (!jobname && !keep_given) {
		ret = forget_named(r, argv + optind, argc - optind, dry_run, arr);
		goto out;
	}
	for (int i = optind; i < argc; i++)
		strlist_add(&names, argv[i]);
	if (forget_select(r, host ? host : repo_keep ? NULL : repo_host(r), names.n ? &names : job ? &job->domains : NULL,
	    job && names.n == 0 ? &job->exclude_domains : NULL, &p, tz, &plan) < 0)
		goto out;
	if (retention_policy_empty(&p))
		log_info("job %s has no keep_* rule: every snapshot is kept", jobname);
	ret = cli_forget_apply(r, &plan, dry_run, arr) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	forget_plan_free(&plan);
out:
	if (arr != NULL) {
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
	strlist_clear(&names);
	repo_close(r);
	return ret;
}
