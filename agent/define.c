#include "agent/define.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/run.h"

static bool
is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static xmlNode *
child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n->children; c != NULL; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

static void
drop(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Remove every child of N named NAME. */
static void
drop_all(xmlNode *n, const char *name)
{
	xmlNode *c, *next;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		if (is(c, name))
			drop(c);
	}
}

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
		char *argv[] = { "qemu-img", "rebase", "-u", "-f", f[k]->format, "-F",
			f[k + 1]->format, "-b", back, path, NULL };
		struct run_result r;
		int rc = run_capture(argv, 64 * 1024, &r);

		if (rc == 0 && r.status != 0) {
			log_error("restored %s: qemu-img rebase onto %s failed: %s", path, back, r.err);
			rc = -1;
		}
		if (rc == 0)
			run_result_clear(&r);
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
		if (!is(c, "disk"))
			continue;
		target = child(c, "target");
		dev = target ? xmlGetProp(target, BAD_CAST "dev") : NULL;
		device = xmlGetProp(c, BAD_CAST "device");
		n = dev ? files_of(m, (const char *)dev, f, 64) : 0;
		if (n == 0) {
			/* Not backed up: never share the original's disk. */
			if (device == NULL || xmlStrcmp(device, BAD_CAST "disk") == 0)
				drop(c);
		} else {
			char *path = xasprintf("%s/%s", dir, f[0]->name);

			xmlSetProp(c, BAD_CAST "type", BAD_CAST "file");
			drop_all(c, "backingStore");
			src = child(c, "source");
			if (src != NULL)
				drop(src);
			src = xmlNewChild(c, NULL, BAD_CAST "source", NULL);
			xmlSetProp(src, BAD_CAST "file", BAD_CAST path);
			drv = child(c, "driver");
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
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL || !is(root, "domain")) {
		log_error("snapshot %s: its domain XML is malformed", m->id);
		goto out;
	}
	xmlSetProp(root, BAD_CAST "id", NULL);
	xmlUnsetProp(root, BAD_CAST "id");
	if ((n = child(root, "name")) != NULL)
		xmlNodeSetContent(n, BAD_CAST newname);
	/* libvirt makes a new UUID and new MAC addresses for what is missing. */
	if ((n = child(root, "uuid")) != NULL)
		drop(n);
	devs = child(root, "devices");
	if (devs != NULL) {
		for (n = devs->children; n != NULL; n = n->next) {
			if (is(n, "interface"))
				drop_all(n, "mac");
			if ((is(n, "serial") || is(n, "console")) && n->properties != NULL) {
				xmlChar *t = xmlGetProp(n, BAD_CAST "type");
				xmlNode *s = child(n, "source");

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
