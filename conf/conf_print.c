#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_keys.h"

static void
print_section(const struct conf *c, enum conf_section sec, const void *base,
    FILE *out)
{
	for (size_t i = 0; i < conf_keys_count(); i++) {
		const struct conf_key *k = conf_keys_at(i);

		if (k->section == sec)
			conf_keys_print(k, base, out);
	}
	(void)c;
}

void
conf_print(const struct conf *c, FILE *out)
{
	fprintf(out, "; effective configuration from %s\n",
	    c->path ? c->path : "built-in defaults (no configuration file)");
	fprintf(out, "[agent]\n");
	print_section(c, CONF_SEC_AGENT, c, out);
	if (c->repo_name != NULL)
		fprintf(out, "\n[repository %s]\n", c->repo_name);
	else
		fprintf(out, "\n[repository]\n");
	print_section(c, CONF_SEC_REPOSITORY, c, out);
	if (c->password != NULL)
		fprintf(out, "; password = <redacted>  ; from VIRTVAULT_PASSWORD%s\n",
		    c->password_file ? " (password_file takes precedence)" : "");
	fprintf(out, "\n[notify]\n");
	print_section(c, CONF_SEC_NOTIFY, c, out);
	for (size_t j = 0; j < c->njobs; j++) {
		fprintf(out, "\n[job %s]\n", c->jobs[j].name);
		print_section(c, CONF_SEC_JOB, &c->jobs[j], out);
	}
	/* The others, named only: 'config check --repo NAME' shows each. */
	for (size_t j = 0; j < c->repo_names.n; j++)
		if (c->repo_name == NULL || strcmp(c->repo_names.v[j], c->repo_name) != 0)
			fprintf(out, "\n; [repository %s]: see 'virtvault --repo %s config check'\n",
			    c->repo_names.v[j], c->repo_names.v[j]);
}
