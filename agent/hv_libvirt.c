/*
 * The libvirt backend of struct hv. The only file of virtvault that talks
 * to libvirt for reading domains; libvirt errors are logged here once, with
 * the domain and disk they concern.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "agent/hv_backend.h"
#include "common/log.h"

/* libvirt prints every error to stderr by default; we log them ourselves. */
static void
silent_error(void *arg, virErrorPtr err)
{
	(void)arg;
	(void)err;
}

static virConnectPtr
conn_of(struct hv *hv)
{
	return hv->priv;
}

/* Look DOM up; VV_NOT_FOUND when libvirt says it does not exist. */
static int
lookup(struct hv *hv, const char *dom, virDomainPtr *out)
{
	virErrorPtr e;

	*out = virDomainLookupByName(conn_of(hv), dom);
	if (*out != NULL)
		return 0;
	e = virGetLastError();
	if (e != NULL && e->code == VIR_ERR_NO_DOMAIN)
		return VV_NOT_FOUND;
	log_error("domain %s: lookup at %s failed: %s", dom, hv->uri,
	    virGetLastErrorMessage());
	return -1;
}

static int
lv_domain_state(struct hv *hv, const char *dom, enum hv_state *state,
    bool *persistent)
{
	virDomainPtr d = NULL;
	int st, reason, r, ret = -1;

	if ((r = lookup(hv, dom, &d)) != 0)
		return r;
	if (virDomainGetState(d, &st, &reason, 0) < 0) {
		log_error("domain %s: cannot read its state: %s", dom,
		    virGetLastErrorMessage());
		goto out;
	}
	switch (st) {
	case VIR_DOMAIN_RUNNING: *state = HV_STATE_RUNNING; break;
	case VIR_DOMAIN_PAUSED: *state = HV_STATE_PAUSED; break;
	case VIR_DOMAIN_SHUTOFF: *state = HV_STATE_SHUTOFF; break;
	default: *state = HV_STATE_OTHER; break;
	}
	r = virDomainIsPersistent(d);
	if (r < 0) {
		log_error("domain %s: cannot tell whether it is persistent: %s",
		    dom, virGetLastErrorMessage());
		goto out;
	}
	*persistent = r == 1;
	ret = 0;
out:
	virDomainFree(d);
	return ret;
}

static int
lv_domain_xml(struct hv *hv, const char *dom, bool inactive, char **xml)
{
	virDomainPtr d = NULL;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0)
		return r;
	*xml = virDomainGetXMLDesc(d, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
	if (*xml == NULL)
		log_error("domain %s: cannot read its XML: %s", dom,
		    virGetLastErrorMessage());
	virDomainFree(d);
	return *xml ? 0 : -1;
}

static int
lv_snapshots(struct hv *hv, const char *dom, struct strlist *xmls)
{
	virDomainPtr d = NULL;
	virDomainSnapshotPtr *snaps = NULL;
	int n, r, ret = -1;

	if ((r = lookup(hv, dom, &d)) != 0)
		return r;
	n = virDomainListAllSnapshots(d, &snaps, 0);
	if (n < 0) {
		log_error("domain %s: cannot list snapshots: %s", dom,
		    virGetLastErrorMessage());
		goto out;
	}
	ret = 0;
	for (int i = 0; i < n; i++) {
		char *x = virDomainSnapshotGetXMLDesc(snaps[i], 0);

		if (x == NULL) {
			log_error("domain %s: cannot read snapshot %s: %s", dom,
			    virDomainSnapshotGetName(snaps[i]), virGetLastErrorMessage());
			ret = -1;
		} else {
			strlist_add(xmls, x);
			free(x);
		}
		virDomainSnapshotFree(snaps[i]);
	}
	free(snaps);
out:
	virDomainFree(d);
	return ret;
}

