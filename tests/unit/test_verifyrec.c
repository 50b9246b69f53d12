/*
 * The verify records (state/verifyrec.h): written and read back with their
 * fields, one per group (host, name) whatever bytes the names hold; a
 * damaged or foreign file is no record; the metrics' series.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "state/layout.h"
#include "state/verifyrec.h"
#include "tests/fakes/tmpdir.h"

static char *
scratch(void)
{
	char tmpl[] = "/tmp/vv-verifyrec-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void
fill(struct verify_record *r, const char *host, const char *name, bool ok)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->started = 1764900000;
	r->finished = 1764900042;
	r->deep = true;
	r->sample = 0.25;
	r->snapshots = 40;
	r->nids = 2;
	snprintf(r->ids[0], sizeof(r->ids[0]), "0011223344556677");
	snprintf(r->ids[1], sizeof(r->ids[1]), "8899aabbccddeeff");
	r->chunks_read = 12;
	r->bytes_read = 12u << 20;
	r->ok = ok;
	if (!ok) {
		r->problems = 5;
		r->nmessages = 1;
		snprintf(r->messages[0], sizeof(r->messages[0]), "snapshot 0011223344556677, file vda: <bad> & \"worse\"");
	}
}

static void
test_roundtrip(void **state)
{
	char *dir = scratch();
	struct verify_record w, r;
	struct strlist keys = { 0 };

	(void)state;
	assert_int_equal(state_verify_get(dir, "h1", "web", &r), 1);
	fill(&w, "h1", "web", true);
	assert_int_equal(state_verify_write(dir, &w), 0);
	fill(&w, "h1", "db/../x@y", false);
	assert_int_equal(state_verify_write(dir, &w), 0);
	fill(&w, "h2", "web", false);
	w.deep = false;
	w.sample = 1;
	assert_int_equal(state_verify_write(dir, &w), 0);

	assert_int_equal(state_verify_get(dir, "h1", "web", &r), 0);
	assert_string_equal(r.host, "h1");
	assert_string_equal(r.name, "web");
	assert_true(r.ok && r.deep);
	assert_true(r.sample > 0.24 && r.sample < 0.26);
	assert_int_equal(r.started, 1764900000);
	assert_int_equal(r.finished, 1764900042);
	assert_int_equal(r.snapshots, 40);
	assert_int_equal(r.nids, 2);
	assert_string_equal(r.ids[1], "8899aabbccddeeff");
	assert_int_equal(r.chunks_read, 12);
	assert_int_equal(r.bytes_read, 12u << 20);
	assert_int_equal(r.problems, 0);
	assert_int_equal(r.nmessages, 0);

	/* A name with '/', '.' and '@' stays one file of the folder, its own group's. */
	assert_int_equal(state_verify_get(dir, "h1", "db/../x@y", &r), 0);
	assert_false(r.ok);
	assert_int_equal(r.problems, 5);
	assert_int_equal(r.nmessages, 1);
	assert_string_equal(r.messages[0], "snapshot 0011223344556677, file vda: <bad> & \"worse\"");
	assert_int_equal(state_verify_get(dir, "h2", "web", &r), 0);
	assert_false(r.ok || r.deep);

	assert_int_equal(state_verify_list(dir, &keys), 0);
	assert_int_equal(keys.n, 3);
	for (size_t i = 0; i < keys.n; i++) {
		assert_null(strchr(keys.v[i], '/'));
		assert_int_equal(state_verify_read(dir, keys.v[i], &r), 0);
	}
	strlist_clear(&keys);
	tmpdir_remove(dir);
	free(dir);
}

static void
test_damaged(void **state)
{
	char *dir = scratch(), *p;
	struct verify_record w, r;
	struct strlist keys = { 0 };
	FILE *f;

	(void)state;
	fill(&w, "h1", "web", true);
	assert_int_equal(state_verify_write(dir, &w), 0);
	fill(&w, "h1", "db", true);
	assert_int_equal(state_verify_write(dir, &w), 0);
	assert_int_equal(state_verify_list(dir, &keys), 0);
	assert_int_equal(keys.n, 2);

	/* Cut short: no record. */
	p = state_file_path(dir, STATE_VERIFY, keys.v[1]);
	assert_non_null(f = fopen(p, "w"));
	fputs("{ \"host\": \"h1\", \"name\": \"web\", \"ok\": tr", f);
	fclose(f);
	assert_int_equal(state_verify_get(dir, "h1", "web", &r), 1);
	assert_string_equal(r.name, "");
	free(p);

	/* Another group's record under this one's name: none of this one. */
	p = state_file_path(dir, STATE_VERIFY, keys.v[0]);
	assert_int_equal(tmpdir_edit_json(p, "name", "\"web\""), 0);
	assert_int_equal(state_verify_get(dir, "h1", "db", &r), 1);
	/* No result: no record. */
	assert_int_equal(tmpdir_edit_json(p, "name", "\"db\""), 0);
	assert_int_equal(state_verify_get(dir, "h1", "db", &r), 0);
	assert_int_equal(tmpdir_edit_json(p, "ok", NULL), 0);
	assert_int_equal(state_verify_get(dir, "h1", "db", &r), 1);
	free(p);
	strlist_clear(&keys);
	tmpdir_remove(dir);
	free(dir);
}

static void
test_metrics(void **state)
{
	char *dir = scratch(), *buf = NULL;
	size_t len = 0;
	struct verify_record w;
	FILE *out;

	(void)state;
	fill(&w, "h1", "web", true);
	assert_int_equal(state_verify_write(dir, &w), 0);
	fill(&w, "h1", "a\"b", false);
	assert_int_equal(state_verify_write(dir, &w), 0);
	out = open_memstream(&buf, &len);
	state_verify_metrics(dir, out);
	fclose(out);
	assert_non_null(strstr(buf, "# TYPE virtvault_verify_success gauge\n"));
	assert_non_null(strstr(buf, "# HELP virtvault_verify_timestamp_seconds "));
	assert_non_null(strstr(buf, "virtvault_verify_success{name=\"web\",host=\"h1\"} 1\n"));
	assert_non_null(strstr(buf, "virtvault_verify_success{name=\"a\\\"b\",host=\"h1\"} 0\n"));
	assert_non_null(strstr(buf, "virtvault_verify_timestamp_seconds{name=\"web\",host=\"h1\"} 1764900042\n"));
	free(buf);
	tmpdir_remove(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
