/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP-in-UDP sockets: SO_REUSEPORT per worker, batched I/O (os/dgram.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <uipsec/log.h>
#include "os/dgram.h"
#include "os/sockopt.h"
#include "datapath/udp_socket.h"

#define SUBSYS "net"
#define BATCH_MAX 64

struct udp_socket {
	socket_set_t set;
	uint32_t last_ovfl[UDP_SOCKET_MAX_FDS];   /* kernel drop counter seen last */
	uint32_t fwmark;
	bool has_fwmark;
	bool gso;               /* UDP_SEGMENT works: runs of equal datagrams go as one */
};

/* UDP GSO limits: segments per send (kernel UDP_MAX_SEGMENTS) and bytes
 * (one IP packet) */
#define GSO_MAX_SEGS 64
#define GSO_MAX_BYTES 65000u

bool udp_socket_cfg_load(udp_socket_cfg_t *cfg, const uipsec_settings_t *s, GError **err)
{
	memset(cfg, 0, sizeof(*cfg));
	int64_t port = uipsec_settings_get_int(s, "uipsecd.socket.port", 4500);
	if (port < 1 || port > 65535) {
		const char *o = uipsec_settings_origin(s, "uipsecd.socket.port");
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: uipsecd.socket.port: %lld is not a UDP port",
		            o ? o : "config", (long long)port);
		return false;
	}
	cfg->port = (uint16_t)port;
	cfg->addresses = uipsec_settings_get_list(s, "uipsecd.socket.address");
	for (char **a = cfg->addresses; a && *a; a++) {
		uipsec_addr_t tmp;
		if (!uipsec_addr_parse(*a, &tmp)) {
			const char *o = uipsec_settings_origin(s, "uipsecd.socket.address");
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "%s: uipsecd.socket.address: '%s' is not an IPv4 or IPv6 address", o ? o : "config", *a);
			udp_socket_cfg_clear(cfg);
			return false;
		}
	}
	if (uipsec_settings_get_str(s, "uipsecd.socket.fwmark", NULL)) {
		if (!os_sockopt_mark_supported()) {
			const char *o = uipsec_settings_origin(s, "uipsecd.socket.fwmark");
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: uipsecd.socket.fwmark: not supported: %s",
			            o ? o : "config", os_sockopt_mark_name());
			udp_socket_cfg_clear(cfg);
			return false;
		}
		int64_t mark = uipsec_settings_get_int(s, "uipsecd.socket.fwmark", -1);
		if (mark < 0 || mark > 0xffffffffLL) {
			const char *o = uipsec_settings_origin(s, "uipsecd.socket.fwmark");
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "%s: uipsecd.socket.fwmark: not a 32-bit mark", o ? o : "config");
			udp_socket_cfg_clear(cfg);
			return false;
		}
		cfg->has_fwmark = true;
		cfg->fwmark = (uint32_t)mark;
	}
	cfg->rcvbuf = 4u << 20;
	cfg->sndbuf = 4u << 20;
	return true;
}

void udp_socket_cfg_clear(udp_socket_cfg_t *cfg)
{
	if (cfg->addresses)
		uipsec_strv_free(cfg->addresses);
	cfg->addresses = NULL;
}

