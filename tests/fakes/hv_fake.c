/*
 * The stateful fake hypervisor (tests/fakes/hv_fake.h).
 * lint: long file: its state machine (domains, snapshots, block jobs,
 * checkpoints, faults) in one place, as libvirt's test driver.
 */
#include "tests/fakes/hv_fake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/domxml.h"
#include "agent/hv_backend.h"
#include "agent/xmlnode.h"
#include "common/log.h"

#define FK_MAX_DOMS 8
#define FK_MAX_JOBS 8
#define FK_MAX_FAULTS 8

struct fk_job {
	char *target;
	char type[24];
	uint64_t cur, end;
	bool endless;		/* set by the test: never progresses */
	bool outwritten;	/* the guest outwrites it: never ready */
};

struct fk_dom {
	char *name;
	enum hv_state state;
	xmlDoc *live;		/* running or paused only */
	xmlDoc *def;		/* persistent definition */
	struct strlist snapshots;
	struct strlist checkpoints;	/* names */
	struct fk_job jobs[FK_MAX_JOBS];
	size_t njobs;
	unsigned outwrite;
	bool no_agent;
};

enum fate { FATE_OK, FATE_FAIL, FATE_AFTER };

/* Something that happens at the AT-th call of OP (NULL: of any operation). */
struct fk_when {
	const char *op;
	unsigned long at;
};

struct fk_fault {
	struct fk_when when;
	enum hv_fake_fault kind;
};

struct fake {
	struct fk_dom doms[FK_MAX_DOMS];
	size_t n;
	bool down;
	unsigned long calls;
	struct strlist op_names;	/* one entry per call, in order */
	struct fk_fault faults[FK_MAX_FAULTS];
	size_t nfaults;
	struct fk_when hook_when;
	void (*hook)(struct hv *hv, void *arg);
	void *hook_arg;
};

static struct fake *
fk(struct hv *hv)
{
	return hv->priv;
}

static struct fk_dom *
find(struct hv *hv, const char *name)
{
	struct fake *f = fk(hv);

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->doms[i].name, name) == 0)
			return &f->doms[i];
	return NULL;
}

static unsigned long
count(const struct fake *f, const char *op)
{
	unsigned long n = 0;

	if (op == NULL)
		return f->calls;
	for (size_t i = 0; i < f->op_names.n; i++)
		n += strcmp(f->op_names.v[i], op) == 0;
	return n;
}

/* WHEN, for a call to OP that was just counted. */
static bool
now(const struct fake *f, const struct fk_when *when, const char *op)
{
	if (when->op != NULL && strcmp(when->op, op) != 0)
		return false;
	return count(f, when->op) == when->at;
}

static struct fk_when
from_now(const struct fake *f, const char *op, unsigned long nth)
{
	struct fk_when w = { op, count(f, op) + nth };

	return w;
}

/* Count a call of OP and decide its fate (faults, broken connection). */
static enum fate
enter(struct hv *hv, const char *op)
{
	struct fake *f = fk(hv);
	enum fate fate = FATE_OK;

	f->calls++;
	strlist_add(&f->op_names, op);
	if (f->hook != NULL && now(f, &f->hook_when, op)) {
		void (*fn)(struct hv *, void *) = f->hook;

		f->hook = NULL;
		fn(hv, f->hook_arg);
	}
	for (size_t i = 0; i < f->nfaults; i++) {
		if (!now(f, &f->faults[i].when, op))
			continue;
		if (f->faults[i].kind == HV_FAKE_DISCONNECT)
			f->down = true;
		else
			fate = f->faults[i].kind == HV_FAKE_FAIL ? FATE_FAIL : FATE_AFTER;
	}
	if (f->down)
		fate = FATE_FAIL;
	if (fate == FATE_FAIL)
		log_error("fake hypervisor: %s failed (injected)", op);
	return fate;
}

/* ---- the definitions, edited as libvirt edits them ---- */

static xmlNode *
disk_node(xmlDoc *doc, const char *target)
{
	xmlNode *devs;

	if (doc == NULL)
		return NULL;
	devs = xmlnode_child(xmlDocGetRootElement(doc), "devices");
	for (xmlNode *n = devs ? devs->children : NULL; n != NULL; n = n->next) {
		char *dev;
		bool hit;

		if (!xmlnode_is(n, "disk"))
			continue;
		dev = xmlnode_attr(xmlnode_child(n, "target"), "dev");
		hit = dev != NULL && strcmp(dev, target) == 0;
		free(dev);
		if (hit)
			return n;
	}
	return NULL;
}

