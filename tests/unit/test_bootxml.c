/*
 * The boot check's throwaway domain XML (agent/bootxml.c): nothing of it
 * may collide with the original domain running beside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>

#include "agent/bootxml.h"

/* The original's inactive XML: everything a throwaway copy must not share. */
static const char src_xml[] =
    "<domain type='kvm' id='7'>\n"
    "  <name>web1</name>\n"
    "  <uuid>45bc957e-4863-4b6c-abc8-0aedceae5a90</uuid>\n"
    "  <os><type arch='x86_64' machine='q35'>hvm</type>\n"
    "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n"
    "    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram>\n"
    "  </os>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <source file='/vm/web1.raw'/>\n"
    "      <backingStore type='file'><format type='raw'/><source file='/vm/base.raw'/></backingStore>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='block' device='disk'>\n"
    "      <source dev='/dev/vg/web1-data'/>\n"
    "      <target dev='vdb' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/vm/web1-excluded.qcow2'/>\n"
    "      <target dev='vdc' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='cdrom'>\n"
    "      <source file='/iso/install.iso'/><target dev='sda' bus='sata'/><readonly/>\n"
    "    </disk>\n"
    "    <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/></interface>\n"
    "    <interface type='bridge'><source bridge='br0'/><ip address='192.0.2.10' prefix='24'/></interface>\n"
    "    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='3' slot='0' function='0'/></source></hostdev>\n"
    "    <filesystem type='mount'><source dir='/srv/share'/><target dir='share'/></filesystem>\n"
    "    <serial type='file'><source path='/var/log/web1-serial.log'/><target port='0'/>\n"
    "      <log file='/var/log/web1-chardev.log'/></serial>\n"
    "    <serial type='tcp'><source mode='bind' host='0.0.0.0' service='4555'/><target port='1'/></serial>\n"
    "    <channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/web1.agent'/>\n"
    "      <target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n"
    "    <graphics type='vnc' port='5901' autoport='no' listen='0.0.0.0' websocket='5701'>\n"
    "      <listen type='address' address='0.0.0.0'/></graphics>\n"
    "    <tpm model='tpm-crb'><backend type='emulator' version='2.0' persistent_state='yes'/></tpm>\n"
    "    <vsock model='virtio'><cid auto='no' address='3'/></vsock>\n"
    "  </devices>\n"
    "</domain>\n";

static const struct strlist targets = { (char *[]){ "vda", "vdb" }, 2, 2 };
static const struct strlist overlays = {
	(char *[]){ "/var/tmp/virtvault-boot/vv-boot-web1-0a1b/disk-vda.qcow2",
		"/var/tmp/virtvault-boot/vv-boot-web1-0a1b/disk-vdb.qcow2" }, 2, 2 };

static const struct bootxml_spec spec = {
	.name = "vv-boot-web1-0a1b",
	.uuid = "0d6e8a0c-6c1d-4e7b-9a55-3b8f2f1d9e01",
	.dir = "/var/tmp/virtvault-boot/vv-boot-web1-0a1b",
	.targets = &targets,
	.overlays = &overlays,
	.nvram = "/var/tmp/virtvault-boot/vv-boot-web1-0a1b/nvram/web1_VARS.fd",
	.tpm_dir = NULL,
};

/* How many nodes XPATH selects in XML. */
static int
count(const char *xml, const char *xpath)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
	xmlXPathContext *ctx;
	xmlXPathObject *o;
	int n;

	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
	assert_non_null(o);
	n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return n;
}

