/*
 * The daemon: runs every [job NAME] at the times of its schedule. Each
 * domain is backed up by a child `virtvault backup DOMAIN --job NAME`, at
 * most max_parallel at once, never one domain twice (the per-domain lock
 * also keeps manual runs out). Signals come through a signalfd.
 */
#ifndef VV_DAEMON_H
#define VV_DAEMON_H

#include "conf/conf.h"

struct daemon_opts {
	const char *self;		/* the virtvault binary to run children with */
	const char *config_path;	/* what -c said, or NULL */
	const char *pidfile;		/* or NULL */
};

/*
 * daemon_run: repair leftover journals, then schedule until SIGTERM or
 * SIGINT, after which running backups are brought to a safe point. C is
 * the loaded configuration (the daemon takes it over). Returns 0, or -1
 * when it could not start (logged).
 */
int daemon_run(const struct daemon_opts *o, struct conf *c);

#endif
