/*
 * The per-domain journal of a backup in progress: STATE/journal/DOM.json,
 * written atomically (temporary file, fsync, rename, fsync of the folder)
 * before anything is touched and at every phase. Its presence means a
 * backup of DOM was interrupted and needs repair.
 */
#ifndef VV_JOURNAL_H
#define VV_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/outcome.h"
#include "common/util.h"

struct journal_disk {
	char *target;
	char *format;		/* of the active image */
	struct strlist chain;	/* active image first, as found */
	char *overlay;		/* the overlay the snapshot creates */
};

struct journal {
	char *domain;
	char *phase;		/* prepare, snapshot, copy, commit, cleanup, verify, publish */
	char *snapshot;		/* virtvault-STAMP */
	bool running;		/* the domain ran (or was paused) at the start */
	struct journal_disk *disks;
	size_t ndisks;
};

/* journal_path: STATE_DIR/journal/DOM.json, a new string. */
char *journal_path(const char *state_dir, const char *dom);

/*
 * journal_peek: whether DOM has a journal. Returns 1 with the phase it
 * records in *PHASE unless PHASE is NULL (a new string, "unknown" when the
 * journal is unreadable: it still asks for repair), or 0 when there is none.
 */
int journal_peek(const char *state_dir, const char *dom, char **phase);

/*
 * journal_list: the domains that have a journal, sorted, appended to
 * DOMS. Returns 0 or -1 (logged).
 */
int journal_list(const char *state_dir, struct strlist *doms);

/* journal_write: write J durably. Returns 0 or -1 (logged). */
int journal_write(const char *state_dir, const struct journal *j);

/* journal_set_phase: set J's phase to PHASE and write it. */
int journal_set_phase(const char *state_dir, struct journal *j, const char *phase);

/*
 * journal_read: DOM's journal into a new *J. Returns 0, VV_NOT_FOUND when
 * there is none, -1 when it is unreadable (logged).
 */
int journal_read(const char *state_dir, const char *dom, struct journal **j);

/* journal_remove: delete DOM's journal durably. Returns 0 or -1 (logged). */
int journal_remove(const char *state_dir, const char *dom);

/* journal_add_disk: a new disk entry of J. */
struct journal_disk *journal_add_disk(struct journal *j);

void journal_free(struct journal *j);

#endif
