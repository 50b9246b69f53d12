/*
 * The per-domain journal of a backup in progress: STATE/journal/DOM.json.
 * Its presence means a backup of DOM was interrupted and needs repair.
 */
#ifndef VV_JOURNAL_H
#define VV_JOURNAL_H

/* journal_path: STATE_DIR/journal/DOM.json, a new string. */
char *journal_path(const char *state_dir, const char *dom);

/*
 * journal_peek: whether DOM has a journal. Returns 1 with the phase it
 * records in *PHASE (a new string, "unknown" when unreadable), 0 when there
 * is none, -1 when the journal folder cannot be read (logged).
 */
int journal_peek(const char *state_dir, const char *dom, char **phase);

#endif
