#include "tests/fakes/hv_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hv_backend.h"

struct fake_dom {
	char *name;
	enum hv_state state;
	char *xml;
	struct strlist snapshots;
	char *job_target;
	char *job_type;
};

struct fake {
	struct fake_dom doms[8];
	size_t n;
	bool fail;
};

static struct fake_dom *
find(struct hv *hv, const char *name)
{
	struct fake *f = hv->priv;

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->doms[i].name, name) == 0)
			return &f->doms[i];
	return NULL;
}

static int
fk_state(struct hv *hv, const char *dom, enum hv_state *state, bool *persistent)
{
	struct fake_dom *d = find(hv, dom);

	if (((struct fake *)hv->priv)->fail)
		return -1;
	if (d == NULL)
		return HV_NOT_FOUND;
	*state = d->state;
	*persistent = true;
	return 0;
}

static int
fk_xml(struct hv *hv, const char *dom, bool inactive, char **xml)
{
	struct fake_dom *d = find(hv, dom);

	(void)inactive;
	if (((struct fake *)hv->priv)->fail)
		return -1;
	if (d == NULL)
		return HV_NOT_FOUND;
	*xml = xstrdup(d->xml);
	return 0;
}

static int
fk_snapshots(struct hv *hv, const char *dom, struct strlist *xmls)
{
	struct fake_dom *d = find(hv, dom);

	if (((struct fake *)hv->priv)->fail)
		return -1;
	if (d == NULL)
		return HV_NOT_FOUND;
	for (size_t i = 0; i < d->snapshots.n; i++)
		strlist_add(xmls, d->snapshots.v[i]);
	return 0;
}

static int
fk_block_job(struct hv *hv, const char *dom, const char *target,
    struct hv_block_job *job)
{
	struct fake_dom *d = find(hv, dom);

	if (((struct fake *)hv->priv)->fail || d == NULL)
		return -1;
	if (d->job_target == NULL || strcmp(d->job_target, target) != 0)
		return 0;
	snprintf(job->type, sizeof(job->type), "%s", d->job_type);
	job->cur = 50;
	job->end = 100;
	return 1;
}

/* The fake takes no snapshots and runs no jobs: those are tested for real. */
static int
fk_snapshot_disks(struct hv *hv, const char *dom, const char *xml, bool quiesce,
    char *err, size_t errlen)
{
	(void)hv, (void)dom, (void)xml, (void)quiesce;
	snprintf(err, errlen, "the fake hypervisor takes no snapshots");
	return -1;
}

static int
fk_no_job(struct hv *hv, const char *dom, const char *target)
{
	(void)hv, (void)dom, (void)target;
	return -1;
}

static int
fk_no_pivot(struct hv *hv, const char *dom, const char *target, char *err, size_t errlen)
{
	(void)hv, (void)dom, (void)target;
	snprintf(err, errlen, "no block job");
	return -1;
}

static int
fk_define(struct hv *hv, const char *xml)
{
	(void)hv, (void)xml;
	return -1;
}

static int
fk_snapshot_delete_metadata(struct hv *hv, const char *dom, const char *name)
{
	(void)hv, (void)dom, (void)name;
	return -1;
}

static int
fk_list_domains(struct hv *hv, struct strlist *names)
{
	struct fake *f = hv->priv;

	for (size_t i = 0; i < f->n; i++)
		strlist_add(names, f->doms[i].name);
	return 0;
}

static void
fk_close(struct hv *hv)
{
	struct fake *f = hv->priv;

	for (size_t i = 0; i < f->n; i++) {
		free(f->doms[i].name);
		free(f->doms[i].xml);
		strlist_clear(&f->doms[i].snapshots);
		free(f->doms[i].job_target);
		free(f->doms[i].job_type);
	}
	free(f);
}

static const struct hv_ops fake_ops = {
	.domain_state = fk_state,
	.domain_xml = fk_xml,
	.snapshots = fk_snapshots,
	.block_job = fk_block_job,
	.snapshot_disks = fk_snapshot_disks,
	.block_commit = fk_no_job,
	.block_pivot = fk_no_pivot,
	.block_abort = fk_no_job,
	.define = fk_define,
	.snapshot_delete_metadata = fk_snapshot_delete_metadata,
	.list_domains = fk_list_domains,
	.close = fk_close,
};

struct hv *
hv_fake_new(void)
{
	struct hv *hv = xcalloc(1, sizeof(*hv));

	hv->ops = &fake_ops;
	hv->uri = xstrdup("fake:///");
	hv->priv = xcalloc(1, sizeof(struct fake));
	return hv;
}

void
hv_fake_add_domain(struct hv *hv, const char *name, enum hv_state state,
    const char *xml)
{
	struct fake *f = hv->priv;
	struct fake_dom *d = &f->doms[f->n++];

	d->name = xstrdup(name);
	d->state = state;
	d->xml = xstrdup(xml);
}

void
hv_fake_add_snapshot(struct hv *hv, const char *name, const char *xml)
{
	strlist_add(&find(hv, name)->snapshots, xml);
}

void
hv_fake_set_block_job(struct hv *hv, const char *name, const char *target,
    const char *type)
{
	struct fake_dom *d = find(hv, name);

	d->job_target = xstrdup(target);
	d->job_type = xstrdup(type);
}

void
hv_fake_fail(struct hv *hv)
{
	((struct fake *)hv->priv)->fail = true;
}