static int open_one(const udp_socket_cfg_t *cfg, const uipsec_addr_t *addr, GError **err)
{
	int fam = addr->family;
	int fd = os_sockopt_socket(fam, SOCK_DGRAM, IPPROTO_UDP);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "UDP socket: %s", g_strerror(errno));
		return -1;
	}
	int one = 1;
	const char *what = NULL;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		what = "SO_REUSEPORT";
	else if (!os_dgram_enable_drop_count(fd))
		what = "SO_RXQ_OVFL";
	else if (cfg->gro && !os_dgram_enable_gro(fd))
		what = "UDP_GRO";
	else if (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		what = "IPV6_V6ONLY";
	else if (cfg->has_fwmark && !os_sockopt_set_mark(fd, cfg->fwmark))
		what = os_sockopt_mark_name();
	/* our address each datagram was sent to: the IKE daemon answers from
	 * it (the relay); one more control message per datagram for ESP */
	else
		(void)os_sockopt_recv_local(fd, fam, &what);   /* what: the option that failed */
	if (what) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "UDP socket: %s: %s", what,
		            g_strerror(errno));
		close(fd);
		return -1;
	}
	/* Let the kernel fragment an outer packet rather than refuse it: the
	 * TUN MTU normally keeps ESP packets below the path MTU. */
	os_sockopt_no_pmtu_discovery(fd, fam);
	/* Bigger buffers absorb bursts; still bounded (excess is dropped and,
	 * on the fast path, counted through SO_RXQ_OVFL). Failure is harmless. */
	if (cfg->rcvbuf)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf, sizeof(cfg->rcvbuf));
	if (cfg->sndbuf)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg->sndbuf, sizeof(cfg->sndbuf));

	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(cfg->port);
		memcpy(&sin->sin_addr, addr->bytes, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(cfg->port);
		memcpy(&sin6->sin6_addr, addr->bytes, 16);
		sl = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		char buf[INET6_ADDRSTRLEN];
		inet_ntop(fam, addr->bytes, buf, sizeof(buf));
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "binding UDP %s port %u: %s", buf,
		            cfg->port, g_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

bool socket_set_open(socket_set_t *set, const udp_socket_cfg_t *cfg, udp_socket_open_fn open_fn, const char *what,
                     GError **err)
{
	uipsec_addr_t addrs[UDP_SOCKET_MAX_FDS];
	unsigned n = 0;
	memset(addrs, 0, sizeof(addrs));
	set->nfds = 0;
	if (cfg->addresses && cfg->addresses[0]) {
		for (char **a = cfg->addresses; *a && n < UDP_SOCKET_MAX_FDS; a++)
			if (uipsec_addr_parse(*a, &addrs[n]))
				n++;
	} else {
		addrs[0].family = AF_INET;
		addrs[1].family = AF_INET6;
		n = 2;
	}
	for (unsigned i = 0; i < n; i++) {
		GError *e = NULL;
		int fd = open_fn(cfg, &addrs[i], &e);
		if (fd < 0) {
			/* any-address IPv6 may be unavailable (disabled IPv6): IPv4 alone is fine */
			if (!(cfg->addresses && cfg->addresses[0]) && addrs[i].family == AF_INET6 && set->nfds) {
				uwarn(SUBSYS, "no IPv6 %s socket: %s", what, e->message);
				g_error_free(e);
				continue;
			}
			g_propagate_error(err, e);
			socket_set_close(set);
			return false;
		}
		set->family[set->nfds] = addrs[i].family;
		set->fds[set->nfds++] = fd;
	}
	return true;
}

void socket_set_close(socket_set_t *set)
{
	for (unsigned i = 0; i < set->nfds; i++)
		close(set->fds[i]);
	set->nfds = 0;
}

unsigned socket_set_fds(const socket_set_t *set, int *fds, unsigned max)
{
	unsigned n = set->nfds < max ? set->nfds : max;
	memcpy(fds, set->fds, n * sizeof(int));
	return n;
}

udp_socket_t *udp_socket_open(const udp_socket_cfg_t *cfg, GError **err)
{
	udp_socket_t *us = g_new0(udp_socket_t, 1);
	us->gso = os_dgram_offloads();
	us->has_fwmark = cfg->has_fwmark;
	us->fwmark = cfg->fwmark;
	if (!socket_set_open(&us->set, cfg, open_one, "ESP-in-UDP", err)) {
		g_free(us);
		return NULL;
	}
	return us;
}

void udp_socket_close(udp_socket_t *us)
{
	if (!us)
		return;
	socket_set_close(&us->set);
	g_free(us);
}

unsigned udp_socket_fds(const udp_socket_t *us, int *fds, unsigned max)
{
	return socket_set_fds(&us->set, fds, max);
}

void udp_sockaddr_to_endpoint(const struct sockaddr_storage *ss, ip_endpoint_t *e)
{
	memset(e, 0, sizeof(*e));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		e->addr.family = AF_INET;
		memcpy(e->addr.bytes, &sin->sin_addr, 4);
		e->port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		e->addr.family = AF_INET6;
		memcpy(e->addr.bytes, &sin6->sin6_addr, 16);
		e->port = ntohs(sin6->sin6_port);
	}
}

socklen_t udp_endpoint_to_sockaddr(const ip_endpoint_t *e, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->addr.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, e->addr.bytes, 4);
		sin->sin_port = htons(e->port);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, e->addr.bytes, 16);
	sin6->sin6_port = htons(e->port);
	return sizeof(*sin6);
}

/* One message may carry the address, the interface or both (FreeBSD
 * sends them apart): each fills its part. */
