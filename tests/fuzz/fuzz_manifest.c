/* The manifest decoder (JSON inside a decoded object). */
#include <stdlib.h>

#include "repo/manifest.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[256];
	struct manifest *m = manifest_from_json(text, "snapshots/h/n/t-id", err, sizeof(err));

	if (m != NULL) {
		char *again = manifest_to_json(m);
		FILE *null = fopen("/dev/null", "w");

		manifest_print(m, null);
		fclose(null);
		free(again);
	}
	manifest_free(m);
	free(text);
	return 0;
}
