#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "agent/chain.h"
#include "cli/cli.h"
#include "common/log.h"

static void
disks_usage(FILE *out)
{
	fprintf(out, "usage: virtvault disks DOMAIN [--json]\n\n"
	    "Lists the disks of DOMAIN: target, device, type, format, active image\n"
	    "and the whole backing chain (from libvirt's live XML, else qemu-img).\n");
}

static const char *
or_dash(const char *s)
{
	return s ? s : "-";
}

/* What decides how a backup reads the disks: the domain's state, cbt = yes/no. */
struct read_ctx {
	bool shutoff;
	bool cbt;
};

/* How a backup reads the disk's top image: changed-block tracking or whole. */
static const char *
read_note(const struct domxml_disk *k, const struct read_ctx *x)
{
	if (strcmp(k->device, "disk") != 0 || k->nchain == 0 || k->chain[0].type != DOMXML_FILE)
		return NULL;
	if (k->chain[0].format == NULL || strcmp(k->chain[0].format, "qcow2") != 0)
		return "whole each backup (raw: no persistent bitmap)";
	if (!x->cbt)
		return "whole each backup (cbt = no)";
	if (x->shutoff)
		return "whole while the domain is shut off (a checkpoint needs it running)";
	return "incremental (changed-block tracking, from its second backup on)";
}

static void
print_text(const struct domxml_domain *d, const struct read_ctx *x, FILE *out)
{
	fprintf(out, "%-8s %-7s %-8s %-7s %s\n", "TARGET", "DEVICE", "TYPE", "FORMAT", "IMAGE");
	for (size_t i = 0; i < d->ndisks; i++) {
		const struct domxml_disk *k = &d->disks[i];

		if (k->nchain == 0) {
			fprintf(out, "%-8s %-7s %-8s %-7s %s\n", k->target, k->device,
			    "-", "-", "(no medium)");
			continue;
		}
		fprintf(out, "%-8s %-7s %-8s %-7s %s%s%s%s%s\n", k->target, k->device,
		    domxml_type_name(k->chain[0].type), or_dash(k->chain[0].format),
		    k->chain[0].path, k->readonly ? "  (read-only)" : "",
		    read_note(k, x) ? "  (read " : "", read_note(k, x) ? read_note(k, x) : "",
		    read_note(k, x) ? ")" : "");
		for (size_t j = 1; j < k->nchain; j++)
			fprintf(out, "%-8s %-7s %-8s %-7s %*s`- %s\n", "", "",
			    domxml_type_name(k->chain[j].type), or_dash(k->chain[j].format),
			    (int)(2 * (j - 1)), "", k->chain[j].path);
	}
}

static json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void
print_json(const struct domxml_domain *d, const struct read_ctx *x, FILE *out)
{
	json_object *root = json_object_new_object(), *disks = json_object_new_array();

	json_object_object_add(root, "domain", jstr(d->name));
	json_object_object_add(root, "uuid", jstr(d->uuid));
	for (size_t i = 0; i < d->ndisks; i++) {
		const struct domxml_disk *k = &d->disks[i];
		json_object *o = json_object_new_object(), *chain = json_object_new_array();

		json_object_object_add(o, "target", jstr(k->target));
		json_object_object_add(o, "device", jstr(k->device));
		json_object_object_add(o, "bus", jstr(k->bus));
		json_object_object_add(o, "type", k->nchain ? jstr(domxml_type_name(k->chain[0].type)) : NULL);
		json_object_object_add(o, "format", k->nchain ? jstr(k->chain[0].format) : NULL);
		json_object_object_add(o, "image", k->nchain ? jstr(k->chain[0].path) : NULL);
		json_object_object_add(o, "readonly", json_object_new_boolean(k->readonly));
		json_object_object_add(o, "transient", json_object_new_boolean(k->transient));
		json_object_object_add(o, "read", jstr(read_note(k, x)));
		for (size_t j = 0; j < k->nchain; j++) {
			json_object *im = json_object_new_object();

			json_object_object_add(im, "path", jstr(k->chain[j].path));
			json_object_object_add(im, "type", jstr(domxml_type_name(k->chain[j].type)));
			json_object_object_add(im, "format", jstr(k->chain[j].format));
			json_object_array_add(chain, im);
		}
		json_object_object_add(o, "chain", chain);
		json_object_array_add(disks, o);
	}
	json_object_object_add(root, "disks", disks);
	fprintf(out, "%s\n", json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int
cmd_disks(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct domxml_domain *d = NULL;
	struct hv *hv = NULL;
	struct read_ctx x = { 0 };
	enum hv_state state;
	bool json = false;
	int ch, r, ret = CLI_EXIT_FAILURE;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			disks_usage(stdout);
			return CLI_EXIT_OK;
		default:
			disks_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_operands("disks", argc, argv, optind, "DOMAIN") < 0) {
		disks_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_conf(cli, false) < 0)
		return CLI_EXIT_USAGE;
	hv = hv_open_libvirt(cli->conf->libvirt_uri);
	if (hv == NULL)
		goto out;
	r = chain_describe(hv, argv[optind], &d);
	if (r == VV_NOT_FOUND) {
		log_error("domain %s: not found at %s", argv[optind], hv_uri(hv));
		goto out;
	}
	if (r < 0)
		goto out;
	x.cbt = cli->conf->cbt;
	if (hv_domain_state(hv, argv[optind], &state, NULL) == 0)
		x.shutoff = state == HV_STATE_SHUTOFF;
	if (json)
		print_json(d, &x, stdout);
	else
		print_text(d, &x, stdout);
	ret = CLI_EXIT_OK;
out:
	domxml_free(d);
	hv_close(hv);
	return ret;
}
