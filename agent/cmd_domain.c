/*
 * Domain commands: backup DOMAIN... | --all | --job NAME, and repair.
 */
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/lock.h"
#include "agent/repair.h"
#include "agent/sequence.h"
#include "common/log.h"

/* The domains a job selects: its globs, less its exclusions, sorted. */
static int
job_domains(struct hv *hv, const struct conf_job *job, bool all, struct strlist *out)
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
	strlist_clear(&names);
	qsort(out->v, out->n, sizeof(*out->v), (int (*)(const void *, const void *))strcmp);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_object *
result_json(const char *dom, const struct seq_result *r, bool ok)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "domain", json_object_new_string(dom));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	if (!ok)
		return o;
	json_object_object_add(o, "snapshot", json_object_new_string(r->snapshot));
	if (r->quiesced >= 0)
		json_object_object_add(o, "quiesced", json_object_new_boolean(r->quiesced));
	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)r->stats.bytes_read));
	json_object_object_add(o, "chunks_total", json_object_new_int64((int64_t)r->stats.chunks_total));
	json_object_object_add(o, "chunks_new", json_object_new_int64((int64_t)r->stats.chunks_new));
	json_object_object_add(o, "chunks_reused", json_object_new_int64((int64_t)r->stats.chunks_reused));
	json_object_object_add(o, "chunks_zero", json_object_new_int64((int64_t)r->stats.chunks_zero));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)r->stats.bytes_stored));
	json_object_object_add(o, "seconds", json_object_new_double(r->stats.seconds));
	json_object_object_add(o, "seconds_snapshot", json_object_new_double(r->seconds_snapshot));
	json_object_object_add(o, "seconds_copy", json_object_new_double(r->seconds_copy));
	json_object_object_add(o, "seconds_commit", json_object_new_double(r->seconds_commit));
	json_object_object_add(o, "seconds_verify", json_object_new_double(r->seconds_verify));
	json_object_object_add(o, "seconds_publish", json_object_new_double(r->seconds_publish));
	json_object_object_add(o, "seconds_on_overlay", json_object_new_double(r->seconds_on_overlay));
	return o;
}

