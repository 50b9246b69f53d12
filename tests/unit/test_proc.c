#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/proc.h"
#include "common/run.h"

/* A child that sleeps until killed: "sleep 300", started like a reader. */
static pid_t
start_sleeper(void)
{
	char *argv[] = { "sleep", "300", NULL };
	pid_t pid = run_start(argv, "/dev/null", true);

	assert_true(pid > 0);
	return pid;
}

/* Identity: the pid, its start time, its program and one argument. */
static void
test_proc_is(void **state)
{
	unsigned long long start = 0, again = 0;
	pid_t pid = start_sleeper();

	(void)state;
	assert_int_equal(proc_start_time(pid, &start), 0);
	assert_int_equal(proc_start_time(pid, &again), 0);
	assert_true(start == again);
	assert_int_equal(proc_is(pid, start, "sleep", "300"), 1);
	/* Another process given the pid since: another start time. */
	assert_int_equal(proc_is(pid, start + 1, "sleep", "300"), 0);
	/* Not the program, or not on that image. */
	assert_int_equal(proc_is(pid, start, "qemu-nbd", "300"), 0);
	assert_int_equal(proc_is(pid, start, "sleep", "/some/image.qcow2"), 0);
	/* The program's name is not one of its arguments. */
	assert_int_equal(proc_is(pid, start, "sleep", "sleep"), 0);
	run_stop(pid, 1000);
	assert_int_equal(proc_start_time(pid, &again), -1);
	assert_int_equal(proc_is(pid, start, "sleep", "300"), 0);
	assert_int_equal(proc_start_time(-1, &again), -1);
}

/* proc_end stops the process it identified, and leaves another alone. */
static void
test_proc_end(void **state)
{
	unsigned long long start = 0, now = 0;
	pid_t pid = start_sleeper();
	int st;

	(void)state;
	assert_int_equal(proc_start_time(pid, &start), 0);
	/* A start time that is not this process's: nothing is signalled. */
	assert_int_equal(proc_end(pid, start + 1, 100), 0);
	assert_int_equal(proc_start_time(pid, &now), 0);
	assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
	/* Ours is a child: it becomes a zombie, which counts as gone. */
	assert_int_equal(proc_end(pid, start, 2000), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

/* A program that cannot be started is said so, not a zombie pid. */
static void
test_run_start_missing(void **state)
{
	char *argv[] = { "virtvault-no-such-program", NULL };

	(void)state;
	assert_int_equal(run_start(argv, "/dev/null", true), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_is),
		cmocka_unit_test(test_proc_end),
		cmocka_unit_test(test_run_start_missing),
	};

	return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
