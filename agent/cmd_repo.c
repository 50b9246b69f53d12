/*
 * Repository commands: init, backup --image, list, show.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli.h"
#include "common/log.h"
#include "repo/backup.h"
#include "repo/manifest.h"

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault init\n\n"
	    "Creates the repository named in the configuration ([repository] url):\n"
	    "its config and a master key wrapped by the password. Refuses to\n"
	    "overwrite an existing repository.\n";

	if (cli_help_asked(argc, argv)) {
		fputs(use, stdout);
		return CLI_EXIT_OK;
	}
	if (argc != 1) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if (repo_init(cli->conf) < 0)
		return CLI_EXIT_FAILURE;
	printf("created repository %s (%s, chunks of %llu KiB)\n", cli->conf->url,
	    cli->conf->encryption == CONF_CIPHER_NONE ? "not encrypted" : "encrypted with aes-256-gcm",
	    (unsigned long long)(cli->conf->chunk_size >> 10));
	return CLI_EXIT_OK;
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 128 && s[0] != '.' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static json_object *
stats_json(const struct backup_stats *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)st->bytes_read));
	json_object_object_add(o, "chunks_total", json_object_new_int64((int64_t)st->chunks_total));
	json_object_object_add(o, "chunks_new", json_object_new_int64((int64_t)st->chunks_new));
	json_object_object_add(o, "chunks_reused", json_object_new_int64((int64_t)st->chunks_reused));
	json_object_object_add(o, "chunks_zero", json_object_new_int64((int64_t)st->chunks_zero));
	json_object_object_add(o, "bytes_stored", json_object_new_int64((int64_t)st->bytes_stored));
	json_object_object_add(o, "seconds", json_object_new_double(st->seconds));
	return o;
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
	static const char use[] = "usage: virtvault backup DOMAIN... | --all | --job NAME [--quiesce require|try|off] [--json] [--dry-run]\n"
	    "       virtvault backup --image PATH... --name NAME [--json]\n\n"
	    "Backs up running, paused or shut-off domains live and consistently: one\n"
	    "atomic external snapshot of all disks (quiesced per policy), the bases\n"
	    "copied into the repository, the overlays committed back and pivoted,\n"
	    "the chains verified, the manifest published. --job takes the job's\n"
	    "domains, exclusions and quiesce policy; --dry-run only lists the domains.\n"
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strlist images = { 0 }, doms = { 0 };
	const char *jobname = NULL;
	bool all = false, dry_run = false;
	int quiesce = -1;
	const char *name = NULL;
	struct repo *r = NULL;
	struct backup *b = NULL;
	bool json = false;
	int ch, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': strlist_add(&images, optarg); break;
		case 'n': name = optarg; break;
		case 'j': json = true; break;
		case 'a': all = true; break;
		case 'N': dry_run = true; break;
		case 'J': jobname = optarg; break;
		case 'Q':
			if (strcmp(optarg, "require") == 0)
				quiesce = CONF_QUIESCE_REQUIRE;
			else if (strcmp(optarg, "try") == 0)
				quiesce = CONF_QUIESCE_TRY;
			else if (strcmp(optarg, "off") == 0)
				quiesce = CONF_QUIESCE_OFF;
			else {
				log_error("--quiesce '%s': expected require, try or off", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (images.n == 0) {
		/* DOMAIN... with --job: those domains under the job's policy. */
		bool doms_given = optind < argc;

		if ((doms_given && all) || (!doms_given && !all && jobname == NULL) ||
		    (all && jobname != NULL)) {
			fputs(use, stderr);
			return CLI_EXIT_USAGE;
		}
		for (int i = optind; i < argc; i++)
			strlist_add(&doms, argv[i]);
		ret = cli_backup_domains(cli, &doms, jobname, all, quiesce, json, dry_run);
		strlist_clear(&doms);
		return ret;
	}
	if (optind < argc || all || jobname) {
		fputs(use, stderr);
		strlist_clear(&images);
		return CLI_EXIT_USAGE;
	}
	if (images.n == 0 || name == NULL) {
		fputs(use, stderr);
		strlist_clear(&images);
		return CLI_EXIT_USAGE;
	}
	if (!valid_name(name)) {
		log_error("backup name '%s' is invalid (use letters, digits, '_', '.', '-')", name);
		strlist_clear(&images);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0) {
		strlist_clear(&images);
		return CLI_EXIT_USAGE;
	}
	r = repo_open(cli->conf);
	if (r == NULL || (b = backup_new(r, name)) == NULL)
		goto out;
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
			json_object *o = stats_json(st);

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
}

