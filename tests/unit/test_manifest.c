#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "repo/manifest.h"

static struct manifest *
make(const char *name, const char *id, const char *time)
{
	struct manifest *m = xcalloc(1, sizeof(*m));

	m->key = xasprintf("snapshots/%s/x-%s", name, id);
	m->name = xstrdup(name);
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->time, sizeof(m->time), "%s", time);
	m->host = xstrdup("host1");
	m->version = xstrdup("0.1.0");
	m->source_type = xstrdup("domain");
	m->domain_xml = xstrdup("<domain><name>web</name></domain>");
	m->quiesced = 1;
	m->chunk_size = 1 << 20;
	m->nfiles = 2;
	m->files = xcalloc(2, sizeof(*m->files));
	for (size_t i = 0; i < 2; i++) {
		m->files[i].name = xasprintf("disk%zu.qcow2", i);
		m->files[i].path = xasprintf("/vm/disk%zu.qcow2", i);
		m->files[i].disk = i ? xstrdup("vdb") : NULL;
		m->files[i].format = xstrdup("qcow2");
		m->files[i].size = 3 << 20;
		memset(m->files[i].digest, 'a' + (int)i, 64);
		m->files[i].index = xasprintf("indexes/ab/%zu", i);
		m->files[i].chunks = 3;
		m->files[i].zero_chunks = 1;
	}
	m->files[0].read_mode = xstrdup("incremental");
	m->files[0].read_reason = xstrdup("since snapshot x");
	m->files[0].bytes_skipped = 7;
	m->files[0].cbt_checkpoint = xstrdup("virtvault-0011-x");
	memset(m->files[0].cbt_map, 'c', 64);
	m->stats.bytes_read = 123;
	m->stats.chunks_new = 4;
	m->stats.seconds = 1.5;
	return m;
}

static void
test_round_trip(void **state)
{
	struct manifest *m = make("web", "0123456789abcdef", "2026-11-25T22:00:00Z"), *b;
	char *text = manifest_to_json(m);
	char err[160];

	(void)state;
	b = manifest_from_json(text, m->key, err, sizeof(err));
	assert_non_null(b);
	assert_string_equal(b->name, "web");
	assert_string_equal(b->id, m->id);
	assert_string_equal(b->time, m->time);
	assert_string_equal(b->domain_xml, m->domain_xml);
	assert_int_equal(b->quiesced, 1);
	assert_int_equal(b->nfiles, 2);
	assert_string_equal(b->files[1].disk, "vdb");
	assert_null(b->files[0].disk);
	assert_string_equal(b->files[1].digest, m->files[1].digest);
	assert_string_equal(b->files[1].sha256, "");
	assert_string_equal(b->files[0].read_mode, "incremental");
	assert_string_equal(b->files[0].read_reason, "since snapshot x");
	assert_int_equal(b->files[0].bytes_skipped, 7);
	assert_string_equal(b->files[0].cbt_checkpoint, "virtvault-0011-x");
	assert_string_equal(b->files[0].cbt_map, m->files[0].cbt_map);
	assert_null(b->files[1].cbt_checkpoint);
	assert_int_equal(b->files[1].size, 3 << 20);
	assert_int_equal(b->stats.chunks_new, 4);
	assert_true(b->stats.seconds > 1.4 && b->stats.seconds < 1.6);
	manifest_free(b);
	free(text);
	manifest_free(m);
}

/* A manifest edited by hand into something unsafe or inconsistent. */
static void
test_edited(void **state)
{
	static const struct {
		const char *from;
		const char *to;
		const char *msg;
	} cases[] = {
		{ "\"name\":\"disk0.qcow2\"", "\"name\":\"../../etc/passwd\"", "invalid name" },
		{ "\"name\":\"disk1.qcow2\"", "\"name\":\"disk0.qcow2\"", "two files named" },
		{ "\"index\":\"indexes/ab/0\"", "\"index\":\"keys/x\"", "invalid name, index" },
		{ "\"size\":3145728", "\"size\":-1", "invalid name, index" },
		{ "\"id\":\"0123456789abcdef\"", "\"id\":\"xyz\"", "missing or invalid name, id" },
		{ "\"version\":3", "\"version\":9", "manifest version 9: this virtvault reads versions 1 to 3" },
		{ "\"version\":3", "\"version\":0", "manifest version 0" },
		/* Times as only util_parse_time reads them. */
		{ "2026-11-25T22:00:00Z", "2026-02-30T22:00:00Z", "time '2026-02-30T22:00:00Z' is not a UTC time" },
		{ "2026-11-25T22:00:00Z", "1-01-01T00:00:00Z", "is not a UTC time" },
		{ "2026-11-25T22:00:00Z", "2026-11-25T22:00:00+01:00", "is not a UTC time" },
		{ "2026-11-25T22:00:00Z", "2026-11-25T22:00:00", "is not a UTC time" },
		/* Version 2 records whole-file SHA-256s, which this one lacks. */
		{ "\"version\":3", "\"version\":2", "invalid name, index, sha256" },
		{ "\"digest\":\"aaaa", "\"digest\":\"zzzz", "invalid name, index, digest" },
		{ "{", "[", "not valid JSON" },
	};
	struct manifest *m = make("web", "0123456789abcdef", "2026-11-25T22:00:00Z");
	char *text = manifest_to_json(m);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *at = strstr(text, cases[i].from), *edited, err[160] = "";

		if (at == NULL)
			fail_msg("case %zu: '%s' not in the manifest:\n%s", i, cases[i].from, text);
		edited = xasprintf("%.*s%s%s", (int)(at - text), text, cases[i].to,
		    at + strlen(cases[i].from));
		assert_null(manifest_from_json(edited, "k", err, sizeof(err)));
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].msg);
		free(edited);
	}
	free(text);
	manifest_free(m);
}

