#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/qemu_account.h"

/* qemu.conf texts and what libvirt would take from them. */
static const struct {
	const char *text, *user, *group;
	int rc;
} cases[] = {
	/* As Debian ships it: everything commented out. */
	{ "# The user for QEMU processes\n#user = \"libvirt-qemu\"\n#group = \"libvirt-qemu\"\n", "", "", 0 },
	{ "user = \"qemu\"\ngroup = \"kvm\"\n", "qemu", "kvm", 0 },
	{ "  user=\"+0\"   # root\n\tgroup = '+107'\n", "+0", "+107", 0 },
	/* Keys that only start alike are other keys. */
	{ "user_xattr = 1\ngroupies = \"x\"\nuser = \"a\"\n", "a", "", 0 },
	/* The last line, without a newline. */
	{ "group = \"g\"", "", "g", 0 },
	{ "user = qemu\n", "", "", -1 },
	{ "user = \"qemu\n", "", "", -1 },
	{ "", "", "", 0 },
};

static void
test_parse_table(void **state)
{
	char user[16], group[16], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = qemu_account_parse(cases[i].text, user, group, sizeof(user), err, sizeof(err));

		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_string_equal(user, cases[i].user);
			assert_string_equal(group, cases[i].group);
		}
	}
}

static void
test_parse_too_long(void **state)
{
	char user[8], group[8], err[256];

	(void)state;
	assert_int_equal(qemu_account_parse("user = \"abcdefgh\"\n", user, group, sizeof(user), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 7 bytes"));
	assert_int_equal(qemu_account_parse("user = \"abcdefg\"\n", user, group, sizeof(user), err,
	    sizeof(err)), 0);
	assert_string_equal(user, "abcdefg");
}

/* find over a file holding TEXT: its return, the ids in *UID and *GID. */
static int
find_in(const char *text, uid_t *uid, gid_t *gid)
{
	char path[] = "/tmp/vv-qemuconf.XXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = qemu_account_find(path, uid, gid);
	unlink(path);
	return rc;
}

static void
test_find(void **state)
{
	uid_t uid = 7;
	gid_t gid = 7;

	(void)state;
	assert_int_equal(find_in("user = \"+0\"\ngroup = \"+0\"\n", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	assert_int_equal(find_in("user = \"root\"\ngroup = \"root\"\n", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	/* A name no account has that is a number: that id, as libvirt takes it. */
	assert_int_equal(find_in("user = \"4242\"\ngroup = \"+4343\"\n", &uid, &gid), 0);
	assert_int_equal(uid, 4242);
	assert_int_equal(gid, 4343);
	assert_int_equal(find_in("user = \"no-such-account-vv\"\n", &uid, &gid), -1);
	assert_int_equal(find_in("user = \"root\"\ngroup = \"no-such-group-vv\"\n", &uid, &gid), -1);
	assert_int_equal(find_in("user = \"+x\"\n", &uid, &gid), -1);
	assert_int_equal(find_in("user = root\n", &uid, &gid), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
