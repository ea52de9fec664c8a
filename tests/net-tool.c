/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net-tool: drives the core's route manager with the real net-netlink
 * plugin, loaded by the plugin loader from UIPSEC_PLUGIN_PATH and
 * configured like uipsecd (uipsecd.*, uipsecd.plugins.net-netlink.*), for
 * the shell tests (tests/test-netlink-*.sh). Commands run in
 * order; the first failure prints "net-tool: MESSAGE", removes what was
 * installed and exits 1.
 *
 *   net-tool [OPTIONS] COMMAND...
 *     start                               flush leftovers, install the rule(s)
 *     add NAME DEV LOCAL REMOTE LTS RTS [VIPS]   install a tunnel; lists are
 *                                         comma separated, "-" = none
 *     del NAME                            remove a tunnel
 *     check NAME DEV LOCAL REMOTE LTS RTS decisions only
 *     lookup DST                          print the kernel's route to DST
 *     hold                                print "ready", pass link/address events
 *                                         to the route manager until SIGTERM/SIGINT
 *     stop                                remove everything installed
 */
#include "config.h"
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <uipsec/net.h>
#include "config/logging.h"
#include "plugin/plugin_loader.h"
#include "net/route_mgr.h"
#include "config/settings_parser.h"

static const uipsec_net_ops_t *ops;
static uipsec_net_t *net;
static route_mgr_t *mgr;

static G_GNUC_NORETURN void die(const char *msg)
{
	fprintf(stderr, "net-tool: %s\n", msg);
	route_mgr_free(mgr);
	if (net)
		ops->destroy(net);
	exit(1);
}

static void parse_list(const char *what, const char *list, GArray *out)
{
	if (strcmp(list, "-") == 0)
		return;
	char **v = g_strsplit(list, ",", -1);
	for (char **p = v; *p; p++) {
		uipsec_prefix_t pfx;
		if (!uipsec_prefix_parse(*p, &pfx)) {
			char *m = g_strdup_printf("bad %s entry '%s'", what, *p);
			die(m);
		}
		g_array_append_val(out, pfx);
	}
	g_strfreev(v);
}

/* argv: NAME DEV LOCAL REMOTE LTS RTS [VIPS]; returns how many args used */
static int tunnel_from_args(char **argv, int argc, bool with_vips, route_mgr_tunnel_t *t, GArray *l, GArray *r, GArray *v)
{
	if (argc < 6)
		die("add/check need NAME DEV LOCAL REMOTE LTS RTS");
	memset(t, 0, sizeof(*t));
	t->name = argv[0];
	t->ifname = argv[1];
	if (strcmp(argv[2], "-") != 0 && !uipsec_addr_parse(argv[2], &t->local))
		die("bad local address");
	if (!uipsec_addr_parse(argv[3], &t->remote))
		die("bad remote address");
	parse_list("local_ts", argv[4], l);
	parse_list("remote_ts", argv[5], r);
	int used = 6;
	if (with_vips && argc > 6 && strchr("0123456789:-", argv[6][0])) {
		parse_list("vip", argv[6], v);
		used = 7;
	}
	t->local_ts = (uipsec_prefix_t *)l->data;
	t->local_ts_count = l->len;
	t->remote_ts = (uipsec_prefix_t *)r->data;
	t->remote_ts_count = r->len;
	t->vips = (uipsec_prefix_t *)v->data;
	t->vip_count = v->len;
	return used;
}

static void on_net_event(const uipsec_net_event_t *ev, void *user)
{
	route_mgr_handle_event(user, ev);
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
	got_signal = sig;
}

static int run_command(char **argv, int argc)
{
	uipsec_err_t err = { "" };
	const char *cmd = argv[0];
	if (strcmp(cmd, "start") == 0) {
		if (route_mgr_start(mgr, &err) != UIPSEC_OK)
			die(err.msg);
		return 1;
	}
	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "check") == 0) {
		bool add = cmd[0] == 'a';
		route_mgr_tunnel_t t;
		GArray *l = g_array_new(FALSE, TRUE, sizeof(uipsec_prefix_t));
		GArray *r = g_array_new(FALSE, TRUE, sizeof(uipsec_prefix_t));
		GArray *v = g_array_new(FALSE, TRUE, sizeof(uipsec_prefix_t));
		int used = tunnel_from_args(argv + 1, argc - 1, add, &t, l, r, v);
		int rc = add ? route_mgr_tunnel_add(mgr, &t, &err) : route_mgr_tunnel_check(mgr, &t, &err);
		g_array_unref(l);
		g_array_unref(r);
		g_array_unref(v);
		if (rc != UIPSEC_OK)
			die(err.msg);
		return 1 + used;
	}
	if (strcmp(cmd, "del") == 0) {
		if (argc < 2)
			die("del needs NAME");
		if (route_mgr_tunnel_del(mgr, argv[1], &err) != UIPSEC_OK)
			die(err.msg);
		return 2;
	}
	if (strcmp(cmd, "lookup") == 0) {
		uipsec_addr_t dst;
		uipsec_route_lookup_t lk;
		char g[UIPSEC_ADDR_STRLEN], s[UIPSEC_ADDR_STRLEN];
		if (argc < 2 || !uipsec_addr_parse(argv[1], &dst))
			die("lookup needs an address");
		uint32_t mark = argc > 2 && argv[2][0] >= '0' && argv[2][0] <= '9' ? (uint32_t)strtoul(argv[2], NULL, 0) : 0;
		if (ops->route_get(net, &dst, mark, &lk, &err) != UIPSEC_OK)
			die(err.msg);
		printf("dev %s%s%s src %s\n", lk.ifname, lk.has_gateway ? " via " : "",
		       lk.has_gateway ? uipsec_addr_str(&lk.gateway, g, sizeof(g)) : "", uipsec_addr_str(&lk.src, s, sizeof(s)));
		return mark ? 3 : 2;
	}
	if (strcmp(cmd, "hold") == 0) {
		/* meanwhile link/address changes reach the route manager, as in uipsecd */
		int fd = ops->event_fd ? ops->event_fd(net) : -1;
		if (fd >= 0)
			ops->set_event_cb(net, on_net_event, mgr);
		printf("ready\n");
		fflush(stdout);
		while (!got_signal) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			if (fd < 0)
				pause();
			else if (poll(&pfd, 1, 200) > 0)
				ops->event_dispatch(net);
		}
		return 1;
	}
	if (strcmp(cmd, "stop") == 0) {
		route_mgr_stop(mgr);
		return 1;
	}
	char *m = g_strdup_printf("unknown command '%s'", cmd);
	die(m);
}

