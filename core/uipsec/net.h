/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: network backends (routes, rules, addresses, links).
 *
 * The core decides what to install (routes for remote selectors into the
 * TUN device, exception routes to the peer, the policy rule, virtual IPs);
 * a backend (net-netlink on Linux, net-pfroute on BSD/macOS) executes it.
 * Exactly one backend is used: the highest-priority UIPSEC_FT_NET provider.
 *
 * All functions return UIPSEC_OK or a negative uipsec_status_t and then
 * fill err with the operation and the kernel's own message.
 */
#ifndef UIPSEC_NET_H
#define UIPSEC_NET_H

#include <uipsec/common.h>

UIPSEC_BEGIN_DECLS

/** Size of an interface name buffer, NUL included (as IFNAMSIZ). */
#define UIPSEC_IFNAMSIZ 16

/** An IPv4 or IPv6 address. */
typedef struct uipsec_addr {
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint8_t bytes[16];       /* network byte order; IPv4 uses the first 4 */
} uipsec_addr_t;

/** An address prefix (network), e.g. 10.2.0.0/24. */
typedef struct uipsec_prefix {
	uipsec_addr_t addr;
	uint8_t len;             /* prefix length in bits */
} uipsec_prefix_t;
/** @var uipsec_prefix::addr
 * the address; host bits beyond len are zero where parsed by
 * uipsec_prefix_parse() */

/** What a route does with the packets it matches (ABI 2.0). */
typedef enum uipsec_route_type {
	UIPSEC_ROUTE_UNICAST = 0,      /* to ifname and/or gateway */
	UIPSEC_ROUTE_THROW,            /* no match in this table: the lookup goes on
	                                * with the next rule (Linux); ifname and
	                                * gateway unused. PF_ROUTE has none. */
} uipsec_route_type_t;

typedef struct uipsec_route {
	uipsec_prefix_t dst;
	char ifname[UIPSEC_IFNAMSIZ];  /* output device, "" = none (via gateway only) */
	bool has_gateway;
	uipsec_addr_t gateway;
	bool has_src;
	uipsec_addr_t src;             /* preferred source address */
	uint32_t table;                /* 0 = the main table (BSD: ignored) */
	uint32_t metric;
	uipsec_route_type_t type;
} uipsec_route_t;
/** @struct uipsec_route
 * A route to install or remove.
 * @typedef uipsec_route_t
 * A route to install or remove (struct uipsec_route).
 * @var uipsec_route::dst
 * destination prefix
 * @var uipsec_route::has_gateway
 * gateway is set
 * @var uipsec_route::gateway
 * next hop
 * @var uipsec_route::has_src
 * src is set
 * @var uipsec_route::metric
 * route priority (lower wins; 0 = the kernel's default)
 * @var uipsec_route::type
 * unicast (the default, 0) or throw (bypass policies; ABI 2.0) */

/** A policy-routing rule: packets of family (with the fwmark condition, if
 * any) look up table. */
typedef struct uipsec_rule {
	uint8_t family;                /* AF_INET or AF_INET6 */
	uint32_t table;
	uint32_t priority;
	bool has_fwmark;
	bool fwmark_invert;            /* "!0x42": packets NOT carrying the mark */
	uint32_t fwmark, fwmask;
} uipsec_rule_t;
/** @var uipsec_rule::table
 * routing table the rule points to
 * @var uipsec_rule::priority
 * rule priority (lower is tried first)
 * @var uipsec_rule::has_fwmark
 * the rule matches on fwmark/fwmask
 * @var uipsec_rule::fwmark
 * mark to match
 * @var uipsec_rule::fwmask
 * bits of the mark compared */

/** Answer of the kernel for "how would a packet to dst leave?" */
typedef struct uipsec_route_lookup {
	bool has_gateway;
	uipsec_addr_t gateway;         /* next hop, if not on-link */
	uipsec_addr_t src;             /* source address the kernel would pick */
	char ifname[UIPSEC_IFNAMSIZ];
} uipsec_route_lookup_t;
/** @var uipsec_route_lookup::has_gateway
 * gateway is set
 * @var uipsec_route_lookup::ifname
 * output device */

