/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pfroute_route: routes through the routing socket -- add and delete
 * (RTM_ADD / RTM_DELETE), lookup (RTM_GET) and the flush of our leftover
 * routes, marked with RTF_PROTO1. */
#include "pfroute_internal.h"

#define PFR_MARK RTF_PROTO1
#define PFR_REPLY_TIMEOUT_MS 2000

unsigned pfr_route_marker(void)
{
	return PFR_MARK;
}

/* ------------------------------------------------------------ routes */

static bool full_length(const pfr_addr_t *a, unsigned prefixlen)
{
	return prefixlen >= (a->family == AF_INET ? 32u : 128u);
}

#if defined(__APPLE__)
/* Is a one of the addresses of interface ifname? */
static bool addr_on_interface(const char *ifname, const pfr_addr_t *a)
{
	struct ifaddrs *list, *ifa;
	bool found = false;
	size_t n = a->family == AF_INET ? 4 : 16;

	if (getifaddrs(&list) < 0)
		return false;
	for (ifa = list; ifa && !found; ifa = ifa->ifa_next) {
		pfr_addr_t x;
		found = ifa->ifa_addr && strcmp(ifa->ifa_name, ifname) == 0 &&
		        pfr_addr_from_sa(&x, ifa->ifa_addr) && x.family == a->family &&
		        memcmp(x.bytes, a->bytes, n) == 0;
	}
	freeifaddrs(list);
	return found;
}
#endif

static int route_msg(pfr_t *p, pfr_msg_t *m, int type, const pfr_route_t *r)
{
	pfr_sa_t dst, gw, mask, ifp, ifa;
	bool host = full_length(&r->dst, r->prefixlen);
	int flags = RTF_UP | RTF_STATIC | PFR_MARK;
	int e;

	if ((e = pfr_sa_from_addr(&dst, &r->dst)) < 0)
		return e;
	if (r->has_gateway) {
		if ((e = pfr_sa_from_addr(&gw, &r->gateway)) < 0)
			return e;
		if (gw.sa.sa_family != dst.sa.sa_family)
			return -EINVAL;
		flags |= RTF_GATEWAY;
		/* a link-local next hop is only meaningful with its interface:
		 * give the zone both as sin6_scope_id and in the KAME-embedded
		 * form route(8) sends, so either kernel reads the same zone */
		if (gw.sa.sa_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&gw.in6.sin6_addr) &&
		    r->ifname[0]) {
			unsigned zone = if_nametoindex(r->ifname);
			gw.in6.sin6_scope_id = zone;
			gw.in6.sin6_addr.s6_addr[2] = (uint8_t)(zone >> 8);
			gw.in6.sin6_addr.s6_addr[3] = (uint8_t)zone;
		}
	} else if (r->ifname[0]) {
		/* interface route: the gateway is the device's link address */
		if ((e = pfr_sa_link(&gw, r->ifname)) < 0)
			return e;
	} else {
		return -EINVAL;
	}
	if (host)
		flags |= RTF_HOST;

	pfr_msg_init(p, m, type, flags);
	pfr_msg_add(m, RTA_DST, &dst);
	pfr_msg_add(m, RTA_GATEWAY, &gw);
	if (!host) {
		pfr_sa_mask(&mask, r->dst.family, r->prefixlen);
		pfr_msg_add(m, RTA_NETMASK, &mask);
	}
	/* FreeBSD: RTA_IFP pins the device, so a preferred source (RTA_IFA) on
	 * another interface -- a LAN address inside local_ts for a route into
	 * the TUN -- only picks the source. macOS resolves the device from the
	 * gateway, is confused by an extra RTA_IFP (as strongSwan found), and
	 * moves the route to the interface owning RTA_IFA: there the source is
	 * only given when it is an address of the route's own device. */
#if !defined(__APPLE__)
	if (r->ifname[0] && pfr_sa_link(&ifp, r->ifname) == 0)
		pfr_msg_add(m, RTA_IFP, &ifp);
	bool send_src = r->has_src;
#else
	(void)ifp;
	bool send_src = r->has_src && r->ifname[0] && addr_on_interface(r->ifname, &r->src);
#endif
	if (send_src && type == RTM_ADD) {
		if ((e = pfr_sa_from_addr(&ifa, &r->src)) < 0)
			return e;
		pfr_msg_add(m, RTA_IFA, &ifa);
	}
	return 0;
}

static int route_change(pfr_t *p, int type, const pfr_route_t *r, pfr_err_t *err)
{
	const char *op = type == RTM_ADD ? "RTM_ADD" : "RTM_DELETE";
	char a[INET6_ADDRSTRLEN];
	pfr_msg_t m;
	int e = route_msg(p, &m, type, r);

	if (e < 0)
		return pfr_fail(err, -e, "%s %s/%u dev '%s'", op, pfr_addr_str(&r->dst, a, sizeof(a)),
		                r->prefixlen, r->ifname);
	if (write(p->cmd_fd, &m, m.hdr.rtm_msglen) != (ssize_t)m.hdr.rtm_msglen)
		return pfr_fail(err, errno ? errno : EIO, "%s %s/%u dev '%s'", op,
		                pfr_addr_str(&r->dst, a, sizeof(a)), r->prefixlen, r->ifname);
	return 0;
}

int pfr_route_add(pfr_t *p, const pfr_route_t *r, pfr_err_t *err)
{
	return route_change(p, RTM_ADD, r, err);
}