/* Each XPath expression and how many nodes it must select in the throwaway XML. */
static const struct {
	const char *xpath;
	int want;
} expect[] = {
	/* Never on a network: no interface at all. */
	{ "//interface", 0 },
	{ "//mac", 0 },
	{ "//hostdev", 0 },
	{ "//filesystem", 0 },
	/* Its own name and UUID, no live id. */
	{ "/domain/name[.='vv-boot-web1-0a1b']", 1 },
	{ "/domain/name", 1 },
	{ "/domain/uuid[.='0d6e8a0c-6c1d-4e7b-9a55-3b8f2f1d9e01']", 1 },
	{ "/domain/uuid", 1 },
	{ "/domain[@id]", 0 },
	/* The backed-up disks on their overlays, as qcow2 files; the others gone. */
	{ "//disk[target/@dev='vda' and @type='file']/source[@file='/var/tmp/virtvault-boot/vv-boot-web1-0a1b/disk-vda.qcow2']", 1 },
	{ "//disk[target/@dev='vda']/driver[@type='qcow2']", 1 },
	{ "//disk[target/@dev='vda']/backingStore", 0 },
	{ "//disk[target/@dev='vdb' and @type='file']/source[@file='/var/tmp/virtvault-boot/vv-boot-web1-0a1b/disk-vdb.qcow2']", 1 },
	{ "//disk[target/@dev='vdb']/driver[@type='qcow2']", 1 },
	{ "//disk[target/@dev='vdb']/source[@dev]", 0 },
	{ "//disk[target/@dev='vdc']", 0 },
	{ "//disk[@device='cdrom']", 1 },
	{ "//source[contains(@file, '/vm/')]", 0 },
	/* Its own UEFI variables. */
	{ "/domain/os/nvram[.='/var/tmp/virtvault-boot/vv-boot-web1-0a1b/nvram/web1_VARS.fd']", 1 },
	{ "/domain/os/nvram[@template='/usr/share/OVMF/OVMF_VARS_4M.fd']", 1 },
	/* Consoles on files of its own or a pseudo-terminal; the agent's socket libvirt's choice. */
	{ "//serial[@type='file']/source[@path='/var/tmp/virtvault-boot/vv-boot-web1-0a1b/vv-boot-web1-0a1b-serial0.log']", 1 },
	{ "//serial/log", 0 },
	{ "//serial[@type='tcp']", 0 },
	{ "//serial[@type='pty' and target/@port='1']/source", 0 },
	{ "//channel[target/@name='org.qemu.guest_agent.0']", 1 },
	{ "//channel/source", 0 },
	/* The display on a free port of 127.0.0.1 alone. */
	{ "//graphics[@autoport='yes' and @listen='127.0.0.1' and not(@port) and not(@websocket)]", 1 },
	{ "//graphics/listen[@address='127.0.0.1']", 1 },
	{ "//*[@address='0.0.0.0' or @host='0.0.0.0']", 0 },
	/* TPM state where libvirt keeps the new UUID's, and not kept after. */
	{ "//tpm/backend[@persistent_state]", 0 },
	{ "//vsock/cid", 0 },
};

static void
test_bootxml_nothing_shared(void **state)
{
	char err[256];
	bool display = false;
	char *xml = bootxml_make(src_xml, &spec, &display, err, sizeof(err));

	(void)state;
	assert_non_null(xml);
	assert_true(display);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		int n = count(xml, expect[i].xpath);

		if (n != expect[i].want)
			fail_msg("%s: %d nodes, expected %d, in:\n%s", expect[i].xpath, n, expect[i].want, xml);
	}
	assert_null(strstr(xml, "45bc957e"));
	assert_null(strstr(xml, "qemu/nvram"));
	free(xml);
}

/* No display, no agent channel, a TPM folder named: a channel is added, the TPM copy used. */
static void
test_bootxml_agent_channel_added_tpm_dir(void **state)
{
	static const char src[] =
	    "<domain type='qemu'><name>db</name><os><type>hvm</type></os><devices>"
	    "<disk type='file' device='disk'><source file='/vm/db.qcow2'/><target dev='vda'/></disk>"
	    "<tpm model='tpm-tis'><backend type='emulator' version='2.0'>"
	    "<source type='dir' path='/var/lib/swtpm/db'/></backend></tpm>"
	    "</devices></domain>";
	struct bootxml_spec s = spec;
	char err[256], *xml;
	bool display = true;

	(void)state;
	s.tpm_dir = "/var/tmp/virtvault-boot/vv-boot-web1-0a1b/tpm-state";
	xml = bootxml_make(src, &s, &display, err, sizeof(err));
	assert_non_null(xml);
	assert_false(display);
	assert_int_equal(count(xml, "//channel[@type='unix']/target[@type='virtio' and @name='org.qemu.guest_agent.0']"), 1);
	assert_int_equal(count(xml, "//tpm/backend/source[@path='/var/tmp/virtvault-boot/vv-boot-web1-0a1b/tpm-state']"), 1);
	assert_int_equal(count(xml, "//disk/driver[@type='qcow2']"), 1);
	assert_int_equal(count(xml, "/domain/uuid"), 1);
	free(xml);
}

/* Without a TPM copy, a folder the XML names is not the original's. */
static void
test_bootxml_tpm_dir_without_copy_dropped(void **state)
{
	static const char src[] =
	    "<domain type='qemu'><name>db</name><devices>"
	    "<tpm model='tpm-tis'><backend type='emulator' version='2.0'>"
	    "<source type='dir' path='/var/lib/swtpm/db'/></backend></tpm>"
	    "</devices></domain>";
	char err[256], *xml;
	bool display;

	(void)state;
	xml = bootxml_make(src, &spec, &display, err, sizeof(err));
	assert_non_null(xml);
	assert_int_equal(count(xml, "//tpm/backend/source"), 0);
	free(xml);
}

static void
test_bootxml_not_a_domain(void **state)
{
	char err[256] = "";
	bool display;

	(void)state;
	assert_null(bootxml_make("<network/>", &spec, &display, err, sizeof(err)));
	assert_non_null(strstr(err, "domain"));
	assert_null(bootxml_make("<domain", &spec, &display, err, sizeof(err)));
	assert_non_null(strstr(err, "malformed"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootxml_nothing_shared),
		cmocka_unit_test(test_bootxml_agent_channel_added_tpm_dir),
		cmocka_unit_test(test_bootxml_tpm_dir_without_copy_dropped),
		cmocka_unit_test(test_bootxml_not_a_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
