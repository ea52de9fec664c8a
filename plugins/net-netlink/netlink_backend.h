/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net-netlink: the network backend over rtnetlink, built on libnl-route-3. */
#ifndef UIPSEC_NETLINK_BACKEND_H
#define UIPSEC_NETLINK_BACKEND_H

#include <uipsec/net.h>

/* What the plugin's options configure; the plugin state handed to create(). */
typedef struct netlink_cfg {
	uipsec_net_routing_t routing;
	int event_rcvbuf;   /* receive_buffer_size of the notification socket, 0 = libnl's */
} netlink_cfg_t;

#define NETLINK_OPT_PREFIX "uipsecd.plugins.net-netlink."

/* Parse the plugin's option values into cfg (fwmark may be NULL or "").
 * On a bad value fills err, points *bad_key (may be NULL) at the option's
 * name ("table", "rule_priority", "fwmark") and returns false. */
bool netlink_cfg_parse(netlink_cfg_t *cfg, int64_t table, int64_t rule_priority,
                       const char *fwmark, const char **bad_key, uipsec_err_t *err);

extern const uipsec_net_ops_t netlink_net_ops;

#endif
