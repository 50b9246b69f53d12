/* The domain and snapshot XML readers. */
#include <stdlib.h>

#include "agent/domxml.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[256];
	struct domxml_domain *d = domxml_parse(text, err, sizeof(err));
	struct domxml_snapshot *s = domxml_snapshot_parse(text, err, sizeof(err));

	if (d != NULL && d->ndisks > 0 && d->disks[0].nchain > 0) {
		char *fixed = NULL;

		domxml_runs_on(d, d->disks[0].target, d->disks[0].chain[0].path);
		if (domxml_replace_source(text, d->disks[0].target, d->disks[0].chain[0].path, "/x",
		    "raw", &fixed, err, sizeof(err)) == 0)
			free(fixed);
	}
	domxml_free(d);
	domxml_snapshot_free(s);
	free(text);
	return 0;
}
