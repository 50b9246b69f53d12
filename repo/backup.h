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
#include "repo/index.h"
#include "repo/manifest.h"
#include "repo/repo.h"

struct backup;

/*
 * backup_new: a backup run into R named NAME. Takes a shared lock, then
 * learns the chunks of the newest snapshot of its group (backup_seed.h):
 * those are reused unasked; any other chunk is asked for (one HEAD) before
 * it is stored. Never lists chunks/. Returns NULL (logged).
 */
struct backup *backup_new(struct repo *r, const char *name);

/*
 * backup_new_group: backup_new for a snapshot of HOST's group NAME rather
 * than this host's (a copy from another repository, repo/copy.h): seeded
 * from that group's newest snapshot, published under HOST.
 */
struct backup *backup_new_group(struct repo *r, const char *host, const char *name);

/*
 * backup_add_file: store the image at PATH as file NAME (unique within the
 * backup; DISK is its disk target or NULL). Detects an image that changes
 * size or modification time while it is read. PROGRESS may be NULL.
 * Returns 0 or -1 (logged, naming PATH).
 */
int backup_add_file(struct backup *b, const char *path, const char *name,
    const char *disk, struct progress *progress);

/*
 * What an incremental read of a file may take from a reference snapshot
 * instead of reading: chunk I is unchanged since REF (same chunk size)
 * when SKIP[I] (COUNT entries, the new file's chunk count). With CHECK,
 * every chunk is read all the same and the file fails when a chunk marked
 * unchanged differs from REF (a test of the plan). MODE_REASON says why
 * the plan is what it is; it is recorded with the file.
 *
 * The fine plan (repository format 3; FINE NULL: none): unit K of GRAIN
 * bytes of the file is unchanged when FINE[K] (FINE_COUNT entries). A
 * changed chunk with few changed units is then stored as a patch of REF's
 * chunk (repo/patch.h), only those units read; under CHECK every byte of
 * an unchanged unit is compared with REF's chunk.
 */
struct backup_reuse {
	const struct index *ref;	/* NULL: a full read (REASON says why) */
	const uint8_t *skip;
	uint64_t count;
	bool check;
	const char *reason;
	const uint8_t *fine;
	uint64_t fine_count;
	uint32_t grain;
};

/* The most patches a backup puts on one chunk (then it reads it whole). */
#define BACKUP_MAX_PATCHES 8

/*
 * backup_add_file_reuse: backup_add_file, skipping what REUSE marks
 * unchanged (NULL: read everything). Records the read mode ("incremental"
 * or "full"), its reason and the bytes skipped with the file when REUSE is
 * given. Returns 0 or -1 (logged).
 */
int backup_add_file_reuse(struct backup *b, const char *path, const char *name,
    const char *disk, const struct backup_reuse *reuse, struct progress *progress);

/*
 * A file's bytes from elsewhere than a file of this host (an archive being
 * imported), read once, in order: READ fills LEN bytes at OFF (chunk after
 * chunk) into BUF, or sets *ZERO for bytes known to be zeros (a hole; BUF
 * untouched); it returns 0, or -1 with the reason logged. PATH names the
 * source in messages and the manifest; FORMAT is "qcow2" or "raw".
 */
struct backup_source {
	int (*read)(void *ctx, uint8_t *buf, size_t len, uint64_t off, bool *zero);
	void *ctx;
	uint64_t size;
	const char *path;
	const char *format;
};

/*
 * backup_add_source: backup_add_file for a source read as a stream
 * (chunked, deduplicated, zeros never stored). Returns 0 or -1 (logged).
 */
int backup_add_source(struct backup *b, const struct backup_source *src, const char *name,
    const char *disk, struct progress *progress);

/*
 * backup_add_source_reuse: backup_add_source, taking chunk I from
 * REUSE->ref unread when REUSE->skip[I] and every object of it is known
 * (a copy's plan: repo/copy.h). REUSE's CHECK and fine plan are not used;
 * a plan of another chunk size or count is ignored. Returns 0 or -1 (logged).
 */
int backup_add_source_reuse(struct backup *b, const struct backup_source *src, const char *name,
    const char *disk, const struct backup_reuse *reuse, struct progress *progress);

/*
 * backup_set_kind: record that file NAME is KIND (MANIFEST_KIND_NVRAM or
 * MANIFEST_KIND_TPM) rather than a disk image. Returns 0, or -1 when there
 * is no such file.
 */
int backup_set_kind(struct backup *b, const char *name, const char *kind);

/*
 * backup_set_cbt: record with file NAME the checkpoint taken before the
 * snapshot and the SHA-256 of its cluster map (the next run's reference).
 * Returns 0, or -1 when there is no such file.
 */
int backup_set_cbt(struct backup *b, const char *name, const char *checkpoint,
    const char *map_sha);

/*
 * backup_set_cancel: stop reading (the file fails, "cancelled") as soon as
 * *FLAG becomes non-zero; set from a signal handler.
 */
void backup_set_cancel(struct backup *b, const volatile sig_atomic_t *flag);

/* backup_set_time: record T as the snapshot's time instead of now (imports,
 * tests of retention). */
void backup_set_time(struct backup *b, time_t t);

/* backup_keep_stats: record ST as the snapshot's figures (a copy keeps
 * its original's), in place of this run's; call after the last file. */
void backup_keep_stats(struct backup *b, const struct backup_stats *st);

/* backup_manifest: the manifest being built (to add source details). */
struct manifest *backup_manifest(struct backup *b);

/*
 * backup_commit: make every chunk and index durable, then write the
 * manifest durably: the backup exists from then on. Returns 0 or -1
 * (logged; also when the snapshot's time fails manifest_time_check).
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
