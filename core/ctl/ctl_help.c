/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl's usage: one entry per command (what --help and "help" list,
 * and what "help COMMAND" shows of one), plus the argument grammars that
 * several commands share. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "ctl/ctl.h"

static const char usage_line[] =
	"usage: uipsecctl [--socket PATH] [--json] [--timeout SECONDS] [--owner NAME] COMMAND [ARGS]\n";

static const char owner_text[] =
	"--owner NAME (or owner NAME) names who installs or lists: add-sa, update-sa, add-policy,\n"
	"  alloc-spi, flush, list-sas, list-policies (default \"control\"; listings: every owner)\n";

static const char sa_args_text[] =
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
	"  [limit time-soft S time-hard S byte-soft N byte-hard N packet-soft N packet-hard N]\n";

static const char policy_args_text[] =
	"POLICY-ARGS (as ip xfrm policy):\n"
	"  src PREFIX dst PREFIX [proto tcp|udp|icmp|N] [sport N] [dport N] dir in|out|fwd\n"
	"  [action protect|bypass|drop|trap] [priority N] [tmpl [src A dst B proto esp mode tunnel] reqid N | spi SPI]\n"
	"  [route [peer ADDR]]   dir out: route dst into the TUN device as a tunnel's remote_ts\n";

static const char tail_text[] =
	"socket: --socket, else $UIPSEC_SOCKET, else " DEFAULT_SOCKET "\n"
	"exit status: 0 ok, 1 refused by uipsecd, 2 usage error, 3 uipsecd not reachable\n";

/* names: the commands the lines describe (space-separated); lines: their
 * part of the command list; more: the shared grammar "help NAME" adds. */
static const struct help_entry {
	const char *names;
	const char *lines;
	const char *more[2];
} help_entries[] = {
	{ "status", "  status                      daemon version, uptime, plugins, TUN device, threads\n", { NULL } },
	{ "plugins", "  plugins                     loaded plugins, features, provider of each algorithm\n", { NULL } },
	{ "list-sas", "  list-sas [owner NAME]       installed SAs with counters and lifetime left\n", { owner_text } },
	{ "list-policies", "  list-policies [owner NAME]  installed policies (owner config: the configured tunnels')\n",
	  { owner_text } },
	{ "list-tunnels", "  list-tunnels                configured tunnels and their state\n", { NULL } },
	{ "stats", "  stats [--prometheus]        global counters; --prometheus: also per tunnel and per SA\n", { NULL } },
	{ "up down", "  up NAME | down NAME         install / remove a configured tunnel\n", { NULL } },
	{ "add-sa", "  add-sa SA-ARGS              install an SA\n", { sa_args_text, owner_text } },
	{ "update-sa",
	  "  update-sa SA-ARGS           replace an installed SA (same spi and dir) atomically;\n"
	  "                              the same keys continue its sequence numbers\n",
	  { sa_args_text, owner_text } },
	{ "del-sa", "  del-sa spi SPI dir in|out [dst ADDR]\n", { NULL } },
	{ "migrate-sa",
	  "  migrate-sa spi SPI dir in|out dst ADDR [new-src A] [new-dst A] [new-sport N] [new-dport N]\n"
	  "             [new-reqid N] [encap udp|none]\n"
	  "                              move an SA, keeping keys, sequence numbers and replay state\n",
	  { NULL } },
	{ "add-policy", "  add-policy POLICY-ARGS      install a policy\n", { policy_args_text, owner_text } },
	{ "del-policy", "  del-policy id ID | del-policy src PREFIX dst PREFIX dir DIR [proto P sport N dport N]\n",
	  { NULL } },
	{ "reload", "  reload                      re-read the configuration\n", { NULL } },
	{ "monitor", "  monitor [EVENT...]          print events until interrupted\n", { NULL } },
	{ "log-level", "  log-level LEVEL [SUBSYSTEM] error, warn, info, debug or trace\n", { NULL } },
	{ "alloc-spi",
	  "  alloc-spi [min SPI] [max SPI] [dst ADDR] [timeout S]\n"
	  "                              reserve a free inbound SPI (printed in hex) for add-sa\n",
	  { owner_text } },
	{ "query-sa", "  query-sa spi SPI dir in|out [dst ADDR]   one SA's counters, last use, lifetime left\n", { NULL } },
	{ "flush", "  flush owner NAME            remove every SA, policy and reserved SPI of an owner\n",
	  { owner_text } },
	{ "help", "  help [COMMAND]              this list, or one command's usage\n", { NULL } },
};

static bool names_have(const char *names, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = names; (p = strstr(p, name)); p += n)
		if ((p == names || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

void ctl_usage(FILE *out)
{
	fputs(usage_line, out);
	fputs("\ncommands:\n", out);
	for (size_t i = 0; i < G_N_ELEMENTS(help_entries); i++)
		fputs(help_entries[i].lines, out);
	fputs(owner_text, out);
	fprintf(out, "\n%s\n%s\n%s", sa_args_text, policy_args_text, tail_text);
}

int ctl_help(char **argv, int argc)
{
	if (argc == 0) {
		ctl_usage(stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("help takes at most one COMMAND");
	for (size_t i = 0; i < G_N_ELEMENTS(help_entries); i++) {
		const struct help_entry *e = &help_entries[i];
		if (!names_have(e->names, argv[0]))
			continue;
		printf("%s\n%s", usage_line, e->lines);
		for (size_t m = 0; m < G_N_ELEMENTS(e->more) && e->more[m]; m++)
			printf("\n%s", e->more[m]);
		printf("\n%s", tail_text);
		return EXIT_OK;
	}
	return usage_error("unknown command '%s' (uipsecctl help: the list)", argv[0]);
}