static int
lv_block_job(struct hv *hv, const char *dom, const char *target,
    struct hv_block_job *job)
{
	static const char *const types[] = { "unknown", "pull", "copy", "commit",
		"active commit", "backup" };
	virDomainPtr d = NULL;
	virDomainBlockJobInfo info;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0) {
		if (r == VV_NOT_FOUND)
			log_error("domain %s: not found at %s", dom, hv->uri);
		return -1;
	}
	memset(&info, 0, sizeof(info));
	r = virDomainGetBlockJobInfo(d, target, &info, 0);
	if (r < 0) {
		log_error("domain %s, disk %s: cannot read block job state: %s",
		    dom, target, virGetLastErrorMessage());
	} else if (r == 1) {
		snprintf(job->type, sizeof(job->type), "%s",
		    info.type < (int)(sizeof(types) / sizeof(types[0])) ?
		    types[info.type] : "unknown");
		job->cur = info.cur;
		job->end = info.end;
	}
	virDomainFree(d);
	return r < 0 ? -1 : r;
}

static int
lv_snapshot_disks(struct hv *hv, const char *dom, const char *xml, bool quiesce,
    char *err, size_t errlen)
{
	unsigned int flags = VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
	    VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC | VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA;
	virDomainSnapshotPtr snap;
	virDomainPtr d = NULL;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0) {
		snprintf(err, errlen, "domain not found at %s", hv->uri);
		return -1;
	}
	if (quiesce)
		flags |= VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE;
	snap = virDomainSnapshotCreateXML(d, xml, flags);
	if (snap == NULL)
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
	else
		virDomainSnapshotFree(snap);
	virDomainFree(d);
	return snap ? 0 : -1;
}

