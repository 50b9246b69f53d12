/*
 * The keys of an encrypted repository against someone who can write the
 * store: a config stripped of its MAC, another repository's config
 * swapped in, the legacy repository (tests/fixtures/repo-v1) that opens
 * untouched and is upgraded only when asked, and the exported key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"
#include "repo/keys.h"
#include "repo/repo.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-keys.XXXXXX";
/* The fixture's password (tests/integration/t_lifecycle.sh). */
#define FIXTURE_PASSWORD "fixture-password"

/* A configuration for an encrypted repository under DIR/NAME (URL allocated into *URL). */
static void
conf_of(struct conf *c, const char *name, char **url)
{
	*url = xasprintf("file://%s/%s", dir, name);
	memset(c, 0, sizeof(*c));
	c->url = *url;
	c->host = "unit";
	c->encryption = CONF_CIPHER_AES256GCM;
	c->chunk_size = 1 << 20;
	c->password = "unit-test-password";
}

/* The text of file PATH (NULL-terminated, allocated). */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = xcalloc(1, 65536);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Set field K of the JSON object in file PATH to V (a JSON text; NULL: drop it). */
static void
edit_json(const char *path, const char *k, const char *v)
{
	json_object *o = json_object_from_file(path);

	assert_non_null(o);
	if (v == NULL)
		json_object_object_del(o, k);
	else
		json_object_object_add(o, k, json_tokener_parse(v));
	assert_int_equal(json_object_to_file(path, o), 0);
	json_object_put(o);
}

