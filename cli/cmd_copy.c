/*
 * virtvault copy: snapshots of this repository (or of --repo NAME) into
 * another one, [repository TO] (repo/copy.h).
 */
#include <fnmatch.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/copy.h"
#include "repo/layout.h"

static const char use[] =
    "usage: virtvault copy [SNAPSHOT|NAME...] [--host H] [--job J] --to REPO\n"
    "                      [--dry-run] [--json]\n\n"
    "Copies snapshots into the repository of [repository REPO]: every one\n"
    "(of host H with --host), those of group NAME, those named, or those of\n"
    "job J's domains, oldest first. A snapshot the destination holds (same\n"
    "host, name, time and ID) is skipped; of the others only the chunks the\n"
    "destination lacks are stored, re-encrypted under its key. Each snapshot\n"
    "is published there last: a copy stopped at any point is finished by\n"
    "running it again. Both repositories need the same chunk size.\n";

/* Whether M is selected: by the operands (none: all), --host and --job. */
static bool
selected(const struct manifest *m, char **ops, size_t nops, const char *host,
    const struct conf_job *job, struct manifest **named, size_t nnamed)
{
	bool hit = nops == 0;

	if (host != NULL && strcmp(manifest_host(m), host) != 0)
		return false;
	if (m->future)
		return false;
	for (size_t i = 0; i < nops && !hit; i++)
		hit = strcmp(ops[i], m->name) == 0;
	for (size_t i = 0; i < nnamed && !hit; i++)
		hit = named[i] == m;
	if (job != NULL) {
		bool in = false;

		for (size_t k = 0; k < job->domains.n && !in; k++)
			in = fnmatch(job->domains.v[k], m->name, 0) == 0;
		for (size_t k = 0; k < job->exclude_domains.n && in; k++)
			in = fnmatch(job->exclude_domains.v[k], m->name, 0) != 0;
		hit = hit && in;
	}
	return hit;
}

/* The operands that name no group (NAME) resolved as snapshots into NAMED. Returns 0 or -1 (logged). */
static int
resolve_refs(struct manifest **l, size_t n, char **ops, size_t nops, const char *here,
    struct manifest **named, size_t *nnamed)
{
	for (size_t i = 0; i < nops; i++) {
		bool group = false;
		char err[512];
		long k;

		for (size_t j = 0; j < n && !group; j++)
			group = strcmp(l[j]->name, ops[i]) == 0;
		if (group)
			continue;
		k = manifest_resolve(l, n, ops[i], here, err, sizeof(err));
		if (k < 0) {
			log_error("copy: %s: %s", ops[i], err);
			return -1;
		}
		named[(*nnamed)++] = l[k];
	}
	return 0;
}

/* The destination [repository TO], opened (its conf into *CONF, which it
 * borrows: free it after the repository); NULL (logged) with the exit code
 * in *RC. */
static struct repo *
open_dest(struct cli *cli, const char *to, struct repo *src, struct conf **conf, int *rc)
{
	struct conf *c = conf_load_repo(cli->config_path, true, to);
	struct repo *r = NULL;

	conf_require_repository(c);
	if (c->errors.n > 0) {
		cli_print_conf_errors(c);
		conf_free(c);
		*rc = CLI_EXIT_USAGE;
		return NULL;
	}
	if (cli->no_cache)
		c->cache_size = 0;
	if (strcmp(c->url, repo_url(src)) == 0)
		log_error("copy: [repository %s] is %s, the source itself", to, c->url);
	else
		r = repo_open(c);
	if (r == NULL)
		conf_free(c);
	else
		*conf = c;
	return r;
}

/* One snapshot's line or JSON object; OUTCOME: copied, present, would-copy, failed. */
static void
report(json_object *arr, const struct manifest *m, const char *outcome,
    const struct backup_stats *st)
{
	if (arr != NULL) {
		json_object *o = cli_snapshot_json(m);

		json_object_object_add(o, "outcome", json_object_new_string(outcome));
		if (st != NULL)
			json_object_object_add(o, "stats", cli_stats_json(st));
		json_object_array_add(arr, o);
	} else if (st != NULL) {
		printf("%-10s %s %s/%s %s: %llu chunks stored, %llu there already, %llu bytes\n",
		    outcome, m->id, manifest_host(m), m->name, m->time,
		    (unsigned long long)st->chunks_new, (unsigned long long)st->chunks_reused,
		    (unsigned long long)st->bytes_stored);
	} else {
		printf("%-10s %s %s/%s %s\n", outcome, m->id, manifest_host(m), m->name, m->time);
	}
}

int
cmd_copy(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "host", required_argument, NULL, 'H' },
		{ "job", required_argument, NULL, 'J' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *host = NULL, *jobname = NULL;
	const struct conf_job *job = NULL;
	struct repo *src = NULL, *dst = NULL;
	struct conf *dconf = NULL;
	struct manifest **l = NULL, **named = NULL;
	size_t n = 0, bad = 0, nnamed = 0, ncopied = 0, nfailed = 0;
	json_object *arr = NULL;
	bool dry_run = false, json = false;
	int ch, rc = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'H': host = optarg; break;
		case 'J': jobname = optarg; break;
		case 'n': dry_run = true; break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (to == NULL || (host != NULL && !layout_name_valid(host))) {
		log_error("copy: %s", to == NULL ? "--to REPO is required" : "--host: not a valid host name");
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((src = cli_repo(cli, &rc)) == NULL)
		return rc;
	rc = CLI_EXIT_FAILURE;
	if (jobname != NULL && (job = conf_find_job(cli->conf, jobname)) == NULL) {
		log_error("copy: no [job %s] in %s", jobname, cli->conf->path ? cli->conf->path : CONF_DEFAULT_PATH);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (job != NULL && host == NULL)
		host = repo_host(src);
	if ((dst = open_dest(cli, to, src, &dconf, &rc)) == NULL || copy_check(src, dst) < 0)
		goto out;
	if (manifest_load_all(src, host, NULL, &l, &n, &bad) < 0)
		goto out;
	named = xcalloc((size_t)argc + 1, sizeof(*named));
	if (resolve_refs(l, n, argv + optind, (size_t)(argc - optind), repo_host(src), named, &nnamed) < 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	cli_catch_signals(cli);
	arr = json ? json_object_new_array() : NULL;
	/* Oldest first: each copy is seeded from the one before it. */
	for (size_t i = n; i-- > 0 && !*cli->cancel;) {
		struct backup_stats st;
		int p;

		if (!selected(l[i], argv + optind, (size_t)(argc - optind), host, job, named, nnamed))
			continue;
		p = copy_present(dst, l[i]);
		if (p == 0 && dry_run)
			report(arr, l[i], "would-copy", NULL);
		else if (p == 0 && copy_snapshot(src, dst, l[i], copy_previous(l, n, i), cli->cancel, &st) == 0) {
			report(arr, l[i], "copied", &st);
			ncopied++;
		} else if (p == 1) {
			report(arr, l[i], "present", NULL);
		} else {
			report(arr, l[i], "failed", NULL);
			nfailed++;
		}
	}
	if (arr != NULL)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	if (*cli->cancel)
		log_error("copy: stopped; run it again to finish");
	rc = nfailed == 0 && !*cli->cancel ? CLI_EXIT_OK :
	    ncopied > 0 ? CLI_EXIT_PARTIAL : CLI_EXIT_FAILURE;
out:
	json_object_put(arr);
	free(named);
	manifest_list_free(l, n);
	repo_close(dst);
	conf_free(dconf);
	repo_close(src);
	return rc;
}
