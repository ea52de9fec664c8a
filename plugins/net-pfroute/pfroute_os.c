/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pfroute_os: PF_ROUTE routing socket and interface ioctls (FreeBSD, macOS).
 * System headers only; see pfroute_os.h. */
#include "pfroute_os.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <sys/sysctl.h>
#include <sys/uio.h>

#include <net/if.h>
#include <net/if_dl.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#if defined(__FreeBSD__)
#include <netinet/in_var.h>
#endif
#if __has_include(<netinet6/in6_var.h>)
#include <netinet6/in6_var.h>
#define PFR_HAVE_IN6_VAR 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Sockaddrs in routing messages are padded: to sizeof(long) on FreeBSD
 * (SA_SIZE in <net/route.h>), to 32 bits on macOS (xnu's ROUNDUP32). */
#if defined(__APPLE__)
#define PFR_SA_ALIGN sizeof(uint32_t)
#else
#define PFR_SA_ALIGN sizeof(long)
#endif

#define PFR_MARK RTF_PROTO1
#define PFR_REPLY_TIMEOUT_MS 2000

struct pfr {
	int cmd_fd;      /* RTM_ADD / RTM_DELETE; read side shut down */
	int event_fd;    /* change notifications, non-blocking */
	int ioctl4_fd;   /* AF_INET datagram socket for interface ioctls */
	int ioctl6_fd;   /* AF_INET6, -1 if the kernel has no IPv6 */
	int seq;
	pid_t pid;
};

/* A routing message with room for every sockaddr we send or get back. */
typedef struct pfr_msg {
	struct rt_msghdr hdr;
	char space[1024];
} pfr_msg_t;

static int fail(pfr_err_t *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(pfr_err_t *err, int errnum, const char *fmt, ...)
{
	if (err) {
		char what[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		snprintf(err->msg, sizeof(err->msg), "%s: %s", what, strerror(errnum));
	}
	return -errnum;
}

unsigned pfr_route_marker(void)
{
	return PFR_MARK;
}

static size_t sa_space(size_t sa_len)
{
	return sa_len == 0 ? PFR_SA_ALIGN : 1 + ((sa_len - 1) | (PFR_SA_ALIGN - 1));
}

static const char *addr_str(const pfr_addr_t *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "(family %d)", a->family);
	return buf;
}

/* ------------------------------------------------------------ sockaddrs */

typedef union pfr_sa {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_dl dl;
	struct sockaddr_storage ss;
} pfr_sa_t;

static int sa_from_addr(pfr_sa_t *s, const pfr_addr_t *a)
{
	memset(s, 0, sizeof(*s));
	switch (a->family) {
	case AF_INET:
		s->in4.sin_len = sizeof(s->in4);
		s->in4.sin_family = AF_INET;
		memcpy(&s->in4.sin_addr, a->bytes, 4);
		return 0;
	case AF_INET6:
		s->in6.sin6_len = sizeof(s->in6);
		s->in6.sin6_family = AF_INET6;
		memcpy(&s->in6.sin6_addr, a->bytes, 16);
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

/* The BSD kernels embed the scope of link-local addresses in bytes 2-3
 * (KAME); users never see that form. */
static void clear_embedded_scope(pfr_addr_t *a)
{
	if (a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80) {
		a->bytes[2] = 0;
		a->bytes[3] = 0;
	}
}

static bool addr_from_sa(pfr_addr_t *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_len < offsetof(struct sockaddr, sa_data))
		return false;
	if (sa->sa_family == AF_INET && sa->sa_len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)sa;
		a->family = AF_INET;
		memcpy(a->bytes, &in4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && sa->sa_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		a->family = AF_INET6;
		memcpy(a->bytes, &in6->sin6_addr, 16);
		clear_embedded_scope(a);
		return true;
	}
	return false;
}

static void sa_mask(pfr_sa_t *s, int family, unsigned prefixlen)
{
	uint8_t *bytes;
	unsigned i, max;

	memset(s, 0, sizeof(*s));
	if (family == AF_INET) {
		s->in4.sin_len = sizeof(s->in4);
		s->in4.sin_family = AF_INET;
		bytes = (uint8_t *)&s->in4.sin_addr;
		max = 32;
	} else {
		s->in6.sin6_len = sizeof(s->in6);
		s->in6.sin6_family = AF_INET6;
		bytes = (uint8_t *)&s->in6.sin6_addr;
		max = 128;
	}
	if (prefixlen > max)
		prefixlen = max;
	for (i = 0; i < prefixlen / 8; i++)
		bytes[i] = 0xff;
	if (prefixlen % 8)
		bytes[i] = (uint8_t)(0xff << (8 - prefixlen % 8));
}

/* Prefix length of a netmask sockaddr. Kernels trim trailing zero bytes from
 * masks in routing messages (sa_len shorter than the full sockaddr) and may
 * leave sa_family 0, so the family comes from the address it belongs to. */
static unsigned mask_prefixlen(const struct sockaddr *mask, int family)
{
	size_t off = family == AF_INET ? offsetof(struct sockaddr_in, sin_addr)
	                               : offsetof(struct sockaddr_in6, sin6_addr);
	size_t n = family == AF_INET ? 4 : 16;
	const uint8_t *p = (const uint8_t *)mask;
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < n && off + i < mask->sa_len; i++) {
		uint8_t b = p[off + i];
		while (b & 0x80) {
			bits++;
			b = (uint8_t)(b << 1);
		}
		if (p[off + i] != 0xff)
			break;
	}
	return bits;
}

static int sa_link(pfr_sa_t *s, const char *ifname)
{
	memset(s, 0, sizeof(*s));
	s->dl.sdl_len = sizeof(s->dl);
	s->dl.sdl_family = AF_LINK;
	if (ifname) {
		unsigned idx = if_nametoindex(ifname);
		if (idx == 0)
			return -ENXIO;
		s->dl.sdl_index = (unsigned short)idx;
	}
	return 0;
}

/* ------------------------------------------------------------ messages */

static void msg_init(pfr_t *p, pfr_msg_t *m, int type, int flags)
{
	memset(m, 0, sizeof(*m));
	m->hdr.rtm_version = RTM_VERSION;
	m->hdr.rtm_type = (unsigned char)type;
	m->hdr.rtm_flags = flags;
	m->hdr.rtm_seq = ++p->seq;
	m->hdr.rtm_pid = p->pid;
	m->hdr.rtm_msglen = sizeof(m->hdr);
}

/* Sockaddrs must be appended in RTA_* bit order. */
static void msg_add(pfr_msg_t *m, int rta, const pfr_sa_t *s)
{
	size_t len = s->sa.sa_len;
	char *at = (char *)m + m->hdr.rtm_msglen;

	memcpy(at, s, len);
	m->hdr.rtm_msglen = (unsigned short)(m->hdr.rtm_msglen + sa_space(len));
	m->hdr.rtm_addrs |= rta;
}

/* Split the sockaddr list after a header of hdr_len bytes into rti[RTAX_*];
 * false when the message is truncated or malformed. */
static bool msg_sockaddrs(const void *msg, size_t msglen, size_t hdr_len, int addrs,
                          const struct sockaddr *rti[RTAX_MAX])
{
	const char *p = (const char *)msg + hdr_len;
	const char *end = (const char *)msg + msglen;
	int i;

	for (i = 0; i < RTAX_MAX; i++) {
		rti[i] = NULL;
		if (!(addrs & (1 << i)))
			continue;
		if (p >= end)
			return false;
		const struct sockaddr *sa = (const struct sockaddr *)(const void *)p;
		if (sa->sa_len > (size_t)(end - p))
			return false;
		rti[i] = sa;
		p += sa_space(sa->sa_len);
	}
	return true;
}

/* ------------------------------------------------------------ open/close */

static int cloexec_socket(int domain, int type, int proto)
{
	int fd = socket(domain, type, proto);
	if (fd >= 0)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int pfr_open(pfr_t **out, pfr_err_t *err)
{
	pfr_t *p = calloc(1, sizeof(*p));
	int e;

	if (!p)
		return fail(err, ENOMEM, "net-pfroute");
	p->cmd_fd = p->event_fd = p->ioctl4_fd = p->ioctl6_fd = -1;
	p->pid = getpid();

	p->cmd_fd = cloexec_socket(PF_ROUTE, SOCK_RAW, AF_UNSPEC);
	if (p->cmd_fd < 0) {
		e = fail(err, errno, "socket(PF_ROUTE)");
		goto error;
	}
	/* We never read this one: add/delete failures come back from write(). */
	(void)shutdown(p->cmd_fd, SHUT_RD);

	p->event_fd = cloexec_socket(PF_ROUTE, SOCK_RAW, AF_UNSPEC);
	if (p->event_fd < 0) {
		e = fail(err, errno, "socket(PF_ROUTE) for events");
		goto error;
	}
	(void)fcntl(p->event_fd, F_SETFL, fcntl(p->event_fd, F_GETFL) | O_NONBLOCK);

	p->ioctl4_fd = cloexec_socket(AF_INET, SOCK_DGRAM, 0);
	if (p->ioctl4_fd < 0) {
		e = fail(err, errno, "socket(AF_INET)");
		goto error;
	}
	p->ioctl6_fd = cloexec_socket(AF_INET6, SOCK_DGRAM, 0);
	*out = p;
	return 0;
error:
	pfr_close(p);
	return e;
}

void pfr_close(pfr_t *p)
{
	if (!p)
		return;
	if (p->cmd_fd >= 0)
		close(p->cmd_fd);
	if (p->event_fd >= 0)
		close(p->event_fd);
	if (p->ioctl4_fd >= 0)
		close(p->ioctl4_fd);
	if (p->ioctl6_fd >= 0)
		close(p->ioctl6_fd);
	free(p);
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
		        addr_from_sa(&x, ifa->ifa_addr) && x.family == a->family &&
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

	if ((e = sa_from_addr(&dst, &r->dst)) < 0)
		return e;
	if (r->has_gateway) {
		if ((e = sa_from_addr(&gw, &r->gateway)) < 0)
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
		if ((e = sa_link(&gw, r->ifname)) < 0)
			return e;
	} else {
		return -EINVAL;
	}
	if (host)
		flags |= RTF_HOST;

	msg_init(p, m, type, flags);
	msg_add(m, RTA_DST, &dst);
	msg_add(m, RTA_GATEWAY, &gw);
	if (!host) {
		sa_mask(&mask, r->dst.family, r->prefixlen);
		msg_add(m, RTA_NETMASK, &mask);
	}
	/* FreeBSD: RTA_IFP pins the device, so a preferred source (RTA_IFA) on
	 * another interface -- a LAN address inside local_ts for a route into
	 * the TUN -- only picks the source. macOS resolves the device from the
	 * gateway, is confused by an extra RTA_IFP (as strongSwan found), and
	 * moves the route to the interface owning RTA_IFA: there the source is
	 * only given when it is an address of the route's own device. */
#if !defined(__APPLE__)
	if (r->ifname[0] && sa_link(&ifp, r->ifname) == 0)
		msg_add(m, RTA_IFP, &ifp);
	bool send_src = r->has_src;
#else
	(void)ifp;
	bool send_src = r->has_src && r->ifname[0] && addr_on_interface(r->ifname, &r->src);
#endif
	if (send_src && type == RTM_ADD) {
		if ((e = sa_from_addr(&ifa, &r->src)) < 0)
			return e;
		msg_add(m, RTA_IFA, &ifa);
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
		return fail(err, -e, "%s %s/%u dev '%s'", op, addr_str(&r->dst, a, sizeof(a)),
		            r->prefixlen, r->ifname);
	if (write(p->cmd_fd, &m, m.hdr.rtm_msglen) != (ssize_t)m.hdr.rtm_msglen)
		return fail(err, errno ? errno : EIO, "%s %s/%u dev '%s'", op,
		            addr_str(&r->dst, a, sizeof(a)), r->prefixlen, r->ifname);
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

static void ifname_from(char out[PFR_IFNAMSIZ], const struct sockaddr *ifp, unsigned index)
{
	out[0] = '\0';
	if (ifp && ifp->sa_len >= offsetof(struct sockaddr_dl, sdl_data) &&
	    ifp->sa_family == AF_LINK) {
		const struct sockaddr_dl *dl = (const struct sockaddr_dl *)(const void *)ifp;
		size_t n = dl->sdl_nlen;
		if (n > 0 && n < PFR_IFNAMSIZ &&
		    offsetof(struct sockaddr_dl, sdl_data) + n <= dl->sdl_len) {
			memcpy(out, dl->sdl_data, n);
			out[n] = '\0';
			return;
		}
		if (dl->sdl_index)
			index = dl->sdl_index;
	}
	char buf[IF_NAMESIZE];
	if (index && if_indextoname(index, buf))
		snprintf(out, PFR_IFNAMSIZ, "%s", buf);
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
	addr_str(dst, a, sizeof(a));
	if ((e = sa_from_addr(&sdst, dst)) < 0)
		return fail(err, -e, "RTM_GET %s", a);
	/* A fresh socket per lookup, so the reply is not queued behind the
	 * notifications of every other routing change. */
	fd = cloexec_socket(PF_ROUTE, SOCK_RAW, dst->family);
	if (fd < 0)
		return fail(err, errno, "RTM_GET %s: socket(PF_ROUTE)", a);

	msg_init(p, &m, RTM_GET, RTF_UP | RTF_HOST | RTF_GATEWAY);
	msg_add(&m, RTA_DST, &sdst);
	/* an empty link sockaddr asks the kernel to report RTA_IFP and RTA_IFA */
	sa_link(&sifp, NULL);
	msg_add(&m, RTA_IFP, &sifp);
	int seq = m.hdr.rtm_seq;

	if (write(fd, &m, m.hdr.rtm_msglen) != (ssize_t)m.hdr.rtm_msglen) {
		e = fail(err, errno ? errno : EIO, "RTM_GET %s", a);
		close(fd);
		return e;
	}
	e = read_reply(fd, seq, p->pid, &m);
	close(fd);
	if (e < 0)
		return fail(err, -e, "RTM_GET %s", a);
	if (!msg_sockaddrs(&m, m.hdr.rtm_msglen, sizeof(m.hdr), m.hdr.rtm_addrs, rti))
		return fail(err, EBADMSG, "RTM_GET %s: reply", a);

	if ((m.hdr.rtm_flags & RTF_GATEWAY) && rti[RTAX_GATEWAY])
		out->has_gateway = addr_from_sa(&out->gateway, rti[RTAX_GATEWAY]);
	if (rti[RTAX_IFA])
		out->has_src = addr_from_sa(&out->src, rti[RTAX_IFA]);
	ifname_from(out->ifname, rti[RTAX_IFP], m.hdr.rtm_index);
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
			return fail(err, errno, "sysctl(NET_RT_DUMP)");
		len += len / 4 + 1024;
		free(buf);
		buf = malloc(len);
		if (!buf)
			return fail(err, ENOMEM, "sysctl(NET_RT_DUMP)");
		if (sysctl(mib, 6, buf, &len, NULL, 0) == 0)
			break;
		if (errno != ENOMEM) {
			e = fail(err, errno, "sysctl(NET_RT_DUMP)");
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
			e = fail(err, errno, "RTM_DELETE of a leftover route");
	}
	free(buf);
	return e;
}

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

	sa_from_addr(&addr, a);
	if (!add) {
		struct ifreq ifr;
		if (ifreq_init(&ifr, ifname) < 0)
			return -EINVAL;
		memcpy(&ifr.ifr_addr, &addr.in4, sizeof(addr.in4));
		return ioctl(p->ioctl4_fd, SIOCDIFADDR, &ifr) < 0 ? -errno : 0;
	}
	sa_mask(&mask, AF_INET, prefixlen);
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
	sa_from_addr(&addr, a);
	if (!add) {
		struct in6_ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		if (strlen(ifname) >= sizeof(ifr.ifr_name))
			return -EINVAL;
		memcpy(ifr.ifr_name, ifname, strlen(ifname));
		memcpy(&ifr.ifr_ifru.ifru_addr, &addr.in6, sizeof(addr.in6));
		return ioctl(p->ioctl6_fd, SIOCDIFADDR_IN6, &ifr) < 0 ? -errno : 0;
	}
	sa_mask(&mask, AF_INET6, prefixlen);
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
	return e < 0 ? fail(err, -e, "%s %s/%u on '%s'", op, addr_str(a, s, sizeof(s)),
	                    prefixlen, ifname)
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
		return fail(err, EINVAL, "link '%s'", ifname ? ifname : "");
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(p->ioctl4_fd, SIOCSIFMTU, &ifr) < 0)
			return fail(err, errno, "SIOCSIFMTU %u on '%s'", (unsigned)mtu, ifname);
	}
	if (ioctl(p->ioctl4_fd, SIOCGIFFLAGS, &ifr) < 0)
		return fail(err, errno, "SIOCGIFFLAGS on '%s'", ifname);
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(p->ioctl4_fd, SIOCSIFFLAGS, &ifr) < 0)
		return fail(err, errno, "SIOCSIFFLAGS %s on '%s'", up ? "up" : "down", ifname);
	return 0;
}

int pfr_addrs_foreach(pfr_addr_cb cb, void *user, pfr_err_t *err)
{
	struct ifaddrs *list, *ifa;

	if (getifaddrs(&list) < 0)
		return fail(err, errno, "getifaddrs");
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		pfr_addr_t a;
		if (!ifa->ifa_addr || !addr_from_sa(&a, ifa->ifa_addr))
			continue;
		unsigned plen = ifa->ifa_netmask ? mask_prefixlen(ifa->ifa_netmask, a.family)
		                                 : (a.family == AF_INET ? 32 : 128);
		cb(ifa->ifa_name, &a, plen, user);
	}
	freeifaddrs(list);
	return 0;
}