static char *
source_file(const xmlNode *n)
{
	return xmlnode_attr(xmlnode_child(n, "source"), "file");
}

static void
set_source(xmlNode *disk, const char *file, const char *format)
{
	xmlNode *src = xmlnode_child(disk, "source");
	xmlNode *drv = xmlnode_child(disk, "driver");

	if (src == NULL)
		src = xmlNewChild(disk, NULL, BAD_CAST "source", NULL);
	xmlSetProp(src, BAD_CAST "file", BAD_CAST file);
	if (drv == NULL) {
		drv = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
		xmlSetProp(drv, BAD_CAST "name", BAD_CAST "qemu");
	}
	xmlSetProp(drv, BAD_CAST "type", BAD_CAST format);
}

/* Live definition: OVERLAY on top of the disk's chain. */
static void
push_overlay(xmlNode *disk, const char *overlay)
{
	char *old = source_file(disk);
	char *fmt = xmlnode_attr(xmlnode_child(disk, "driver"), "type");
	xmlNode *old_bs = xmlnode_child(disk, "backingStore");
	xmlNode *bs = xmlNewNode(NULL, BAD_CAST "backingStore");
	xmlNode *n;

	xmlSetProp(bs, BAD_CAST "type", BAD_CAST "file");
	n = xmlNewChild(bs, NULL, BAD_CAST "format", NULL);
	xmlSetProp(n, BAD_CAST "type", BAD_CAST (fmt ? fmt : "raw"));
	n = xmlNewChild(bs, NULL, BAD_CAST "source", NULL);
	xmlSetProp(n, BAD_CAST "file", BAD_CAST (old ? old : "?"));
	if (old_bs != NULL) {
		xmlUnlinkNode(old_bs);
		xmlAddChild(bs, old_bs);
	} else {
		xmlNewChild(bs, NULL, BAD_CAST "backingStore", NULL);
	}
	xmlAddChild(disk, bs);
	set_source(disk, overlay, "qcow2");
	free(old);
	free(fmt);
}

/* Live definition: the active image folded into its backing file. */
static void
pop_overlay(xmlNode *disk)
{
	xmlNode *bs = xmlnode_child(disk, "backingStore");
	xmlNode *next = xmlnode_child(bs, "backingStore");
	char *file = source_file(bs);
	char *fmt = xmlnode_attr(xmlnode_child(bs, "format"), "type");

	set_source(disk, file ? file : "?", fmt ? fmt : "raw");
	if (next != NULL)
		xmlUnlinkNode(next);
	xmlnode_drop(bs);
	if (next != NULL)
		xmlAddChild(disk, next);
	free(file);
	free(fmt);
}

/* Persistent definition: disk TARGET's file FROM becomes TO. */
static void
def_switch(xmlDoc *def, const char *target, const char *from, const char *to,
    const char *format)
{
	xmlNode *disk = disk_node(def, target);
	char *cur = disk ? source_file(disk) : NULL;

	if (cur != NULL && strcmp(cur, from) == 0)
		set_source(disk, to, format);
	free(cur);
}

static xmlDoc *
parse_or_die(const char *xml)
{
	char err[256];
	xmlDoc *doc = xmlnode_read(xml, "domain", err, sizeof(err));

	if (doc == NULL) {
		fprintf(stderr, "hv_fake: bad domain XML: %s\n", err);
		abort();
	}
	return doc;
}

/* A persistent definition from a live one: no <backingStore>. */
static xmlDoc *
inactive_copy(xmlDoc *live)
{
	xmlDoc *def = xmlCopyDoc(live, 1);
	xmlNode *devs = xmlnode_child(xmlDocGetRootElement(def), "devices");

	for (xmlNode *n = devs ? devs->children : NULL; n != NULL; n = n->next)
		if (xmlnode_is(n, "disk"))
			xmlnode_drop_all(n, "backingStore");
	return def;
}

static struct fk_job *
job_of(struct fk_dom *d, const char *target)
{
	for (size_t i = 0; i < d->njobs; i++)
		if (strcmp(d->jobs[i].target, target) == 0)
			return &d->jobs[i];
	return NULL;
}

