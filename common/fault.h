/*
 * The fault hooks of the test build only (build/virtvault-faults, whose
 * files in the Makefile's FAULT_SRC are compiled with VV_FAULT_HOOKS; the
 * shipped binary has none: tests/integration/t_config.sh checks it). One
 * mechanism for every layer: with VIRTVAULT_TEST_STALL=POINT, the program
 * stops at POINT, writes "POINT PID" into a marker file and waits until
 * the file is removed (or CANCEL is set), so that a test can act in that
 * window: kill it, change the domain under it, run a prune beside it.
 *
 * The marker is the file the caller names (a backup: STATE/stall.DOMAIN),
 * or else VIRTVAULT_TEST_STALL_MARKER.
 */
#ifndef VV_FAULT_H
#define VV_FAULT_H

#include <signal.h>
#include <stdbool.h>

#ifdef VV_FAULT_HOOKS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fault_wanted: whether the test asks to stop at POINT. */
static inline bool
fault_wanted(const char *point)
{
	const char *want = getenv("VIRTVAULT_TEST_STALL");

	return want != NULL && strcmp(want, point) == 0;
}

/* fault_stall: stop at POINT when asked, as said above. */
static inline void
fault_stall(const char *point, const char *marker, const volatile sig_atomic_t *cancel)
{
	FILE *f;

	if (!fault_wanted(point))
		return;
	if (marker == NULL)
		marker = getenv("VIRTVAULT_TEST_STALL_MARKER");
	if (marker == NULL)
		return;
	f = fopen(marker, "w");
	if (f != NULL) {
		fprintf(f, "%s %d\n", point, (int)getpid());
		fclose(f);
	}
	while (access(marker, F_OK) == 0 && !(cancel && *cancel))
		usleep(50000);
	unlink(marker);
}
#else
static inline bool
fault_wanted(const char *point)
{
	(void)point;
	return false;
}

static inline void
fault_stall(const char *point, const char *marker, const volatile sig_atomic_t *cancel)
{
	(void)point, (void)marker, (void)cancel;
}
#endif

#endif
