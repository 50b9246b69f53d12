/*
 * Backing image files up: read (sparse-aware), hash, compress, encrypt and
 * store their chunks on worker threads with bounded buffers, write their
 * indexes, and commit a manifest last.
 */
#ifndef VV_BACKUP_H
#define VV_BACKUP_H

#include <signal.h>
#include <time.h>

#include "common/progress.h"
#include "repo/manifest.h"
#include "repo/repo.h"

struct backup;

/*
 * backup_new: a backup run into R named NAME. Lists the chunks the
 * repository has, so that none is stored twice. Returns NULL (logged).
 */
struct backup *backup_new(struct repo *r, const char *name);

/*
 * backup_add_file: store the image at PATH as file NAME (unique within the
 * backup; DISK is its disk target or NULL). Detects an image that changes
 * size or modification time while it is read. PROGRESS may be NULL.
 * Returns 0 or -1 (logged, naming PATH).
 */
int backup_add_file(struct backup *b, const char *path, const char *name,
    const char *disk, struct progress *progress);

/*
 * backup_set_cancel: stop reading (the file fails, "cancelled") as soon as
 * *FLAG becomes non-zero; set from a signal handler.
 */
void backup_set_cancel(struct backup *b, const volatile sig_atomic_t *flag);

/* backup_set_time: record T as the snapshot's time instead of now (imports,
 * tests of retention). */
void backup_set_time(struct backup *b, time_t t);

/* backup_manifest: the manifest being built (to add source details). */
struct manifest *backup_manifest(struct backup *b);

/*
 * backup_commit: make every chunk and index durable, then write the
 * manifest durably: the backup exists from then on. Returns 0 or -1.
 */
int backup_commit(struct backup *b);

/* backup_stats: the figures so far. */
const struct backup_stats *backup_stats(const struct backup *b);

/*
 * backup_set_domain: record that B is a backup of a libvirt domain: its
 * live XML, its persistent XML (NULL for a transient domain) and whether
 * the guest was quiesced (1, 0, or -1 for a shut-off domain). Takes
 * ownership of both strings.
 */
void backup_set_domain(struct backup *b, char *xml_live, char *xml_inactive, int quiesced);

/* backup_free: free B (an uncommitted backup leaves only unreferenced
 * chunks and indexes, which a later backup reuses). */
void backup_free(struct backup *b);

#endif