static void
job_end(struct fk_dom *d, struct fk_job *j)
{
	free(j->target);
	*j = d->jobs[--d->njobs];
}

static bool
active(const struct fk_dom *d)
{
	return d->state == HV_STATE_RUNNING || d->state == HV_STATE_PAUSED;
}

/* ---- the operations ---- */

static int
fk_state(struct hv *hv, const char *dom, enum hv_state *state, bool *persistent)
{
	struct fk_dom *d = find(hv, dom);

	if (enter(hv, "domain_state") != FATE_OK)
		return -1;
	if (d == NULL)
		return VV_NOT_FOUND;
	*state = d->state;
	*persistent = true;
	return 0;
}

static int
fk_xml(struct hv *hv, const char *dom, bool inactive, char **xml)
{
	struct fk_dom *d = find(hv, dom);

	if (enter(hv, "domain_xml") != FATE_OK)
		return -1;
	if (d == NULL)
		return VV_NOT_FOUND;
	*xml = xmlnode_dump(inactive || d->live == NULL ? d->def : d->live);
	return 0;
}

static int
fk_snapshots(struct hv *hv, const char *dom, struct strlist *xmls)
{
	struct fk_dom *d = find(hv, dom);

	if (enter(hv, "snapshots") != FATE_OK)
		return -1;
	if (d == NULL)
		return VV_NOT_FOUND;
	for (size_t i = 0; i < d->snapshots.n; i++)
		strlist_add(xmls, d->snapshots.v[i]);
	return 0;
}

static int
fk_block_job(struct hv *hv, const char *dom, const char *target,
    struct hv_block_job *job)
{
	struct fk_dom *d = find(hv, dom);
	struct fk_job *j;

	if (enter(hv, "block_job") != FATE_OK || d == NULL)
		return -1;
	j = job_of(d, target);
	if (j == NULL)
		return 0;
	if (j->outwritten) {
		j->cur += 10;
		j->end += 10;
	} else if (!j->endless) {
		j->cur = j->cur + 50 > j->end ? j->end : j->cur + 50;
	}
	snprintf(job->type, sizeof(job->type), "%s", j->type);
	job->cur = j->cur;
	job->end = j->end;
	return 1;
}

static int
fk_snapshot_disks(struct hv *hv, const char *dom, const char *xml, bool quiesce,
    char *err, size_t errlen)
{
	struct fk_dom *d = find(hv, dom);
	struct domxml_snapshot *s;
	enum fate fate = enter(hv, "snapshot_disks");
	int ret = -1;

	if (fate == FATE_FAIL) {
		snprintf(err, errlen, "injected failure");
		return -1;
	}
	if (d == NULL || !active(d)) {
		snprintf(err, errlen, "domain is not running");
		return -1;
	}
	if (quiesce && d->no_agent) {
		snprintf(err, errlen, "Guest agent is not responding: QEMU guest agent is not connected");
		return -1;
	}
	s = domxml_snapshot_parse(xml, err, errlen);
	if (s == NULL)
		return -1;
	/* Atomic: check every disk before touching any. */
	for (size_t i = 0; i < s->ndisks; i++) {
		const struct domxml_snapdisk *sd = &s->disks[i];

		if (sd->snapshot == NULL || strcmp(sd->snapshot, "external") != 0)
			continue;
		if (disk_node(d->live, sd->target) == NULL || sd->source == NULL) {
			snprintf(err, errlen, "no disk '%s' with a source", sd->target);
			goto out;
		}
		if (job_of(d, sd->target) != NULL) {
			snprintf(err, errlen, "disk '%s' has a block job", sd->target);
			goto out;
		}
		if (access(sd->source, F_OK) == 0) {
			snprintf(err, errlen, "external snapshot file for disk %s already exists",
			    sd->target);
			goto out;
		}
	}
	for (size_t i = 0; i < s->ndisks; i++) {
		const struct domxml_snapdisk *sd = &s->disks[i];
		xmlNode *disk;
		char *old;
		int fd;

		if (sd->snapshot == NULL || strcmp(sd->snapshot, "external") != 0)
			continue;
		fd = open(sd->source, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "cannot create %s: %s", sd->source, strerror(errno));
			goto out;
		}
		close(fd);
		disk = disk_node(d->live, sd->target);
		old = source_file(disk);
		push_overlay(disk, sd->source);
		def_switch(d->def, sd->target, old, sd->source, "qcow2");
		free(old);
	}
	ret = fate == FATE_AFTER ? -1 : 0;
	if (ret < 0)
		snprintf(err, errlen, "injected failure after the snapshot");
