/*
 * Shared by the libFuzzer targets (make fuzz): quiet logging, and the
 * input as a NUL-terminated string for parsers of text.
 */
#ifndef VV_FUZZ_H
#define VV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Errors are the expected outcome of most inputs: none is printed. */
static inline void
fuzz_quiet(void)
{
	log_setup("fuzz", (enum log_level)-1, false);
}

/* A target whose only set-up is quiet logging. */
#define FUZZ_QUIET_INIT                                       \
	int                                                   \
	LLVMFuzzerInitialize(int *argc, char ***argv)         \
	{                                                     \
		(void)argc, (void)argv;                       \
		fuzz_quiet();                                 \
		return 0;                                     \
	}

/* DATA as a new NUL-terminated string (an inner NUL ends it early). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
