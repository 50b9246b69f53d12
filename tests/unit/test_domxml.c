#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agent/domxml.h"

/* Live XML of a running domain, as libvirt 9 prints it. */
static const char live_xml[] =
    "<domain type='qemu' id='3'>\n"
    "  <name>web1</name>\n"
    "  <uuid>45bc957e-4863-4b6c-abc8-0aedceae5a90</uuid>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/vm/web1.ovl' index='3'/>\n"
    "      <backingStore type='file' index='2'>\n"
    "        <format type='qcow2'/>\n"
    "        <source file='/vm/web1.qcow2'/>\n"
    "        <backingStore type='file' index='1'>\n"
    "          <format type='raw'/>\n"
    "          <source file='/tmpl/debian.raw'/>\n"
    "          <backingStore/>\n"
    "        </backingStore>\n"
    "      </backingStore>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='block' device='disk'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <source dev='/dev/vg/web1-data' index='4'/>\n"
    "      <backingStore/>\n"
    "      <target dev='vdb' bus='virtio'/>\n"
    "      <shareable/>\n"
    "    </disk>\n"
    "    <disk type='network' device='disk'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <source protocol='rbd' name='pool/img'><host name='mon1'/></source>\n"
    "      <target dev='vdc' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='cdrom'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <target dev='sda' bus='sata'/>\n"
    "      <readonly/>\n"
    "    </disk>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/vm/scratch.qcow2'/>\n"
    "      <target dev='vdd' bus='virtio'/>\n"
    "      <transient/>\n"
    "    </disk>\n"
    "    <interface type='network'/>\n"
    "  </devices>\n"
    "</domain>\n";

static void
test_live(void **state)
{
	char err[256];
	struct domxml_domain *d = domxml_parse(live_xml, err, sizeof(err));
	const struct domxml_disk *k;

	(void)state;
	assert_non_null(d);
	assert_string_equal(d->name, "web1");
	assert_string_equal(d->uuid, "45bc957e-4863-4b6c-abc8-0aedceae5a90");
	assert_int_equal(d->ndisks, 5);

	k = &d->disks[0];
	assert_string_equal(k->target, "vda");
	assert_string_equal(k->device, "disk");
	assert_string_equal(k->bus, "virtio");
	assert_true(k->chain_complete);
	assert_int_equal(k->nchain, 3);
	assert_string_equal(k->chain[0].path, "/vm/web1.ovl");
	assert_string_equal(k->chain[0].format, "qcow2");
	assert_string_equal(k->chain[1].path, "/vm/web1.qcow2");
	assert_string_equal(k->chain[1].format, "qcow2");
	assert_string_equal(k->chain[2].path, "/tmpl/debian.raw");
	assert_string_equal(k->chain[2].format, "raw");

	k = &d->disks[1];
	assert_int_equal(k->chain[0].type, DOMXML_BLOCK);
	assert_string_equal(k->chain[0].path, "/dev/vg/web1-data");
	assert_true(k->chain_complete);
	assert_int_equal(k->nchain, 1);
	assert_true(k->shareable);

	k = &d->disks[2];
	assert_int_equal(k->chain[0].type, DOMXML_NETWORK);
	assert_string_equal(k->chain[0].path, "rbd:pool/img");
	assert_string_equal(domxml_type_name(k->chain[0].type), "network");

	k = &d->disks[3];
	assert_string_equal(k->device, "cdrom");
	assert_false(k->has_source);
	assert_int_equal(k->nchain, 0);
	assert_true(k->readonly);

	k = &d->disks[4];
	assert_true(k->transient);
	/* No <backingStore> at all: the chain must be asked of qemu-img. */
	assert_false(k->chain_complete);
	domxml_free(d);
}

