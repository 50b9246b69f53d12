/*
 * The hypervisor as virtvault sees it: a small interface with one real
 * backend (libvirt, hv_libvirt.c) and a fake for unit tests
 * (tests/fakes/hv_fake.c). No libvirt type appears here.
 */
#ifndef VV_HV_H
#define VV_HV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

struct hv;

/* Extra return of lookups: the domain does not exist. */
#define HV_NOT_FOUND 1

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
 * HV_NOT_FOUND (logged by nobody: the caller decides), or -1 (logged).
 */
int hv_domain_state(struct hv *hv, const char *dom, enum hv_state *state,
    bool *persistent);

/*
 * hv_domain_xml: DOM's XML, live when it runs (INACTIVE: the persistent
 * definition instead) into *XML, a new string the caller frees. Returns 0,
 * HV_NOT_FOUND, or -1 (logged).
 */
int hv_domain_xml(struct hv *hv, const char *dom, bool inactive, char **xml);

/*
 * hv_snapshots: the XML of every snapshot (with metadata) of DOM appended
 * to XMLS. Returns 0, HV_NOT_FOUND or -1 (logged).
 */
int hv_snapshots(struct hv *hv, const char *dom, struct strlist *xmls);

/*
 * hv_block_job: whether a block job runs on disk TARGET of DOM. Returns 1
 * with *JOB filled, 0 when none, -1 on error (logged).
 */
int hv_block_job(struct hv *hv, const char *dom, const char *target,
    struct hv_block_job *job);

/* hv_close: close HV; NULL is a no-op. */
void hv_close(struct hv *hv);

#endif