static void
test_resolve(void **state)
{
	struct manifest *l[6];
	char err[200];

	(void)state;
	/* Newest first, as manifest_load_all sorts them. */
	l[0] = make("web", "aaaa111122223333", "2026-11-25T03:00:00Z");
	l[1] = make("db", "aaaa999922223333", "2026-11-25T02:00:00Z");
	l[2] = make("web", "bbbb111122223333", "2026-11-24T03:00:00Z");
	l[3] = make("web.old", "cccc111122223333", "2026-11-23T03:00:00Z");
	/* Another host's web1, newer than ours, and its mail. */
	l[4] = make("web", "eeee111122223333", "2026-11-22T03:00:00Z");
	l[5] = make("mail", "ffff111122223333", "2026-11-21T03:00:00Z");
	for (int i = 4; i < 6; i++) {
		free(l[i]->host);
		l[i]->host = xstrdup("host2");
	}
	assert_int_equal(manifest_resolve(l, 6, "web@latest", "host1", err, sizeof(err)), 0);
	assert_int_equal(manifest_resolve(l, 6, "host1/web@latest", "host2", err, sizeof(err)), 0);
	assert_int_equal(manifest_resolve(l, 6, "web@latest", "host2", err, sizeof(err)), 4);
	assert_int_equal(manifest_resolve(l, 6, "host2/web@latest", "host1", err, sizeof(err)), 4);
	assert_int_equal(manifest_resolve(l, 6, "db@latest", "host1", err, sizeof(err)), 1);
	assert_int_equal(manifest_resolve(l, 6, "web.old@latest", "host1", err, sizeof(err)), 3);
	assert_int_equal(manifest_resolve(l, 6, "bbbb", "host1", err, sizeof(err)), 2);
	assert_int_equal(manifest_resolve(l, 6, "eeee", "host1", err, sizeof(err)), 4);
	assert_int_equal(manifest_resolve(l, 6, "aaaa9", "host1", err, sizeof(err)), 1);
	assert_int_equal(manifest_resolve(l, 6, "cccc111122223333", "host1", err, sizeof(err)), 3);
	assert_int_equal(manifest_resolve(l, 6, "aaaa", "host1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ambiguous (2 snapshots)"));
	assert_int_equal(manifest_resolve(l, 6, "dddd", "host1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no snapshot with ID dddd"));
	assert_int_equal(manifest_resolve(l, 6, "mail@latest", "host1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no snapshot of 'mail' from host host1 (there are some from host host2: host2/mail@latest)"));
	assert_int_equal(manifest_resolve(l, 6, "host3/web@latest", "host1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no snapshot of 'web' from host host3"));
	assert_int_equal(manifest_resolve(l, 6, "web@first", "host1", err, sizeof(err)), -1);
	assert_int_equal(manifest_resolve(l, 6, "abc", "host1", err, sizeof(err)), -1);
	assert_int_equal(manifest_resolve(l, 6, "web", "host1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "neither a snapshot ID"));
	for (int i = 0; i < 6; i++)
		manifest_free(l[i]);
}

/*
 * Selectors, table-driven, over one list (newest first): a snapshot from
 * the future is never @latest; a bare ID prefix that is also a name is
 * ambiguous; NAME@ID picks within a name.
 */
static void
test_resolve_hostile(void **state)
{
	static const struct {
		const char *ref;
		long want;		/* position, or -1 */
		const char *msg;	/* in ERR when -1 */
	} cases[] = {
		/* vm1's newest is 2099's: planted, or a clock gone wrong. */
		{ "vm1@latest", 2, NULL },
		{ "host1/vm1@latest", 2, NULL },
		{ "9999aaaa", 0, NULL },	/* by its ID it can still be named */
		{ "only@latest", -1, "no snapshot of 'only' from host host1 but 7777aaaabbbbcccc, whose time 2099-01-01T00:00:00Z is in the future" },
		/* A name that is also an ID prefix. */
		{ "5bd0", -1, "'5bd0' is ambiguous: both a name and the start of snapshot ID 5bd0111122223333; say 5bd0@latest for the newest of the name, or vm1@5bd0111122223333 (NAME@ID)" },
		{ "5bd0@latest", 3, NULL },
		{ "vm1@5bd0", 2, NULL },
		{ "vm1@5bd01", 2, NULL },
		{ "5bd01", 2, NULL },	/* a longer prefix is no name */
		{ "5bd0@5bd0", -1, "no snapshot of '5bd0' with ID 5bd0" },
		{ "5bd0@abcd", 3, NULL },
		{ "host1/5bd0@abcd", 3, NULL },
		{ "host2/5bd0@abcd", -1, "no snapshot of 'host2/5bd0' with ID abcd" },
		{ "vm1@aaaa", -1, "ID prefix aaaa is ambiguous among the snapshots of 'vm1' (2)" },
		{ "vm1@ab", -1, "only [HOST/]NAME@latest or [HOST/]NAME@ID" },
		{ "beef", -1, "no snapshot with ID beef ('beef' is a name: beef@latest is its newest snapshot)" },
		{ "beef@latest", 6, NULL },
	};
	struct manifest *l[7];
	char err[400];

	(void)state;
	l[0] = make("vm1", "9999aaaabbbbcccc", "2099-01-01T00:00:00Z");
	l[1] = make("only", "7777aaaabbbbcccc", "2099-01-01T00:00:00Z");
	l[2] = make("vm1", "5bd0111122223333", "2026-11-25T03:00:00Z");
	l[3] = make("5bd0", "abcd111122223333", "2026-11-25T02:00:00Z");
	l[4] = make("vm1", "aaaa111122223333", "2026-11-24T03:00:00Z");
	l[5] = make("vm1", "aaaa222222223333", "2026-11-23T03:00:00Z");
	l[6] = make("beef", "0000111122223333", "2026-11-22T03:00:00Z");
	l[0]->future = l[1]->future = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long got;

		err[0] = '\0';
		got = manifest_resolve(l, 7, cases[i].ref, "host1", err, sizeof(err));
		if (got != cases[i].want)
			fail_msg("'%s': got %ld (%s), want %ld", cases[i].ref, got, err, cases[i].want);
		if (cases[i].msg != NULL && strstr(err, cases[i].msg) == NULL)
			fail_msg("'%s': got '%s', want '%s'", cases[i].ref, err, cases[i].msg);
		/* What resolve reads, the grammar check lets through. */
		if (got >= 0 && !manifest_selector_valid(cases[i].ref))
			fail_msg("'%s' resolves but is not a valid selector", cases[i].ref);
	}
	assert_false(manifest_selector_valid("vm1@ab"));
	assert_false(manifest_selector_valid("@abcd"));
	assert_false(manifest_selector_valid("vm1@latest2"));
	for (int i = 0; i < 7; i++)
		manifest_free(l[i]);
}

/* The one check of a snapshot's time, against an exact clock. */
static void
test_time_check(void **state)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;
	} cases[] = {
		{ "2026-11-25T00:00:00Z", 0, NULL },	/* now */
		{ "2026-11-25T00:10:00Z", 0, NULL },	/* the skew allowance, exactly */
		{ "2026-11-25T00:10:01Z", -1, "2026-11-25T00:10:01Z is in the future: 601s ahead of this host's clock (2026-11-25T00:00:00Z; at most 600s" },
		{ "2099-01-01T00:00:00Z", -1, "is in the future" },
		{ "9999-12-31T23:59:59Z", -1, "is in the future" },
		{ "1970-01-01T00:00:00Z", 0, NULL },
		{ "0001-01-01T00:00:00Z", -1, "'0001-01-01T00:00:00Z' is not a UTC time" },
		{ "2026-02-30T00:00:00Z", -1, "is not a UTC time" },
		{ "2026-11-25T00:00:00+01:00", -1, "is not a UTC time" },
		{ NULL, -1, "is not a UTC time" },
	};
	const time_t now = 1795564800;	/* 2026-11-25T00:00:00Z */

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[200] = "";
		time_t t = 0;
		int rc = manifest_time_parse(cases[i].text, now, &t, err, sizeof(err));

		if (rc != cases[i].rc || (cases[i].msg != NULL && strstr(err, cases[i].msg) == NULL))
			fail_msg("'%s': got %d '%s', want %d '%s'", cases[i].text ? cases[i].text : "(null)",
			    rc, err, cases[i].rc, cases[i].msg ? cases[i].msg : "");
	}
	{
		char err[200] = "";

		assert_int_equal(manifest_time_check(-1, now, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"));
		assert_int_equal(manifest_time_check(0, now, err, sizeof(err)), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_edited),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_hostile),
		cmocka_unit_test(test_time_check),
	};

	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
