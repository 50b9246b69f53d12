/* The index decoder (patches too), the patch decoder, and the cluster maps of changed-block tracking. */
#include <stdlib.h>

#include "agent/cbtmap.h"
#include "repo/index.h"
#include "repo/patch.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct index ix;
	struct cbt_map m;
	char err[256], hex[65];

	if (index_decode(data, size, &ix, err, sizeof(err)) == 0) {
		const struct index_patch *p;

		index_digest(&ix, hex);
		for (uint64_t i = 0; i < ix.count && i < 64; i++)
			(void)index_slot_patches(&ix, i, &p);
		index_clear(&ix);
	}
	/* The same bytes as a patch of a 64 KiB chunk. */
	{
		uint8_t *chunk = xcalloc(1, 65536);

		(void)patch_apply(data, size, chunk, 65536, err, sizeof(err));
		(void)patch_bytes(data, size);
		free(chunk);
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