/* ------------------------------------------------------------ events */

int pfr_event_fd(const pfr_t *p)
{
	return p->event_fd;
}

static void dispatch_addr(const struct ifa_msghdr *ifam, size_t len, pfr_event_cb cb,
                          void *user)
{
	const struct sockaddr *rti[RTAX_MAX];
	pfr_event_t ev;

	if (!msg_sockaddrs(ifam, len, sizeof(*ifam), ifam->ifam_addrs, rti) || !rti[RTAX_IFA])
		return;
	memset(&ev, 0, sizeof(ev));
	if (!addr_from_sa(&ev.addr, rti[RTAX_IFA]))
		return;
	ev.type = ifam->ifam_type == RTM_NEWADDR ? PFR_EV_ADDR_ADDED : PFR_EV_ADDR_REMOVED;
	ev.prefixlen = rti[RTAX_NETMASK] ? mask_prefixlen(rti[RTAX_NETMASK], ev.addr.family)
	                                 : (ev.addr.family == AF_INET ? 32 : 128);
	ifname_from(ev.ifname, rti[RTAX_IFP], ifam->ifam_index);
	cb(&ev, user);
}

static void dispatch_link(const struct if_msghdr *ifm, pfr_event_cb cb, void *user)
{
	pfr_event_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = (ifm->ifm_flags & IFF_UP) ? PFR_EV_LINK_UP : PFR_EV_LINK_DOWN;
	ifname_from(ev.ifname, NULL, ifm->ifm_index);
	if (ev.ifname[0])
		cb(&ev, user);
}

void pfr_event_dispatch(pfr_t *p, pfr_event_cb cb, void *user)
{
	/* long-aligned: the kernel's messages are */
	long buf[2048 / sizeof(long)];

	for (;;) {
		ssize_t len = read(p->event_fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return;   /* EAGAIN: drained; ENOBUFS: overflowed, next read resyncs */
		const struct rt_msghdr *rtm = (const struct rt_msghdr *)(const void *)buf;
		if (len < 4 || rtm->rtm_msglen > (size_t)len ||
		    rtm->rtm_version != RTM_VERSION)
			continue;
		switch (rtm->rtm_type) {
		case RTM_NEWADDR:
		case RTM_DELADDR:
			if (rtm->rtm_msglen >= sizeof(struct ifa_msghdr))
				dispatch_addr((const struct ifa_msghdr *)(const void *)buf,
				              rtm->rtm_msglen, cb, user);
			break;
		case RTM_IFINFO:
			if (rtm->rtm_msglen >= sizeof(struct if_msghdr))
				dispatch_link((const struct if_msghdr *)(const void *)buf, cb, user);
			break;
		default:
			break;
		}
	}
}