out:
	domxml_snapshot_free(s);
	return ret;
}

static int
fk_block_commit(struct hv *hv, const char *dom, const char *target)
{
	struct fk_dom *d = find(hv, dom);
	enum fate fate = enter(hv, "block_commit");
	struct fk_job *j;
	xmlNode *disk;

	if (fate == FATE_FAIL)
		return -1;
	disk = d && active(d) ? disk_node(d->live, target) : NULL;
	if (disk == NULL || xmlnode_child(xmlnode_child(disk, "backingStore"), "source") == NULL) {
		log_error("fake hypervisor: domain %s, disk %s: nothing to commit", dom, target);
		return -1;
	}
	if (job_of(d, target) != NULL || d->njobs == FK_MAX_JOBS) {
		log_error("fake hypervisor: domain %s, disk %s: a block job runs", dom, target);
		return -1;
	}
	j = &d->jobs[d->njobs++];
	memset(j, 0, sizeof(*j));
	j->target = xstrdup(target);
	snprintf(j->type, sizeof(j->type), "active commit");
	j->end = 100;
	if (d->outwrite > 0) {
		d->outwrite--;
		j->outwritten = true;
	}
	if (fate == FATE_AFTER) {
		log_error("fake hypervisor: block_commit failed after starting (injected)");
		return -1;
	}
	return 0;
}

static int
fk_block_pivot(struct hv *hv, const char *dom, const char *target, char *err, size_t errlen)
{
	struct fk_dom *d = find(hv, dom);
	enum fate fate = enter(hv, "block_pivot");
	struct fk_job *j = d ? job_of(d, target) : NULL;
	xmlNode *disk;
	char *overlay, *base, *fmt;

	if (fate == FATE_FAIL) {
		snprintf(err, errlen, "injected failure");
		return -1;
	}
	if (j == NULL || strcmp(j->type, "active commit") != 0) {
		snprintf(err, errlen, "disk '%s' has no active block commit", target);
		return -1;
	}
	if (j->cur != j->end || j->endless)
		return VV_BUSY;
	disk = disk_node(d->live, target);
	overlay = source_file(disk);
	base = source_file(xmlnode_child(disk, "backingStore"));
	fmt = xmlnode_attr(xmlnode_child(xmlnode_child(disk, "backingStore"), "format"), "type");
	pop_overlay(disk);
	def_switch(d->def, target, overlay, base, fmt ? fmt : "raw");
	free(overlay);
	free(base);
	free(fmt);
	job_end(d, j);
	if (fate == FATE_AFTER) {
		snprintf(err, errlen, "injected failure after the pivot");
		return -1;
	}
	return 0;
}

static int
fk_block_abort(struct hv *hv, const char *dom, const char *target)
{
	struct fk_dom *d = find(hv, dom);
	enum fate fate = enter(hv, "block_abort");
	struct fk_job *j = d ? job_of(d, target) : NULL;

	if (fate == FATE_FAIL)
		return -1;
	if (j == NULL) {
		log_error("fake hypervisor: domain %s, disk %s: no block job to abort", dom, target);
		return -1;
	}
	job_end(d, j);
	return fate == FATE_AFTER ? -1 : 0;
}

static int
fk_define(struct hv *hv, const char *xml)
{
	enum fate fate = enter(hv, "define");
	struct fake *f = fk(hv);
	char err[256];
	xmlDoc *doc;
	char *name;
	struct fk_dom *d;

	if (fate == FATE_FAIL)
		return -1;
	doc = xmlnode_read(xml, "domain", err, sizeof(err));
	if (doc == NULL) {
		log_error("fake hypervisor: define: %s", err);
		return -1;
	}
	name = xmlnode_text(xmlnode_child(xmlDocGetRootElement(doc), "name"));
	d = name ? find(hv, name) : NULL;
	if (d == NULL && name != NULL && f->n < FK_MAX_DOMS) {
		d = &f->doms[f->n++];
		d->name = xstrdup(name);
		d->state = HV_STATE_SHUTOFF;
	}
	free(name);
	if (d == NULL) {
		xmlFreeDoc(doc);
		log_error("fake hypervisor: define: no <name>, or too many domains");
		return -1;
	}
	xmlFreeDoc(d->def);
	d->def = doc;
	return fate == FATE_AFTER ? -1 : 0;
}