int
cli_backup_domains(struct cli *cli, struct strlist *doms, const char *jobname, bool all,
    int quiesce, bool json, bool dry_run)
{
	const struct conf_job *job = NULL;
	struct conf_job none;
	struct hv *hv = NULL;
	struct repo *r = NULL;
	struct strlist sel = { 0 };
	struct backup_stats total;
	json_object *arr = NULL;
	size_t ok = 0, failed = 0;
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
	if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) == NULL)
		goto out;
	if (!dry_run && (r = repo_open(cli->conf)) == NULL)
		goto out;
	cli_catch_signals(cli);
	if (all || (jobname != NULL && doms->n == 0)) {
		if (job_domains(hv, job, all, &sel) < 0)
			goto out;
		if (sel.n == 0) {
			log_error("%s selects no domain at %s", all ? "--all" : jobname, hv_uri(hv));
			goto out;
		}
	} else {
		for (size_t i = 0; i < doms->n; i++)
			if (!strlist_contains(&sel, doms->v[i]))
				strlist_add(&sel, doms->v[i]);
	}
	qsort(sel.v, sel.n, sizeof(*sel.v), cmp_str);
	if (dry_run) {
		for (size_t i = 0; i < sel.n; i++)
			printf("%s\n", sel.v[i]);
		ret = CLI_EXIT_OK;
		goto out;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < sel.n; i++) {
		if (*cli->cancel) {
			log_warn("stopping on a signal: %s and the domains after it are not backed up", sel.v[i]);
			failed += sel.n - i;
			break;
		}
		struct seq_opts o = { quiesce >= 0 ? (enum conf_quiesce)quiesce : job->quiesce,
			&job->exclude_disks, NULL, cli->verbosity < 0 || json, cli->cancel };
		struct seq_result res;
		int rc = seq_backup_domain(hv, r, cli->conf, sel.v[i], &o, &res);

		json_object_array_add(arr, result_json(sel.v[i], &res, rc == 0));
		if (rc < 0) {
			failed++;
			if (!json)
				printf("%s: FAILED (see the errors above)\n", sel.v[i]);
			continue;
		}
		ok++;
		total.bytes_read += res.stats.bytes_read;
		total.chunks_total += res.stats.chunks_total;
		total.chunks_new += res.stats.chunks_new;
		total.chunks_reused += res.stats.chunks_reused;
		total.chunks_zero += res.stats.chunks_zero;
		total.bytes_stored += res.stats.bytes_stored;
		total.seconds += res.stats.seconds;
		if (!json) {
			char a[32], b[32];

			printf("%s: snapshot %s (%s), read %s, %llu chunks: %llu new, %llu reused, %llu zero; stored %s; %.1fs (snapshot %.1fs, copy %.1fs, commit %.1fs, verify %.1fs; %.1fs on the overlay)\n",
			    sel.v[i], res.snapshot, res.quiesced < 0 ? "shut off" :
			    res.quiesced ? "quiesced" : "crash-consistent",
			    util_format_size(res.stats.bytes_read, a, sizeof(a)),
			    (unsigned long long)res.stats.chunks_total, (unsigned long long)res.stats.chunks_new,
			    (unsigned long long)res.stats.chunks_reused, (unsigned long long)res.stats.chunks_zero,
			    util_format_size(res.stats.bytes_stored, b, sizeof(b)), res.stats.seconds,
			    res.seconds_snapshot, res.seconds_copy, res.seconds_commit, res.seconds_verify,
			    res.seconds_on_overlay);
		}
	}
	if (json) {
		json_object *o = json_object_new_object(), *t = json_object_new_object();

		json_object_object_add(t, "domains_ok", json_object_new_int((int)ok));
		json_object_object_add(t, "domains_failed", json_object_new_int((int)failed));
		json_object_object_add(t, "bytes_read", json_object_new_int64((int64_t)total.bytes_read));
		json_object_object_add(t, "chunks_total", json_object_new_int64((int64_t)total.chunks_total));
		json_object_object_add(t, "chunks_new", json_object_new_int64((int64_t)total.chunks_new));
		json_object_object_add(t, "chunks_reused", json_object_new_int64((int64_t)total.chunks_reused));
		json_object_object_add(t, "chunks_zero", json_object_new_int64((int64_t)total.chunks_zero));
		json_object_object_add(t, "bytes_stored", json_object_new_int64((int64_t)total.bytes_stored));
		json_object_object_add(t, "seconds", json_object_new_double(total.seconds));
		json_object_object_add(o, "domains", json_object_get(arr));
		json_object_object_add(o, "total", t);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	ret = failed == 0 ? CLI_EXIT_OK : ok == 0 ? CLI_EXIT_FAILURE : CLI_EXIT_PARTIAL;
out:
	json_object_put(arr);
	strlist_clear(&sel);
	repo_close(r);
	hv_close(hv);
	return ret;
}

int
cmd_repair(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault repair DOMAIN...\n\n"
	    "Brings back each domain whose backup was interrupted (its journal in\n"
	    "state_dir): commits and pivots an overlay still active, deletes leftover\n"
	    "overlays, verifies the chains, and says what it did.\n";
	struct hv *hv;
	size_t ok = 0, failed = 0;

	if (cli_help_asked(argc, argv)) {
		fputs(use, stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, false) < 0)
		return CLI_EXIT_USAGE;
	if ((hv = hv_open_libvirt(cli->conf->libvirt_uri)) == NULL)
		return CLI_EXIT_FAILURE;
	for (int i = 1; i < argc; i++) {
		int lock = lock_domain(cli->conf->state_dir, argv[i]);
		bool did = false;

		if (lock < 0 || repair_domain(hv, cli->conf, argv[i], &did, cli->verbosity < 0) < 0) {
			printf("%s: repair FAILED (see the errors above)\n", argv[i]);
			failed++;
		} else {
			printf("%s: %s\n", argv[i], did ? "repaired" : "nothing to repair");
			ok++;
		}
		unlock_domain(lock);
	}
	hv_close(hv);
	return failed == 0 ? CLI_EXIT_OK : ok == 0 ? CLI_EXIT_FAILURE : CLI_EXIT_PARTIAL;
}
