#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"

static double
fake_clock(void *arg)
{
	return *(double *)arg;
}

static void
test_log_lines(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	double now = 100;
	struct progress *p = progress_new("copy vda", 100 << 20, out, 0, false);

	(void)state;
	progress_set_clock(p, fake_clock, &now);
	now = 105;
	progress_add(p, 10 << 20);	/* before the 10 s interval: silent */
	fflush(out);
	assert_int_equal(len, 0);
	now = 110;
	progress_add(p, 40 << 20);	/* 50 MiB in 10 s */
	fflush(out);
	assert_non_null(strstr(buf, "copy vda:  50.0% 50.0 MiB / 100.0 MiB, 5.0 MiB/s, ETA 0:10\n"));
	now = 120;
	progress_set(p, 100 << 20);
	progress_finish(p);
	fclose(out);
	assert_non_null(strstr(buf, "copy vda: 100.0 MiB in 0:20, 5.0 MiB/s\n"));
	assert_null(strchr(buf, '\r'));
	progress_free(p);
	free(buf);
}

/* A total learnt once the work started (a copy's file size) gives an ETA. */
static void
test_total_set_later(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	double now = 0;
	struct progress *p = progress_new("copy vda disk.qcow2", 0, out, 0, false);

	(void)state;
	progress_set_clock(p, fake_clock, &now);
	progress_set_total(p, 200 << 20);
	now = 10;
	progress_add(p, 50 << 20);
	fflush(out);
	assert_non_null(strstr(buf, "copy vda disk.qcow2:  25.0% 50.0 MiB / 200.0 MiB, 5.0 MiB/s, ETA 0:30\n"));
	progress_set_total(NULL, 1);
	fclose(out);
	progress_free(p);
	free(buf);
}

static void
test_tty(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	double now = 0;
	struct progress *p = progress_new("restore", 0, out, 1, false);

	(void)state;
	progress_set_clock(p, fake_clock, &now);
	now = 0.5;
	progress_add(p, 1024);
	fflush(out);
	/* On a terminal the line is redrawn in place; total unknown. */
	assert_non_null(strstr(buf, "\r\033[Krestore: 1.0 KiB / ?, 2.0 KiB/s"));
	progress_finish(p);
	fclose(out);
	progress_free(p);
	free(buf);
}

static void
test_quiet(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	double now = 0;
	struct progress *p = progress_new("x", 10, out, 1, true);

	(void)state;
	progress_set_clock(p, fake_clock, &now);
	now = 50;
	progress_add(p, 5);
	progress_finish(p);
	fclose(out);
	assert_int_equal(len, 0);
	progress_free(p);
	progress_free(NULL);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_total_set_later),
		cmocka_unit_test(test_tty),
		cmocka_unit_test(test_quiet),
	};

	return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
