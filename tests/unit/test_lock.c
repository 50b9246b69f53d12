/*
 * Repository locks over the in-memory store (test_store.c has the file
 * store's: conflicts, a lock removed under its holder, a dead process,
 * a planted lock from the future): locks of other hosts, stale or
 * refreshed, and a failure (or one after the deed) at every store call of
 * taking, checking and releasing a lock.
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
#include "repo/layout.h"
#include "repo/lock.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"

/* Put a lock of KIND at KEY of host HOST (another machine), created and
 * refreshed AGO seconds ago. */
static void
plant(struct repo *r, const char *key, const char *kind, long created_ago, long refreshed_ago)
{
	char c[UTIL_UTC_LEN], f[UTIL_UTC_LEN];
	char *text;

	util_format_utc(time(NULL) - created_ago, c, sizeof(c));
	util_format_utc(time(NULL) - refreshed_ago, f, sizeof(f));
	text = xasprintf("{\"kind\":\"%s\",\"host\":\"other\",\"boot_id\":\"not-this-machine\","
	    "\"pid\":999999,\"what\":\"backup web1\",\"created\":\"%s\",\"refreshed\":\"%s\"}",
	    kind, c, f);
	assert_int_equal(store_put(repo_store(r), key, text, strlen(text), 0), 0);
	free(text);
}

static struct repo *
scene(struct conf *c)
{
	struct repo *r;

	memrepo_conf(c, NULL);
	r = memrepo_new(c);
	assert_non_null(r);
	return r;
}

/*
 * Another host's lock: its pid means nothing here (no such process on
 * this machine, still not stale); refreshed long after it was made, it
 * holds; not refreshed for the stale bound, it blocks nobody.
 */
static void
test_foreign_locks(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct repo_lock *l = NULL;
	struct repo_lock_info *info = NULL;
	size_t n = 0;

	(void)state;
	plant(r, "locks/0001", "exclusive", 86400, 10);
	assert_int_equal(repo_locks_list(r, &info, &n), 0);
	assert_int_equal(n, 1);
	assert_false(info[0].stale);
	assert_string_equal(info[0].host, "other");
	free(info);
	memrepo_quiet();
	assert_int_equal(repo_lock_take(r, REPO_LOCK_SHARED, "backup", &l), VV_BUSY);
	memrepo_loud();
	assert_null(l);
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_LOCKS), 1);
	/* Stale by its times: not refreshed for more than REPO_LOCK_STALE. */
	plant(r, "locks/0001", "exclusive", 86400, REPO_LOCK_STALE + 60);
	assert_int_equal(repo_locks_list(r, &info, &n), 0);
	assert_true(info[0].stale);
	assert_non_null(strstr(info[0].why, "not refreshed for"));
	free(info);
	assert_int_equal(repo_lock_take(r, REPO_LOCK_EXCLUSIVE, "prune", &l), 0);
	assert_int_equal(repo_lock_check(l), 0);
	repo_lock_release(l);
	/* Only the stale one is left. */
	assert_int_equal(store_mem_count(repo_store(r), LAYOUT_LOCKS), 1);
	repo_close(r);
}

static const char *const ops[] = { "list", "get", "put", "del" };

/*
 * Every store call of taking a shared lock, checking it and releasing it
 * fails once (KIND), with another host's fresh shared lock and a stale
 * exclusive one about. A failed take leaves no lock of ours; a lock taken
 * and checked is there; a release leaves nothing unless its delete failed.
 * With another host's fresh exclusive lock, no shared lock is ever had.
 */
static void
fault_at_every_call(enum store_mem_fault kind, const char *what)
{
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (unsigned long n = 1; n <= 6; n++) {
			for (int busy = 0; busy <= 1; busy++) {
				struct conf c;
				struct repo *r = scene(&c);
				struct repo_lock *l = NULL;
				char ctx[96];
				int rc, checked = -1;
				size_t left;

				snprintf(ctx, sizeof(ctx), "%s at %s %lu%s", what, ops[o], n,
				    busy ? " (an exclusive lock held)" : "");
				plant(r, "locks/0001", "shared", 600, 10);
				plant(r, "locks/0002", "exclusive", 86400, REPO_LOCK_STALE + 60);
				if (busy)
					plant(r, "locks/0003", "exclusive", 60, 10);
				store_mem_fault(repo_store(r), ops[o], n, kind);
				memrepo_quiet();
				rc = repo_lock_take(r, REPO_LOCK_SHARED, "backup", &l);
				if (rc == 0)
					checked = repo_lock_check(l);
				memrepo_loud();
				if (busy && rc == 0)
					fail_msg("%s: a shared lock was had beside an exclusive one", ctx);
				left = store_mem_count(repo_store(r), LAYOUT_LOCKS) - 2 - busy;
				/* Unless deleting it failed: then it is its process's, stale when it ends. */
				if (rc != 0 && left != 0 &&
				    !(kind == STORE_MEM_FAIL && strcmp(ops[o], "del") == 0))
					fail_msg("%s: a failed take left its lock", ctx);
				if (rc == 0 && checked == 0 && left != 1)
					fail_msg("%s: a lock checked is not there", ctx);
				memrepo_quiet();
				repo_lock_release(l);
				memrepo_loud();
				left = store_mem_count(repo_store(r), LAYOUT_LOCKS) - 2 - busy;
				if (left != 0 && !(kind == STORE_MEM_FAIL && strcmp(ops[o], "del") == 0))
					fail_msg("%s: a released lock is still there", ctx);
				repo_close(r);
			}
		}
	}
}

static void
test_fail_at_every_call(void **state)
{
	(void)state;
	fault_at_every_call(STORE_MEM_FAIL, "failure");
}

static void
test_fail_after_at_every_call(void **state)
{
	(void)state;
	fault_at_every_call(STORE_MEM_FAIL_AFTER, "failure after the deed");
}

/* A listing in pages that changes between them: a lock published meanwhile counts or not, none is lost. */
static void
add_lock(struct store *s, void *arg)
{
	(void)s;
	plant(arg, "locks/0000", "exclusive", 60, 10);
	plant(arg, "locks/zzzz", "exclusive", 60, 10);
}

static void
test_listing_changes(void **state)
{
	struct conf c;
	struct repo *r = scene(&c);
	struct repo_lock *l = NULL;

	(void)state;
	store_mem_page(repo_store(r), 1);
	plant(r, "locks/0001", "shared", 60, 10);
	plant(r, "locks/0002", "shared", 60, 10);
	/* Before the second page of the listing of the take: the lock after
	 * the cursor is seen, so the exclusive lock is refused. */
	store_mem_on_call(repo_store(r), "list", 2, add_lock, r);
	memrepo_quiet();
	assert_int_equal(repo_lock_take(r, REPO_LOCK_SHARED, "backup", &l), VV_BUSY);
	memrepo_loud();
	repo_close(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreign_locks),
		cmocka_unit_test(test_listing_changes),
		cmocka_unit_test(test_fail_at_every_call),
		cmocka_unit_test(test_fail_after_at_every_call),
	};

	return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
