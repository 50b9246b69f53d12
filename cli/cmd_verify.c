/*
 * virtvault verify: snapshots' indexes and chunks, --deep their data.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "repo/fallback.h"
#include "repo/lock.h"
#include "common/log.h"
#include "repo/verify.h"
#include "state/runs.h"
#include "state/verifyrec.h"

/* A snapshot and its position in the list verified. */
struct pos {
	const struct manifest *m;
	size_t k;
};

/* By group (host, name), then in the list's order. */
static int
by_group(const void *a, const void *b)
{
	const struct pos *x = a, *y = b;
	int c = manifest_group_cmp(x->m, y->m);

	return c != 0 ? c : x->k < y->k ? -1 : x->k > y->k;
}

/*
 * The last verify of each group (host, name) of the N snapshots of L,
 * recorded under state_dir (state/verifyrec.h), and the metrics file
 * rewritten. PROBLEMS is what verify_snapshots returned (-1: it could not
 * run). Failures are logged, not returned: the verify itself is done.
 */
static void
record_groups(const struct conf *c, struct manifest *const *l, size_t n,
    const struct verify_opts *vo, const struct verify_result *vr, long problems,
    time_t started)
{
	struct pos *ord = xcalloc(n + 1, sizeof(*ord));
	struct verify_record *rec = xcalloc(1, sizeof(*rec));

	for (size_t i = 0; i < n; i++)
		ord[i] = (struct pos){ l[i], i };
	qsort(ord, n, sizeof(*ord), by_group);
	for (size_t i = 0, e; i < n; i = e) {
		memset(rec, 0, sizeof(*rec));
		snprintf(rec->host, sizeof(rec->host), "%s", manifest_host(ord[i].m));
		snprintf(rec->name, sizeof(rec->name), "%s", ord[i].m->name);
		rec->started = started;
		rec->finished = time(NULL);
		rec->deep = vo->deep;
		rec->sample = vo->deep ? vo->sample : 1;
		rec->chunks_read = vr->chunks_read;
		rec->bytes_read = vr->bytes_read;
		for (e = i; e < n && manifest_same_group(ord[i].m, ord[e].m); e++) {
			const struct verify_problems *p = problems >= 0 ? &vr->per[ord[e].k] : NULL;

			rec->snapshots++;
			if (rec->nids < VERIFYREC_MAX_IDS)
				snprintf(rec->ids[rec->nids++], sizeof(rec->ids[0]), "%s", ord[e].m->id);
			if (p == NULL || p->count == 0)
				continue;
			rec->problems += (uint64_t)p->count;
			if (rec->nmessages < VERIFYREC_MAX_MSGS)
				snprintf(rec->messages[rec->nmessages++], sizeof(rec->messages[0]), "%s",
				    p->first);
		}
		if (problems < 0)
			snprintf(rec->messages[rec->nmessages++], sizeof(rec->messages[0]),
			    "the check could not run (the repository's chunks/ could not be listed)");
		rec->ok = problems >= 0 && rec->problems == 0;
		state_verify_write(c->state_dir, rec);
	}
	free(rec);
	free(ord);
	if (n > 0 && c->metrics_file != NULL && state_write_metrics(c->state_dir, c->metrics_file) < 0)
		log_error("the metrics file %s cannot be written", c->metrics_file);
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault verify [SNAPSHOT...] [--deep [--sample PERCENT]] [--json]\n"
	    "       virtvault verify --boot SNAPSHOT | --boot --job JOB  (see --boot --help)\n\n"
	    "Checks snapshots (all when none is named): every index they reference is\n"
	    "there, authenticates and hashes to its ID, and every chunk exists. With\n"
	    "--deep each distinct chunk is read once (however many snapshots share\n"
	    "it), authenticated, decompressed and checked to hash to its ID; with\n"
	    "--sample PERCENT only a random part of them. A bad chunk is moved to\n"
	    "quarantine/, so that the next backup of its data stores it again; the\n"
	    "snapshots still broken are listed with the command that forgets them.\n"
	    "Exit 0 when all is well, 1 when any problem is found. The outcome is\n"
	    "recorded per group (host, name) for 'report' and the metrics file.\n"
	    "Objects that failed authentication or were hidden by a delete marker,\n"
	    "and were read from an older version (a versioned bucket), are listed\n"
	    "as attacked: 'virtvault recover' (as the admin) rewrites them.\n"
	    "'verify --boot' boots a snapshot instead: see 'virtvault verify --boot --help'.\n";
	static const struct option opts[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "sample", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	struct repo *r;
	struct repo_lock *lock = NULL;
	struct progress *p;
	struct verify_opts vo = { false, 1.0 };
	struct verify_result vr;
	bool json = false;
	char *end;
	uint64_t total = 0;
	struct strlist attacked = { 0 };
	long problems;
	time_t started = time(NULL);
	int ch;

	/* --boot: another check altogether (cmd_verify_boot.c). */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--boot") == 0)
			return cmd_verify_boot(cli, argc, argv);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': vo.deep = true; break;
		case 'j': json = true; break;
		case 's':
			vo.sample = strtod(optarg, &end) / 100.0;
			if (*optarg == '\0' || *end != '\0' || !(vo.sample > 0 && vo.sample <= 1)) {
				log_error("--sample '%s': expected a percentage above 0, at most 100", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if ((r = cli_repo(cli, &ch)) == NULL)
		return ch;
	/* Shared: no prune deletes what the snapshots need while they are read. */
	if (repo_lock_take(r, REPO_LOCK_SHARED, "verify", &lock) != 0) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	/* What is checked is the store: manifests and indexes read from it, not the cache. */
	repo_cache_reads(r, false);
	if (optind < argc) {
		struct manifest **sel = NULL;
		size_t k = 0;

		bad = (size_t)cli_find_snapshots(r, argv + optind, (size_t)(argc - optind), &sel);
		for (int i = 0; i < argc - optind; i++)
			if (sel[i] != NULL)
				sel[k++] = sel[i];
		l = sel;
		n = k;
	} else if (manifest_load_all(r, NULL, NULL, &l, &n, &bad) < 0) {
		repo_lock_release(lock);
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < l[i]->nfiles; j++)
			total += l[i]->files[j].size;
	p = progress_new(vo.deep ? "verify --deep" : "verify", total, stderr, -1,
	    cli->verbosity < 0 || json);
	problems = verify_snapshots(r, l, n, &vo, &vr, p);
	if (problems == 0)
		progress_finish(p);
	progress_free(p);
	record_groups(cli->conf, l, n, &vo, &vr, problems, started);
	fallback_taken(&attacked);
	if (problems >= 0 && json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)n));
		json_object_object_add(o, "deep", json_object_new_boolean(vo.deep));
		json_object_object_add(o, "sample_percent", json_object_new_double(vo.sample * 100));
		json_object_object_add(o, "chunks_read", json_object_new_int64((int64_t)vr.chunks_read));
		json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)vr.bytes_read));
		json_object_object_add(o, "chunks_bad", json_object_new_int64((int64_t)vr.chunks_bad));
		json_object_object_add(o, "problems", json_object_new_int64(problems + (long)bad));
		for (size_t i = 0; i < vr.nbroken; i++) {
			json_object_array_add(arr, cli_snapshot_json(vr.broken[i]));
		}
		json_object_object_add(o, "broken", arr);
		arr = json_object_new_array();
		for (size_t i = 0; i < attacked.n; i++)
			json_object_array_add(arr, json_object_new_string(attacked.v[i]));
		json_object_object_add(o, "attacked", arr);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else if (problems >= 0) {
		printf("%zu snapshot%s checked%s: %ld problem%s%s\n", n, n == 1 ? "" : "s",
		    vo.deep ? vo.sample < 1 ? " (deep, sampled)" : " (deep)" : "",
		    problems + (long)bad, problems + (long)bad == 1 ? "" : "s",
		    bad ? " (including unreadable manifests or unknown snapshots)" : "");
		if (vo.deep)
			printf("%llu distinct chunks read (%s)%s\n", (unsigned long long)vr.chunks_read,
			    util_format_size(vr.bytes_read, (char[32]){ 0 }, 32),
			    vr.chunks_bad ? "; the bad ones were moved to quarantine/" : "");
		if (vr.nbroken > 0) {
			printf("broken snapshots (a backup of the same data repairs them; or forget them):\n");
			for (size_t i = 0; i < vr.nbroken; i++)
				printf("  %s  %s/%s  %s\n", vr.broken[i]->id, manifest_host(vr.broken[i]),
				    vr.broken[i]->name, vr.broken[i]->time);
			printf("  virtvault forget");
			for (size_t i = 0; i < vr.nbroken; i++)
				printf(" %s", vr.broken[i]->id);
			printf("\n");
		}
	}
	if (problems >= 0 && !json && attacked.n > 0) {
		printf("%zu attacked object%s (not authentic or hidden; read from an older version; 'virtvault recover' as the admin rewrites them):\n",
		    attacked.n, attacked.n == 1 ? "" : "s");
		for (size_t i = 0; i < attacked.n; i++)
			printf("  %s\n", attacked.v[i]);
	}
	if (problems >= 0) {
		free(vr.broken);
		free(vr.per);
	}
	manifest_list_free(l, n);
	repo_lock_release(lock);
	repo_close(r);
	n = attacked.n;
	strlist_clear(&attacked);
	return problems == 0 && bad == 0 && n == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
