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
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
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
	assert_int_equal(tmpdir_edit_json(path, k, v), 0);
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

/* Field K of store S's config object set to V (a JSON text), written back. */
static void
store_config_set(struct store *s, const char *k, const char *v)
{
	void *buf = NULL;
	size_t len = 0;
	json_object *o;
	const char *text;

	assert_int_equal(store_get(s, "config", &buf, &len, 1 << 20), 0);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	json_object_object_add(o, k, json_tokener_parse(v));
	text = json_object_to_json_string(o);
	assert_int_equal(store_put(s, "config", text, strlen(text), 0), 0);
	json_object_put(o);
	free(buf);
}

/* Field K of store S's config object, as an integer (-1: absent). */
static int64_t
store_config_int(struct store *s, const char *k)
{
	void *buf = NULL;
	size_t len = 0;
	json_object *o, *v;
	int64_t n = -1;

	assert_int_equal(store_get(s, "config", &buf, &len, 1 << 20), 0);
	o = json_tokener_parse(buf);
	if (json_object_object_get_ex(o, k, &v))
		n = json_object_get_int64(v);
	json_object_put(o);
	free(buf);
	return n;
}

/*
 * A config object changed in the store after this process opened the
 * repository is never overwritten: neither `key upgrade` (which would
 * authenticate parameters nobody checked) nor a format upgrade writes it;
 * both name the change. Unchanged, both write.
 */
static void
test_config_changed_while_open(void **state)
{
	struct conf c;
	struct repo_upgrade u;
	char *url, *cfg = xasprintf("%s/chg/config", dir), *before, *after;
	struct repo *r;

	(void)state;
	run("cp -a tests/fixtures/repo-v1 %s/chg", dir);
	conf_of(&c, "chg", &url);
	c.password = FIXTURE_PASSWORD;
	r = repo_open(&c);
	assert_non_null(r);
	edit_json(cfg, "chunk_size", "2097152");
	before = slurp(cfg);
	assert_int_equal(repo_key_upgrade(r, &u), -1);
	expect_error("the config object changed while it was open: nothing written");
	after = slurp(cfg);
	assert_string_equal(before, after);
	repo_close(r);
	free(after);
	/* A MAC written by someone else meanwhile: not authenticated twice. */
	edit_json(cfg, "chunk_size", "1048576");
	r = repo_open(&c);
	assert_non_null(r);
	edit_json(cfg, "mac", "\"00\"");
	assert_int_equal(repo_key_upgrade(r, &u), -1);
	expect_error("changed while it was open");
	repo_close(r);
	free(before);
	free(cfg);
	free(url);

	/* A format upgrade (2 to 3) of a config whose version moved meanwhile. */
	memrepo_conf(&c, NULL);
	r = memrepo_new_format(&c, 2);
	assert_non_null(r);
	store_config_set(repo_store(r), "chunk_size", "8192");
	assert_int_equal(repo_upgrade_format(r), -1);
	expect_error("changed while it was open");
	assert_int_equal(store_config_int(repo_store(r), "version"), 2);
	store_config_set(repo_store(r), "chunk_size", "4096");
	assert_int_equal(repo_upgrade_format(r), 1);
	assert_int_equal(store_config_int(repo_store(r), "version"), 3);
	assert_int_equal(repo_version(r), 3);
	repo_close(r);
}

/* Whether the repository of R's store opens with PASSWORD (a copy, without faults). */
static bool
opens_with(struct repo *r, char *password)
{
	struct conf c;
	struct repo *o;

	memrepo_conf(&c, password);
	memrepo_quiet();
	o = repo_open_in(&c, store_mem_clone(repo_store(r)));
	memrepo_loud();
	repo_close(o);
	return o != NULL;
}

enum key_op { KEY_ADD, KEY_PASSWD, KEY_REMOVE };

/*
 * Every store call of key add, passwd and remove fails once (KIND) over
 * the in-memory store: the password that opened the repository, or the
 * new one where passwd succeeded, still opens it; what succeeded is done.
 */
