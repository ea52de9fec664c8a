/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pfroute_os: the OS-facing half of net-pfroute, for FreeBSD and macOS.
 *
 * Routes through a PF_ROUTE routing socket (RTM_ADD / RTM_DELETE / RTM_GET,
 * struct rt_msghdr followed by its sockaddr list), interface addresses with
 * SIOCAIFADDR / SIOCDIFADDR (and their _IN6 variants), links with
 * SIOCSIFFLAGS / SIOCSIFMTU, interfaces from getifaddrs(), and change events
 * (RTM_NEWADDR / RTM_DELADDR / RTM_IFINFO) from a second routing socket.
 *
 * This header and its implementation (pfroute_os.c with pfroute_route.c,
 * pfroute_iface.c, pfroute_msg.c and pfroute_internal.h) use only system
 * headers -- no GLib, no project headers -- so that 'make check-portability' can compile them
 * against FreeBSD's and Apple's own headers with zig cc.
 *
 * Every function returns 0 or a negative errno value and then fills err
 * with the operation and the kernel's message.
 */
#ifndef PFROUTE_OS_H
#define PFROUTE_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFR_IFNAMSIZ 16

typedef struct pfr_err {
	char msg[256];
} pfr_err_t;

typedef struct pfr_addr {
	int family;              /* AF_INET or AF_INET6 (the system's values) */
	uint8_t bytes[16];       /* network byte order; IPv4 uses the first 4 */
} pfr_addr_t;

typedef struct pfr_route {
	pfr_addr_t dst;
	unsigned prefixlen;
	char ifname[PFR_IFNAMSIZ];   /* "" = no device (gateway only) */
	bool has_gateway;
	pfr_addr_t gateway;
	bool has_src;
	pfr_addr_t src;              /* preferred source: sent as RTA_IFA */
} pfr_route_t;

/* The kernel's answer to RTM_GET for one destination. */
typedef struct pfr_lookup {
	bool has_gateway;            /* false: destination is on-link */
	pfr_addr_t gateway;
	bool has_src;
	pfr_addr_t src;              /* RTA_IFA: the address the kernel would use */
	char ifname[PFR_IFNAMSIZ];   /* RTA_IFP, or from rtm_index */
} pfr_lookup_t;

typedef enum pfr_event_type {
	PFR_EV_ADDR_ADDED = 1,
	PFR_EV_ADDR_REMOVED,
	PFR_EV_LINK_UP,
	PFR_EV_LINK_DOWN,
} pfr_event_type_t;

typedef struct pfr_event {
	pfr_event_type_t type;
	char ifname[PFR_IFNAMSIZ];
	pfr_addr_t addr;             /* ADDR_* events */
	unsigned prefixlen;
} pfr_event_t;

typedef void (*pfr_event_cb)(const pfr_event_t *ev, void *user);
typedef void (*pfr_addr_cb)(const char *ifname, const pfr_addr_t *addr,
                            unsigned prefixlen, void *user);

typedef struct pfr pfr_t;

/* Routes added by us carry this flag (RTF_PROTO1) so that pfr_flush_marked()
 * can find the leftovers of a crashed run. */
unsigned pfr_route_marker(void);

int  pfr_open(pfr_t **out, pfr_err_t *err);
void pfr_close(pfr_t *p);

int pfr_route_add(pfr_t *p, const pfr_route_t *r, pfr_err_t *err);
int pfr_route_del(pfr_t *p, const pfr_route_t *r, pfr_err_t *err);
int pfr_route_get(pfr_t *p, const pfr_addr_t *dst, pfr_lookup_t *out, pfr_err_t *err);
/* Delete every route carrying pfr_route_marker(); *removed counts them. */
int pfr_flush_marked(pfr_t *p, unsigned *removed, pfr_err_t *err);

int pfr_addr_add(pfr_t *p, const char *ifname, const pfr_addr_t *a, unsigned prefixlen,
                 pfr_err_t *err);
int pfr_addr_del(pfr_t *p, const char *ifname, const pfr_addr_t *a, unsigned prefixlen,
                 pfr_err_t *err);
/* mtu 0 = leave unchanged */
int pfr_link_set(pfr_t *p, const char *ifname, bool up, uint32_t mtu, pfr_err_t *err);
int pfr_addrs_foreach(pfr_addr_cb cb, void *user, pfr_err_t *err);

/* Routing socket for change events: poll it for readability, then call
 * pfr_event_dispatch(), which reads every waiting message without blocking. */
int  pfr_event_fd(const pfr_t *p);
void pfr_event_dispatch(pfr_t *p, pfr_event_cb cb, void *user);

#endif
