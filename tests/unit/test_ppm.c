/*
 * A screenshot saved as PNG (common/ppm.c): a PPM converted (read back
 * with libpng), a PNG copied as it is, anything else refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ppm.h"
#include "common/util.h"
#include "tests/fakes/tmpdir.h"

static char dir[] = "/tmp/vv-test-ppm.XXXXXX";

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A 3x2 PPM with a comment: its pixels come back from the PNG, row by row. */
static void
test_ppm_converted(void **state)
{
	static const char ppm[] = "P6\n# QEMU\n3 2\n255\n"
	    "\xff\x00\x00" "\x00\xff\x00" "\x00\x00\xff"
	    "\x10\x20\x30" "\x40\x50\x60" "\x70\x80\x90";
	char *in = xasprintf("%s/a.ppm", dir), *out = xasprintf("%s/a.png", dir);
	png_image img;
	unsigned char px[18];

	(void)state;
	write_file(in, ppm, sizeof(ppm) - 1);
	assert_int_equal(ppm_to_png(in, out), 0);
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_file(&img, out));
	assert_int_equal(img.width, 3);
	assert_int_equal(img.height, 2);
	img.format = PNG_FORMAT_RGB;
	assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
	assert_memory_equal(px, ppm + strlen("P6\n# QEMU\n3 2\n255\n"), 18);
	free(in);
	free(out);
}

/* A PNG (what QEMU 7 gives) is copied byte for byte. */
static void
test_ppm_png_copied(void **state)
{
	static const char png[] = "\x89PNG\r\n\x1a\n rest of a picture";
	char *in = xasprintf("%s/b.img", dir), *out = xasprintf("%s/b.png", dir), buf[64];
	FILE *f;
	size_t n;

	(void)state;
	write_file(in, png, sizeof(png) - 1);
	assert_int_equal(ppm_to_png(in, out), 0);
	f = fopen(out, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, sizeof(png) - 1);
	assert_memory_equal(buf, png, n);
	free(in);
	free(out);
}

/* Not a picture, a truncated one, a header beyond any screen: refused, nothing left. */
static void
test_ppm_refused(void **state)
{
	static const struct {
		const char *data;
		size_t len;
	} bad[] = {
		{ "GIF89a", 6 },
		{ "P6\n3 2\n255\n\xff\x00", 13 },
		{ "P6\n99999 2\n255\n", 15 },
		{ "P6\n3 2\n65535\n", 13 },
		{ "P3\n1 1\n255\n0 0 0\n", 17 },
	};
	char *in = xasprintf("%s/c.ppm", dir), *out = xasprintf("%s/c.png", dir);
	char *tmp = xasprintf("%s.tmp", out);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(in, bad[i].data, bad[i].len);
		if (ppm_to_png(in, out) != -1)
			fail_msg("case %zu was converted", i);
		assert_int_not_equal(access(out, F_OK), 0);
		assert_int_not_equal(access(tmp, F_OK), 0);
	}
	free(in);
	free(out);
	free(tmp);
}

TMPDIR_FIXTURES(dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ppm_converted),
		cmocka_unit_test(test_ppm_png_copied),
		cmocka_unit_test(test_ppm_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
