/* The journal, run-record and run-history readers, on files holding the input. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/history.h"
#include "state/journal.h"
#include "state/layout.h"
#include "state/runs.h"
#include "tests/fuzz/fuzz.h"

static char dir[] = "/tmp/vv-fuzz-state.XXXXXX";

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* The temporary state folder goes with the fuzzer. */
static void
cleanup(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	if (state_ensure_dir(dir, STATE_JOURNAL) < 0 || state_ensure_dir(dir, STATE_RUNS) < 0 ||
	    state_ensure_dir(dir, STATE_HISTORY) < 0)
		abort();
	return 0;
}

static void
put(enum state_area area, const char *name, const uint8_t *data, size_t size)
{
	char *p = state_file_path(dir, area, name);
	FILE *f = fopen(p, "w");

	if (f != NULL) {
		fwrite(data, 1, size, f);
		fclose(f);
	}
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal *j = NULL;
	struct run_record rr;

	put(STATE_JOURNAL, "d1", data, size);
	if (journal_read(dir, "d1", &j) == 0)
		journal_free(j);
	/* A record of this version, and one of an earlier version. */
	put(STATE_RUNS, "d1@j1", data, size);
	put(STATE_RUNS, "d2", data, size);
	memset(&rr, 0, sizeof(rr));
	state_run_read(dir, "d1", "j1", &rr);
	state_run_read(dir, "d2", "j1", &rr);
	{
		struct run_record *all = NULL;
		size_t n = 0;

		state_run_list(dir, &all, &n);
		free(all);
	}
	/* The run history (each line a run, with the copy it made), as report reads it. */
	put(STATE_HISTORY, "d1@j1", data, size);
	{
		struct run_record *runs = NULL;
		size_t n = 0, damaged = 0;

		state_history_read(dir, "d1", NULL, 0, &runs, &n, &damaged);
		free(runs);
	}
	return 0;
}