/** Kind of a change notification (uipsec_net_event_t). */
typedef enum uipsec_net_event_type {
	UIPSEC_NET_ADDR_ADDED = 1,
	UIPSEC_NET_ADDR_REMOVED,
	UIPSEC_NET_LINK_UP,
	UIPSEC_NET_LINK_DOWN,
	UIPSEC_NET_ROUTE_CHANGED,      /* a route was added, changed or removed */
	UIPSEC_NET_RULE_CHANGED,       /* a policy rule was added or removed */
	UIPSEC_NET_RESYNC,             /* notifications were lost: re-read everything */
} uipsec_net_event_type_t;
/** @var UIPSEC_NET_ADDR_ADDED
 * an address was added to an interface
 * @var UIPSEC_NET_ADDR_REMOVED
 * an address was removed from an interface
 * @var UIPSEC_NET_LINK_UP
 * an interface went up
 * @var UIPSEC_NET_LINK_DOWN
 * an interface went down or was removed
 * @var UIPSEC_NET_RULE_CHANGED
 * a policy-routing rule was added or removed (table: the rule's table)
 * @var UIPSEC_NET_RESYNC
 * the backend lost notifications (e.g. its netlink socket overran with
 * ENOBUFS): whatever was derived from them must be re-read */

/** A change notification from the backend (uipsec_net_ops_t::set_event_cb). */
typedef struct uipsec_net_event {
	uipsec_net_event_type_t type;
	char ifname[UIPSEC_IFNAMSIZ];
	uipsec_prefix_t addr;          /* ADDR_* events */
	uint32_t table;                /* ROUTE_/RULE_CHANGED: the table (0 = unknown) */
} uipsec_net_event_t;
/** @var uipsec_net_event::type
 * what happened
 * @var uipsec_net_event::ifname
 * the interface concerned */

/** How the backend wants tunnel routes placed (from its own options, e.g.
 * uipsecd.plugins.net-netlink.table/rule_priority/fwmark). table 0 means
 * the backend has no policy routing (PF_ROUTE): routes go to the main
 * table and no rule is installed. */
typedef struct uipsec_net_routing {
	uint32_t table;
	uint32_t rule_priority;
	bool has_fwmark;
	bool fwmark_invert;
	uint32_t fwmark, fwmask;
} uipsec_net_routing_t;
/** @var uipsec_net_routing::table
 * routing table for tunnel routes (0 = main table, no rule)
 * @var uipsec_net_routing::rule_priority
 * priority of the rule pointing to table
 * @var uipsec_net_routing::has_fwmark
 * the rule matches on fwmark/fwmask
 * @var uipsec_net_routing::fwmark_invert
 * the rule matches packets NOT carrying the mark
 * @var uipsec_net_routing::fwmark
 * mark of the rule (and of the daemon's own packets)
 * @var uipsec_net_routing::fwmask
 * bits of the mark compared */

/** Receives change notifications (set with uipsec_net_ops_t::set_event_cb). */
typedef void (*uipsec_net_event_cb)(const uipsec_net_event_t *ev, void *user);
/** Receives one address of one interface (uipsec_net_ops_t::addrs_foreach). */
typedef void (*uipsec_net_addr_cb)(const char *ifname, const uipsec_prefix_t *addr, void *user);

/** The backend object: created once by the core from the provider's ops. */
typedef struct uipsec_net uipsec_net_t;

/** Operations of a network backend: the ops of its UIPSEC_FT_NET feature
 * (uipsec/plugin.h). Functions returning int return UIPSEC_OK or a negative
 * uipsec_status_t and fill err with the operation and the kernel's message. */
