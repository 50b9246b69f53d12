#include "agent/domxml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/xmlnode.h"
#include "common/util.h"

static const char *const type_names[] = { "file", "block", "network", "volume",
	"dir", "nvme", "other" };

const char *
domxml_type_name(enum domxml_type t)
{
	return type_names[t];
}

static enum domxml_type
type_of(const char *s)
{
	for (size_t i = 0; s != NULL && i < sizeof(type_names) / sizeof(type_names[0]) - 1; i++)
		if (strcmp(s, type_names[i]) == 0)
			return (enum domxml_type)i;
	return s == NULL ? DOMXML_FILE : DOMXML_OTHER;
}

/* The path of a <source> of TYPE; NULL when it has none (empty cdrom). */
static char *
source_path(const xmlNode *src, enum domxml_type type)
{
	char *a, *b, *s;

	if (src == NULL)
		return NULL;
	switch (type) {
	case DOMXML_FILE:
		return xmlnode_attr(src, "file");
	case DOMXML_BLOCK:
		return xmlnode_attr(src, "dev");
	case DOMXML_DIR:
		return xmlnode_attr(src, "dir");
	case DOMXML_NETWORK:
		a = xmlnode_attr(src, "protocol");
		b = xmlnode_attr(src, "name");
		s = xasprintf("%s:%s", a ? a : "?", b ? b : "");
		free(a);
		free(b);
		return s;
	case DOMXML_VOLUME:
		a = xmlnode_attr(src, "pool");
		b = xmlnode_attr(src, "volume");
		s = xasprintf("%s/%s", a ? a : "?", b ? b : "");
		free(a);
		free(b);
		return s;
	case DOMXML_NVME:
	case DOMXML_OTHER:
		break;
	}
	return xstrdup("?");
}

static void
push_image(struct domxml_disk *d, enum domxml_type type, char *path, char *format)
{
	d->chain = xrealloc(d->chain, (d->nchain + 1) * sizeof(*d->chain));
	d->chain[d->nchain].type = type;
	d->chain[d->nchain].path = path;
	d->chain[d->nchain].format = format;
	d->nchain++;
}

static void
parse_disk(const xmlNode *n, struct domxml_disk *d)
{
	const xmlNode *src = xmlnode_child(n, "source"), *bs;
	char *t = xmlnode_attr(n, "type");
	enum domxml_type type = type_of(t);
	char *path;

	free(t);
	d->device = xmlnode_attr(n, "device");
	if (d->device == NULL)
		d->device = xstrdup("disk");
	d->target = xmlnode_attr(xmlnode_child(n, "target"), "dev");
	d->bus = xmlnode_attr(xmlnode_child(n, "target"), "bus");
	d->readonly = xmlnode_child(n, "readonly") != NULL;
	d->transient = xmlnode_child(n, "transient") != NULL;
	d->shareable = xmlnode_child(n, "shareable") != NULL;
	path = source_path(src, type);
	d->has_source = path != NULL;
	if (path == NULL)
		return;
	push_image(d, type, path, xmlnode_attr(xmlnode_child(n, "driver"), "type"));

	/* <backingStore type=..><format type=../><source ../><backingStore ..>. */
	for (bs = xmlnode_child(n, "backingStore"); bs != NULL; bs = xmlnode_child(bs, "backingStore")) {
		if (bs->children == NULL && !xmlHasProp(bs, BAD_CAST "type")) {
			d->chain_complete = true;
			return;
		}
		t = xmlnode_attr(bs, "type");
		type = type_of(t);
		free(t);
		path = source_path(xmlnode_child(bs, "source"), type);
		push_image(d, type, path ? path : xstrdup("?"),
		    xmlnode_attr(xmlnode_child(bs, "format"), "type"));
	}
	/* No <backingStore> at all: the XML did not say (inactive XML). */
}

