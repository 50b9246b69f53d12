#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agent/qimg.h"

static void
free_chain(struct domxml_image *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].path);
		free(c[i].format);
	}
	free(c);
}

static void
test_chain_json(void **state)
{
	/* As qemu-img 7.2 prints it, shortened. */
	static const char text[] =
	    "[\n"
	    "    {\n"
	    "        \"virtual-size\": 67108864,\n"
	    "        \"filename\": \"/vm/a.ovl\",\n"
	    "        \"format\": \"qcow2\",\n"
	    "        \"backing-filename\": \"a.qcow2\",\n"
	    "        \"full-backing-filename\": \"/vm/a.qcow2\",\n"
	    "        \"backing-filename-format\": \"qcow2\"\n"
	    "    },\n"
	    "    {\n"
	    "        \"virtual-size\": 67108864,\n"
	    "        \"filename\": \"/vm/a.qcow2\",\n"
	    "        \"format\": \"qcow2\"\n"
	    "    }\n"
	    "]\n";
	struct domxml_image *c = NULL;
	size_t n = 0;
	char err[256];

	(void)state;
	assert_int_equal(qimg_chain_parse(text, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].path, "/vm/a.ovl");
	assert_string_equal(c[0].format, "qcow2");
	assert_string_equal(c[1].path, "/vm/a.qcow2");
	assert_int_equal(c[1].type, DOMXML_FILE);
	free_chain(c, n);

	assert_int_equal(qimg_chain_parse("{\"filename\": \"/x.raw\", \"format\": \"raw\"}",
	    &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].format, "raw");
	free_chain(c, n);
}

static void
test_bad_json(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "[{\"filename\": ", "malformed JSON" },
		{ "42", "not an image list" },
		{ "[]", "listed no image" },
		{ "[{\"format\": \"raw\"}]", "without a filename" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "malformed JSON" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct domxml_image *c = NULL;
		size_t n = 0;
		char err[256] = "";

		assert_int_equal(qimg_chain_parse(cases[i].text, &c, &n, err, sizeof(err)), -1);
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_json),
		cmocka_unit_test(test_bad_json),
	};

	return cmocka_run_group_tests_name("qimg", tests, NULL, NULL);
}
