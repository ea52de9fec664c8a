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
	"usage: uipsecctl [--socket PATH] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  status                      daemon version, uptime, plugins, TUN device, threads\n"
	"  plugins                     loaded plugins, features, provider of each algorithm\n"
	"  list-sas                    installed SAs with counters and lifetime left\n"
	"  list-policies               installed policies\n"
	"  list-tunnels                configured tunnels and their state\n"
	"  stats [--prometheus]        global counters\n"
	"  up NAME | down NAME         install / remove a configured tunnel\n"
	"  add-sa SA-ARGS              install an SA\n"
	"  update-sa SA-ARGS           replace an installed SA (same spi and dir) atomically;\n"
	"                              the same keys continue its sequence numbers\n"
	"  del-sa spi SPI dir in|out [dst ADDR]\n"
	"  add-policy POLICY-ARGS      install a policy\n"
	"  del-policy id ID | del-policy src PREFIX dst PREFIX dir DIR [proto P sport N dport N]\n"
	"  reload                      re-read the configuration\n"
	"  monitor [EVENT...]          print events until interrupted\n"
	"  log-level LEVEL [SUBSYSTEM] error, warn, info, debug or trace\n"
	"\n"
	"SA-ARGS (as ip xfrm state):\n"
	"  src ADDR dst ADDR [proto esp] spi SPI dir in|out [mode tunnel] [reqid N]\n"
	"  esp KEYWORD key HEX [integ-key HEX]    (strongSwan proposal, e.g. aes128gcm16)\n"
	"   or esp KEYWORD --key-file FILE|-      (key = 0x.. / integ_key = 0x.. lines, mode 0600)\n"
	"   or aead rfc4106(gcm(aes)) HEX 128 | enc cbc(aes) HEX auth-trunc hmac(sha256) HEX 128\n"
	"  [encap espinudp SPORT DPORT] [replay-window N] [flag esn] [tunnel LABEL]\n"
	"  [local-ts TS[,TS...] remote-ts TS[,TS...] | any]   inner traffic a dir in SA accepts\n"
	"   (TS as local_ts in a tunnel, e.g. 10.1.0.0/24[tcp/443]; neither = the dir in policies\n"
	"   with the SA's reqid)\n"
	"  [limit time-soft S time-hard S byte-soft N byte-hard N packet-soft N packet-hard N]\n"
	"\n"
	"POLICY-ARGS (as ip xfrm policy):\n"
	"  src PREFIX dst PREFIX [proto tcp|udp|icmp|N] [sport N] [dport N] dir in|out|fwd\n"
	"  [action protect|bypass|drop|trap] [priority N] [tmpl [src A dst B proto esp mode tunnel] reqid N | spi SPI]\n"
	"\n"
	"socket: --socket, else $UIPSEC_SOCKET, else " DEFAULT_SOCKET "\n"
	"exit status: 0 ok, 1 refused by uipsecd, 2 usage error, 3 uipsecd not reachable\n";

int main(int argc, char **argv)
{
	char **rest = g_new0(char *, argc + 1);
	int nrest = 0;
	const char *cmd = NULL;

	ctl_opt.socket = g_getenv("UIPSEC_SOCKET");
	ctl_opt.timeout_ms = 30000;
	/* global options may appear anywhere, so "uipsecctl list-sas --json" works */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			ctl_opt.json = true;
		} else if (strcmp(a, "--prometheus") == 0) {
			ctl_opt.prometheus = true;
		} else if (strcmp(a, "--socket") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "--timeout") == 0) {
			if (i + 1 >= argc) {
				g_free(rest);
				return usage_error("%s needs a value", a);
			}
			if (a[2] == 't') {
				char *end;
				double t = g_ascii_strtod(argv[++i], &end);
				if (*end || t <= 0 || t > 86400) {
					g_free(rest);
					return usage_error("--timeout takes seconds");
				}
				ctl_opt.timeout_ms = (int)(t * 1000);
			} else {
				ctl_opt.socket = argv[++i];
			}
		} else if (strncmp(a, "--socket=", 9) == 0) {
			ctl_opt.socket = a + 9;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			g_free(rest);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("uipsecctl %s (control protocol %d)\n", PACKAGE_VERSION, CONTROL_PROTO_VERSION);
			g_free(rest);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1] == '-' && !cmd) {
			g_free(rest);
			return usage_error("unknown option '%s'", a);
		} else if (!cmd) {
			cmd = a;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!ctl_opt.socket || !*ctl_opt.socket)
		ctl_opt.socket = DEFAULT_SOCKET;
	int rc;
	if (!cmd) {
		fputs(usage_text, stderr);
		rc = EXIT_USAGE;
	} else {
		rc = run_command(cmd, rest, nrest);
	}
	g_free(rest);
	return rc;
}

