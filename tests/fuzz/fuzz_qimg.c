/* What qemu-img prints: info (chains, bitmaps) and map. */
#include <stdlib.h>

#include "agent/cbtmap.h"
#include "agent/qimg.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[256];
	struct domxml_image *chain = NULL;
	struct strlist names = { 0 }, flags = { 0 };
	struct cbt_map m;
	uint64_t vs;
	size_t n = 0;

	if (qimg_chain_parse(text, &chain, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++) {
			free(chain[i].path);
			free(chain[i].format);
		}
		free(chain);
	}
	qimg_bitmaps_parse(text, &vs, &names, &flags, err, sizeof(err));
	strlist_clear(&names);
	strlist_clear(&flags);
	if (cbt_map_parse(text, &m, err, sizeof(err)) == 0)
		cbt_map_clear(&m);
	free(text);
	return 0;
}
