/* The cron parser and the next fire time. */
#include <stdlib.h>

#include "common/cron.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[256];
	struct cron c;

	if (cron_parse(text, &c, err, sizeof(err)) == 0)
	{
		time_t t;

		cron_next(&c, 1795564800, NULL, &t);
	}
	free(text);
	return 0;
}