static int
lv_block_pull(struct hv *hv, const char *dom, const char *target)
{
	virDomainPtr d = NULL;
	int r;

	if (lookup(hv, dom, &d) != 0)
		return -1;
	r = virDomainBlockPull(d, target, 0, 0);
	if (r < 0)
		log_error("domain %s, disk %s: cannot start the block pull: %s", dom, target,
		    virGetLastErrorMessage());
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static int
lv_undefine(struct hv *hv, const char *dom)
{
	virDomainPtr d = NULL;
	int r;

	if (lookup(hv, dom, &d) != 0)
		return -1;
	r = virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_TPM |
	    VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
	if (r < 0)
		log_error("domain %s: cannot undefine it: %s", dom, virGetLastErrorMessage());
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static int
lv_domain_start(struct hv *hv, const char *dom)
{
	virDomainPtr d = NULL;
	int r;

	if (lookup(hv, dom, &d) != 0)
		return -1;
	r = virDomainCreate(d);
	if (r < 0)
		log_error("domain %s: cannot start it: %s", dom, virGetLastErrorMessage());
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static int
lv_block_commit(struct hv *hv, const char *dom, const char *target)
{
	virDomainPtr d = NULL;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0)
		return -1;
	/* Shallow: into the immediate backing file, never below it. */
	r = virDomainBlockCommit(d, target, NULL, NULL, 0,
	    VIR_DOMAIN_BLOCK_COMMIT_ACTIVE | VIR_DOMAIN_BLOCK_COMMIT_SHALLOW);
	if (r < 0)
		log_error("domain %s, disk %s: cannot start the block commit: %s", dom, target,
		    virGetLastErrorMessage());
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static int
lv_block_pivot(struct hv *hv, const char *dom, const char *target, char *err,
    size_t errlen)
{
	virDomainPtr d = NULL;
	virErrorPtr e;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0) {
		snprintf(err, errlen, "domain not found at %s", hv->uri);
		return -1;
	}
	r = virDomainBlockJobAbort(d, target, VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT);
	if (r < 0) {
		e = virGetLastError();
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
		r = e != NULL && e->code == VIR_ERR_BLOCK_COPY_ACTIVE ? VV_BUSY : -1;
	}
	virDomainFree(d);
	return r;
}

static int
lv_block_abort(struct hv *hv, const char *dom, const char *target)
{
	virDomainPtr d = NULL;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0)
		return -1;
	r = virDomainBlockJobAbort(d, target, 0);
	if (r < 0)
		log_error("domain %s, disk %s: cannot cancel the block job: %s", dom, target,
		    virGetLastErrorMessage());
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static int
lv_define(struct hv *hv, const char *xml)
{
	virDomainPtr d = virDomainDefineXML(conn_of(hv), xml);

	if (d == NULL) {
		log_error("cannot define the domain at %s: %s", hv->uri, virGetLastErrorMessage());
		return -1;
	}
	virDomainFree(d);
	return 0;
}

static int
lv_snapshot_delete_metadata(struct hv *hv, const char *dom, const char *name)
{
	virDomainPtr d = NULL;
	virDomainSnapshotPtr s;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0)
		return -1;
	s = virDomainSnapshotLookupByName(d, name, 0);
	r = s ? virDomainSnapshotDelete(s, VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY) : -1;
	if (r < 0)
		log_error("domain %s: cannot delete the metadata of snapshot %s: %s", dom, name,
		    virGetLastErrorMessage());
	if (s)
		virDomainSnapshotFree(s);
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static int
lv_list_domains(struct hv *hv, struct strlist *names)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn_of(hv), &doms, 0);

	if (n < 0) {
		log_error("cannot list the domains at %s: %s", hv->uri, virGetLastErrorMessage());
		return -1;
	}
	for (int i = 0; i < n; i++) {
		strlist_add(names, virDomainGetName(doms[i]));
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

static void
lv_close(struct hv *hv)
{
	if (hv->priv != NULL)
		virConnectClose(hv->priv);
}

static int
lv_checkpoint_create(struct hv *hv, const char *dom, const char *xml, char *err, size_t errlen)
{
	virDomainPtr d = NULL;
	virDomainCheckpointPtr cp;

	if (lookup(hv, dom, &d) != 0) {
		snprintf(err, errlen, "domain not found");
		return -1;
	}
	cp = virDomainCheckpointCreateXML(d, xml, 0);
	if (cp == NULL)
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
	else
		virDomainCheckpointFree(cp);
	virDomainFree(d);
	return cp ? 0 : -1;
}

static int
lv_checkpoints(struct hv *hv, const char *dom, struct strlist *names)
{
	virDomainPtr d = NULL;
	virDomainCheckpointPtr *cps = NULL;
	int n;

	if (lookup(hv, dom, &d) != 0)
		return -1;
	n = virDomainListAllCheckpoints(d, &cps, 0);
	if (n < 0)
		log_error("domain %s: cannot list its checkpoints: %s", dom, virGetLastErrorMessage());
	for (int i = 0; i < n; i++) {
		strlist_add(names, virDomainCheckpointGetName(cps[i]));
		virDomainCheckpointFree(cps[i]);
	}
	free(cps);
	virDomainFree(d);
	return n < 0 ? -1 : 0;
}

/* Delete checkpoint NAME of DOM with FLAGS: 0, VV_NOT_FOUND or -1 (logged). */
static int
checkpoint_delete(struct hv *hv, const char *dom, const char *name, unsigned flags)
{
	virDomainPtr d = NULL;
	virDomainCheckpointPtr cp;
	int r;

	if (lookup(hv, dom, &d) != 0)
		return -1;
	cp = virDomainCheckpointLookupByName(d, name, 0);
	if (cp == NULL) {
		virErrorPtr e = virGetLastError();

		r = e && e->code == VIR_ERR_NO_DOMAIN_CHECKPOINT ? VV_NOT_FOUND : -1;
		if (r < 0)
			log_error("domain %s: cannot look checkpoint %s up: %s", dom, name,
			    virGetLastErrorMessage());
		virDomainFree(d);
		return r;
	}
	r = virDomainCheckpointDelete(cp, flags);
	if (r < 0)
		log_error("domain %s: cannot delete checkpoint %s: %s", dom, name,
		    virGetLastErrorMessage());
	virDomainCheckpointFree(cp);
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static int
lv_checkpoint_delete(struct hv *hv, const char *dom, const char *name)
{
	return checkpoint_delete(hv, dom, name, 0);
}

static int
lv_checkpoint_forget(struct hv *hv, const char *dom, const char *name)
{
	return checkpoint_delete(hv, dom, name, VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY);
}

static int
lv_domain_create(struct hv *hv, const char *xml, char *err, size_t errlen)
{
	virDomainPtr d = virDomainCreateXML(conn_of(hv), xml, 0);

	if (d == NULL) {
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
		return -1;
	}
	virDomainFree(d);
	return 0;
}

static int
lv_domain_destroy(struct hv *hv, const char *dom)
{
	virDomainPtr d = NULL;
	int r;

	if ((r = lookup(hv, dom, &d)) != 0)
		return r;
	r = virDomainDestroy(d);
	if (r < 0) {
		virErrorPtr e = virGetLastError();

		/* Gone meanwhile (QEMU ended): what was asked. */
		if (e != NULL && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_OPERATION_INVALID))
			r = VV_NOT_FOUND;
		else
			log_error("domain %s: cannot stop it: %s", dom, virGetLastErrorMessage());
	}
	virDomainFree(d);
	return r;
}

static int
lv_agent_command(struct hv *hv, const char *dom, const char *cmd, int timeout,
    char **reply, char *err, size_t errlen)
{
	virDomainPtr d = virDomainLookupByName(conn_of(hv), dom);

	if (d == NULL) {
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
		return -1;
	}
	*reply = virDomainQemuAgentCommand(d, cmd, timeout, 0);
	if (*reply == NULL)
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
	virDomainFree(d);
	return *reply ? 0 : -1;
}

/* virStreamRecvAll's sink: append to the file whose descriptor is ARG. */
static int
screenshot_sink(virStreamPtr st, const char *data, size_t n, void *arg)
{
	(void)st;
	return write(*(int *)arg, data, n) == (ssize_t)n ? (int)n : -1;
}

static int
lv_screenshot(struct hv *hv, const char *dom, const char *path, char *mime, size_t mimelen)
{
	virDomainPtr d = NULL;
	virStreamPtr st = NULL;
	char *type = NULL;
	int fd = -1, ret = -1;

	if (lookup(hv, dom, &d) != 0)
		return -1;
	if ((st = virStreamNew(conn_of(hv), 0)) == NULL || (type = virDomainScreenshot(d, st, 0, 0)) == NULL) {
		log_error("domain %s: cannot take a screenshot: %s", dom, virGetLastErrorMessage());
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("domain %s: cannot create the screenshot file %s: %s", dom, path, strerror(errno));
		virStreamAbort(st);
		goto out;
	}
	if (virStreamRecvAll(st, screenshot_sink, &fd) < 0 || virStreamFinish(st) < 0) {
		log_error("domain %s: the screenshot did not arrive whole: %s", dom, virGetLastErrorMessage());
		virStreamAbort(st);
		goto out;
	}
	snprintf(mime, mimelen, "%s", type);
	ret = 0;
out:
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		log_error("domain %s: cannot write the screenshot file %s: %s", dom, path, strerror(errno));
		ret = -1;
	}
	if (ret < 0 && fd >= 0)
		unlink(path);
	free(type);
	if (st != NULL)
		virStreamFree(st);
	virDomainFree(d);
	return ret;
}

static const struct hv_ops libvirt_ops = {
	.domain_state = lv_domain_state,
	.domain_xml = lv_domain_xml,
	.snapshots = lv_snapshots,
	.block_job = lv_block_job,
	.snapshot_disks = lv_snapshot_disks,
	.block_commit = lv_block_commit,
	.block_pull = lv_block_pull,
	.domain_start = lv_domain_start,
	.undefine = lv_undefine,
	.block_pivot = lv_block_pivot,
	.block_abort = lv_block_abort,
	.define = lv_define,
	.snapshot_delete_metadata = lv_snapshot_delete_metadata,
	.list_domains = lv_list_domains,
	.checkpoint_create = lv_checkpoint_create,
	.checkpoints = lv_checkpoints,
	.checkpoint_delete = lv_checkpoint_delete,
	.checkpoint_forget = lv_checkpoint_forget,
	.domain_create = lv_domain_create,
	.domain_destroy = lv_domain_destroy,
	.agent_command = lv_agent_command,
	.screenshot = lv_screenshot,
	.close = lv_close,
};

struct hv *
hv_open_libvirt(const char *uri)
{
	struct hv *hv;
	virConnectPtr conn;

	virSetErrorFunc(NULL, silent_error);
	conn = virConnectOpen(uri);
	if (conn == NULL) {
		log_error("cannot connect to libvirt at %s: %s", uri,
		    virGetLastErrorMessage());
		return NULL;
	}
	hv = xcalloc(1, sizeof(*hv));
	hv->ops = &libvirt_ops;
	hv->uri = xstrdup(uri);
	hv->priv = conn;
	return hv;
}