struct domxml_domain *
domxml_parse(const char *xml, char *err, size_t errlen)
{
	xmlDoc *doc = xmlnode_read(xml, "domain", err, errlen);
	const xmlNode *root, *devs;
	struct domxml_domain *d;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	d = xcalloc(1, sizeof(*d));
	d->name = xmlnode_text(xmlnode_child(root, "name"));
	d->uuid = xmlnode_text(xmlnode_child(root, "uuid"));
	{
		const xmlNode *nv = xmlnode_child(xmlnode_child(root, "os"), "nvram");
		char *t = xmlnode_text(nv);

		/* <nvram>PATH</nvram>, or (libvirt 8.5 on) <nvram type='file'><source file=PATH/>. */
		if (t != NULL && t[0] == '/')
			d->nvram = t;
		else {
			free(t);
			d->nvram = xmlnode_attr(xmlnode_child(nv, "source"), "file");
		}
	}
	devs = xmlnode_child(root, "devices");
	for (const xmlNode *c = devs ? devs->children : NULL; c != NULL; c = c->next) {
		const xmlNode *be = xmlnode_is(c, "tpm") ? xmlnode_child(c, "backend") : NULL;
		char *type = xmlnode_attr(be, "type");

		if (type != NULL && strcmp(type, "emulator") == 0) {
			free(d->tpm_version);
			d->tpm_version = xmlnode_attr(be, "version");
			if (d->tpm_version == NULL)
				d->tpm_version = xstrdup("2.0");
			d->tpm_state_dir = xmlnode_attr(xmlnode_child(be, "source"), "path");
		}
		free(type);
	}
	for (const xmlNode *c = devs ? devs->children : NULL; c != NULL; c = c->next) {
		if (!xmlnode_is(c, "disk"))
			continue;
		d->disks = xrealloc(d->disks, (d->ndisks + 1) * sizeof(*d->disks));
		memset(&d->disks[d->ndisks], 0, sizeof(d->disks[0]));
		parse_disk(c, &d->disks[d->ndisks]);
		if (d->disks[d->ndisks].target == NULL) {
			snprintf(err, errlen, "a <disk> has no <target dev=...>");
			d->ndisks++;
			domxml_free(d);
			xmlFreeDoc(doc);
			return NULL;
		}
		d->ndisks++;
	}
	xmlFreeDoc(doc);
	if (d->name == NULL) {
		snprintf(err, errlen, "the domain has no <name>");
		domxml_free(d);
		return NULL;
	}
	return d;
}

static void
free_chain(struct domxml_image *chain, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(chain[i].path);
		free(chain[i].format);
	}
	free(chain);
}

void
domxml_disk_chain_set(struct domxml_disk *disk, struct domxml_image *chain,
    size_t n)
{
	free_chain(disk->chain, disk->nchain);
	disk->chain = chain;
	disk->nchain = n;
	disk->chain_complete = true;
}

void
domxml_free(struct domxml_domain *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->ndisks; i++) {
		struct domxml_disk *k = &d->disks[i];

		free(k->target);
		free(k->device);
		free(k->bus);
		free_chain(k->chain, k->nchain);
	}
	free(d->disks);
	free(d->name);
	free(d->uuid);
	free(d->nvram);
	free(d->tpm_version);
	free(d->tpm_state_dir);
	free(d);
}

char *
domxml_tpm_state(const struct domxml_domain *d)
{
	if (d->tpm_version == NULL)
		return NULL;
	if (d->tpm_state_dir != NULL)
		return xstrdup(d->tpm_state_dir);
	if (d->uuid == NULL)
		return NULL;
	return xasprintf("%s/%s/%s", DOMXML_SWTPM_DIR, d->uuid,
	    strcmp(d->tpm_version, "1.2") == 0 ? "tpm1.2" : "tpm2");
}

struct domxml_snapshot *
domxml_snapshot_parse(const char *xml, char *err, size_t errlen)
{
	xmlDoc *doc = xmlnode_read(xml, "domainsnapshot", err, errlen);
	const xmlNode *root, *disks;
	struct domxml_snapshot *s;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	s = xcalloc(1, sizeof(*s));
	s->name = xmlnode_text(xmlnode_child(root, "name"));
	disks = xmlnode_child(root, "disks");
	for (const xmlNode *c = disks ? disks->children : NULL; c != NULL; c = c->next) {
		struct domxml_snapdisk *sd;

		if (!xmlnode_is(c, "disk"))
			continue;
		s->disks = xrealloc(s->disks, (s->ndisks + 1) * sizeof(*s->disks));
		sd = &s->disks[s->ndisks++];
		sd->target = xmlnode_attr(c, "name");
		sd->snapshot = xmlnode_attr(c, "snapshot");
		sd->source = xmlnode_attr(xmlnode_child(c, "source"), "file");
	}
	xmlFreeDoc(doc);
	if (s->name == NULL) {
		snprintf(err, errlen, "the snapshot has no <name>");
		domxml_snapshot_free(s);
		return NULL;
	}
	return s;
}

void
domxml_snapshot_free(struct domxml_snapshot *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ndisks; i++) {
		free(s->disks[i].target);
		free(s->disks[i].snapshot);
		free(s->disks[i].source);
	}
	free(s->disks);
	free(s->name);
	free(s);
}

const struct domxml_disk *
domxml_find_disk(const struct domxml_domain *d, const char *target)
{
	for (size_t i = 0; i < d->ndisks; i++)
		if (strcmp(d->disks[i].target, target) == 0)
			return &d->disks[i];
	return NULL;
}

