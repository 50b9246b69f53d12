/*
 * The boot check: a snapshot brought up as a throwaway transient domain
 * (agent/bootxml.h says what it is made of) on qcow2 overlays over a
 * `virtvault mount` of the snapshot, as instant restore does but without
 * the pull: nothing is copied. Its guest agent must answer guest-ping
 * within the time allowed; a command, when given, runs in it through
 * guest-exec and must exit 0; the console's screenshot is kept when it has
 * a display. Then everything goes: the domain, overlays, mount, firmware
 * and TPM copies. The original domain and its files are never touched.
 *
 * Journaled (state/bootjournal.h) from before the first thing is made, so
 * that a crash (virtvault or QEMU killed) leaves nothing that `repair` and
 * the next boot check do not remove. No domain lock is taken: a boot check
 * uses names of its own and runs beside the domain's backups and beside
 * other boot checks.
 */
#ifndef VV_BOOTCHECK_H
#define VV_BOOTCHECK_H

#include <signal.h>
#include <stdbool.h>

#include "agent/hv.h"
#include "conf/conf.h"
#include "repo/manifest.h"
#include "repo/repo.h"
#include "state/bootrec.h"

/* Where the throwaway domains' work folders are (overlays, firmware copies, logs). */
#define BOOTCHECK_WORKDIR "/var/tmp/virtvault-boot"
/* How every throwaway domain's name begins: vv-boot-DOMAIN-XXXX (never backed up by a job). */
#define BOOTCHECK_PREFIX "vv-boot-"
/* The time a guest agent has to answer, by default (seconds). */
#define BOOTCHECK_TIMEOUT 180

struct bootcheck_opts {
	const char *self;		/* this virtvault (the mount runs as its child) */
	const char *config_path;	/* -c for it, or NULL: the same default */
	const char *job;		/* recorded: the job's name, or "manual" */
	const char *command;		/* run in the guest, or NULL */
	int timeout;			/* seconds for the agent to answer (and for the command) */
	const char *screenshot;		/* a copy of the screenshot (PNG) here, or NULL */
	const volatile sig_atomic_t *cancel;	/* stop (and clean up) */
};

/*
 * bootcheck_run: boot snapshot M of R by O, record the outcome into *OUT
 * and as the domain's last boot check (state_boot_write; the screenshot
 * at state_boot_screenshot_path). Leftovers of boot checks that died are
 * removed first. Returns 0 when the guest answered (and the command exited
 * 0), 1 when not (the reason in OUT->reason, also logged).
 */
int bootcheck_run(struct hv *hv, struct repo *r, const struct conf *c, const struct manifest *m,
    const struct bootcheck_opts *o, struct boot_record *out);

/*
 * bootcheck_repair: remove what interrupted boot checks left (their
 * throwaway domain, mount, overlays, firmware and TPM copies, journal):
 * those of domain DOM (the original's name or the throwaway's), or of
 * any with DOM NULL. A check still running is left alone. *DID (may be
 * NULL) says whether anything was removed. Returns 0, or -1 (logged; the
 * journal of what could not be removed stays).
 */
int bootcheck_repair(struct hv *hv, const struct conf *c, const char *dom, bool *did);

/*
 * bootcheck_leftovers: one sentence per interrupted boot check of DOM (the
 * original's name or the throwaway's) appended to PROBLEMS. Returns how
 * many.
 */
size_t bootcheck_leftovers(const struct conf *c, const char *dom, struct strlist *problems);

#endif