typedef struct uipsec_net_ops {
	/** Create the backend object (open its sockets). */
	int  (*create)(void *plugin_state, uipsec_net_t **net, uipsec_err_t *err);
	/** Close and free the backend object (installed state stays). */
	void (*destroy)(uipsec_net_t *net);

	/** Install a route. */
	int (*route_add)(uipsec_net_t *net, const uipsec_route_t *r, uipsec_err_t *err);
	/** Remove a route. */
	int (*route_del)(uipsec_net_t *net, const uipsec_route_t *r, uipsec_err_t *err);
	/** Add a policy rule. Policy routing; backends without it (PF_ROUTE)
	 * may leave rule_add and rule_del NULL. */
	int (*rule_add)(uipsec_net_t *net, const uipsec_rule_t *r, uipsec_err_t *err);
	/** Remove a policy rule (may be NULL, as rule_add). */
	int (*rule_del)(uipsec_net_t *net, const uipsec_rule_t *r, uipsec_err_t *err);
	/** Add address a to interface ifname. */
	int (*addr_add)(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a, uipsec_err_t *err);
	/** Remove address a from interface ifname. */
	int (*addr_del)(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a, uipsec_err_t *err);
	/** Set interface ifname up or down and its MTU; mtu 0 = leave unchanged */
	int (*link_set)(uipsec_net_t *net, const char *ifname, bool up, uint32_t mtu, uipsec_err_t *err);
	/** The kernel's own answer for a packet to dst carrying fwmark (0 = no
	 * mark), so policy rules apply as they do to the daemon's packets. */
	int (*route_get)(uipsec_net_t *net, const uipsec_addr_t *dst, uint32_t fwmark,
	                 uipsec_route_lookup_t *out, uipsec_err_t *err);
	/** Call cb for every address of every interface (addr->len is the interface prefix,
	 * host bits kept). */
	int (*addrs_foreach)(uipsec_net_t *net, uipsec_net_addr_cb cb, void *user, uipsec_err_t *err);
	/** Remove leftovers of a crashed run: every route in table (if non-zero)
	 * and rules pointing to it with that priority (if non-zero), whatever
	 * their fwmark. */
	int (*flush)(uipsec_net_t *net, uint32_t table, uint32_t rule_priority, uipsec_err_t *err);

	/** Change notifications: fd to poll for readability (or -1 if none);
	 * dispatch() reads it and calls the callback set with set_event_cb(). */
	int  (*event_fd)(uipsec_net_t *net);
	/** Read pending notifications from event_fd() and deliver them. */
	void (*event_dispatch)(uipsec_net_t *net);
	/** Set the callback event_dispatch() delivers to (user is passed back). */
	void (*set_event_cb)(uipsec_net_t *net, uipsec_net_event_cb cb, void *user);

	/** Where tunnel routes go (see uipsec_net_routing_t); may be NULL (= table 0). */
	void (*get_routing)(uipsec_net_t *net, uipsec_net_routing_t *out);
} uipsec_net_ops_t;

/* ---------------------------------------------------------------- helpers
 * Address handling shared by the core and backends (implemented in libuipsec). */

/** Parse an address: "192.0.2.1", "2001:db8::1"; false on anything else */
UIPSEC_EXPORT bool uipsec_addr_parse(const char *s, uipsec_addr_t *out);
/** Parse a prefix: "10.2.0.0/24", "2001:db8::/64"; a bare address is a host prefix (/32, /128).
 * Host bits beyond the prefix length are cleared. */
UIPSEC_EXPORT bool uipsec_prefix_parse(const char *s, uipsec_prefix_t *out);
/** Size of a buffer that holds any uipsec_addr_str() text, NUL included. */
#define UIPSEC_ADDR_STRLEN 46
/** Size of a buffer that holds any uipsec_prefix_str() text, NUL included. */
#define UIPSEC_PREFIX_STRLEN 50
/** Format an address into buf of at least UIPSEC_ADDR_STRLEN; returns buf */
UIPSEC_EXPORT const char *uipsec_addr_str(const uipsec_addr_t *a, char *buf, size_t len);
/** Format a prefix ("10.2.0.0/24") into buf of at least
 * UIPSEC_PREFIX_STRLEN; returns buf */
UIPSEC_EXPORT const char *uipsec_prefix_str(const uipsec_prefix_t *p, char *buf, size_t len);
/** Format a route into buf; returns buf:
 * "10.2.0.0/24 via 192.0.2.254 dev uipsec0 src 10.1.0.1 table 220" (as ip-route(8) says it) */
UIPSEC_EXPORT const char *uipsec_route_str(const uipsec_route_t *r, char *buf, size_t len);
/** a and b have the same family and address */
UIPSEC_EXPORT bool uipsec_addr_equal(const uipsec_addr_t *a, const uipsec_addr_t *b);
/** a and b have the same family, length and (masked) address */
UIPSEC_EXPORT bool uipsec_prefix_equal(const uipsec_prefix_t *a, const uipsec_prefix_t *b);
/** p contains address a (same family, first p->len bits equal) */
UIPSEC_EXPORT bool uipsec_prefix_contains(const uipsec_prefix_t *p, const uipsec_addr_t *a);
/** Address bits of a family: 32 for AF_INET, 128 for AF_INET6, 0 otherwise */
UIPSEC_EXPORT unsigned uipsec_addr_bits(uint8_t family);
/** Parse a firewall mark: "[!]mark[/mask]" (decimal or 0x): "!0x42", "0x42/0xff", "7". Without a
 * mask the mask is 0xffffffff. On error fills err and returns false. */
UIPSEC_EXPORT bool uipsec_fwmark_parse(const char *s, bool *invert, uint32_t *mark,
                                       uint32_t *mask, uipsec_err_t *err);

UIPSEC_END_DECLS

#endif
