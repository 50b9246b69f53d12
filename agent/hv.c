#include "agent/hv.h"

#include <stdlib.h>

#include "agent/hv_backend.h"

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

void
hv_close(struct hv *hv)
{
	if (hv == NULL)
		return;
	hv->ops->close(hv);
	free(hv->uri);
	free(hv);
}