bool
domxml_runs_on(const struct domxml_domain *d, const char *target, const char *path)
{
	const struct domxml_disk *k = domxml_find_disk(d, target);

	return k != NULL && k->nchain > 0 && strcmp(k->chain[0].path, path) == 0;
}

bool
domxml_references(const struct domxml_domain *d, const char *path)
{
	for (size_t i = 0; i < d->ndisks; i++)
		for (size_t k = 0; k < d->disks[i].nchain; k++)
			if (d->disks[i].chain[k].path != NULL &&
			    strcmp(d->disks[i].chain[k].path, path) == 0)
				return true;
	return false;
}

int
domxml_replace_source(const char *xml, const char *target, const char *from,
    const char *to, const char *to_format, char **out, char *err, size_t errlen)
{
	xmlDoc *doc = xmlnode_read(xml, "domain", err, errlen);
	xmlNode *devs;
	int ret = VV_NOT_FOUND;

	if (doc == NULL)
		return -1;
	devs = xmlnode_child(xmlDocGetRootElement(doc), "devices");
	for (xmlNode *n = devs ? devs->children : NULL; n != NULL && ret == VV_NOT_FOUND; n = n->next) {
		xmlNode *src = xmlnode_is(n, "disk") ? xmlnode_child(n, "source") : NULL;
		char *dev = src ? xmlnode_attr(xmlnode_child(n, "target"), "dev") : NULL;
		char *file = src ? xmlnode_attr(src, "file") : NULL;

		if (dev != NULL && file != NULL && strcmp(dev, target) == 0 &&
		    strcmp(file, from) == 0) {
			xmlNode *drv = xmlnode_child(n, "driver");

			xmlSetProp(src, BAD_CAST "file", BAD_CAST to);
			/* The overlay was qcow2; the image it goes back to may be raw. */
			if (drv != NULL && to_format != NULL)
				xmlSetProp(drv, BAD_CAST "type", BAD_CAST to_format);
			xmlnode_drop_all(n, "backingStore");
			ret = 0;
		}
		free(dev);
		free(file);
	}
	if (ret == 0)
		*out = xmlnode_dump(doc);
	xmlFreeDoc(doc);
	return ret;
}

char *
domxml_checkpoint_request(const char *name, const char *const *targets, const bool *bitmap,
    size_t n)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *root = xmlNewNode(NULL, BAD_CAST "domaincheckpoint"), *disks;
	char *xml;

	xmlDocSetRootElement(doc, root);
	xmlNewTextChild(root, NULL, BAD_CAST "name", BAD_CAST name);
	xmlNewTextChild(root, NULL, BAD_CAST "description", BAD_CAST "virtvault changed-block tracking");
	disks = xmlNewChild(root, NULL, BAD_CAST "disks", NULL);
	for (size_t i = 0; i < n; i++) {
		xmlNode *d = xmlNewChild(disks, NULL, BAD_CAST "disk", NULL);

		xmlSetProp(d, BAD_CAST "name", BAD_CAST targets[i]);
		xmlSetProp(d, BAD_CAST "checkpoint", BAD_CAST(bitmap[i] ? "bitmap" : "no"));
	}
	xml = xmlnode_dump(doc);
	xmlFreeDoc(doc);
	return xml;
}

char *
domxml_snapshot_request(const char *name, const struct domxml_snapreq *req, size_t n)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *root = xmlNewNode(NULL, BAD_CAST "domainsnapshot"), *disks;
	char *xml;

	xmlDocSetRootElement(doc, root);
	xmlNewTextChild(root, NULL, BAD_CAST "name", BAD_CAST name);
	xmlNewTextChild(root, NULL, BAD_CAST "description", BAD_CAST "virtvault backup");
	disks = xmlNewChild(root, NULL, BAD_CAST "disks", NULL);
	for (size_t i = 0; i < n; i++) {
		xmlNode *d = xmlNewChild(disks, NULL, BAD_CAST "disk", NULL);

		xmlSetProp(d, BAD_CAST "name", BAD_CAST req[i].target);
		if (req[i].overlay == NULL) {
			xmlSetProp(d, BAD_CAST "snapshot", BAD_CAST "no");
			continue;
		}
		xmlSetProp(d, BAD_CAST "snapshot", BAD_CAST "external");
		xmlSetProp(d, BAD_CAST "type", BAD_CAST "file");
		xmlSetProp(xmlNewChild(d, NULL, BAD_CAST "driver", NULL), BAD_CAST "type",
		    BAD_CAST "qcow2");
		xmlSetProp(xmlNewChild(d, NULL, BAD_CAST "source", NULL), BAD_CAST "file",
		    BAD_CAST req[i].overlay);
	}
	xml = xmlnode_dump(doc);
	xmlFreeDoc(doc);
	return xml;
}
