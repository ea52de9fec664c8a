/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pfroute_iface: interface addresses (SIOCAIFADDR / SIOCDIFADDR and their
 * _IN6 variants), link state and MTU, and the addresses from getifaddrs(). */
#include "pfroute_internal.h"

#if defined(__FreeBSD__)
#include <netinet/in_var.h>
#endif
#if __has_include(<netinet6/in6_var.h>)
#include <netinet6/in6_var.h>
#define PFR_HAVE_IN6_VAR 1
#endif

#ifndef PFR_HAVE_IN6_VAR
/* Apple's SDK ships <netinet6/in6_var.h>, zig's trimmed macOS headers do not.
 * These are the layouts Apple publishes in xnu bsd/netinet6/in6_var.h; the
 * ioctl numbers encode the structure sizes, checked below. */
struct in6_addrlifetime {
	time_t ia6t_expire;
	time_t ia6t_preferred;
	uint32_t ia6t_vltime;
	uint32_t ia6t_pltime;
};
struct in6_aliasreq {
	char ifra_name[IFNAMSIZ];
	struct sockaddr_in6 ifra_addr;
	struct sockaddr_in6 ifra_dstaddr;
	struct sockaddr_in6 ifra_prefixmask;
	int ifra_flags;
	struct in6_addrlifetime ifra_lifetime;
};
/* The union's largest member is struct icmp6_ifstat: 34 64-bit counters. */
struct in6_ifreq {
	char ifr_name[IFNAMSIZ];
	union {
		struct sockaddr_in6 ifru_addr;
		uint64_t ifru_icmp6stat_space[34];
	} ifr_ifru;
};
#if defined(__LP64__)
_Static_assert(sizeof(struct in6_aliasreq) == 128, "in6_aliasreq layout");
#endif
_Static_assert(sizeof(struct in6_ifreq) == 288, "in6_ifreq layout");
#define SIOCDIFADDR_IN6 _IOW('i', 25, struct in6_ifreq)
#define SIOCAIFADDR_IN6 _IOW('i', 26, struct in6_aliasreq)
#define ND6_INFINITE_LIFETIME 0xffffffffU
#define IN6_IFF_NODAD 0x0020
#endif

#ifndef ND6_INFINITE_LIFETIME
/* RFC 4861's "infinity" lifetime (FreeBSD keeps it in <netinet6/nd6.h>) */
#define ND6_INFINITE_LIFETIME 0xffffffffU
#endif

/* ------------------------------------------------------------ interfaces */

static int ifreq_init(struct ifreq *ifr, const char *ifname)
{
	memset(ifr, 0, sizeof(*ifr));
	if (!ifname || strlen(ifname) >= sizeof(ifr->ifr_name))
		return -EINVAL;
	memcpy(ifr->ifr_name, ifname, strlen(ifname));
	return 0;
}

