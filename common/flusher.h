/*
 * Background write-back: a thread that pushes written data towards the
 * disk while the writers go on computing, so that the final flush (the
 * syncfs before a manifest, the fsync of a restored file) has little left
 * and the disk is busy from the start instead of at the end. Writers never
 * wait for it.
 */
#ifndef VV_FLUSHER_H
#define VV_FLUSHER_H

#include <stddef.h>
#include <stdint.h>

struct flusher;

enum flusher_mode {
	FLUSHER_SYNCFS,		/* syncfs(FD): a whole file system (the store) */
	FLUSHER_FILE,		/* write-back of the file FD (a restored image) */
};

/*
 * flusher_new: a flusher of FD (borrowed, kept open by the caller) that
 * starts write-back each time EVERY more bytes were written. Returns NULL
 * (no background write-back, not an error) when no thread can start.
 */
struct flusher *flusher_new(int fd, enum flusher_mode mode, uint64_t every);

/* flusher_add: N more bytes were written. Never blocks on I/O. */
void flusher_add(struct flusher *f, uint64_t n);

/* flusher_free: stop the thread and free F; NULL is a no-op. */
void flusher_free(struct flusher *f);

#endif
