/*
 * The reader of a run's summary (jobrun/summary.h), what the daemon reads
 * from its children: any input is refused or read, and what is read
 * survives being written and read again.
 */
#include <stdlib.h>

#include "jobrun/summary.h"
#include "tests/fuzz/fuzz.h"

FUZZ_QUIET_INIT

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[256];
	struct strlist sel = { 0 }, un = { 0 };
	struct summary s, back;

	if (summary_parse(text, &s) == 0) {
		char *again = summary_format(&s);

		if (summary_parse(again, &back) != 0 || back.n != s.n || back.ok != s.ok ||
		    back.failed != s.failed || back.skipped != s.skipped)
			abort();
		for (size_t i = 0; i < s.n; i++)
			if (back.v[i].result != s.v[i].result ||
			    strcmp(back.v[i].domain, s.v[i].domain) != 0 ||
			    strcmp(back.v[i].error, s.v[i].error) != 0)
				abort();
		summary_clear(&back);
		free(again);
		summary_clear(&s);
	}
	summary_parse_selection(text, &sel, &un, err, sizeof(err));
	strlist_clear(&sel);
	strlist_clear(&un);
	free(text);
	return 0;
}
