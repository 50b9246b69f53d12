/* The index decoder, and the cluster maps of changed-block tracking. */
#include <stdlib.h>

#include "agent/cbtmap.h"
#include "repo/index.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct index ix;
	struct cbt_map m;
	char err[256], hex[65];

	if (index_decode(data, size, &ix, err, sizeof(err)) == 0) {
		index_digest(&ix, hex);
		index_clear(&ix);
	}
	if (cbt_map_decode(data, size, &m, err, sizeof(err)) == 0) {
		struct cbt_ranges dirty = { 0 };
		uint64_t count = m.file_size / 65536 + 1;
		uint8_t *skip;

		if (count < 1 << 16) {
			skip = xcalloc(count, 1);
			cbt_ranges_add(&dirty, 4096, 8192);
			cbt_plan(&m, &m, &dirty, 65536, skip, count);
			free(skip);
		}
		cbt_ranges_clear(&dirty);
		cbt_map_clear(&m);
	}
	return 0;
}
