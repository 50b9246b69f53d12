#include "agent/define.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <pwd.h>
#include <unistd.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/outcome.h"
#include "agent/domxml.h"
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
fix_disks(xmlNode *devs, const struct manifest *m, const char *dir, const char *disk_format)
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
				xmlSetProp(drv, BAD_CAST "type", BAD_CAST (disk_format ? disk_format : f[0]->format));
			free(path);
			if (disk_format == NULL && rebase_chain(dir, f, n) < 0) {
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

/*
 * <os><nvram>: the restored variables file in DIR, or when the snapshot
 * has none, a path of the new domain's own in DIR that libvirt fills from
 * the template at the first start. Never the original's file.
 */
static void
fix_nvram(xmlNode *root, const struct manifest *m, const char *dir, const char *newname)
{
	xmlNode *nv = xmlnode_child(xmlnode_child(root, "os"), "nvram");
	const struct manifest_file *f = manifest_file_of_kind(m, MANIFEST_KIND_NVRAM);
	char *path;

	if (nv == NULL)
		return;
	path = f ? xasprintf("%s/%s", dir, f->name) : xasprintf("%s/nvram/%s_VARS.fd", dir, newname);
	if (f == NULL)
		log_warn("the snapshot holds no UEFI variables: the new domain gets fresh ones at %s", path);
	/* Either spelling becomes <nvram>PATH</nvram>, its template kept. */
	xmlNodeSetContent(nv, NULL);
	xmlUnsetProp(nv, BAD_CAST "type");
	xmlNodeSetContent(nv, BAD_CAST path);
	free(path);
}

/*
 * An emulated TPM's state folder given in the XML (<backend><source
 * type='dir' path=...>) becomes DIR/tpm, where the state was restored; the
 * default place is filled after the definition (define_tpm_state).
 */
static void
fix_tpm(xmlNode *devs, const char *dir)
{
	for (xmlNode *c = devs->children; c != NULL; c = c->next) {
		xmlNode *src = xmlnode_is(c, "tpm") ? xmlnode_child(xmlnode_child(c, "backend"), "source") : NULL;

		if (src != NULL && xmlHasProp(src, BAD_CAST "path")) {
			char *p = xasprintf("%s/tpm", dir);

			xmlSetProp(src, BAD_CAST "path", BAD_CAST p);
			free(p);
		}
	}
}

/* Copy FROM into the new file TO (mode 0600, owned by UID:GID). */
static int
copy_file(const char *from, const char *to, uid_t uid, gid_t gid)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out = -1, ret = -1;
	ssize_t n = 0;

	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (out >= 0 && n == 0 && fsync(out) == 0 && fchown(out, uid, gid) == 0)
		ret = 0;
	if (ret < 0)
		log_error("cannot copy %s to %s: %s", from, to, strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ret;
}

/*
 * The restored TPM state (DIR/tpm/FILE) where libvirt looks for the new
 * domain's: DOMXML_SWTPM_DIR/UUID/tpm2 (or tpm1.2), owned by the swtpm
 * user of Debian's libvirt (tss) when there is one.
 */
static int
define_tpm_state(struct hv *hv, const struct manifest *m, const char *dir, const char *newname)
{
	struct domxml_domain *d = NULL;
	char *xml = NULL, *state = NULL, err[256];
	int ret = -1;

	if (manifest_file_of_kind(m, MANIFEST_KIND_TPM) == NULL)
		return 0;
	if (hv_domain_xml(hv, newname, true, &xml) != 0 || (d = domxml_parse(xml, err, sizeof(err))) == NULL)
		goto out;
	if (d->tpm_version == NULL || d->tpm_state_dir != NULL) {
		ret = 0;	/* no emulated TPM, or its state is read from DIR/tpm */
		goto out;
	}
	state = domxml_tpm_state(d);
	if (state == NULL || define_tpm_copy(m, dir, state, true) < 0) {
		log_error("domain %s: cannot restore its TPM state into %s", newname, state ? state : "-");
		goto out;
	}
	log_info("domain %s: its TPM state restored into %s", newname, state);
	ret = 0;
out:
	free(state);
	free(xml);
	domxml_free(d);
	return ret;
}

int
define_tpm_copy(const struct manifest *m, const char *dir, const char *state, bool own_parent)
{
	struct passwd *pw = getpwnam("tss");
	uid_t uid = pw ? pw->pw_uid : 0;
	gid_t gid = pw ? pw->pw_gid : 0;

	if (fs_mkdir_p(state, 0700) < 0) {
		log_error("cannot make the TPM state folder %s: %s", state, strerror(errno));
		return -1;
	}
	{
		/* Both levels (UUID and tpm2) belong to the swtpm user. */
		char *parent = xstrndup(state, (size_t)(strrchr(state, '/') - state));

		if ((own_parent && chown(parent, uid, gid) < 0) || chown(state, uid, gid) < 0)
			log_warn("cannot hand %s to the swtpm user: %s", state, strerror(errno));
		free(parent);
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		char *from, *to;
		int rc;

		if (f->kind == NULL || strcmp(f->kind, MANIFEST_KIND_TPM) != 0)
			continue;
		from = xasprintf("%s/%s", dir, f->name);
		to = xasprintf("%s/%s", state, util_basename(f->name));
		rc = copy_file(from, to, uid, gid);
		free(from);
		free(to);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
define_name_free(struct hv *hv, const char *newname)
{
	int rc = hv_domain_state(hv, newname, NULL, NULL);

	if (rc == VV_NOT_FOUND)
		return 0;
	if (rc == 0)
		log_error("domain %s exists already at %s: nothing restored; give the new domain another name with --name NEW",
		    newname, hv_uri(hv));
	return -1;
}

int
define_restored(struct hv *hv, const struct manifest *m, const char *dir,
    const char *newname)
{
	return define_restored_on(hv, m, dir, newname, NULL);
}

int
define_restored_on(struct hv *hv, const struct manifest *m, const char *dir,
    const char *newname, const char *disk_format)
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
		if (fix_disks(devs, m, dir, disk_format) < 0)
			goto out;
		fix_tpm(devs, dir);
	}
	fix_nvram(root, m, dir, newname);
	xmlDocDumpMemory(doc, &out, &len);
	if (out == NULL)
		goto out;
	ret = hv_define(hv, (const char *)out);
	if (ret == 0)
		ret = define_tpm_state(hv, m, dir, newname);
out:
	xmlFree(out);
	xmlFreeDoc(doc);
	return ret;
}
