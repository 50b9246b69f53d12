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

/*
 * A program the run started that holds one of the domain's images (the
 * qemu-nbd reading a dirty bitmap): recorded while it runs, so that
 * repair can stop it if the run died and it did not.
 */
struct journal_reader {
	char *program;		/* its name: "qemu-nbd" */
	char *image;		/* the image it holds, one of its arguments */
	char *dir;		/* a folder the run made for it, removed by repair */
	int pid;		/* 0 before it started */
	unsigned long long start;	/* its start time (/proc/PID/stat) */
};

struct journal {
	char *domain;
	char *phase;		/* prepare, snapshot, copy, commit, cleanup, verify, publish */
	char *snapshot;		/* virtvault-STAMP */
	bool running;		/* the domain ran (or was paused) at the start */
	struct journal_disk *disks;
	size_t ndisks;
	struct journal_reader *reader;	/* NULL when none runs */
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
 * journal_pid: the pid of the run that wrote DOM's journal, or 0 when
 * there is no journal or it does not say.
 */
int journal_pid(const char *state_dir, const char *dom);

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

/*
 * journal_set_reader: record in J (and write it) that program PROGRAM
 * holds IMAGE, with the folder DIR made for it and, once started, its PID
 * (0 before) and START time. journal_clear_reader: it ended; forget it.
 * Both return 0 or -1 (logged).
 */
int journal_set_reader(const char *state_dir, struct journal *j, const char *program,
    const char *image, const char *dir, int pid, unsigned long long start);
int journal_clear_reader(const char *state_dir, struct journal *j);

/* journal_add_disk: a new disk entry of J. */
struct journal_disk *journal_add_disk(struct journal *j);

void journal_free(struct journal *j);

#endif
