/* The configuration parser, on a file holding the input. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tests/fuzz/fuzz.h"

static char path[] = "/tmp/vv-fuzz-conf.XXXXXX";

/* The temporary file goes with the fuzzer. */
static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc, (void)argv;
	fuzz_quiet();
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");
	struct conf *c;

	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	chmod(path, 0600);
	c = conf_load(path, true);
	if (c != NULL) {
		FILE *null = fopen("/dev/null", "w");

		conf_require_repository(c);
		conf_print(c, null);
		fclose(null);
		conf_free(c);
	}
	return 0;
}
