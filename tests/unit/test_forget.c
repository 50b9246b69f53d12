/*
 * Forget over the in-memory store: a keep policy applied to a group, and
 * a failure (or one after the deed) at every store call of selecting and
 * removing: a kept snapshot is never removed, a failed selection removes
 * nothing, and what forget says it removed is gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/forget.h"
#include "repo/layout.h"
#include "tests/fakes/memrepo.h"
#include "tests/fakes/store_mem.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-forget.XXXXXX";
static const time_t t0 = 1795564800;	/* 2026-11-25T00:00:00Z */

/* Five snapshots of "a", an hour apart, listed in pages of 2. */
static struct repo *
scene(struct conf *c)
{
	char *f = memrepo_file(dir, "f", 2 * 4096, 1);
	struct repo *r;

	memrepo_conf(c, NULL);
	r = memrepo_new(c);
	assert_non_null(r);
	for (int i = 0; i < 5; i++)
		assert_int_equal(memrepo_backup(r, "a", f, t0 + 3600 * i), 0);
	store_mem_page(repo_store(r), 2);
	free(f);
	return r;
}

/* Whether the snapshot made at T is there. */
static bool
has(struct repo *r, time_t t)
{
	struct strlist keys = { 0 };
	bool found = false;

	assert_int_equal(store_list(repo_store(r), "snapshots/unit/a/", &keys), 0);
	for (size_t i = 0; i < keys.n && !found; i++) {
		struct manifest *m = NULL;

		if (manifest_load(r, keys.v[i], &m) == 0) {
			found = m->when == t;
			manifest_free(m);
		}
	}
	strlist_clear(&keys);
	return found;
}

static const char *const ops[] = { "list", "get", "del" };

static void
fault_at_every_call(enum store_mem_fault kind, const char *what)
{
	struct keep_policy keep = { .last = 2 };

	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (unsigned long n = 1; n <= 6; n++) {
			struct conf c;
			struct repo *r = scene(&c);
			struct forget_plan plan;
			char ctx[96];
			int rc;
			size_t failed = 0;

			snprintf(ctx, sizeof(ctx), "%s at %s %lu", what, ops[o], n);
			store_mem_fault(repo_store(r), ops[o], n, kind);
			memrepo_quiet();
			rc = forget_select(r, "unit", NULL, NULL, &keep, "UTC", &plan);
			if (rc == 0)
				failed = forget_remove(r, &plan);
			memrepo_loud();
			store_mem_clear_faults(repo_store(r));
			if (!has(r, t0 + 4 * 3600) || !has(r, t0 + 3 * 3600))
				fail_msg("%s: a kept snapshot was removed", ctx);
			if (rc != 0 && store_mem_count(repo_store(r), LAYOUT_SNAPSHOTS) != 5)
				fail_msg("%s: a failed selection removed something", ctx);
			if (rc == 0) {
				assert_int_equal(plan.nremove, 3);
				for (size_t i = 0; i < plan.n; i++)
					if (plan.items[i].removed && has(r, plan.items[i].m->when))
						fail_msg("%s: a snapshot said removed is there", ctx);
				if (failed == 0 && store_mem_count(repo_store(r), LAYOUT_SNAPSHOTS) != 2)
					fail_msg("%s: forget said it removed all", ctx);
				forget_plan_free(&plan);
			}
			repo_close(r);
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

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_at_every_call),
		cmocka_unit_test(test_fail_after_at_every_call),
	};

	return cmocka_run_group_tests_name("forget", tests, setup, teardown);
}