int pfr_route_del(pfr_t *p, const pfr_route_t *r, pfr_err_t *err)
{
	return route_change(p, RTM_DELETE, r, err);
}

static int read_reply(int fd, int seq, pid_t pid, pfr_msg_t *m)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, PFR_REPLY_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -ETIMEDOUT : -errno;
		ssize_t len = read(fd, m, sizeof(*m));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)len < sizeof(m->hdr) || m->hdr.rtm_msglen > (size_t)len ||
		    m->hdr.rtm_version != RTM_VERSION)
			continue;
		if (m->hdr.rtm_type == RTM_GET && m->hdr.rtm_seq == seq && m->hdr.rtm_pid == pid)
			return m->hdr.rtm_errno ? -m->hdr.rtm_errno : 0;
	}
}

int pfr_route_get(pfr_t *p, const pfr_addr_t *dst, pfr_lookup_t *out, pfr_err_t *err)
{
	const struct sockaddr *rti[RTAX_MAX];
	char a[INET6_ADDRSTRLEN];
	pfr_sa_t sdst, sifp;
	pfr_msg_t m;
	int fd, e;

	memset(out, 0, sizeof(*out));
	pfr_addr_str(dst, a, sizeof(a));
	if ((e = pfr_sa_from_addr(&sdst, dst)) < 0)
		return pfr_fail(err, -e, "RTM_GET %s", a);
	/* A fresh socket per lookup, so the reply is not queued behind the
	 * notifications of every other routing change. */
	fd = pfr_cloexec_socket(PF_ROUTE, SOCK_RAW, dst->family);
	if (fd < 0)
		return pfr_fail(err, errno, "RTM_GET %s: socket(PF_ROUTE)", a);

	pfr_msg_init(p, &m, RTM_GET, RTF_UP | RTF_HOST | RTF_GATEWAY);
	pfr_msg_add(&m, RTA_DST, &sdst);
	/* an empty link sockaddr asks the kernel to report RTA_IFP and RTA_IFA */
	pfr_sa_link(&sifp, NULL);
	pfr_msg_add(&m, RTA_IFP, &sifp);
	int seq = m.hdr.rtm_seq;

	if (write(fd, &m, m.hdr.rtm_msglen) != (ssize_t)m.hdr.rtm_msglen) {
		e = pfr_fail(err, errno ? errno : EIO, "RTM_GET %s", a);
		close(fd);
		return e;
	}
	e = read_reply(fd, seq, p->pid, &m);
	close(fd);
	if (e < 0)
		return pfr_fail(err, -e, "RTM_GET %s", a);
	if (!pfr_msg_sockaddrs(&m, m.hdr.rtm_msglen, sizeof(m.hdr), m.hdr.rtm_addrs, rti))
		return pfr_fail(err, EBADMSG, "RTM_GET %s: reply", a);

	if ((m.hdr.rtm_flags & RTF_GATEWAY) && rti[RTAX_GATEWAY])
		out->has_gateway = pfr_addr_from_sa(&out->gateway, rti[RTAX_GATEWAY]);
	if (rti[RTAX_IFA])
		out->has_src = pfr_addr_from_sa(&out->src, rti[RTAX_IFA]);
	pfr_ifname_from(out->ifname, rti[RTAX_IFP], m.hdr.rtm_index);
	return 0;
}

int pfr_flush_marked(pfr_t *p, unsigned *removed, pfr_err_t *err)
{
	int mib[6] = { CTL_NET, PF_ROUTE, 0, AF_UNSPEC, NET_RT_DUMP, 0 };
	size_t len = 0;
	char *buf = NULL;
	int e = 0;

	*removed = 0;
	/* the table may grow between the two calls: retry with more room */
	for (int tries = 0; tries < 4; tries++) {
		if (sysctl(mib, 6, NULL, &len, NULL, 0) < 0)
			return pfr_fail(err, errno, "sysctl(NET_RT_DUMP)");
		len += len / 4 + 1024;
		free(buf);
		buf = malloc(len);
		if (!buf)
			return pfr_fail(err, ENOMEM, "sysctl(NET_RT_DUMP)");
		if (sysctl(mib, 6, buf, &len, NULL, 0) == 0)
			break;
		if (errno != ENOMEM) {
			e = pfr_fail(err, errno, "sysctl(NET_RT_DUMP)");
			free(buf);
			return e;
		}
	}
	for (char *next = buf; next + sizeof(struct rt_msghdr) <= buf + len;) {
		struct rt_msghdr *rtm = (struct rt_msghdr *)(void *)next;
		if (rtm->rtm_msglen < sizeof(*rtm) || next + rtm->rtm_msglen > buf + len)
			break;
		next += rtm->rtm_msglen;
		if (rtm->rtm_version != RTM_VERSION || !(rtm->rtm_flags & PFR_MARK))
			continue;
		/* as route(8) flush does: send the dumped message back as a delete */
		rtm->rtm_type = RTM_DELETE;
		rtm->rtm_seq = ++p->seq;
		rtm->rtm_pid = p->pid;
		if (write(p->cmd_fd, rtm, rtm->rtm_msglen) == (ssize_t)rtm->rtm_msglen)
			(*removed)++;
		else if (errno != ESRCH && !e)
			e = pfr_fail(err, errno, "RTM_DELETE of a leftover route");
	}
	free(buf);
	return e;
}

