#include "agent/bootxml.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/xmlnode.h"
#include "common/log.h"

/* Devices that reach the host or the network, or that two domains cannot share. */
static const char *const dropped[] = {
	"interface", "hostdev", "redirdev", "filesystem", "shmem", "smartcard", NULL,
};

static bool
in_list(const char *const *l, const xmlNode *n)
{
	for (size_t i = 0; l[i] != NULL; i++)
		if (xmlnode_is(n, l[i]))
			return true;
	return false;
}

/* Whether attribute NAME of N equals VALUE. */
static bool
attr_is(const xmlNode *n, const char *name, const char *value)
{
	char *v = xmlnode_attr(n, name);
	bool ret = v != NULL && strcmp(v, value) == 0;

	free(v);
	return ret;
}

/* A backed-up disk onto its overlay; any other disk dropped. */
static void
fix_disk(xmlNode *c, const struct bootxml_spec *s)
{
	char *dev = xmlnode_attr(xmlnode_child(c, "target"), "dev");
	char *device = xmlnode_attr(c, "device");
	xmlNode *src, *drv;
	size_t i;

	for (i = 0; dev != NULL && i < s->targets->n; i++)
		if (strcmp(s->targets->v[i], dev) == 0)
			break;
	if (dev == NULL || i == s->targets->n) {
		/* Not in the snapshot: never the original's disk. A CD-ROM stays. */
		if (device == NULL || strcmp(device, "disk") == 0 || strcmp(device, "lun") == 0)
			xmlnode_drop(c);
		goto out;
	}
	xmlSetProp(c, BAD_CAST "type", BAD_CAST "file");
	xmlnode_drop_all(c, "backingStore");
	xmlnode_drop_all(c, "source");
	xmlnode_drop_all(c, "auth");
	src = xmlNewChild(c, NULL, BAD_CAST "source", NULL);
	xmlSetProp(src, BAD_CAST "file", BAD_CAST s->overlays->v[i]);
	if ((drv = xmlnode_child(c, "driver")) == NULL) {
		drv = xmlNewChild(c, NULL, BAD_CAST "driver", NULL);
		xmlSetProp(drv, BAD_CAST "name", BAD_CAST "qemu");
	}
	xmlSetProp(drv, BAD_CAST "type", BAD_CAST "qcow2");
out:
	free(dev);
	free(device);
}

/* A display on a free port of 127.0.0.1, whatever it listened on. */
static void
fix_graphics(xmlNode *c)
{
	static const char *const ports[] = { "port", "tlsPort", "websocket", "socket", "listen", NULL };
	xmlNode *l;

	for (size_t i = 0; ports[i] != NULL; i++)
		xmlUnsetProp(c, BAD_CAST ports[i]);
	if (!attr_is(c, "type", "vnc") && !attr_is(c, "type", "spice") && !attr_is(c, "type", "rdp"))
		return;
	xmlSetProp(c, BAD_CAST "autoport", BAD_CAST "yes");
	xmlSetProp(c, BAD_CAST "listen", BAD_CAST "127.0.0.1");
	xmlnode_drop_all(c, "listen");
	l = xmlNewChild(c, NULL, BAD_CAST "listen", NULL);
	xmlSetProp(l, BAD_CAST "type", BAD_CAST "address");
	xmlSetProp(l, BAD_CAST "address", BAD_CAST "127.0.0.1");
}

/*
 * A console, serial port or channel: a file of its own in DIR, or a
 * pseudo-terminal instead of a socket, a pipe or a host device; a unix
 * channel gets a socket path libvirt makes for this domain.
 */
static void
fix_chardev(xmlNode *c, const struct bootxml_spec *s, int *nfile)
{
	char *type = xmlnode_attr(c, "type");
	xmlNode *src = xmlnode_child(c, "source");

	xmlnode_drop_all(c, "log");
	if (type == NULL)
		goto out;
	if (strcmp(type, "file") == 0) {
		char *p = xasprintf("%s/%s-serial%d.log", s->dir, s->name, (*nfile)++);

		if (src == NULL)
			src = xmlNewChild(c, NULL, BAD_CAST "source", NULL);
		xmlSetProp(src, BAD_CAST "path", BAD_CAST p);
		free(p);
	} else if (strcmp(type, "unix") == 0 && xmlnode_is(c, "channel")) {
		xmlnode_drop_all(c, "source");
	} else if (strcmp(type, "unix") == 0 || strcmp(type, "tcp") == 0 || strcmp(type, "udp") == 0 ||
	    strcmp(type, "pipe") == 0 || strcmp(type, "dev") == 0 || strcmp(type, "nmdm") == 0) {
		xmlSetProp(c, BAD_CAST "type", BAD_CAST "pty");
		xmlnode_drop_all(c, "source");
		xmlnode_drop_all(c, "protocol");
	}
out:
	free(type);
}

