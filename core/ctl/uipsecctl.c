/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl: drive and observe a running uipsecd over its control socket
 * (docs/control-protocol.md, uipsecctl(8)). This file: the global options
 * and main(); the commands are in ctl_commands.c, their usage in
 * ctl_help.c. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "control/control_proto.h"
#include "ctl/ctl.h"

ctl_options_t ctl_opt;

/* What a global option handler returns to let main() go on; anything else
 * is the exit status. */
enum { GO_ON = -1 };

static int opt_json(const char *value)
{
	(void)value;
	ctl_opt.json = true;
	return GO_ON;
}

static int opt_prometheus(const char *value)
{
	(void)value;
	ctl_opt.prometheus = true;
	return GO_ON;
}

static int opt_socket(const char *value)
{
	ctl_opt.socket = value;
	return GO_ON;
}

static int opt_timeout(const char *value)
{
	char *end;
	double t = g_ascii_strtod(value, &end);
	if (*end || t <= 0 || t > 86400)
		return usage_error("--timeout takes seconds");
	ctl_opt.timeout_ms = (int)(t * 1000);
	return GO_ON;
}

static int opt_owner(const char *value)
{
	ctl_opt.owner = value;
	return GO_ON;
}

static int opt_help(const char *value)
{
	(void)value;
	ctl_usage(stdout);
	return EXIT_OK;
}

static int opt_version(const char *value)
{
	(void)value;
	printf("uipsecctl %s (control protocol %d)\n", PACKAGE_VERSION, CONTROL_PROTO_VERSION);
	return EXIT_OK;
}

typedef enum { OPT_FLAG, OPT_VALUE, OPT_INLINE } opt_kind_t;

static const struct global_option {
	const char *name;
	const char *short_name;
	opt_kind_t kind;    /* OPT_VALUE: the next argument; OPT_INLINE: name is a prefix */
	int (*apply)(const char *value);
} global_options[] = {
	{ "--json", "-j", OPT_FLAG, opt_json },
	{ "--prometheus", NULL, OPT_FLAG, opt_prometheus },
	{ "--socket", "-s", OPT_VALUE, opt_socket },
	{ "--timeout", NULL, OPT_VALUE, opt_timeout },
	{ "--owner", NULL, OPT_VALUE, opt_owner },
	{ "--socket=", NULL, OPT_INLINE, opt_socket },
	{ "--help", "-h", OPT_FLAG, opt_help },
	{ "--version", NULL, OPT_FLAG, opt_version },
};

/* argv[*i] when it is a global option: applied (its value consumed). */
static bool global_option(char **argv, int argc, int *i, int *rc)
{
	const char *a = argv[*i];
	for (size_t k = 0; k < G_N_ELEMENTS(global_options); k++) {
		const struct global_option *o = &global_options[k];
		if (o->kind == OPT_INLINE ? strncmp(a, o->name, strlen(o->name)) != 0
		                          : strcmp(a, o->name) != 0 && (!o->short_name || strcmp(a, o->short_name) != 0))
			continue;
		const char *value = o->kind == OPT_INLINE ? a + strlen(o->name) : NULL;
		if (o->kind == OPT_VALUE && *i + 1 >= argc)
			*rc = usage_error("%s needs a value", a);
		else
			*rc = o->apply(o->kind == OPT_VALUE ? argv[++*i] : value);
		return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	char **rest = g_new0(char *, argc + 1);
	int nrest = 0, rc = GO_ON;
	const char *cmd = NULL;

	ctl_opt.socket = g_getenv("UIPSEC_SOCKET");
	ctl_opt.timeout_ms = 30000;
	/* global options may appear anywhere, so "uipsecctl list-sas --json" works */
	for (int i = 1; i < argc && rc == GO_ON; i++) {
		const char *a = argv[i];
		if (global_option(argv, argc, &i, &rc))
			continue;
		if (a[0] == '-' && a[1] == '-' && !cmd)
			rc = usage_error("unknown option '%s'", a);
		else if (!cmd)
			cmd = a;
		else
			rest[nrest++] = argv[i];
	}
	if (!ctl_opt.socket || !*ctl_opt.socket)
		ctl_opt.socket = DEFAULT_SOCKET;
	if (rc == GO_ON && !cmd) {
		ctl_usage(stderr);
		rc = EXIT_USAGE;
	} else if (rc == GO_ON) {
		rc = run_command(cmd, rest, nrest);
	}
	g_free(rest);
	return rc;
}
