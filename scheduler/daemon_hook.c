/*
 * Programs the daemon runs in the background with a deadline: the jobs'
 * on_success/on_failure hooks (which hook, and its environment, are
 * jobrun's), and a run's message being sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/run.h"
#include "scheduler/daemon_int.h"

int
daemon_hook_track(struct hooks *hs, pid_t pid, unsigned long long timeout, const char *job,
    const char *domain, const char *what)
{
	struct hook *h;

	if (hs->n >= MAX_HOOKS)
		return -1;
	h = &hs->v[hs->n++];
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->timeout = timeout;
	h->deadline = clock_mono() + (double)timeout;
	snprintf(h->job, sizeof(h->job), "%s", job);
	snprintf(h->domain, sizeof(h->domain), "%s", domain);
	snprintf(h->what, sizeof(h->what), "%s", what);
	return 0;
}

void
daemon_hook_start(struct hooks *hs, const char *cmd, const struct run_record *r, uint64_t timeout,
    const char *what)
{
	pid_t pid;

	if (hs->n >= MAX_HOOKS) {
		log_error("job %s, domain %s: %zu hooks run already; the %s hook is skipped", r->job,
		    r->domain, hs->n, what);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_error("job %s: cannot run its %s hook: %s", r->job, what, strerror(errno));
		return;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		sigprocmask(SIG_SETMASK, hs->oldmask, NULL);
		dup2(nul, 0);
		/* Only the documented variables: no password or key of ours. */
		{
			char **vars = state_run_hook_vars(r);
			char **env = run_child_env((const char *const *)vars);

			setpgid(0, 0);
			execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env);
		}
		_exit(127);
	}
	daemon_hook_track(hs, pid, (unsigned long long)timeout, r->job, r->domain, what);
}

void
daemon_hook_reap(struct hooks *hs)
{
	double now = clock_mono();

	for (size_t i = 0; i < hs->n;) {
		struct hook *h = &hs->v[i];
		int st;
		pid_t w = waitpid(h->pid, &st, WNOHANG);

		if (w == 0 && now > h->deadline) {
			kill(-h->pid, SIGKILL);
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			log_error("job %s, domain %s: the %s hook ran over %llus and was killed", h->job,
			    h->domain, h->what, h->timeout);
		} else if (w == h->pid) {
			/* A message not delivered was logged by its sender. */
			if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && strcmp(h->what, "notify") != 0)
				log_error("job %s, domain %s: the %s hook failed (%s %d)", h->job,
				    h->domain, h->what, WIFEXITED(st) ? "exit" : "signal",
				    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		} else if (w == 0) {
			i++;
			continue;
		}
		/* Ended (or lost: waitpid failed); the slot is free. */
		*h = hs->v[--hs->n];
	}
}
