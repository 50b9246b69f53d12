#include "agent/domxml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Domain XML from libvirt is small; anything larger is not one. */
#define DOMXML_MAX (16 * 1024 * 1024)

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

static bool
is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static const xmlNode *
child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

/* A new copy of attribute NAME of N, or NULL. */
static char *
attr(const xmlNode *n, const char *name)
{
	xmlChar *v;
	char *s;

	if (n == NULL)
		return NULL;
	v = xmlGetProp(n, BAD_CAST name);
	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

static char *
text_of(const xmlNode *n)
{
	xmlChar *v;
	char *s;

	if (n == NULL)
		return NULL;
	v = xmlNodeGetContent(n);
	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
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
		return attr(src, "file");
	case DOMXML_BLOCK:
		return attr(src, "dev");
	case DOMXML_DIR:
		return attr(src, "dir");
	case DOMXML_NETWORK:
		a = attr(src, "protocol");
		b = attr(src, "name");
		s = xasprintf("%s:%s", a ? a : "?", b ? b : "");
		free(a);
		free(b);
		return s;
	case DOMXML_VOLUME:
		a = attr(src, "pool");
		b = attr(src, "volume");
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
	const xmlNode *src = child(n, "source"), *bs;
	char *t = attr(n, "type");
	enum domxml_type type = type_of(t);
	char *path;

	free(t);
	d->device = attr(n, "device");
	if (d->device == NULL)
		d->device = xstrdup("disk");
	d->target = attr(child(n, "target"), "dev");
	d->bus = attr(child(n, "target"), "bus");
	d->readonly = child(n, "readonly") != NULL;
	d->transient = child(n, "transient") != NULL;
	d->shareable = child(n, "shareable") != NULL;
	path = source_path(src, type);
	d->has_source = path != NULL;
	if (path == NULL)
		return;
	push_image(d, type, path, attr(child(n, "driver"), "type"));

	/* <backingStore type=..><format type=../><source ../><backingStore ..>. */
	for (bs = child(n, "backingStore"); bs != NULL; bs = child(bs, "backingStore")) {
		if (bs->children == NULL && !xmlHasProp(bs, BAD_CAST "type")) {
			d->chain_complete = true;
			return;
		}
		t = attr(bs, "type");
		type = type_of(t);
		free(t);
		path = source_path(child(bs, "source"), type);
		push_image(d, type, path ? path : xstrdup("?"),
		    attr(child(bs, "format"), "type"));
	}
	/* No <backingStore> at all: the XML did not say (inactive XML). */
}

static xmlDoc *
read_doc(const char *xml, const char *root, char *err, size_t errlen)
{
	size_t len = strlen(xml);
	xmlDoc *doc;
	xmlNode *r;

	if (len > DOMXML_MAX) {
		snprintf(err, errlen, "XML too large (%zu bytes)", len);
		return NULL;
	}
	doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		const xmlError *e = xmlGetLastError();

		snprintf(err, errlen, "malformed XML%s%s", e ? ": " : "",
		    e && e->message ? e->message : "");
		/* libxml2 messages end with a newline. */
		len = strlen(err);
		if (len > 0 && err[len - 1] == '\n')
			err[len - 1] = '\0';
		return NULL;
	}
	r = xmlDocGetRootElement(doc);
	if (r == NULL || !is(r, root)) {
		snprintf(err, errlen, "not a <%s> document", root);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

struct domxml_domain *
domxml_parse(const char *xml, char *err, size_t errlen)
{
	xmlDoc *doc = read_doc(xml, "domain", err, errlen);
	const xmlNode *root, *devs;
	struct domxml_domain *d;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	d = xcalloc(1, sizeof(*d));
	d->name = text_of(child(root, "name"));
	d->uuid = text_of(child(root, "uuid"));
	devs = child(root, "devices");
	for (const xmlNode *c = devs ? devs->children : NULL; c != NULL; c = c->next) {
		if (!is(c, "disk"))
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
	free(d);
}

struct domxml_snapshot *
domxml_snapshot_parse(const char *xml, char *err, size_t errlen)
{
	xmlDoc *doc = read_doc(xml, "domainsnapshot", err, errlen);
	const xmlNode *root, *disks;
	struct domxml_snapshot *s;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	s = xcalloc(1, sizeof(*s));
	s->name = text_of(child(root, "name"));
	disks = child(root, "disks");
	for (const xmlNode *c = disks ? disks->children : NULL; c != NULL; c = c->next) {
		struct domxml_snapdisk *sd;

		if (!is(c, "disk"))
			continue;
		s->disks = xrealloc(s->disks, (s->ndisks + 1) * sizeof(*s->disks));
		sd = &s->disks[s->ndisks++];
		sd->target = attr(c, "name");
		sd->snapshot = attr(c, "snapshot");
		sd->source = attr(child(c, "source"), "file");
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
