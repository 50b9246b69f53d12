/*
 * virtvault stats: sizes per group of snapshots, and dedup.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "repo/layout.h"
#include "repo/stats.h"

/* A over B, 0 when B is 0. */
static double
ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static json_object *
group_json(const struct stats_group *g)
{
	json_object *o = json_object_new_object();

	if (g->host != NULL) {
		json_object_object_add(o, "host", json_object_new_string(g->host));
		json_object_object_add(o, "name", json_object_new_string(g->name));
	}
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)g->snapshots));
	json_object_object_add(o, "logical_bytes", json_object_new_int64((int64_t)g->logical));
	json_object_object_add(o, "chunks", json_object_new_int64((int64_t)g->chunks));
	json_object_object_add(o, "unique_bytes", json_object_new_int64((int64_t)g->unique));
	json_object_object_add(o, "stored_bytes", json_object_new_int64((int64_t)g->stored));
	json_object_object_add(o, "dedup_ratio", json_object_new_double(ratio(g->logical, g->unique)));
	json_object_object_add(o, "compression_ratio",
	    json_object_new_double(ratio(g->unique, g->stored)));
	return o;
}

static void
group_line(const char *who, const struct stats_group *g)
{
	char a[32], b[32], u[32];

	printf("%-32s  %9zu  %10s  %10s  %10s  %9llu  %7.1fx  %7.1fx\n", who, g->snapshots,
	    util_format_size(g->logical, a, sizeof(a)), util_format_size(g->unique, u, sizeof(u)),
	    util_format_size(g->stored, b, sizeof(b)), (unsigned long long)g->chunks,
	    ratio(g->logical, g->unique), ratio(g->unique, g->stored));
}

int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault stats [SNAPSHOT... | --host HOST | --all] [--json]\n\n"
	    "Per group of snapshots (host, name) and in all: snapshots, logical size\n"
	    "(all their files), distinct chunks, their image bytes (UNIQUE) and the\n"
	    "bytes they take in the store (STORED: compressed and encrypted). DEDUP\n"
	    "is LOGICAL over UNIQUE (all-zero chunks, never stored, count as\n"
	    "deduplicated), COMPRESS is UNIQUE over STORED. Default: this host's\n"
	    "snapshots; --host another's; --all every host's.\n";
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct manifest **l = NULL, **sel = NULL;
	size_t n = 0, bad = 0, k = 0;
	const char *host = NULL;
	struct stats_report rep;
	bool all = false, json = false;
	struct repo *r;
	int ch, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': host = optarg; break;
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if ((host && all) || ((host || all) && optind < argc) || (host && !layout_name_valid(host))) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	if (optind < argc) {
		n = (size_t)(argc - optind);
		if (cli_find_snapshots(r, argv + optind, n, &l) > 0)
			goto out;
	} else if (manifest_load_all(r, all ? NULL : host ? host : repo_host(r), NULL, &l, &n,
	    &bad) < 0) {
		goto out;
	}
	sel = xcalloc(n + 1, sizeof(*sel));
	memcpy(sel, l, n * sizeof(*l));
	k = n;
	if (stats_collect(r, sel, k, &rep) < 0)
		goto out;
	if (json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (size_t i = 0; i < rep.ngroups; i++)
			json_object_array_add(arr, group_json(&rep.groups[i]));
		json_object_object_add(o, "groups", arr);
		json_object_object_add(o, "total", group_json(&rep.total));
		json_object_object_add(o, "repository_chunks", json_object_new_int64((int64_t)rep.repo_chunks));
		json_object_object_add(o, "repository_bytes", json_object_new_int64((int64_t)rep.repo_bytes));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else {
		char a[32];

		printf("%-32s  %9s  %10s  %10s  %10s  %9s  %8s  %8s\n", "GROUP", "SNAPSHOTS", "LOGICAL",
		    "UNIQUE", "STORED", "CHUNKS", "DEDUP", "COMPRESS");
		for (size_t i = 0; i < rep.ngroups; i++) {
			char *who = xasprintf("%s/%s", rep.groups[i].host, rep.groups[i].name);

			group_line(who, &rep.groups[i]);
			free(who);
		}
		group_line("total (chunks counted once)", &rep.total);
		printf("the repository holds %llu chunks, %s\n", (unsigned long long)rep.repo_chunks,
		    util_format_size(rep.repo_bytes, a, sizeof(a)));
	}
	stats_report_free(&rep);
	ret = bad ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
out:
	free(sel);
	manifest_list_free(l, n);
	repo_close(r);
	return ret;
}
