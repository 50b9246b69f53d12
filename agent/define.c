#include "agent/define.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "agent/qimg.h"
#include "agent/xmlnode.h"

/* The files of disk TARGET in M, in chain order. */
static size_t
files_of(const struct manifest *m, const char *target, const struct manifest_file **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nfiles && n < max; i++)
		if (m->files[i].disk && strcmp(m->files[i].disk, target) == 0)
			out[n++] = &m->files[i];
	return n;
}

/* Point each restored qcow2 at its restored backing file. */
static int
rebase_chain(const char *dir, const struct manifest_file **f, size_t n)
{
	for (size_t k = 0; k + 1 < n; k++) {
		char *path = xasprintf("%s/%s", dir, f[k]->name);
		char *back = xasprintf("%s/%s", dir, f[k + 1]->name);
		int rc = qimg_rebase_unsafe(path, f[k]->format, back, f[k + 1]->format);

		free(path);
		free(back);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
fix_disks(xmlNode *devs, const struct manifest *m, const char *dir)
{
	xmlNode *c, *next;

	for (c = devs->children; c != NULL; c = next) {
		const struct manifest_file *f[64];
		xmlNode *target, *src, *drv;
		xmlChar *dev, *device;
		size_t n;

		next = c->next;
		if (!xmlnode_is(c, "disk"))
			continue;
		target = xmlnode_child(c, "target");
		dev = target ? xmlGetProp(target, BAD_CAST "dev") : NULL;
		device = xmlGetProp(c, BAD_CAST "device");
		n = dev ? files_of(m, (const char *)dev, f, 64) : 0;
		if (n == 0) {
			/* Not backed up: never share the original's disk. */
			if (device == NULL || xmlStrcmp(device, BAD_CAST "disk") == 0)
				xmlnode_drop(c);
		} else {
			char *path = xasprintf("%s/%s", dir, f[0]->name);

			xmlSetProp(c, BAD_CAST "type", BAD_CAST "file");
			xmlnode_drop_all(c, "backingStore");
			src = xmlnode_child(c, "source");
			if (src != NULL)
				xmlnode_drop(src);
			src = xmlNewChild(c, NULL, BAD_CAST "source", NULL);
			xmlSetProp(src, BAD_CAST "file", BAD_CAST path);
			drv = xmlnode_child(c, "driver");
			if (drv != NULL)
				xmlSetProp(drv, BAD_CAST "type", BAD_CAST f[0]->format);
			free(path);
			if (rebase_chain(dir, f, n) < 0) {
				xmlFree(dev);
				xmlFree(device);
				return -1;
			}
		}
		xmlFree(dev);
		xmlFree(device);
	}
	return 0;
}

int
define_restored(struct hv *hv, const struct manifest *m, const char *dir,
    const char *newname)
{
	const char *src = m->domain_xml_inactive ? m->domain_xml_inactive : m->domain_xml;
	xmlDoc *doc;
	xmlNode *root, *devs, *n;
	xmlChar *out = NULL;
	int len = 0, ret = -1, serial = 0;

	if (src == NULL) {
		log_error("snapshot %s holds no domain XML (a backup of image files): nothing to define",
		    m->id);
		return -1;
	}
	doc = xmlReadMemory(src, (int)strlen(src), NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL || !xmlnode_is(root, "domain")) {
		log_error("snapshot %s: its domain XML is malformed", m->id);
		goto out;
	}
	xmlSetProp(root, BAD_CAST "id", NULL);
	xmlUnsetProp(root, BAD_CAST "id");
	if ((n = xmlnode_child(root, "name")) != NULL)
		xmlNodeSetContent(n, BAD_CAST newname);
	/* libvirt makes a new UUID and new MAC addresses for what is missing. */
	if ((n = xmlnode_child(root, "uuid")) != NULL)
		xmlnode_drop(n);
	devs = xmlnode_child(root, "devices");
	if (devs != NULL) {
		for (n = devs->children; n != NULL; n = n->next) {
			if (xmlnode_is(n, "interface"))
				xmlnode_drop_all(n, "mac");
			if ((xmlnode_is(n, "serial") || xmlnode_is(n, "console")) && n->properties != NULL) {
				xmlChar *t = xmlGetProp(n, BAD_CAST "type");
				xmlNode *s = xmlnode_child(n, "source");

				if (t && xmlStrcmp(t, BAD_CAST "file") == 0 && s != NULL) {
					char *p = xasprintf("%s/%s-serial%d.log", dir, newname, serial++);

					xmlSetProp(s, BAD_CAST "path", BAD_CAST p);
					free(p);
				}
				xmlFree(t);
			}
		}
		if (fix_disks(devs, m, dir) < 0)
			goto out;
	}
	xmlDocDumpMemory(doc, &out, &len);
	if (out == NULL)
		goto out;
	ret = hv_define(hv, (const char *)out);
out:
	xmlFree(out);
	xmlFreeDoc(doc);
	return ret;
}