static int
fk_snapshot_delete_metadata(struct hv *hv, const char *dom, const char *name)
{
	struct fk_dom *d = find(hv, dom);
	enum fate fate = enter(hv, "snapshot_delete_metadata");

	if (fate == FATE_FAIL || d == NULL)
		return -1;
	for (size_t i = 0; i < d->snapshots.n; i++) {
		char err[128];
		struct domxml_snapshot *s = domxml_snapshot_parse(d->snapshots.v[i], err,
		    sizeof(err));
		bool hit = s != NULL && strcmp(s->name, name) == 0;

		domxml_snapshot_free(s);
		if (hit) {
			free(d->snapshots.v[i]);
			d->snapshots.v[i] = d->snapshots.v[--d->snapshots.n];
			return fate == FATE_AFTER ? -1 : 0;
		}
	}
	log_error("fake hypervisor: domain %s has no snapshot %s", dom, name);
	return -1;
}

static int
fk_list_domains(struct hv *hv, struct strlist *names)
{
	struct fake *f = fk(hv);

	if (enter(hv, "list_domains") != FATE_OK)
		return -1;
	for (size_t i = 0; i < f->n; i++)
		strlist_add(names, f->doms[i].name);
	return 0;
}

/* Checkpoints: names only (the fake writes no bitmap into the images). */
static int
fk_checkpoint_create(struct hv *hv, const char *dom, const char *xml, char *err, size_t errlen)
{
	struct fk_dom *d = find(hv, dom);
	enum fate fate = enter(hv, "checkpoint_create");
	xmlDoc *doc;
	xmlNode *n;

	if (fate == FATE_FAIL || d == NULL) {
		snprintf(err, errlen, "injected failure");
		return -1;
	}
	doc = xmlReadMemory(xml, (int)strlen(xml), "cp.xml", NULL, XML_PARSE_NONET);
	for (n = doc ? xmlDocGetRootElement(doc)->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST "name") == 0) {
			xmlChar *name = xmlNodeGetContent(n);

			strlist_add(&d->checkpoints, (const char *)name);
			xmlFree(name);
		}
	xmlFreeDoc(doc);
	if (fate == FATE_AFTER) {
		snprintf(err, errlen, "injected failure after the deed");
		return -1;
	}
	return 0;
}

static int
fk_checkpoints(struct hv *hv, const char *dom, struct strlist *names)
{
	struct fk_dom *d = find(hv, dom);

	if (enter(hv, "checkpoints") != FATE_OK || d == NULL)
		return -1;
	for (size_t i = 0; i < d->checkpoints.n; i++)
		strlist_add(names, d->checkpoints.v[i]);
	return 0;
}

static int
fk_checkpoint_delete(struct hv *hv, const char *dom, const char *name)
{
	struct fk_dom *d = find(hv, dom);
	enum fate fate = enter(hv, "checkpoint_delete");

	if (fate == FATE_FAIL || d == NULL)
		return -1;
	if (!active(d)) {
		log_error("fake hypervisor: cannot delete checkpoint for inactive domain %s", dom);
		return -1;
	}
	for (size_t i = 0; i < d->checkpoints.n; i++)
		if (strcmp(d->checkpoints.v[i], name) == 0) {
			free(d->checkpoints.v[i]);
			d->checkpoints.v[i] = d->checkpoints.v[--d->checkpoints.n];
			return fate == FATE_AFTER ? -1 : 0;
		}
	return VV_NOT_FOUND;
}

/* As libvirt: a shut-off domain's checkpoint is only forgotten, never deleted. */
static int
fk_checkpoint_forget(struct hv *hv, const char *dom, const char *name)
{
	struct fk_dom *d = find(hv, dom);
	enum fate fate = enter(hv, "checkpoint_forget");

	if (fate == FATE_FAIL || d == NULL)
		return -1;
	for (size_t i = 0; i < d->checkpoints.n; i++)
		if (strcmp(d->checkpoints.v[i], name) == 0) {
			free(d->checkpoints.v[i]);
			d->checkpoints.v[i] = d->checkpoints.v[--d->checkpoints.n];
			return fate == FATE_AFTER ? -1 : 0;
		}
	return VV_NOT_FOUND;
}