bool udp_socket_parse_pktinfo(const struct cmsghdr *c, udp_local_t *l)
{
	int fam = 0;
	uint8_t a[16] = { 0 };
	uint32_t ifindex = l->ifindex;
	if (!os_sockopt_local(c, &fam, a, &ifindex))
		return false;
	if (fam) {
		memset(&l->addr, 0, sizeof(l->addr));
		l->addr.family = (uint8_t)fam;
		memcpy(l->addr.bytes, a, ip_addr_len(fam));
	}
	l->ifindex = ifindex;
	return true;
}

int udp_socket_recv(udp_socket_t *us, int fd, uipsec_pkt_t **pkts, ip_endpoint_t *from, udp_local_t *local,
                    uint16_t *gso_size, int n, uint32_t *kernel_drops)
{
	os_dgram_t msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_storage src[BATCH_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl[BATCH_MAX];
	unsigned idx = 0;
	while (idx < us->set.nfds && us->set.fds[idx] != fd)
		idx++;
	if (idx == us->set.nfds)
		return UIPSEC_ERR_INVAL;
	if (n > BATCH_MAX)
		n = BATCH_MAX;
	*kernel_drops = 0;
	for (int i = 0; i < n; i++) {
		uipsec_pkt_t *p = pkts[i];
		p->off = UIPSEC_PKT_HEADROOM;
		p->len = 0;
		os_dgram_prepare(&msgs[i], &iov[i], p->buf + p->off, p->cap - p->off, &src[i], sizeof(src[i]), ctl[i].buf,
		                 sizeof(ctl[i].buf));
	}
	int r = os_dgram_recv(fd, msgs, (unsigned)n);
	if (r < 0)
		return UIPSEC_ERR_IO;
	for (int i = 0; i < r; i++) {
		pkts[i]->len = msgs[i].len;
		if (msgs[i].hdr.msg_flags & MSG_TRUNC)
			pkts[i]->len = 0;   /* larger than any ESP packet we accept: malformed */
		if (gso_size)
			gso_size[i] = 0;
		if (local)
			memset(&local[i], 0, sizeof(local[i]));
		udp_sockaddr_to_endpoint(&src[i], &from[i]);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].hdr); c; c = CMSG_NXTHDR(&msgs[i].hdr, c)) {
			uint32_t ovfl;
			uint16_t gs;
			if (os_dgram_drop_count(c, &ovfl)) {
				*kernel_drops += ovfl - us->last_ovfl[idx];
				us->last_ovfl[idx] = ovfl;
			} else if (os_dgram_gro_size(c, &gs)) {
				if (gso_size)
					gso_size[i] = gs;
			} else if (local) {
				udp_socket_parse_pktinfo(c, &local[i]);
			}
		}
	}
	return r;
}

static int fd_for_family(const udp_socket_t *us, int fam)
{
	for (unsigned i = 0; i < us->set.nfds; i++)
		if (us->set.family[i] == fam)
			return us->set.fds[i];
	return -1;
}

/* Batched send of one run of packets to the same socket. Consecutive datagrams to
 * one peer of one size (the last may be shorter) -- the segments of a TCP
 * super-packet -- leave as one UDP GSO send: one trip through the stack
 * instead of one per datagram. */
