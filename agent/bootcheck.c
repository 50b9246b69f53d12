#include "agent/bootcheck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/bootcheck_guest.h"
#include "agent/bootcheck_int.h"
#include "agent/bootxml.h"
#include "agent/define.h"
#include "agent/domxml.h"
#include "agent/instant_mount.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/ppm.h"
#include "repo/restore.h"
#include "state/bootjournal.h"
#include "state/layout.h"

/* What one check makes, beside its journal. */
struct check {
	struct bootjournal j;
	struct strlist targets, files, overlays;
	char uuid[37];
	char *nvram;		/* the copy of the UEFI variables, or NULL */
	char *tpm_dir;		/* the copy of the TPM state named in the XML, or NULL */
	bool display;
};

static void
fail(struct boot_record *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The check failed for the reason FMT: recorded (the first reason only) and logged. */
static void
fail(struct boot_record *out, const char *fmt, ...)
{
	va_list ap;

	if (out->reason[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	log_error("boot check of %s (snapshot %s): %s", out->domain, out->snapshot, out->reason);
}

/* A random name suffix and a random (version 4) UUID. Returns 0 or -1 (logged). */
static int
make_names(struct check *k, const char *domain)
{
	uint8_t b[18];
	char hex[37];

	if (crypto_random(b, sizeof(b)) < 0)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	crypto_hex(b, 16, hex);
	snprintf(k->uuid, sizeof(k->uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
	crypto_hex(b + 16, 2, hex);
	k->j.name = xasprintf("%s%s-%s", BOOTCHECK_PREFIX, domain, hex);
	return 0;
}

/*
 * Whether DIR (below the world-writable /var/tmp) is a folder of ours, not
 * a link or another user's, before anything is written into it. Returns 0
 * or -1 (logged).
 */
static int
own_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		log_error("boot check: %s is not a folder of this user's that only it may write: remove it",
		    dir);
		return -1;
	}
	return 0;
}

/*
 * DIR, a folder QEMU's account may pass through (not list), made when
 * missing and checked before anything is written into it. Returns 0 or -1
 * (logged).
 */
static int
make_dir(const char *dir)
{
	if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
		log_error("boot check: cannot make the folder %s: %s", dir, strerror(errno));
		return -1;
	}
	if (own_dir(dir) < 0)
		return -1;
	if (chmod(dir, 0711) < 0) {
		log_error("boot check: cannot set the mode of %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The work folder, the firmware and TPM copies, the mount and the
 * overlays; the journal says each before it is made. Returns 0 or -1
 * (logged).
 */
static int
prepare(struct repo *r, const struct conf *c, const struct manifest *m,
    const struct bootcheck_opts *o, struct check *k)
{
	struct strlist state_files = { 0 };
	const struct manifest_file *nv = manifest_file_of_kind(m, MANIFEST_KIND_NVRAM);
	char *log = NULL;
	int ret = -1;

	if (make_dir(BOOTCHECK_WORKDIR) < 0 || make_dir(k->j.dir) < 0)
		goto out;
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].kind != NULL)
			strlist_add(&state_files, m->files[i].name);
	if (state_files.n > 0 && restore_files(r, m, k->j.dir, &state_files, false, NULL, o->cancel, NULL) < 0)
		goto out;
	if (nv != NULL) {
		char *sub = xasprintf("%s/%s", k->j.dir, nv->name);

		/* QEMU opens the variables by path: the folder must let it through. */
		*strrchr(sub, '/') = '\0';
		chmod(sub, 0711);
		free(sub);
		k->nvram = xasprintf("%s/%s", k->j.dir, nv->name);
	}
	if (manifest_file_of_kind(m, MANIFEST_KIND_TPM) != NULL) {
		k->tpm_dir = xasprintf("%s/tpm-state", k->j.dir);
		if (define_tpm_copy(m, k->j.dir, k->tpm_dir, false) < 0)
			goto out;
	}
	if (mkdir(k->j.mount, 0700) < 0) {
		log_error("boot check: cannot make the mount point %s: %s", k->j.mount, strerror(errno));
		goto out;
	}
	log = xasprintf("%s/mount.log", k->j.dir);
	if ((k->j.mount_pid = instant_mount_start(o->self, o->config_path, m->id, k->j.mount, log)) < 0) {
		k->j.mount_pid = 0;
		goto out;
	}
	if (bootjournal_write(c->state_dir, &k->j) < 0)
		goto out;
	for (size_t i = 0; i < k->targets.n; i++) {
		char *ov = xasprintf("%s/disk-%s.qcow2", k->j.dir, k->targets.v[i]);

		strlist_add(&k->overlays, ov);
		free(ov);
	}
	ret = instant_mount_overlays(m, &k->files, &k->overlays, k->j.mount);
out:
	free(log);
	strlist_clear(&state_files);
	return ret;
}

/*
 * The TPM state at libvirt's default place for the new UUID (the XML
 * names no folder): journaled, then the copy put there. Returns 0 or -1
 * (logged).
 */
static int
default_tpm(const struct conf *c, const struct manifest *m, const char *xml, struct check *k)
{
	struct domxml_domain *d;
	char err[256], *state = NULL;
	int ret = 0;

	if ((d = domxml_parse(xml, err, sizeof(err))) == NULL) {
		log_error("boot check %s: its XML does not read back: %s", k->j.name, err);
		return -1;
	}
	if (d->tpm_version != NULL && d->tpm_state_dir == NULL) {
		free(k->j.tpm_state);
		k->j.tpm_state = xasprintf("%s/%s", DOMXML_SWTPM_DIR, k->uuid);
		state = domxml_tpm_state(d);
		ret = bootjournal_write(c->state_dir, &k->j);
		if (ret == 0 && manifest_file_of_kind(m, MANIFEST_KIND_TPM) != NULL)
			ret = define_tpm_copy(m, k->j.dir, state, true);
	}
	free(state);
	domxml_free(d);
	return ret;
}

/* Poll guest-ping until it answers, the domain ends, time runs out or a signal. */
static int
wait_agent(struct hv *hv, const char *name, const struct bootcheck_opts *o, double t0,
    struct boot_record *out)
{
	char err[512] = "";

	for (;;) {
		enum hv_state st;

		if (bootcheck_guest_ping(hv, name, err, sizeof(err)) == 0) {
			out->seconds_to_agent = clock_mono() - t0;
			return 0;
		}
		if (hv_domain_state(hv, name, &st, NULL) != 0 || st == HV_STATE_SHUTOFF) {
			fail(out, "the domain stopped (QEMU ended) %.0f s after its start, before its guest agent answered",
			    clock_mono() - t0);
			return -1;
		}
		if (o->cancel != NULL && *o->cancel) {
			fail(out, "stopped by a signal before the guest agent answered");
			return -1;
		}
		if (clock_mono() - t0 > o->timeout) {
			fail(out, "guest agent did not answer within %d s (last: %s)", o->timeout, err);
			return -1;
		}
		usleep(500000);
	}
}

/* The console as PNG: the domain's record's and O->screenshot. */
static void
screenshot(struct hv *hv, const struct conf *c, const struct bootcheck_opts *o, const struct check *k,
    struct boot_record *out)
{
	char *ppm = xasprintf("%s/screen.img", k->j.dir), mime[64] = "";
	char *png = state_boot_screenshot_path(c->state_dir, out->domain);

	if (hv_screenshot(hv, k->j.name, ppm, mime, sizeof(mime)) == 0) {
		if (strcmp(mime, "image/x-portable-pixmap") != 0 && strcmp(mime, "image/png") != 0)
			log_warn("boot check %s: the screenshot is %s, neither PPM nor PNG: not kept", k->j.name, mime);
		else if (state_ensure_dir(c->state_dir, STATE_BOOT) == 0 && ppm_to_png(ppm, png) == 0)
			out->screenshot = true;
		/* A failed copy is logged; the record's stands. */
		if (out->screenshot && o->screenshot != NULL)
			ppm_to_png(ppm, o->screenshot);
	}
	unlink(ppm);
	free(ppm);
	free(png);
}

/* The record's fields known before the start. */
static void
record_init(struct boot_record *out, const struct manifest *m, const struct bootcheck_opts *o)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->domain, sizeof(out->domain), "%s", m->name);
	snprintf(out->job, sizeof(out->job), "%s", o->job ? o->job : "manual");
	snprintf(out->snapshot, sizeof(out->snapshot), "%s", m->id);
	snprintf(out->snapshot_host, sizeof(out->snapshot_host), "%s", manifest_host(m));
	snprintf(out->command, sizeof(out->command), "%s", o->command ? o->command : "");
	out->started = time(NULL);
	out->seconds_to_agent = -1;
	out->command_exit = -1;
}

/* Up, the agent's answer, the command, the screenshot: the check proper. */
static void
boot(struct hv *hv, const struct conf *c, const struct bootcheck_opts *o, const char *xml,
    struct check *k, struct boot_record *out)
{
	char err[512] = "";
	double t0 = clock_mono();

	if (hv_domain_create(hv, xml, err, sizeof(err)) < 0) {
		fail(out, "the throwaway domain %s did not start: %s", k->j.name, err);
		return;
	}
	log_info("boot check: domain %s started (snapshot %s of %s, no network interface); waiting up to %d s for its guest agent",
	    k->j.name, out->snapshot, out->domain, o->timeout);
	if (wait_agent(hv, k->j.name, o, t0, out) == 0) {
		log_info("boot check %s: the guest agent answered after %.1f s", k->j.name, out->seconds_to_agent);
		if (o->command != NULL && *o->command != '\0') {
			if (bootcheck_guest_exec(hv, k->j.name, o->command, clock_mono() + o->timeout, o->cancel,
			    &out->command_exit, out->output, sizeof(out->output), err, sizeof(err)) < 0)
				fail(out, "the command '%s' did not run to its end within %d s: %s", o->command,
				    o->timeout, err);
			else if (out->command_exit != 0)
				fail(out, "the command '%s' exited %d", o->command, out->command_exit);
		}
	}
	/* Also (above all) of a guest that did not come up: what its console shows. */
	if (k->display && hv_domain_state(hv, k->j.name, NULL, NULL) == 0)
		screenshot(hv, c, o, k, out);
	out->ok = out->reason[0] == '\0';
}

int
bootcheck_run(struct hv *hv, struct repo *r, const struct conf *c, const struct manifest *m,
    const struct bootcheck_opts *o, struct boot_record *out)
{
	struct check k = { 0 };
	struct bootjournal *j = &k.j;
	char *xml = NULL, err[256], *png;
	int lock = -1;

	record_init(out, m, o);
	/* What checks that died left, of any domain. */
	bootcheck_repair(hv, c, NULL, NULL);
	if (m->domain_xml == NULL) {
		fail(out, "the snapshot holds image files, not a domain");
		goto record;
	}
	if (instant_mount_disks(m, "a boot check", &k.targets, &k.files) < 0) {
		fail(out, "its disks cannot be served as one file each (a chain)");
		goto record;
	}
	if (make_names(&k, m->name) < 0 || bootjournal_lock(c->state_dir, j->name, &lock) != 0) {
		fail(out, "cannot take a name and lock of its own (see above)");
		goto record;
	}
	j->domain = xstrdup(m->name);
	j->snapshot = xstrdup(m->id);
	j->dir = xasprintf("%s/%s", BOOTCHECK_WORKDIR, j->name);
	j->mount = xasprintf("%s/mnt", j->dir);
	j->tpm_state = xstrdup("");
	j->pid = getpid();
	j->started = out->started;
	if (bootjournal_write(c->state_dir, j) < 0) {
		fail(out, "cannot write its journal (see above)");
		goto unlock;
	}
	if (prepare(r, c, m, o, &k) < 0) {
		fail(out, "cannot prepare its overlays over the mount of the snapshot (see above)");
		goto clean;
	}
	{
		struct bootxml_spec spec = { j->name, k.uuid, j->dir, &k.targets, &k.overlays, k.nvram,
			k.tpm_dir };
		const char *src = m->domain_xml_inactive ? m->domain_xml_inactive : m->domain_xml;

		if ((xml = bootxml_make(src, &spec, &k.display, err, sizeof(err))) == NULL) {
			fail(out, "the snapshot's domain XML: %s", err);
			goto clean;
		}
	}
	if (default_tpm(c, m, xml, &k) < 0) {
		fail(out, "cannot give it its TPM state (see above)");
		goto clean;
	}
	boot(hv, c, o, xml, &k, out);
clean:
	if (bootcheck_clean(hv, j) == 0) {
		bootjournal_remove(c->state_dir, j->name);
	} else {
		log_error("boot check %s: not everything could be removed: 'virtvault repair %s' does it",
		    j->name, out->domain);
		close(lock);	/* the journal stays, for repair */
		lock = -1;
	}
unlock:
	bootjournal_unlock(c->state_dir, j->name, lock);
record:
	out->finished = time(NULL);
	out->ok = out->reason[0] == '\0';
	if (!out->screenshot) {
		/* The last check's picture, or none: never an older check's. */
		png = state_boot_screenshot_path(c->state_dir, out->domain);
		unlink(png);
		free(png);
	}
	state_boot_write(c->state_dir, out);
	free(xml);
	free(k.nvram);
	free(k.tpm_dir);
	strlist_clear(&k.targets);
	strlist_clear(&k.files);
	strlist_clear(&k.overlays);
	bootjournal_clear(j);
	return out->ok ? 0 : 1;
}