/* Run shell command CMD on folder ARG (quoted by CMD itself). */
static void
run(const char *fmt, const char *arg)
{
	char *cmd = xasprintf(fmt, arg);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Field K of the JSON object in file PATH, as a string ("" when absent; allocated). */
static char *
json_field(const char *path, const char *k)
{
	json_object *o = json_object_from_file(path), *v;
	char *s;

	assert_non_null(o);
	v = json_object_object_get(o, k);
	s = xstrdup(v ? json_object_get_string(v) : "");
	json_object_put(o);
	return s;
}

/* The last error logged contains WANT. */
static void
expect_error(const char *want)
{
	char last[1024];

	log_last_error(last, sizeof(last), true);
	if (strstr(last, want) == NULL)
		fail_msg("the error lacks '%s': %s", want, last);
}

/*
 * A config without its MAC and with a doubled chunk size is refused by a
 * repository made by this version, and nothing is written to it.
 */
static void
test_stripped_mac_refused(void **state)
{
	struct conf c;
	char *url, *cfg = xasprintf("%s/strip/config", dir), *before, *after;

	(void)state;
	conf_of(&c, "strip", &url);
	assert_int_equal(repo_init(&c), 0);
	edit_json(cfg, "mac", NULL);
	edit_json(cfg, "chunk_size", "2097152");
	before = slurp(cfg);
	assert_null(repo_open(&c));
	expect_error("has no MAC");
	after = slurp(cfg);
	assert_string_equal(before, after);
	/* The MAC alone stripped, parameters untouched: refused as well. */
	edit_json(cfg, "chunk_size", "1048576");
	assert_null(repo_open(&c));
	free(before);
	free(after);
	free(cfg);
	free(url);
}

/* Another repository's config (same password) is a changed identity, not a wrong password. */
static void
test_swapped_config(void **state)
{
	struct conf a, b;
	char *ua, *ub;

	(void)state;
	conf_of(&a, "a", &ua);
	conf_of(&b, "b", &ub);
	assert_int_equal(repo_init(&a), 0);
	assert_int_equal(repo_init(&b), 0);
	run("cp %1$s/b/config %1$s/a/config", dir);
	assert_null(repo_open(&a));
	expect_error("identity changed");
	free(ua);
	free(ub);
}

/*
 * The exported key records that the config carries a MAC: opened with it,
 * a stripped config is refused even with every key object removed.
 */
static void
test_export_records_mac(void **state)
{
	struct conf c;
	char *url, *cfg = xasprintf("%s/exp/config", dir), *file = xasprintf("%s/exp.key", dir);
	struct repo *r;

	(void)state;
	conf_of(&c, "exp", &url);
	assert_int_equal(repo_init(&c), 0);
	r = repo_open(&c);
	assert_non_null(r);
	assert_int_equal(repo_key_export(r, file), 0);
	repo_close(r);
	run("rm -r %s/exp/keys", dir);
	c.password = NULL;
	c.master_key_file = file;
	r = repo_open(&c);
	assert_non_null(r);
	repo_close(r);
	edit_json(cfg, "mac", NULL);
	assert_null(repo_open(&c));
	expect_error("has no MAC");
	free(cfg);
	free(file);
	free(url);
}

/* The repository of virtvault 0.2 (no MAC, key objects of version 1) opens and is not written. */
static void
test_legacy_opens_untouched(void **state)
{
	struct conf c;
	char *url, *cfg = xasprintf("%s/v1/config", dir), *before, *after;
	struct repo *r;

	(void)state;
	run("cp -a tests/fixtures/repo-v1 %s/v1", dir);
	conf_of(&c, "v1", &url);
	c.password = FIXTURE_PASSWORD;
	before = slurp(cfg);
	r = repo_open(&c);
	assert_non_null(r);
	repo_close(r);
	after = slurp(cfg);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(cfg);
	free(url);
}

/*
 * 'key upgrade' on the legacy repository: the config gets its MAC, the key
 * of the password that opened it becomes one of version 2; from then on a
 * stripped MAC is refused, also with the password of a key of version 1
 * left behind (another key object records the MAC); nothing more to do
 * the second time.
 */
static void
test_upgrade(void **state)
{
	struct conf c;
	struct repo_upgrade u;
	struct repo_key_info *l = NULL;
	size_t n = 0;
	char *url, *cfg = xasprintf("%s/up/config", dir), *key, *field, kid[17];
	struct repo *r;

	(void)state;
	run("cp -a tests/fixtures/repo-v1 %s/up", dir);
	conf_of(&c, "up", &url);
	c.password = FIXTURE_PASSWORD;
	r = repo_open(&c);
	assert_non_null(r);
	/* Before the upgrade, another password gets a key of version 1. */
	assert_int_equal(repo_key_add(r, "second-password", kid), 0);
	assert_int_equal(repo_key_upgrade(r, &u), 0);
	assert_true(u.config);
	assert_string_equal(u.old_kid, "3aa4a00710a1f7ad");
	assert_int_equal(strlen(u.new_kid), 16);
	assert_int_equal(repo_keys_list(r, &l, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l[i].version, strcmp(l[i].kid, kid) == 0 ? 1 : 2);
	free(l);
	repo_close(r);
	field = json_field(cfg, "mac");
	assert_int_equal(strlen(field), 64);
	free(field);
	key = xasprintf("%s/up/keys/%s", dir, u.new_kid);
	field = json_field(key, "repository");
	assert_string_equal(field, "e50fef1a6eeea89b256b5f1cde27c302");
	free(field);
	free(key);
	/* Once is enough. */
	r = repo_open(&c);
	assert_non_null(r);
	assert_int_equal(repo_key_upgrade(r, &u), 0);
	assert_false(u.config);
	assert_string_equal(u.old_kid, "");
	repo_close(r);
	/* The window is closed, for either password. */
	edit_json(cfg, "mac", NULL);
	assert_null(repo_open(&c));
	expect_error("has no MAC");
	c.password = "second-password";
	assert_null(repo_open(&c));
	expect_error("has no MAC");
	free(cfg);
	free(url);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stripped_mac_refused),
		cmocka_unit_test(test_swapped_config),
		cmocka_unit_test(test_export_records_mac),
		cmocka_unit_test(test_legacy_opens_untouched),
		cmocka_unit_test(test_upgrade),
	};

	return cmocka_run_group_tests_name("keys", tests, setup, teardown);
}