/* The emulated TPM's state: the copy, or (none) a fresh one where libvirt puts the new UUID's. */
static void
fix_tpm(xmlNode *c, const struct bootxml_spec *s)
{
	xmlNode *b = xmlnode_child(c, "backend");

	if (b == NULL)
		return;
	xmlUnsetProp(b, BAD_CAST "persistent_state");
	if (xmlnode_child(b, "source") == NULL)
		return;
	if (s->tpm_dir == NULL) {
		xmlnode_drop_all(b, "source");
		return;
	}
	xmlSetProp(xmlnode_child(b, "source"), BAD_CAST "path", BAD_CAST s->tpm_dir);
}

/* Whether DEVS has the guest agent's channel. */
static bool
has_agent_channel(const xmlNode *devs)
{
	for (xmlNode *c = devs->children; c != NULL; c = c->next)
		if (xmlnode_is(c, "channel") && attr_is(xmlnode_child(c, "target"), "name", BOOTXML_AGENT_CHANNEL))
			return true;
	return false;
}

/* N's text, as a text node (never parsed for entities). */
static void
set_text(xmlNode *n, const char *text)
{
	xmlNodeSetContent(n, NULL);
	xmlAddChild(n, xmlNewDocText(n->doc, BAD_CAST text));
}

/* The UEFI variables: the copy, or a fresh file in DIR from the template. */
static void
fix_nvram(xmlNode *root, const struct bootxml_spec *s)
{
	xmlNode *nv = xmlnode_child(xmlnode_child(root, "os"), "nvram");
	char *path;

	if (nv == NULL)
		return;
	path = s->nvram ? xstrdup(s->nvram) : xasprintf("%s/%s_VARS.fd", s->dir, s->name);
	xmlUnsetProp(nv, BAD_CAST "type");
	set_text(nv, path);
	free(path);
}

char *
bootxml_make(const char *src, const struct bootxml_spec *s, bool *display, char *err,
    size_t errlen)
{
	xmlDoc *doc = xmlnode_read(src, "domain", err, errlen);
	xmlNode *root, *devs, *n, *next;
	int nfile = 0;
	char *out;

	*display = false;
	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	xmlUnsetProp(root, BAD_CAST "id");
	xmlnode_drop_all(root, "name");
	xmlnode_drop_all(root, "uuid");
	/* First, as libvirt writes them. */
	n = xmlNewDocNode(doc, NULL, BAD_CAST "uuid", NULL);
	if (root->children != NULL)
		xmlAddPrevSibling(root->children, n);
	else
		xmlAddChild(root, n);
	set_text(n, s->uuid);
	n = xmlNewDocNode(doc, NULL, BAD_CAST "name", NULL);
	xmlAddPrevSibling(root->children, n);
	set_text(n, s->name);
	fix_nvram(root, s);
	if ((devs = xmlnode_child(root, "devices")) == NULL)
		devs = xmlNewChild(root, NULL, BAD_CAST "devices", NULL);
	for (n = devs->children; n != NULL; n = next) {
		next = n->next;
		if (in_list(dropped, n))
			xmlnode_drop(n);
		else if (xmlnode_is(n, "disk"))
			fix_disk(n, s);
		else if (xmlnode_is(n, "graphics")) {
			fix_graphics(n);
			*display = true;
		} else if (xmlnode_is(n, "serial") || xmlnode_is(n, "console") || xmlnode_is(n, "parallel") ||
		    xmlnode_is(n, "channel"))
			fix_chardev(n, s, &nfile);
		else if (xmlnode_is(n, "tpm"))
			fix_tpm(n, s);
		else if (xmlnode_is(n, "vsock"))
			xmlnode_drop_all(n, "cid");
	}
	if (!has_agent_channel(devs)) {
		xmlNode *ch = xmlNewChild(devs, NULL, BAD_CAST "channel", NULL), *t;

		xmlSetProp(ch, BAD_CAST "type", BAD_CAST "unix");
		t = xmlNewChild(ch, NULL, BAD_CAST "target", NULL);
		xmlSetProp(t, BAD_CAST "type", BAD_CAST "virtio");
		xmlSetProp(t, BAD_CAST "name", BAD_CAST BOOTXML_AGENT_CHANNEL);
	}
	out = xmlnode_dump(doc);
	xmlFreeDoc(doc);
	return out;
}
