/*
 * The hypervisor as virtvault sees it: a small interface with one real
 * backend (libvirt, hv_libvirt.c) and a fake for unit tests
 * (tests/fakes/hv_fake.c). No libvirt type appears here.
 */
#ifndef VV_HV_H
#define VV_HV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/outcome.h"
#include "common/util.h"

struct hv;

enum hv_state {
	HV_STATE_RUNNING,
	HV_STATE_PAUSED,
	HV_STATE_SHUTOFF,
	HV_STATE_OTHER,
};

struct hv_block_job {
	char type[24];		/* "pull", "copy", "commit", "active commit", ... */
	uint64_t cur;
	uint64_t end;
};

/* hv_open_libvirt: connect to URI. Returns NULL after logging why. */
struct hv *hv_open_libvirt(const char *uri);

/* hv_uri: the URI the connection was opened with. */
const char *hv_uri(const struct hv *hv);

/*
 * hv_domain_state: the state of DOM into *STATE and whether it is
 * persistent into *PERSISTENT (either may be NULL). Returns 0,
 * VV_NOT_FOUND (logged by nobody: the caller decides), or -1 (logged).
 */
int hv_domain_state(struct hv *hv, const char *dom, enum hv_state *state,
    bool *persistent);

/*
 * hv_domain_xml: DOM's XML, live when it runs (INACTIVE: the persistent
 * definition instead) into *XML, a new string the caller frees. Returns 0,
 * VV_NOT_FOUND, or -1 (logged).
 */
int hv_domain_xml(struct hv *hv, const char *dom, bool inactive, char **xml);

/*
 * hv_snapshots: the XML of every snapshot (with metadata) of DOM appended
 * to XMLS. Returns 0, VV_NOT_FOUND or -1 (logged).
 */
int hv_snapshots(struct hv *hv, const char *dom, struct strlist *xmls);

/*
 * hv_block_job: whether a block job runs on disk TARGET of DOM. Returns 1
 * with *JOB filled, 0 when none, -1 on error (logged).
 */
int hv_block_job(struct hv *hv, const char *dom, const char *target,
    struct hv_block_job *job);

/*
 * hv_snapshot_disks: one external disk-only snapshot of DOM described by
 * the snapshot XML, atomic over all disks and without metadata; QUIESCE
 * asks the guest agent to freeze the file systems around it. Returns 0, or
 * -1 with libvirt's reason in ERR (not logged: the caller decides whether
 * a failed quiesce is an error).
 */
int hv_snapshot_disks(struct hv *hv, const char *dom, const char *xml, bool quiesce,
    char *err, size_t errlen);

/*
 * hv_block_commit: start an active block commit of disk TARGET's active
 * layer into its immediate backing file (never deeper). Returns 0 or -1
 * (logged).
 */
int hv_block_commit(struct hv *hv, const char *dom, const char *target);

/*
 * hv_block_pivot: pivot the ready active commit of TARGET. Returns 0,
 * VV_BUSY when the job is not ready yet, or -1 (reason in ERR, not logged).
 */
int hv_block_pivot(struct hv *hv, const char *dom, const char *target, char *err,
    size_t errlen);

/*
 * hv_block_pull: start pulling every backing file's data of disk TARGET
 * into its active layer (which then stands alone); the job ends by itself.
 * Returns 0 or -1 (logged).
 */
int hv_block_pull(struct hv *hv, const char *dom, const char *target);

/*
 * hv_undefine: forget the shut-off domain DOM with its NVRAM and TPM state
 * (what a failed restore defined). Returns 0 or -1 (logged).
 */
int hv_undefine(struct hv *hv, const char *dom);

/* hv_domain_start: start the defined domain DOM. Returns 0 or -1 (logged). */
int hv_domain_start(struct hv *hv, const char *dom);

/* hv_block_abort: cancel the block job of TARGET. Returns 0 or -1 (logged). */
int hv_block_abort(struct hv *hv, const char *dom, const char *target);

/*
 * hv_define: define (or redefine) a persistent domain from XML. Returns 0
 * or -1 (logged).
 */
int hv_define(struct hv *hv, const char *xml);

/* hv_snapshot_delete_metadata: forget snapshot NAME of DOM, files untouched. */
int hv_snapshot_delete_metadata(struct hv *hv, const char *dom, const char *name);

/* hv_list_domains: the names of all domains appended to NAMES. Returns 0 or -1. */
int hv_list_domains(struct hv *hv, struct strlist *names);

/*
 * hv_checkpoint_create: create the checkpoint XML describes (a
 * <domaincheckpoint>) for DOM: a persistent dirty bitmap in each disk it
 * names with checkpoint='bitmap'. Returns 0, or -1 with libvirt's reason in
 * ERR (not logged: the caller goes on without one).
 */
int hv_checkpoint_create(struct hv *hv, const char *dom, const char *xml, char *err,
    size_t errlen);

/* hv_checkpoints: the names of DOM's checkpoints appended to NAMES. Returns 0 or -1 (logged). */
int hv_checkpoints(struct hv *hv, const char *dom, struct strlist *names);

/*
 * hv_checkpoint_delete: delete checkpoint NAME of DOM and its bitmaps.
 * Returns 0, VV_NOT_FOUND, or -1 (logged).
 */
int hv_checkpoint_delete(struct hv *hv, const char *dom, const char *name);

/*
 * hv_checkpoint_forget: forget checkpoint NAME of DOM, its bitmaps left in
 * the images (libvirt deletes no checkpoint of a shut-off domain: the
 * caller removes the bitmaps itself). Returns 0, VV_NOT_FOUND, or -1
 * (logged).
 */
int hv_checkpoint_forget(struct hv *hv, const char *dom, const char *name);

/*
 * hv_domain_create: start a transient domain from XML (libvirt forgets it
 * when it stops). Returns 0, or -1 with libvirt's reason in ERR (not
 * logged: the caller records it).
 */
int hv_domain_create(struct hv *hv, const char *xml, char *err, size_t errlen);

/*
 * hv_domain_destroy: stop DOM at once (a transient domain is gone then).
 * Returns 0, VV_NOT_FOUND, or -1 (logged).
 */
int hv_domain_destroy(struct hv *hv, const char *dom);

/*
 * hv_agent_command: send CMD (a QMP command of the QEMU guest agent, JSON)
 * to DOM's guest agent and wait at most TIMEOUT seconds for the answer,
 * a new string into *REPLY. Returns 0, or -1 with the reason in ERR (not
 * logged: an agent that does not answer yet is what a caller waits out).
 */
int hv_agent_command(struct hv *hv, const char *dom, const char *cmd, int timeout,
    char **reply, char *err, size_t errlen);

/*
 * hv_screenshot: the picture of DOM's first screen into the new file PATH,
 * in the format libvirt gives (its MIME type into MIME, e.g.
 * "image/x-portable-pixmap"). Returns 0 or -1 (logged).
 */
int hv_screenshot(struct hv *hv, const char *dom, const char *path, char *mime,
    size_t mimelen);

/* hv_close: close HV; NULL is a no-op. */
void hv_close(struct hv *hv);

#endif
