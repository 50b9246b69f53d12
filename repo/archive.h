/*
 * A snapshot as one self-contained POSIX (pax) tar archive, and back
 * (libarchive). The archive holds, under NAME-ID/: every file of the
 * snapshot as a sparse entry (holes stay holes), the domain XML
 * (domain.xml, domain-inactive.xml), and MANIFEST.json with each file's
 * size, SHA-256 and role, written last. GNU tar extracts it with no
 * virtvault: tar -xSf FILE.
 */
#ifndef VV_REPO_ARCHIVE_H
#define VV_REPO_ARCHIVE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/progress.h"
#include "repo/manifest.h"
#include "repo/repo.h"

/* The name of the archive's own manifest, and its format tag. */
#define ARCHIVE_MANIFEST "MANIFEST.json"
#define ARCHIVE_FORMAT "virtvault-export"

/*
 * The largest file an import takes: 64 TiB, four times ext4's largest
 * file, beyond any disk image a host here backs up. A size the archive
 * declares beyond it is refused before anything is read.
 */
#define ARCHIVE_SIZE_MAX (UINT64_C(1) << 46)

struct archive_export_opts {
	bool zstd;				/* compress the stream with zstd */
	const volatile sig_atomic_t *cancel;	/* stop when it becomes non-zero */
	struct progress *progress;		/* bytes of the snapshot's files, or NULL */
};

/*
 * archive_export: write snapshot M of R as a tar archive to FD (a file or
 * a pipe), streamed in constant memory; every chunk is authenticated as it
 * is read. LABEL names FD in messages. Returns 0, or -1 (logged, naming
 * the file and chunk); the caller removes what was written.
 */
int archive_export(struct repo *r, const struct manifest *m, int fd, const char *label,
    const struct archive_export_opts *o);

struct archive_import_opts {
	const char *name;			/* the snapshot's name; NULL: the export's */
	const char *host;			/* NULL: the export's, or this host */
	time_t time;				/* when TIME_GIVEN */
	bool time_given;			/* else: the export's, or now */
	const volatile sig_atomic_t *cancel;
	bool quiet;				/* no progress lines */
};

/*
 * archive_import: read a tar archive from FD (LABEL in messages: its path
 * or "standard input") into R as one new snapshot: an export of virtvault
 * (checked against its MANIFEST.json: every file's size and SHA-256) or a
 * plain tar of images (O->name needed). Deduplicated against what R has.
 * Nothing is published unless the whole archive was read and checked, up
 * to its end-of-archive marker: a cut archive, a damaged export (its
 * folder and domain.xml, no MANIFEST.json), an entry that is not a
 * regular file (a hard or symbolic link), a name with a control
 * character or a lying sparse map fail the whole import.
 * Returns 0 with the new snapshot's ID in ID, or -1 (logged).
 */
int archive_import(struct repo *r, int fd, const char *label, const struct archive_import_opts *o,
    char id[17]);

#endif