static int send_run(udp_socket_t *us, int fd, uipsec_pkt_t **pkts, const ip_endpoint_t *to, int n)
{
	os_dgram_t msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_storage dst[BATCH_MAX];
	union { char buf[OS_DGRAM_SEGMENT_SPACE]; struct cmsghdr align; } ctl[BATCH_MAX];
	int count[BATCH_MAX];
	int nm = 0;
	for (int i = 0; i < n;) {
		int start = i;
		uint32_t seg = pkts[i]->len, bytes = seg;
		iov[i].iov_base = uipsec_pkt_data(pkts[i]);
		iov[i].iov_len = pkts[i]->len;
		i++;
		while (us->gso && i < n && i - start < GSO_MAX_SEGS && pkts[i - 1]->len == seg &&
		       pkts[i]->len <= seg && bytes + pkts[i]->len <= GSO_MAX_BYTES && udp_endpoint_equal(&to[i], &to[start])) {
			iov[i].iov_base = uipsec_pkt_data(pkts[i]);
			iov[i].iov_len = pkts[i]->len;
			bytes += pkts[i]->len;
			i++;
		}
		struct msghdr *m = &msgs[nm].hdr;
		memset(m, 0, sizeof(*m));
		m->msg_iov = &iov[start];
		m->msg_iovlen = (size_t)(i - start);
		m->msg_name = &dst[nm];
		m->msg_namelen = udp_endpoint_to_sockaddr(&to[start], &dst[nm]);
		if (i - start > 1) {
			/* zeroed: the kernel copies the alignment padding after the
			 * 2-byte segment size too (valgrind: uninitialised bytes) */
			memset(&ctl[nm], 0, sizeof(ctl[nm]));
			m->msg_control = ctl[nm].buf;
			m->msg_controllen = sizeof(ctl[nm].buf);
			os_dgram_put_segment(CMSG_FIRSTHDR(m), (uint16_t)seg);   /* runs only when us->gso */
		}
		count[nm++] = i - start;
	}
	int pos = 0, delivered = 0;
	while (pos < nm) {
		int r = os_dgram_send(fd, msgs + pos, (unsigned)(nm - pos));
		if (r < 0) {
			if (count[pos] > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
				/* no UDP GSO here (old kernel, device without it):
				 * single datagrams from now on */
				uwarn(SUBSYS, "UDP segmentation offload unavailable (%s): sending datagrams one by one",
				      g_strerror(errno));
				us->gso = false;
			}
			/* full send queue or an unreachable peer: skip that
			 * message (the caller counts the shortfall) */
			pos++;
			continue;
		}
		for (int j = 0; j < r; j++)
			delivered += count[pos + j];
		pos += r;
	}
	return delivered;
}

int udp_socket_send(udp_socket_t *us, uipsec_pkt_t **pkts, const ip_endpoint_t *to, int n)
{
	int total = 0;
	int start = 0;
	while (start < n) {
		if (n - start > BATCH_MAX) {
			total += udp_socket_send(us, pkts + start, to + start, BATCH_MAX);
			start += BATCH_MAX;
			continue;
		}
		int fam = to[start].addr.family;
		int end = start + 1;
		while (end < n && to[end].addr.family == fam)
			end++;
		int fd = fd_for_family(us, fam);
		if (fd >= 0)
			total += send_run(us, fd, pkts + start, to + start, end - start);
		start = end;
	}
	return total;
}

static bool addr_is_any(const uipsec_addr_t *a)
{
	static const uint8_t zero[16];
	return a->family == 0 || memcmp(a->bytes, zero, ip_addr_len(a->family)) == 0;
}

bool udp_socket_send_from(udp_socket_t *us, const void *data, size_t len, const uipsec_addr_t *src, uint32_t ifindex,
                          const ip_endpoint_t *dst)
{
	int fd = fd_for_family(us, dst->addr.family);
	if (fd < 0 || (src->family && src->family != dst->addr.family))
		return false;
	struct sockaddr_storage ss;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr m = { .msg_name = &ss, .msg_namelen = udp_endpoint_to_sockaddr(dst, &ss), .msg_iov = &iov,
	                    .msg_iovlen = 1 };
	union { char buf[OS_SOCKOPT_SOURCE_SPACE]; struct cmsghdr align; } ctl;
	memset(&ctl, 0, sizeof(ctl));
	if (!addr_is_any(src) || ifindex) {
		/* zero bytes when src is unset: the kernel picks */
		m.msg_controllen = os_sockopt_put_source(ctl.buf, dst->addr.family, src->bytes, ifindex);
		m.msg_control = m.msg_controllen ? ctl.buf : NULL;
	}
	os_dgram_t d = { .hdr = m, .len = 0 };
	return os_dgram_send(fd, &d, 1) == 1 && d.len == len;
}

bool udp_socket_send_keepalive(udp_socket_t *us, const ip_endpoint_t *dst)
{
	static const uint8_t ka = 0xff;
	static const uipsec_addr_t any;   /* the kernel picks the source */
	return udp_socket_send_from(us, &ka, 1, &any, 0, dst);
}

bool udp_endpoint_equal(const ip_endpoint_t *a, const ip_endpoint_t *b)
{
	return a->port == b->port && ip_addr_eq(&a->addr, &b->addr);
}

const char *udp_endpoint_str(const ip_endpoint_t *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(e->addr.family == AF_INET6 ? AF_INET6 : AF_INET, e->addr.bytes, a, sizeof(a));
	if (e->addr.family == AF_INET6)
		g_snprintf(buf, len, "[%s]:%u", a, e->port);
	else
		g_snprintf(buf, len, "%s:%u", a, e->port);
	return buf;
}