static bool is_pointopoint(pfr_t *p, const char *ifname)
{
	struct ifreq ifr;
	if (ifreq_init(&ifr, ifname) < 0 || ioctl(p->ioctl4_fd, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	return (ifr.ifr_flags & IFF_POINTOPOINT) != 0;
}

static int addr4_change(pfr_t *p, bool add, const char *ifname, const pfr_addr_t *a,
                        unsigned prefixlen)
{
	pfr_sa_t addr, mask;

	pfr_sa_from_addr(&addr, a);
	if (!add) {
		struct ifreq ifr;
		if (ifreq_init(&ifr, ifname) < 0)
			return -EINVAL;
		memcpy(&ifr.ifr_addr, &addr.in4, sizeof(addr.in4));
		return ioctl(p->ioctl4_fd, SIOCDIFADDR, &ifr) < 0 ? -errno : 0;
	}
	pfr_sa_mask(&mask, AF_INET, prefixlen);
#if defined(__FreeBSD__)
	struct in_aliasreq req;
#else
	struct ifaliasreq req;
#endif
	memset(&req, 0, sizeof(req));
	if (strlen(ifname) >= sizeof(req.ifra_name))
		return -EINVAL;
	memcpy(req.ifra_name, ifname, strlen(ifname));
	memcpy(&req.ifra_addr, &addr.in4, sizeof(addr.in4));
	memcpy(&req.ifra_mask, &mask.in4, sizeof(mask.in4));
	/* TUN devices are point-to-point: they need a destination address, and
	 * our own address is the one that routes nothing extra */
	if (is_pointopoint(p, ifname))
		memcpy(&req.ifra_broadaddr, &addr.in4, sizeof(addr.in4));
	return ioctl(p->ioctl4_fd, SIOCAIFADDR, &req) < 0 ? -errno : 0;
}

static int addr6_change(pfr_t *p, bool add, const char *ifname, const pfr_addr_t *a,
                        unsigned prefixlen)
{
	pfr_sa_t addr, mask;

	if (p->ioctl6_fd < 0)
		return -EAFNOSUPPORT;
	pfr_sa_from_addr(&addr, a);
	if (!add) {
		struct in6_ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		if (strlen(ifname) >= sizeof(ifr.ifr_name))
			return -EINVAL;
		memcpy(ifr.ifr_name, ifname, strlen(ifname));
		memcpy(&ifr.ifr_ifru.ifru_addr, &addr.in6, sizeof(addr.in6));
		return ioctl(p->ioctl6_fd, SIOCDIFADDR_IN6, &ifr) < 0 ? -errno : 0;
	}
	pfr_sa_mask(&mask, AF_INET6, prefixlen);
	struct in6_aliasreq req;
	memset(&req, 0, sizeof(req));
	if (strlen(ifname) >= sizeof(req.ifra_name))
		return -EINVAL;
	memcpy(req.ifra_name, ifname, strlen(ifname));
	memcpy(&req.ifra_addr, &addr.in6, sizeof(addr.in6));
	memcpy(&req.ifra_prefixmask, &mask.in6, sizeof(mask.in6));
	/* a virtual IP needs no duplicate address detection and never expires */
	req.ifra_flags = IN6_IFF_NODAD;
	req.ifra_lifetime.ia6t_vltime = ND6_INFINITE_LIFETIME;
	req.ifra_lifetime.ia6t_pltime = ND6_INFINITE_LIFETIME;
	return ioctl(p->ioctl6_fd, SIOCAIFADDR_IN6, &req) < 0 ? -errno : 0;
}

static int addr_change(pfr_t *p, bool add, const char *ifname, const pfr_addr_t *a,
                       unsigned prefixlen, pfr_err_t *err)
{
	const char *op;
	char s[INET6_ADDRSTRLEN];
	int e;

	if (a->family == AF_INET) {
		op = add ? "SIOCAIFADDR" : "SIOCDIFADDR";
		e = addr4_change(p, add, ifname, a, prefixlen);
	} else if (a->family == AF_INET6) {
		op = add ? "SIOCAIFADDR_IN6" : "SIOCDIFADDR_IN6";
		e = addr6_change(p, add, ifname, a, prefixlen);
	} else {
		op = add ? "add address" : "delete address";
		e = -EAFNOSUPPORT;
	}
	return e < 0 ? pfr_fail(err, -e, "%s %s/%u on '%s'", op, pfr_addr_str(a, s, sizeof(s)), prefixlen,
	                        ifname)
	             : 0;
}

int pfr_addr_add(pfr_t *p, const char *ifname, const pfr_addr_t *a, unsigned prefixlen,
                 pfr_err_t *err)
{
	return addr_change(p, true, ifname, a, prefixlen, err);
}

int pfr_addr_del(pfr_t *p, const char *ifname, const pfr_addr_t *a, unsigned prefixlen,
                 pfr_err_t *err)
{
	return addr_change(p, false, ifname, a, prefixlen, err);
}

int pfr_link_set(pfr_t *p, const char *ifname, bool up, uint32_t mtu, pfr_err_t *err)
{
	struct ifreq ifr;

	if (ifreq_init(&ifr, ifname) < 0)
		return pfr_fail(err, EINVAL, "link '%s'", ifname ? ifname : "");
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(p->ioctl4_fd, SIOCSIFMTU, &ifr) < 0)
			return pfr_fail(err, errno, "SIOCSIFMTU %u on '%s'", (unsigned)mtu, ifname);
	}
	if (ioctl(p->ioctl4_fd, SIOCGIFFLAGS, &ifr) < 0)
		return pfr_fail(err, errno, "SIOCGIFFLAGS on '%s'", ifname);
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(p->ioctl4_fd, SIOCSIFFLAGS, &ifr) < 0)
		return pfr_fail(err, errno, "SIOCSIFFLAGS %s on '%s'", up ? "up" : "down", ifname);
	return 0;
}

int pfr_addrs_foreach(pfr_addr_cb cb, void *user, pfr_err_t *err)
{
	struct ifaddrs *list, *ifa;

	if (getifaddrs(&list) < 0)
		return pfr_fail(err, errno, "getifaddrs");
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		pfr_addr_t a;
		if (!ifa->ifa_addr || !pfr_addr_from_sa(&a, ifa->ifa_addr))
			continue;
		unsigned plen = ifa->ifa_netmask ? pfr_mask_prefixlen(ifa->ifa_netmask, a.family)
		                                 : (a.family == AF_INET ? 32 : 128);
		cb(ifa->ifa_name, &a, plen, user);
	}
	freeifaddrs(list);
	return 0;
}

