/*
 * The repository's fault hook, in the test build only (build/virtvault-
 * faults, compiled with VV_FAULT_HOOKS; the shipped binary has none): with
 * VIRTVAULT_TEST_STALL=POINT, the run stops at POINT, creates the file
 * VIRTVAULT_TEST_STALL_MARKER and waits until it is removed, so that a test
 * can act in that window (a prune while a backup holds its listing, a
 * kill -9 between prune's deletions).
 */
#ifndef VV_REPO_STALL_H
#define VV_REPO_STALL_H

#ifdef VV_FAULT_HOOKS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void
repo_stall_point(const char *point)
{
	const char *want = getenv("VIRTVAULT_TEST_STALL");
	const char *marker = getenv("VIRTVAULT_TEST_STALL_MARKER");
	FILE *f;

	if (want == NULL || strcmp(want, point) != 0 || marker == NULL)
		return;
	f = fopen(marker, "w");
	if (f != NULL)
		fclose(f);
	while (access(marker, F_OK) == 0)
		usleep(50000);
}
#else
static inline void
repo_stall_point(const char *point)
{
	(void)point;
}
#endif

#endif