/* The configuration the options describe, in uipsec.conf syntax. */
static char *config_text(gint64 table, gint64 prio, const char *fwmark, gint64 sock_mark,
                         gboolean allow_peer_ts, gboolean no_routes)
{
	GString *c = g_string_new("uipsecd {\n    load = net-netlink\n");
	g_string_append_printf(c, "    allow_peer_ts = %s\n    install_routes = %s\n",
	                       allow_peer_ts ? "yes" : "no", no_routes ? "no" : "yes");
	if (sock_mark)
		g_string_append_printf(c, "    socket {\n        fwmark = 0x%" G_GINT64_MODIFIER "x\n    }\n", sock_mark);
	g_string_append_printf(c, "    plugins {\n        net-netlink {\n            table = %" G_GINT64_FORMAT "\n"
	                       "            rule_priority = %" G_GINT64_FORMAT "\n", table, prio);
	if (fwmark)
		g_string_append_printf(c, "            fwmark = %s\n", fwmark);
	g_string_append(c, "        }\n    }\n}\n");
	return g_string_free(c, FALSE);
}

int main(int argc, char **argv)
{
	gint64 table = 220, prio = 220, sock_mark = 0;
	gchar *fwmark = NULL, *config = NULL;
	gboolean allow_peer_ts = FALSE, no_routes = FALSE, debug = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "read this uipsec.conf (the options below are then ignored)", "FILE" },
		{ "table", 0, 0, G_OPTION_ARG_INT64, &table, "plugins.net-netlink.table", "N" },
		{ "rule-priority", 0, 0, G_OPTION_ARG_INT64, &prio, "plugins.net-netlink.rule_priority", "N" },
		{ "fwmark", 0, 0, G_OPTION_ARG_STRING, &fwmark, "plugins.net-netlink.fwmark", "[!]MARK[/MASK]" },
		{ "socket-fwmark", 0, 0, G_OPTION_ARG_INT64, &sock_mark, "socket.fwmark", "MARK" },
		{ "allow-peer-ts", 0, 0, G_OPTION_ARG_NONE, &allow_peer_ts, "allow_peer_ts = yes", NULL },
		{ "no-routes", 0, 0, G_OPTION_ARG_NONE, &no_routes, "install_routes = no", NULL },
		{ "debug", 0, 0, G_OPTION_ARG_NONE, &debug, "log at debug level", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	GOptionContext *ctx = g_option_context_new("COMMAND...");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *gerr = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		fprintf(stderr, "net-tool: %s\n", gerr->message);
		return 2;
	}
	g_option_context_free(ctx);
	if (debug)
		log_set_level(NULL, UIPSEC_LOG_DEBUG);

	/* the real plugin, loaded the way uipsecd loads it (UIPSEC_PLUGIN_PATH) */
	uipsec_settings_t *settings = settings_new();
	bool loaded;
	if (config) {
		loaded = settings_load_file(settings, config, &gerr);
	} else {
		char *text = config_text(table, prio, fwmark, sock_mark, allow_peer_ts, no_routes);
		loaded = settings_load_string(settings, text, "net-tool", &gerr);
		g_free(text);
	}
	g_free(fwmark);
	g_free(config);
	if (!loaded || !plugin_loader_load(settings, &gerr))
		die(gerr->message);
	void *state = NULL;
	ops = uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, &state);
	if (!ops)
		die("no network backend: net-netlink did not load (see the log above)");
	uipsec_err_t err = { "" };
	if (ops->create(state, &net, &err) != UIPSEC_OK)
		die(err.msg);
	route_mgr_cfg_t mcfg;
	route_mgr_cfg_from_settings(settings, &mcfg);
	mgr = route_mgr_new(ops, net, &mcfg);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (int i = 1; i < argc;)
		i += run_command(argv + i, argc - i);
	route_mgr_free(mgr);
	ops->destroy(net);
	plugin_loader_unload();
	settings_free(settings);
	return 0;
}
