/*
 * Running a helper program (qemu-img) without a shell: arguments go to
 * execvp as they are, output is captured up to a cap.
 */
#ifndef VV_RUN_H
#define VV_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct run_result {
	int status;		/* exit code, or 128 + signal */
	char *out;		/* standard output, NUL-terminated */
	size_t outlen;
	char *err;		/* standard error, NUL-terminated */
	size_t errlen;
	int truncated;		/* output went past the cap */
};

/*
 * run_child_env: the environment every helper program (qemu-img,
 * qemu-nbd, a hook) gets: only PATH, HOME, USER, LOGNAME, LANG, LC_*, TZ
 * and TMPDIR from ours (never a password or a key: they stay with
 * virtvault), then the "NAME=VALUE" strings of EXTRA (NULL-terminated, or
 * NULL). A new array; free it with run_env_free.
 */
char **run_child_env(const char *const *extra);
void run_env_free(char **env);

/*
 * run_capture: run ARGV[0] (looked up in PATH) with ARGV and the
 * environment of run_child_env, standard input from /dev/null, and
 * capture at most CAP bytes of each output stream. The program dies with
 * the calling thread (SIGKILL through PR_SET_PDEATHSIG): a qemu-img never
 * outlives a virtvault killed with -9.
 * Returns 0 when the program ran (whatever its exit code, in RES->status),
 * -1 when it could not be started or waited for (logged). The caller frees
 * RES with run_result_clear.
 */
int run_capture(char *const argv[], size_t cap, struct run_result *res);

/* run_result_clear: free the captured outputs. */
void run_result_clear(struct run_result *res);

/*
 * run_start: start ARGV[0] (looked up in PATH) in the background, standard
 * input and output on /dev/null, standard error appended to ERRFILE (for
 * the caller to show when the program fails). When BOUND (always, but in
 * the fault build's test of repair) it dies with the calling thread, as
 * with run_capture. Returns its pid, or -1 (logged).
 */
pid_t run_start(char *const argv[], const char *errfile, bool bound);

/*
 * run_exited: whether PID (from run_start) has ended, without waiting; an
 * ended program is reaped. Returns 1, 0 while it runs.
 */
int run_exited(pid_t pid);

/*
 * run_stop: end PID (from run_start): SIGTERM, then SIGKILL after
 * GRACE_MS, and reap it. Safe on a pid run_exited already reaped (-1 given:
 * nothing).
 */
void run_stop(pid_t pid, int grace_ms);

/*
 * run_feed: run ARGV[0] (looked up in PATH) with the environment of
 * run_child_env, INPUT (LEN bytes) on its standard input, its output
 * discarded and the start of its standard error kept in ERR; it is killed
 * after TIMEOUT seconds. Returns 0 with *STATUS (exit code, or 128 +
 * signal), 1 when it was killed for the timeout, -1 when it could not be
 * started (the reason in ERR).
 */
int run_feed(char *const argv[], const char *input, size_t len, unsigned timeout, int *status,
    char *err, size_t errlen);

/*
 * run_shell: run CMD with /bin/sh -c, in its own process group, with the
 * environment of run_child_env(VARS), standard input from /dev/null, and
 * wait for it at most TIMEOUT seconds (then it is killed, group and all).
 * Returns 0 with *STATUS (exit code, or 128 + signal), 1 when it was
 * killed for the timeout, -1 when it could not be started (logged).
 */
int run_shell(const char *cmd, const char *const *vars, unsigned timeout, int *status);

#endif