static void
key_faults(enum store_mem_fault kind, const char *what)
{
	static const char *const ops[] = { "put", "del", "list", "get" };
	static char pw1[] = "password-one", pw2[] = "password-two", pw3[] = "password-three";

	for (int op = KEY_ADD; op <= KEY_REMOVE; op++) {
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
			/* Only the calls each makes (scrypt makes every run cost). */
			if ((op == KEY_ADD && o != 0) || (op == KEY_PASSWD && o > 1) ||
			    (op == KEY_REMOVE && o == 0))
				continue;
			for (unsigned long n = 1; n <= 2; n++) {
				struct conf c;
				struct repo *r;
				char kid[17], ctx[96];
				int rc;

				snprintf(ctx, sizeof(ctx), "%s at %s %lu of %s", what, ops[o], n,
				    op == KEY_ADD ? "add" : op == KEY_PASSWD ? "passwd" : "remove");
				memrepo_conf(&c, pw1);
				r = memrepo_new(&c);
				assert_non_null(r);
				assert_int_equal(repo_key_add(r, pw2, kid), 0);
				store_mem_fault(repo_store(r), ops[o], n, kind);
				memrepo_quiet();
				rc = op == KEY_ADD ? repo_key_add(r, pw3, kid) :
				    op == KEY_PASSWD ? repo_key_passwd(r, pw3, kid) : repo_key_remove(r, kid);
				memrepo_loud();
				store_mem_clear_faults(repo_store(r));
				if (op != KEY_PASSWD && !opens_with(r, pw1))
					fail_msg("%s: the old password no longer opens it", ctx);
				if (op == KEY_PASSWD && !opens_with(r, pw1) && !opens_with(r, pw3))
					fail_msg("%s: neither password opens it", ctx);
				if (rc == 0 && op != KEY_REMOVE && !opens_with(r, pw3))
					fail_msg("%s: the new password does not open it", ctx);
				if (rc == 0 && op == KEY_REMOVE && opens_with(r, pw2))
					fail_msg("%s: the removed key still opens it", ctx);
				repo_close(r);
			}
		}
	}
}

static void
test_key_fail_at_every_call(void **state)
{
	(void)state;
	key_faults(STORE_MEM_FAIL, "failure");
}

static void
test_key_fail_after_at_every_call(void **state)
{
	(void)state;
	key_faults(STORE_MEM_FAIL_AFTER, "failure after the deed");
}

TMPDIR_FIXTURES(dir)

/* The other process of a race: removes key KID of repository R. */
struct other_remove {
	struct repo *r;
	const char *kid;
	int rc;
};

static void
other_remove(struct store *s, void *arg)
{
	struct other_remove *o = arg;

	(void)s;
	o->rc = repo_key_remove(o->r, o->kid);
}

/*
 * Two processes, each opened with one of the two keys, each remove the
 * other's key at once: A lists two keys, then, just before A deletes key
 * 2, B (which also sees two) deletes key 1. A key must be left that
 * opens the repository, and the removal that would have emptied it fails.
 */
static void
test_remove_race(void **state)
{
	static char pw1[] = "password-one", pw2[] = "password-two";
	struct other_remove b = { 0 };
	struct conf ca, cb;
	struct repo *a;
	char kid1[17], kid2[17];
	int rc;

	(void)state;
	memrepo_conf(&ca, pw1);
	a = memrepo_new(&ca);
	assert_non_null(a);
	snprintf(kid1, sizeof(kid1), "%s", repo_key_current(a));
	assert_int_equal(repo_key_add(a, pw2, kid2), 0);
	memrepo_conf(&cb, pw2);
	b.r = repo_open_in(&cb, store_mem_share(repo_store(a)));
	assert_non_null(b.r);
	assert_string_equal(repo_key_current(b.r), kid2);
	b.kid = kid1;
	b.rc = 99;
	store_mem_on_call(repo_store(a), "del", 1, other_remove, &b);
	memrepo_quiet();
	rc = repo_key_remove(a, kid2);
	memrepo_loud();
	assert_int_equal(b.rc, 0);
	assert_int_equal(rc, -1);
	expect_error("put back");
	assert_int_equal(store_mem_count(repo_store(a), "keys/"), 1);
	assert_true(opens_with(a, pw2));
	assert_false(opens_with(a, pw1));
	repo_close(b.r);
	repo_close(a);
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
		cmocka_unit_test(test_config_changed_while_open),
		cmocka_unit_test(test_key_fail_at_every_call),
		cmocka_unit_test(test_key_fail_after_at_every_call),
		cmocka_unit_test(test_remove_race),
	};

	return cmocka_run_group_tests_name("keys", tests, setup, teardown);
}
