/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl: drive and observe a running uipsecd over its control socket
 * (docs/control-protocol.md, uipsecctl(8)). This file: the global options
 * and main(); the commands are in ctl_commands.c. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "control/control_proto.h"
#include "ctl/ctl.h"

ctl_options_t ctl_opt;

static const char usage_text[] =
	"usage: uipsecctl [--socket PATH] [--json] [--timeout SECONDS] [--owner NAME] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  status                      daemon version, uptime, plugins, TUN device, threads\n"
	"  plugins                     loaded plugins, features, provider of each algorithm\n"
	"  list-sas [owner NAME]       installed SAs with counters and lifetime left\n"
	"  list-policies [owner NAME]  installed policies (owner config: the configured tunnels')\n"
	"  list-tunnels                configured tunnels and their state\n"
	"  stats [--prometheus]        global counters\n"
	"  up NAME | down NAME         install / remove a configured tunnel\n"
	"  add-sa SA-ARGS              install an SA\n"
	"  update-sa SA-ARGS           replace an installed SA (same spi and dir) atomically;\n"
	"                              the same keys continue its sequence numbers\n"
	"  del-sa spi SPI dir in|out [dst ADDR]\n"
	"  migrate-sa spi SPI dir in|out dst ADDR [new-src A] [new-dst A] [new-sport N] [new-dport N]\n"
	"             [new-reqid N] [encap udp|none]\n"
	"                              move an SA, keeping keys, sequence numbers and replay state\n"
	"  add-policy POLICY-ARGS      install a policy\n"
	"  del-policy id ID | del-policy src PREFIX dst PREFIX dir DIR [proto P sport N dport N]\n"
	"  reload                      re-read the configuration\n"
	"  monitor [EVENT...]          print events until interrupted\n"
	"  log-level LEVEL [SUBSYSTEM] error, warn, info, debug or trace\n"
	"  alloc-spi [min SPI] [max SPI] [dst ADDR] [timeout S]\n"
	"                              reserve a free inbound SPI (printed in hex) for add-sa\n"
	"  query-sa spi SPI dir in|out [dst ADDR]   one SA's counters, last use, lifetime left\n"
	"  flush owner NAME            remove every SA, policy and reserved SPI of an owner\n"
	"--owner NAME (or owner NAME) names who installs or lists: add-sa, update-sa, add-policy,\n"
	"  alloc-spi, flush, list-sas, list-policies (default \"control\"; listings: every owner)\n"
	"\n"
	"SA-ARGS (as ip xfrm state):\n"
	"  src ADDR dst ADDR [proto esp] spi SPI dir in|out [mode tunnel] [reqid N]\n"
	"  esp KEYWORD key HEX [integ-key HEX]    (strongSwan proposal, e.g. aes128gcm16)\n"
	"   or esp KEYWORD --key-file FILE|-      (key = 0x.. / integ_key = 0x.. lines, mode 0600)\n"
	"   or aead rfc4106(gcm(aes)) HEX 128 | enc cbc(aes) HEX auth-trunc hmac(sha256) HEX 128\n"
	"  [encap espinudp SPORT DPORT | encap udp | encap none] [replay-window N] [flag esn]\n"
	"  [tunnel LABEL]   (encap none: raw ESP, IP protocol 50; default ESP in UDP)\n"
	"  [local-ts TS[,TS...] remote-ts TS[,TS...] | any]   inner traffic a dir in SA accepts\n"
	"   (TS as local_ts in a tunnel, e.g. 10.1.0.0/24[tcp/443]; neither = the dir in policies\n"
	"   with the SA's reqid)\n"
	"  [limit time-soft S time-hard S byte-soft N byte-hard N packet-soft N packet-hard N]\n"
	"\n"
	"POLICY-ARGS (as ip xfrm policy):\n"
	"  src PREFIX dst PREFIX [proto tcp|udp|icmp|N] [sport N] [dport N] dir in|out|fwd\n"
	"  [action protect|bypass|drop|trap] [priority N] [tmpl [src A dst B proto esp mode tunnel] reqid N | spi SPI]\n"
	"  [route [peer ADDR]]   dir out: route dst into the TUN device as a tunnel's remote_ts\n"
	"\n"
	"socket: --socket, else $UIPSEC_SOCKET, else " DEFAULT_SOCKET "\n"
	"exit status: 0 ok, 1 refused by uipsecd, 2 usage error, 3 uipsecd not reachable\n";

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
	fputs(usage_text, stdout);
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
		fputs(usage_text, stderr);
		rc = EXIT_USAGE;
	} else if (rc == GO_ON) {
		rc = run_command(cmd, rest, nrest);
	}
	g_free(rest);
	return rc;
}