static uint64_t
total_size(const struct manifest *m)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->nfiles; i++)
		t += m->files[i].size;
	return t;
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault list [NAME] [--json]\n\n"
	    "Lists snapshots (of NAME, or all), newest first.\n";
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct manifest **l = NULL;
	size_t n = 0, bad = 0;
	struct repo *r;
	bool json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1 || (optind < argc && !valid_name(argv[optind]))) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if ((r = repo_open(cli->conf)) == NULL)
		return CLI_EXIT_FAILURE;
	if (manifest_load_all(r, optind < argc ? argv[optind] : NULL, &l, &n, &bad) < 0) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "snapshot", json_object_new_string(l[i]->id));
			json_object_object_add(o, "name", json_object_new_string(l[i]->name));
			json_object_object_add(o, "time", json_object_new_string(l[i]->time));
			json_object_object_add(o, "size", json_object_new_int64((int64_t)total_size(l[i])));
			json_object_object_add(o, "stored", json_object_new_int64((int64_t)l[i]->stats.bytes_stored));
			json_object_object_add(o, "files", json_object_new_int((int)l[i]->nfiles));
			json_object_array_add(arr, o);
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	} else {
		printf("%-16s  %-20s  %-24s  %10s  %10s\n", "SNAPSHOT", "TIME", "NAME", "SIZE", "STORED");
		for (size_t i = 0; i < n; i++) {
			char a[32], b[32];

			printf("%-16s  %-20s  %-24s  %10s  %10s\n", l[i]->id, l[i]->time, l[i]->name,
			    util_format_size(total_size(l[i]), a, sizeof(a)),
			    util_format_size(l[i]->stats.bytes_stored, b, sizeof(b)));
		}
	}
	manifest_list_free(l, n);
	repo_close(r);
	return bad ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* Load every manifest and pick REF; NULL (logged) when none. */
struct manifest *
cli_find_snapshot(struct repo *r, const char *ref)
{
	struct manifest **l = NULL, *m = NULL;
	size_t n = 0, bad = 0;
	char err[256];
	long k;

	if (manifest_load_all(r, NULL, &l, &n, &bad) < 0)
		return NULL;
	k = manifest_resolve(l, n, ref, err, sizeof(err));
	if (k < 0) {
		log_error("snapshot %s: %s", ref, err);
	} else {
		m = l[k];
		l[k] = NULL;
	}
	manifest_list_free(l, n);
	return m;
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const char use[] = "usage: virtvault show SNAPSHOT [--json]\n\n"
	    "Shows one manifest. SNAPSHOT is an ID (or a unique prefix of one) or NAME@latest.\n";
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct manifest *m;
	struct repo *r;
	bool json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'h': fputs(use, stdout); return CLI_EXIT_OK;
		default: fputs(use, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(use, stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, true) < 0)
		return CLI_EXIT_USAGE;
	if ((r = repo_open(cli->conf)) == NULL)
		return CLI_EXIT_FAILURE;
	m = cli_find_snapshot(r, argv[optind]);
	if (m == NULL) {
		repo_close(r);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		char *text = manifest_to_json(m);

		printf("%s\n", text);
		free(text);
	} else {
		manifest_print(m, stdout);
	}
	manifest_free(m);
	repo_close(r);
	return CLI_EXIT_OK;
}