/* Firmware variables in both spellings, and an emulated TPM's state folder. */
static void
test_nvram_tpm(void **state)
{
	static const char a[] = "<domain><name>e</name><uuid>0f1e2d3c-0000-4000-8000-000000000001</uuid>"
	    "<os><loader type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
	    "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/e_VARS.fd</nvram></os>"
	    "<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices></domain>";
	static const char b[] = "<domain><name>f</name><uuid>u</uuid><os>"
	    "<nvram type='file'><source file='/srv/f_VARS.fd'/></nvram></os>"
	    "<devices><tpm><backend type='emulator' version='1.2'><source type='dir' path='/srv/tpm-f'/></backend></tpm>"
	    "</devices></domain>";
	static const char c[] = "<domain><name>g</name><devices><tpm><backend type='passthrough'/></tpm></devices></domain>";
	char err[128], *t;
	struct domxml_domain *d;

	(void)state;
	d = domxml_parse(a, err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(d->nvram, "/var/lib/libvirt/qemu/nvram/e_VARS.fd");
	assert_string_equal(d->tpm_version, "2.0");
	t = domxml_tpm_state(d);
	assert_string_equal(t, "/var/lib/libvirt/swtpm/0f1e2d3c-0000-4000-8000-000000000001/tpm2");
	free(t);
	domxml_free(d);
	d = domxml_parse(b, err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(d->nvram, "/srv/f_VARS.fd");
	t = domxml_tpm_state(d);
	assert_string_equal(t, "/srv/tpm-f");
	free(t);
	domxml_free(d);
	d = domxml_parse(c, err, sizeof(err));
	assert_non_null(d);
	assert_null(d->nvram);
	assert_null(domxml_tpm_state(d));
	domxml_free(d);
}

static void
test_bad(void **state)
{
	static const struct {
		const char *xml;
		const char *msg;
	} cases[] = {
		{ "<domain><name>x</name>", "malformed XML" },
		{ "", "malformed XML" },
		{ "<network><name>x</name></network>", "not a <domain> document" },
		{ "<domain><devices/></domain>", "the domain has no <name>" },
		{ "<domain><name>x</name><devices><disk type='file'><source file='/a'/></disk></devices></domain>",
		  "a <disk> has no <target dev=...>" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";

		assert_null(domxml_parse(cases[i].xml, err, sizeof(err)));
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].msg);
	}
}

static void
test_snapshot(void **state)
{
	static const char xml[] =
	    "<domainsnapshot>\n"
	    "  <name>virtvault-20261125T220000</name>\n"
	    "  <state>disk-snapshot</state>\n"
	    "  <memory snapshot='no'/>\n"
	    "  <disks>\n"
	    "    <disk name='vda' snapshot='external' type='file'>\n"
	    "      <driver type='qcow2'/>\n"
	    "      <source file='/vm/web1.qcow2.virtvault-overlay-x'/>\n"
	    "    </disk>\n"
	    "    <disk name='vdb' snapshot='no'/>\n"
	    "  </disks>\n"
	    "  <domain type='qemu'><name>web1</name></domain>\n"
	    "</domainsnapshot>\n";
	char err[256];
	struct domxml_snapshot *s = domxml_snapshot_parse(xml, err, sizeof(err));

	(void)state;
	assert_non_null(s);
	assert_string_equal(s->name, "virtvault-20261125T220000");
	assert_int_equal(s->ndisks, 2);
	assert_string_equal(s->disks[0].target, "vda");
	assert_string_equal(s->disks[0].snapshot, "external");
	assert_string_equal(s->disks[0].source, "/vm/web1.qcow2.virtvault-overlay-x");
	assert_string_equal(s->disks[1].snapshot, "no");
	assert_null(s->disks[1].source);
	domxml_snapshot_free(s);

	assert_null(domxml_snapshot_parse("<domain/>", err, sizeof(err)));
	assert_non_null(strstr(err, "not a <domainsnapshot> document"));
}

/* Repair's offline redefinition: any character in a path, and "not named". */
static void
test_replace_source(void **state)
{
	const char *xml = "<domain><name>d</name><devices>"
	    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
	    "<source file='/v/R&amp;D&apos;s &quot;x&quot;.ovl'/>"
	    "<backingStore type='file'><source file='/v/base'/></backingStore>"
	    "<target dev='vda'/></disk></devices></domain>";
	struct domxml_domain *d;
	char *out = NULL, err[128];

	(void)state;
	assert_int_equal(domxml_replace_source(xml, "vda", "/v/other", "/v/base", NULL, &out, err,
	    sizeof(err)), VV_NOT_FOUND);
	assert_null(out);
	assert_int_equal(domxml_replace_source(xml, "vdb", "/v/R&D's \"x\".ovl", "/v/base",
	    NULL, &out, err, sizeof(err)), VV_NOT_FOUND);
	assert_int_equal(domxml_replace_source(xml, "vda", "/v/R&D's \"x\".ovl",
	    "/v/a<b>'c\" d", "raw", &out, err, sizeof(err)), 0);
	d = domxml_parse(out, err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(d->disks[0].chain[0].path, "/v/a<b>'c\" d");
	assert_int_equal(d->disks[0].nchain, 1);	/* <backingStore> dropped */
	assert_string_equal(d->disks[0].chain[0].format, "raw");	/* the base's format */
	domxml_free(d);
	free(out);
	assert_int_equal(domxml_replace_source("<domain", "vda", "a", "b", NULL, &out, err,
	    sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_nvram_tpm),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_replace_source),
	};

	return cmocka_run_group_tests_name("domxml", tests, NULL, NULL);
}
