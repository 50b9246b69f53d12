#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "agent/overlay.h"

static void
test_names(void **state)
{
	char *p;

	(void)state;
	p = overlay_path("/vm/web1.qcow2", "", "20261125T220000");
	assert_string_equal(p, "/vm/web1.qcow2.virtvault-overlay-20261125T220000");
	assert_true(overlay_is_ours(p));
	assert_true(overlay_is_ours_of("web1.qcow2.virtvault-overlay-20261125T220000", "/vm/web1.qcow2"));
	assert_false(overlay_is_ours_of("web1.qcow2.virtvault-overlay-20261125T220000", "/vm/web1"));
	free(p);
	p = overlay_path("/vm/web1.qcow2", "/srv/ovl/", "S");
	assert_string_equal(p, "/srv/ovl/web1.qcow2.virtvault-overlay-S");
	free(p);
	p = overlay_path("web1.raw", NULL, "S");
	assert_string_equal(p, "web1.raw.virtvault-overlay-S");
	free(p);
	assert_false(overlay_is_ours("/vm/web1.qcow2"));
	assert_false(overlay_is_ours("/vm.virtvault-overlay-x/web1.qcow2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("overlay", tests, NULL, NULL);
}
