/* Temporary folders, and the files in them, for unit tests. */
#ifndef VV_TMPDIR_H
#define VV_TMPDIR_H

/* tmpdir_remove: remove DIR and everything below it. Returns 0 or -1. */
int tmpdir_remove(const char *dir);

/*
 * TMPDIR_FIXTURES(DIR): the static cmocka group fixtures setup() and
 * teardown() of a test binary whose tests share folder DIR (a char array
 * holding a mkdtemp template, <stdlib.h> included): made before the first
 * test, removed with everything in it after the last.
 */
#define TMPDIR_FIXTURES(DIR)                            \
	static int setup(void **state)                  \
	{                                               \
		(void)state;                            \
		return mkdtemp(DIR) != NULL ? 0 : -1;   \
	}                                               \
	static int teardown(void **state)               \
	{                                               \
		(void)state;                            \
		return tmpdir_remove(DIR);              \
	}

/*
 * tmpdir_edit_json: set field K of the JSON object in file PATH to V (a
 * JSON text), or drop it when V is NULL. Returns 0, or -1 when the file
 * cannot be read or written as JSON.
 */
int tmpdir_edit_json(const char *path, const char *k, const char *v);

#endif
