#include "agent/hv.h"

#include <stdio.h>

#include <stdlib.h>

#include "agent/hv_backend.h"
#include "common/log.h"

const char *
hv_uri(const struct hv *hv)
{
	return hv->uri;
}

int
hv_domain_state(struct hv *hv, const char *dom, enum hv_state *state,
    bool *persistent)
{
	enum hv_state s;
	bool p;

	return hv->ops->domain_state(hv, dom, state ? state : &s,
	    persistent ? persistent : &p);
}

int
hv_domain_xml(struct hv *hv, const char *dom, bool inactive, char **xml)
{
	return hv->ops->domain_xml(hv, dom, inactive, xml);
}

int
hv_snapshots(struct hv *hv, const char *dom, struct strlist *xmls)
{
	return hv->ops->snapshots(hv, dom, xmls);
}

int
hv_block_job(struct hv *hv, const char *dom, const char *target,
    struct hv_block_job *job)
{
	return hv->ops->block_job(hv, dom, target, job);
}

int
hv_snapshot_disks(struct hv *hv, const char *dom, const char *xml, bool quiesce,
    char *err, size_t errlen)
{
	return hv->ops->snapshot_disks(hv, dom, xml, quiesce, err, errlen);
}

int
hv_block_commit(struct hv *hv, const char *dom, const char *target)
{
	return hv->ops->block_commit(hv, dom, target);
}

int
hv_block_pivot(struct hv *hv, const char *dom, const char *target, char *err,
    size_t errlen)
{
	return hv->ops->block_pivot(hv, dom, target, err, errlen);
}

int
hv_block_pull(struct hv *hv, const char *dom, const char *target)
{
	if (hv->ops->block_pull == NULL) {
		log_error("domain %s, disk %s: this hypervisor connection cannot pull a disk", dom, target);
		return -1;
	}
	return hv->ops->block_pull(hv, dom, target);
}

int
hv_undefine(struct hv *hv, const char *dom)
{
	if (hv->ops->undefine == NULL) {
		log_error("domain %s: this hypervisor connection cannot undefine a domain", dom);
		return -1;
	}
	return hv->ops->undefine(hv, dom);
}

int
hv_domain_start(struct hv *hv, const char *dom)
{
	if (hv->ops->domain_start == NULL) {
		log_error("domain %s: this hypervisor connection cannot start a domain", dom);
		return -1;
	}
	return hv->ops->domain_start(hv, dom);
}

int
hv_block_abort(struct hv *hv, const char *dom, const char *target)
{
	return hv->ops->block_abort(hv, dom, target);
}

int
hv_define(struct hv *hv, const char *xml)
{
	return hv->ops->define(hv, xml);
}

int
hv_snapshot_delete_metadata(struct hv *hv, const char *dom, const char *name)
{
	return hv->ops->snapshot_delete_metadata(hv, dom, name);
}

int
hv_list_domains(struct hv *hv, struct strlist *names)
{
	return hv->ops->list_domains(hv, names);
}

int
hv_checkpoint_create(struct hv *hv, const char *dom, const char *xml, char *err, size_t errlen)
{
	if (hv->ops->checkpoint_create == NULL) {
		snprintf(err, errlen, "checkpoints are not supported here");
		return -1;
	}
	return hv->ops->checkpoint_create(hv, dom, xml, err, errlen);
}

int
hv_checkpoints(struct hv *hv, const char *dom, struct strlist *names)
{
	return hv->ops->checkpoints ? hv->ops->checkpoints(hv, dom, names) : 0;
}

int
hv_checkpoint_delete(struct hv *hv, const char *dom, const char *name)
{
	return hv->ops->checkpoint_delete ? hv->ops->checkpoint_delete(hv, dom, name) : VV_NOT_FOUND;
}

int
hv_checkpoint_forget(struct hv *hv, const char *dom, const char *name)
{
	return hv->ops->checkpoint_forget ? hv->ops->checkpoint_forget(hv, dom, name) : VV_NOT_FOUND;
}

int
hv_domain_create(struct hv *hv, const char *xml, char *err, size_t errlen)
{
	if (hv->ops->domain_create == NULL) {
		snprintf(err, errlen, "this hypervisor connection cannot start a transient domain");
		return -1;
	}
	return hv->ops->domain_create(hv, xml, err, errlen);
}

int
hv_domain_destroy(struct hv *hv, const char *dom)
{
	if (hv->ops->domain_destroy == NULL) {
		log_error("domain %s: this hypervisor connection cannot stop a domain", dom);
		return -1;
	}
	return hv->ops->domain_destroy(hv, dom);
}

int
hv_agent_command(struct hv *hv, const char *dom, const char *cmd, int timeout,
    char **reply, char *err, size_t errlen)
{
	*reply = NULL;
	if (hv->ops->agent_command == NULL) {
		snprintf(err, errlen, "this hypervisor connection cannot reach a guest agent");
		return -1;
	}
	return hv->ops->agent_command(hv, dom, cmd, timeout, reply, err, errlen);
}

int
hv_screenshot(struct hv *hv, const char *dom, const char *path, char *mime, size_t mimelen)
{
	if (hv->ops->screenshot == NULL) {
		log_error("domain %s: this hypervisor connection cannot take a screenshot", dom);
		return -1;
	}
	return hv->ops->screenshot(hv, dom, path, mime, mimelen);
}

void
hv_close(struct hv *hv)
{
	if (hv == NULL)
		return;
	hv->ops->close(hv);
	free(hv->uri);
	free(hv);
}
