/*
 * virtvault prune: free what no snapshot references any more.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/util.h"
#include "repo/objlock.h"
#include "repo/prune.h"

/* Object Lock: the extension round and the garbage still retained, as JSON fields of O. */
static void
lock_json(json_object *o, const struct prune_stats *st)
{
	char when[UTIL_UTC_LEN];

	json_object_object_add(o, "retention_round", json_object_new_boolean(st->round.ran));
	json_object_object_add(o, "retention_extended", json_object_new_int64((int64_t)st->round.objects));
	json_object_object_add(o, "retention_failed", json_object_new_int64((int64_t)st->round.failed));
	json_object_object_add(o, "retention_requests", json_object_new_int64((int64_t)st->round.requests));
	json_object_object_add(o, "retention_next", json_object_new_string(
	    util_format_utc(st->round.next, when, sizeof(when))));
	json_object_object_add(o, "locked", json_object_new_int64((int64_t)st->locked.locked));
	json_object_object_add(o, "locked_until", st->locked.locked ? json_object_new_string(
	    util_format_utc(st->locked.locked_until, when, sizeof(when))) : NULL);
	json_object_object_add(o, "deleted_versions", json_object_new_int64((int64_t)st->locked.deleted));
}

static void
lock_text(const struct prune_stats *st, bool dry_run)
{
	char a[UTIL_UTC_LEN], b[UTIL_UTC_LEN];

	if (st->round.ran)
		printf("retention: %zu objects %s until %s (%llu S3 requests); next round due %s\n",
		    st->round.objects, dry_run ? "would be extended" : "extended",
		    util_format_utc(st->round.until, a, sizeof(a)),
		    (unsigned long long)st->round.requests,
		    util_format_utc(st->round.next, b, sizeof(b)));
	else
		printf("retention: last extension round %s, next due %s (%llu S3 requests)\n",
		    util_format_utc(st->round.last, a, sizeof(a)),
		    util_format_utc(st->round.next, b, sizeof(b)),
		    (unsigned long long)st->round.requests);
	if (st->locked.locked > 0)
		printf("%zu objects still locked until %s; collected on a later run\n",
		    st->locked.locked, util_format_utc(st->locked.locked_until, a, sizeof(a)));
}

int
cmd_prune(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault prune [--dry-run] [--json]\n\n"
	    "Deletes the chunks and indexes no snapshot references (after 'forget',\n"
	    "or left by interrupted backups), stale locks, and temporary files and\n"
	    "incomplete S3 uploads older than the stale bound. It reads every\n"
	    "manifest and index without a lock, then takes the exclusive lock (and\n"
	    "waits up to lock_wait for running backups) only to delete: backups\n"
	    "wait for that part alone. --dry-run deletes nothing and takes no lock.\n"
	    "Under S3 Object Lock it extends the retention of what live snapshots\n"
	    "reference when a round is due, and leaves what is still locked.\n";
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct prune_stats st;
	bool dry_run = false, json = false;
	struct repo *r;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': dry_run = true; break;
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("prune", argc, argv, optind, "") < 0) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_repo_admin(cli, "prune", &ch)) == NULL)
		return ch;
	rc = prune_run(r, dry_run, &st);
	if (rc == 0 || st.failed > 0) {
		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
			json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)st.snapshots));
			json_object_object_add(o, "late_snapshots", json_object_new_int64((int64_t)st.late_snapshots));
			json_object_object_add(o, "chunks", json_object_new_int64((int64_t)st.chunks));
			json_object_object_add(o, "chunks_unused", json_object_new_int64((int64_t)st.chunks_unused));
			json_object_object_add(o, "indexes", json_object_new_int64((int64_t)st.indexes));
			json_object_object_add(o, "indexes_unused", json_object_new_int64((int64_t)st.indexes_unused));
			/* null: the store lists no sizes (file://), and prune stats only what it deletes. */
			json_object_object_add(o, "bytes_total", st.bytes_total_known ?
			    json_object_new_int64((int64_t)st.bytes_total) : NULL);
			json_object_object_add(o, "bytes_unused", json_object_new_int64((int64_t)st.bytes_unused));
			json_object_object_add(o, "locks_stale", json_object_new_int64((int64_t)st.locks_stale));
			json_object_object_add(o, "debris", json_object_new_int64((int64_t)st.debris));
			json_object_object_add(o, "failed", json_object_new_int64((int64_t)st.failed));
			json_object_object_add(o, "bytes_per_chunk", json_object_new_int64((int64_t)st.bytes_per_chunk));
			json_object_object_add(o, "seconds_mark", json_object_new_double(st.seconds_mark));
			json_object_object_add(o, "seconds_sweep", json_object_new_double(st.seconds_sweep));
			json_object_object_add(o, "requests",
			    json_object_new_int64((int64_t)store_requests(repo_store(r))));
			if (objlock_of(r)->mode != STORE_LOCK_NONE)
				lock_json(o, &st);
			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else {
			char a[32], b[40] = "";

			if (st.bytes_total_known) {
				memcpy(b, " of ", 5);
				util_format_size(st.bytes_total, b + 4, sizeof(b) - 4);
			}
			printf("%zu snapshots (%zu published during the mark); %zu of %zu chunks and %zu of %zu indexes unused: %s%s %s\n",
			    st.snapshots, st.late_snapshots, st.chunks_unused, st.chunks, st.indexes_unused,
			    st.indexes, util_format_size(st.bytes_unused, a, sizeof(a)), b,
			    dry_run ? "would be freed" : st.failed ? "freed in part" : "freed");
			printf("%zu stale locks, %zu temporary files or incomplete uploads %s; mark %.1fs, sweep %.1fs%s\n",
			    st.locks_stale, st.debris, dry_run ? "found" : "removed", st.seconds_mark,
			    st.seconds_sweep, dry_run ? " (dry run: nothing deleted)" : "");
			if (objlock_of(r)->mode != STORE_LOCK_NONE)
				lock_text(&st, dry_run);
		}
	}
	repo_close(r);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
