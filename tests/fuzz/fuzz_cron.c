/* The cron parser and the next fire time. */
#include <stdlib.h>

#include "common/cron.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

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