size_t
hv_fake_checkpoints(struct hv *hv, const char *dom)
{
	struct fk_dom *d = find(hv, dom);

	return d ? d->checkpoints.n : 0;
}

static void
fk_close(struct hv *hv)
{
	struct fake *f = fk(hv);

	for (size_t i = 0; i < f->n; i++) {
		struct fk_dom *d = &f->doms[i];

		free(d->name);
		xmlFreeDoc(d->live);
		xmlFreeDoc(d->def);
		strlist_clear(&d->snapshots);
		strlist_clear(&d->checkpoints);
		while (d->njobs > 0)
			job_end(d, &d->jobs[0]);
	}
	strlist_clear(&f->op_names);
	free(f);
}

static const struct hv_ops fake_ops = {
	.domain_state = fk_state,
	.domain_xml = fk_xml,
	.snapshots = fk_snapshots,
	.block_job = fk_block_job,
	.snapshot_disks = fk_snapshot_disks,
	.block_commit = fk_block_commit,
	.block_pivot = fk_block_pivot,
	.block_abort = fk_block_abort,
	.define = fk_define,
	.snapshot_delete_metadata = fk_snapshot_delete_metadata,
	.list_domains = fk_list_domains,
	.checkpoint_create = fk_checkpoint_create,
	.checkpoints = fk_checkpoints,
	.checkpoint_delete = fk_checkpoint_delete,
	.checkpoint_forget = fk_checkpoint_forget,
	.close = fk_close,
};

/* ---- what tests use to set the scene ---- */

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
	struct fake *f = fk(hv);
	struct fk_dom *d;

	if (f->n == FK_MAX_DOMS)
		abort();
	d = &f->doms[f->n++];
	d->name = xstrdup(name);
	d->state = state;
	if (state == HV_STATE_SHUTOFF) {
		d->def = parse_or_die(xml);
	} else {
		d->live = parse_or_die(xml);
		d->def = inactive_copy(d->live);
	}
}

void
hv_fake_set_state(struct hv *hv, const char *name, enum hv_state state)
{
	struct fk_dom *d = find(hv, name);

	if (active(d) && (state == HV_STATE_SHUTOFF || state == HV_STATE_OTHER)) {
		xmlFreeDoc(d->live);
		d->live = NULL;
		while (d->njobs > 0)
			job_end(d, &d->jobs[0]);
	} else if (!active(d) && (state == HV_STATE_RUNNING || state == HV_STATE_PAUSED)) {
		d->live = xmlCopyDoc(d->def, 1);
	}
	d->state = state;
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
	struct fk_dom *d = find(hv, name);
	struct fk_job *j = &d->jobs[d->njobs++];

	memset(j, 0, sizeof(*j));
	j->target = xstrdup(target);
	snprintf(j->type, sizeof(j->type), "%s", type);
	j->cur = 50;
	j->end = 100;
	j->endless = true;
}

void
hv_fake_set_agent(struct hv *hv, const char *name, bool answers)
{
	find(hv, name)->no_agent = !answers;
}

void
hv_fake_outwrite(struct hv *hv, const char *name, unsigned n)
{
	find(hv, name)->outwrite = n;
}

size_t
hv_fake_jobs(struct hv *hv, const char *name)
{
	return find(hv, name)->njobs;
}

void
hv_fake_fault(struct hv *hv, const char *op, unsigned long nth, enum hv_fake_fault fault)
{
	struct fake *f = fk(hv);

	if (f->nfaults == FK_MAX_FAULTS)
		abort();
	f->faults[f->nfaults].when = from_now(f, op, nth);
	f->faults[f->nfaults++].kind = fault;
}

void
hv_fake_on_call(struct hv *hv, const char *op, unsigned long nth,
    void (*fn)(struct hv *hv, void *arg), void *arg)
{
	struct fake *f = fk(hv);

	f->hook_when = from_now(f, op, nth);
	f->hook = fn;
	f->hook_arg = arg;
}

void
hv_fake_fail(struct hv *hv)
{
	fk(hv)->down = true;
}

void
hv_fake_reconnect(struct hv *hv)
{
	fk(hv)->down = false;
}

unsigned long
hv_fake_calls(struct hv *hv, const char *op)
{
	return count(fk(hv), op);
}
