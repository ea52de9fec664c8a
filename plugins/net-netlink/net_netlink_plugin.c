/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net-netlink plugin: descriptor, options and the "network backend" feature. */
#include "config.h"
#include <stdlib.h>
#include <stdio.h>
#include <uipsec/plugin.h>
#include "netlink_backend.h"

static const uipsec_option_t netlink_options[] = {
	{ "table", UIPSEC_OPT_INT, "220", "routing table for tunnel routes" },
	{ "rule_priority", UIPSEC_OPT_INT, "220", "priority of the rule that selects the table" },
	{ "fwmark", UIPSEC_OPT_STRING, NULL,
	  "[!]mark[/mask] on that rule; !0x42 = only packets NOT marked 0x42 use the table" },
	{ "receive_buffer_size", UIPSEC_OPT_INT, "0",
	  "receive buffer (bytes) of the link/address/route notification socket; 0 = libnl's default. "
	  "An overrun (ENOBUFS) makes the daemon re-check its routes, rules and addresses" },
	UIPSEC_OPTION_END
};

static const uipsec_feature_t netlink_features[] = {
	UIPSEC_PROVIDE(UIPSEC_FT_NET, 0, UIPSEC_PRIO_DEFAULT, &netlink_net_ops),
	UIPSEC_FEATURE_END
};

static int netlink_init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	netlink_cfg_t *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return UIPSEC_ERR_NOMEM;
	uipsec_err_t e = { "" };
	const char *bad_key = NULL;
	if (!netlink_cfg_parse(cfg, uipsec_plugin_opt_int(ctx, "table", 220),
	                       uipsec_plugin_opt_int(ctx, "rule_priority", 220),
	                       uipsec_plugin_opt_str(ctx, "fwmark", NULL), &bad_key, &e)) {
		char key[96];
		snprintf(key, sizeof(key), NETLINK_OPT_PREFIX "%s", bad_key ? bad_key : "");
		const char *origin = uipsec_settings_origin(uipsec_plugin_ctx_settings(ctx), key);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s%s%s", origin ? origin : "", origin ? ": " : "", e.msg);
		free(cfg);
		return UIPSEC_ERR_INVAL;
	}
	int64_t rcvbuf = uipsec_plugin_opt_int(ctx, "receive_buffer_size", 0);
	cfg->event_rcvbuf = rcvbuf > 0 && rcvbuf <= 64 * 1024 * 1024 ? (int)rcvbuf : 0;
	*state = cfg;
	return UIPSEC_OK;
}

static void netlink_fini(void *state)
{
	free(state);
}

UIPSEC_PLUGIN_DEFINE(net_netlink, "net-netlink", PACKAGE_VERSION,
                     "routes, rules and addresses over rtnetlink (libnl-route-3)",
                     netlink_features, netlink_options, netlink_init, netlink_fini);
