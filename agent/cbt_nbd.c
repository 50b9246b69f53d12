/*
 * Changed-block tracking: reading a dirty bitmap through qemu-nbd and
 * libnbd (cbt_dirty, agent/cbt.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cbt.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/run.h"
#include "state/journal.h"
/* The NBD client's view of the dirty bitmap: ranges, and how far it got. */
struct dirty_walk {
	const char *ctx;
	struct cbt_ranges *out;
	uint64_t next;
};

static int
on_extents(void *user, const char *metacontext, uint64_t offset, uint32_t *entries,
    size_t nr, int *error)
{
	struct dirty_walk *w = user;

	(void)error;
	if (strcmp(metacontext, w->ctx) != 0)
		return 0;
	for (size_t i = 0; i + 1 < nr; i += 2) {
		if (entries[i + 1] & 1)
			cbt_ranges_add(w->out, offset, entries[i]);
		offset += entries[i];
	}
	w->next = offset;
	return 0;
}

/* Connect H to SOCK while qemu-nbd (PID) starts; 0, or -1 with ERR. */
static struct nbd_handle *
nbd_open(const char *sock, const char *ctx, pid_t pid, const char *errfile, char *err,
    size_t errlen)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct nbd_handle *h;

		if (access(sock, F_OK) == 0) {
			h = nbd_create();
			if (h == NULL) {
				snprintf(err, errlen, "libnbd: %s", nbd_get_error());
				return NULL;
			}
			if (nbd_add_meta_context(h, ctx) == 0 && nbd_connect_unix(h, sock) == 0)
				return h;
			snprintf(err, errlen, "libnbd: %s", nbd_get_error());
			/* Bound but not listening yet (qemu-nbd binds, then listens): again. */
			if (nbd_get_errno() != ECONNREFUSED || run_exited(pid)) {
				nbd_close(h);
				return NULL;
			}
			nbd_close(h);
			usleep(10000);
			continue;
		}
		if (run_exited(pid)) {
			char msg[512] = "";
			int fd = open(errfile, O_RDONLY | O_CLOEXEC);

			if (fd >= 0) {
				ssize_t n = read(fd, msg, sizeof(msg) - 1);

				msg[n > 0 ? n : 0] = '\0';
				close(fd);
			}
			msg[strcspn(msg, "\n")] = '\0';
			snprintf(err, errlen, "qemu-nbd failed: %s", msg[0] ? msg : "(no message)");
			return NULL;
		}
		usleep(10000);
	}
	snprintf(err, errlen, "qemu-nbd did not listen within 10 s");
	return NULL;
}

/*
 * Whether the reader dies with us: always, but in the fault build's test
 * of repair (VIRTVAULT_TEST_ORPHAN_READER), which needs one that outlives.
 */
static bool
reader_bound(void)
{
#ifdef VV_FAULT_HOOKS
	const char *v = getenv("VIRTVAULT_TEST_ORPHAN_READER");

	return v == NULL || v[0] == '\0';
#else
	return true;
#endif
}

int
cbt_dirty(const char *path, const char *bitmap, uint64_t size, const char *state_dir,
    struct journal *j, struct cbt_ranges *out, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/virtvault-nbd.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	char *sock = NULL, *errfile = NULL, *bm = NULL, *ctx = NULL;
	struct nbd_handle *h = NULL;
	struct dirty_walk w = { 0 };
	pid_t pid = -1;
	int64_t got;
	int ret = -1;

	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "cannot make a folder for qemu-nbd's socket: %s", strerror(errno));
		free(dir);
		return -1;
	}
	sock = xasprintf("%s/nbd.sock", dir);
	errfile = xasprintf("%s/qemu-nbd.err", dir);
	bm = xasprintf("--bitmap=%s", bitmap);
	ctx = xasprintf("qemu:dirty-bitmap:%s", bitmap);
	/* Journaled before it starts: a crash from here on leaves repair the
	 * folder to remove and, once known, the process to stop. */
	if (j != NULL && journal_set_reader(state_dir, j, "qemu-nbd", path, dir, 0, 0) < 0) {
		snprintf(err, errlen, "cannot journal the reader");
		goto out;
	}
	{
		char *sockarg = xasprintf("--socket=%s", sock);
		char *argv[] = { "qemu-nbd", "--read-only", "--format=qcow2", "--shared=1", bm, sockarg,
			(char *)path, NULL };

		pid = run_start(argv, errfile, reader_bound());
		free(sockarg);
	}
	if (pid < 0) {
		snprintf(err, errlen, "cannot start qemu-nbd");
		goto out;
	}
	if (j != NULL) {
		unsigned long long start = 0;

		if (proc_start_time(pid, &start) < 0 ||
		    journal_set_reader(state_dir, j, "qemu-nbd", path, dir, (int)pid, start) < 0) {
			snprintf(err, errlen, "cannot journal the reader (qemu-nbd, pid %d)", (int)pid);
			goto out;
		}
	}
	fault_stall("cbt-reader-started", NULL, NULL);
	h = nbd_open(sock, ctx, pid, errfile, err, errlen);
	if (h == NULL)
		goto out;
	if (nbd_can_meta_context(h, ctx) != 1) {
		snprintf(err, errlen, "qemu-nbd does not offer %s", ctx);
		goto out;
	}
	got = nbd_get_size(h);
	if (got < 0 || (uint64_t)got != size) {
		snprintf(err, errlen, "qemu-nbd exports %lld bytes, the image has %llu",
		    (long long)got, (unsigned long long)size);
		goto out;
	}
	fault_stall("cbt-reader-connected", NULL, NULL);
	w.ctx = ctx;
	w.out = out;
	for (uint64_t off = 0; off < size;) {
		uint64_t want = size - off < (1ULL << 30) ? size - off : (1ULL << 30);
		nbd_extent_callback cb = { .callback = on_extents, .user_data = &w };

		w.next = off;
		if (nbd_block_status(h, want, off, cb, 0) < 0) {
			snprintf(err, errlen, "block status at %llu: %s", (unsigned long long)off,
			    nbd_get_error());
			goto out;
		}
		if (w.next <= off) {
			snprintf(err, errlen, "qemu-nbd described nothing at offset %llu",
			    (unsigned long long)off);
			goto out;
		}
		off = w.next;
	}
	ret = 0;
out:
	if (h != NULL) {
		nbd_shutdown(h, 0);
		nbd_close(h);
	}
	run_stop(pid, 2000);
	unlink(sock);
	unlink(errfile);
	rmdir(dir);
	if (j != NULL)
		journal_clear_reader(state_dir, j);
	free(sock);
	free(errfile);
	free(bm);
	free(ctx);
	free(dir);
	return ret;
}
