/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Raw ESP sockets: IP protocol 50, shared by the workers, batched. */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <uipsec/log.h>
#include "os/dgram.h"
#include "os/sockopt.h"
#include "util/byteorder.h"
#include "esp/esp_worker.h"
#include "datapath/raw_socket.h"

#define SUBSYS "net"
#define BATCH_MAX 64

struct raw_socket {
	socket_set_t set;
	/* kernel drop counter seen last: several workers read one socket */
	_Atomic uint32_t last_ovfl[UDP_SOCKET_MAX_FDS];
};

bool raw_socket_enabled(const uipsec_settings_t *s)
{
	return uipsec_settings_get_bool(s, "uipsecd.socket.raw_esp", true);
}

static int open_one(const udp_socket_cfg_t *cfg, const uipsec_addr_t *addr, GError **err)
{
	int fam = addr->family;
	int fd = os_sockopt_socket(fam, SOCK_RAW, IPPROTO_ESP);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "raw ESP socket: %s%s", g_strerror(errno),
		            errno == EPERM ? " (needs CAP_NET_RAW; or set uipsecd.socket.raw_esp = no)" : "");
		return -1;
	}
	const char *what = NULL;
	if (!os_dgram_enable_drop_count(fd))
		what = "SO_RXQ_OVFL";
	else if (cfg->has_fwmark && !os_sockopt_set_mark(fd, cfg->fwmark))
		what = os_sockopt_mark_name();
	/* IPv6 raw sockets give no header: the destination (our address,
	 * for the SA lookup) comes as IPV6_PKTINFO; IPv4 reads it from the header */
	else if (fam == AF_INET6)
		(void)os_sockopt_recv_local(fd, fam, &what);   /* what: the option that failed */
	if (what) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "raw ESP socket: %s: %s", what,
		            g_strerror(errno));
		close(fd);
		return -1;
	}
	/* as the UDP sockets: let the kernel fragment rather than refuse */
	os_sockopt_no_pmtu_discovery(fd, fam);
	if (cfg->rcvbuf)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf, sizeof(cfg->rcvbuf));
	if (cfg->sndbuf)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg->sndbuf, sizeof(cfg->sndbuf));
	static const uint8_t zero[16];
	if (memcmp(addr->bytes, zero, ip_addr_len(fam)) != 0) {
		/* a configured address: only ESP sent to it, and sent from it */
		ip_endpoint_t ep = { .addr = *addr, .port = 0 };
		struct sockaddr_storage ss;
		socklen_t sl = udp_endpoint_to_sockaddr(&ep, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			char buf[INET6_ADDRSTRLEN];
			inet_ntop(fam, addr->bytes, buf, sizeof(buf));
			g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "binding raw ESP socket to %s: %s",
			            buf, g_strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

raw_socket_t *raw_socket_open(const udp_socket_cfg_t *cfg, GError **err)
{
	raw_socket_t *rs = g_new0(raw_socket_t, 1);
	if (!socket_set_open(&rs->set, cfg, open_one, "raw ESP", err)) {
		g_free(rs);
		return NULL;
	}
	return rs;
}

void raw_socket_close(raw_socket_t *rs)
{
	if (!rs)
		return;
	socket_set_close(&rs->set);
	g_free(rs);
}

unsigned raw_socket_fds(const raw_socket_t *rs, int *fds, unsigned max)
{
	return socket_set_fds(&rs->set, fds, max);
}

/* Kernel drops since the last look, with several readers: only the
 * reader that moves the mark forward counts the difference. */
static uint32_t ovfl_delta(_Atomic uint32_t *last, uint32_t now)
{
	uint32_t seen = atomic_load_explicit(last, memory_order_relaxed);
	while ((int32_t)(now - seen) > 0)
		if (atomic_compare_exchange_weak(last, &seen, now))
			return now - seen;
	return 0;
}

int raw_socket_recv(raw_socket_t *rs, int fd, uipsec_pkt_t **pkts, ip_endpoint_t *from, udp_local_t *local, int n,
                    uint32_t *kernel_drops)
{
	os_dgram_t msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_storage src[BATCH_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl[BATCH_MAX];
	unsigned idx = 0;
	while (idx < rs->set.nfds && rs->set.fds[idx] != fd)
		idx++;
	if (idx == rs->set.nfds)
		return UIPSEC_ERR_INVAL;
	if (n > BATCH_MAX)
		n = BATCH_MAX;
	*kernel_drops = 0;
	for (int i = 0; i < n; i++) {
		uipsec_pkt_t *p = pkts[i];
		p->off = UIPSEC_PKT_HEADROOM;
		p->len = 0;
		os_dgram_prepare(&msgs[i], &iov[i], p->buf + p->off, p->cap - p->off - UIPSEC_PKT_TAILROOM, &src[i],
		                 sizeof(src[i]), ctl[i].buf, sizeof(ctl[i].buf));
	}
	int r = os_dgram_recv(fd, msgs, (unsigned)n);
	if (r < 0)
		return UIPSEC_ERR_IO;
	for (int i = 0; i < r; i++) {
		pkts[i]->len = (msgs[i].hdr.msg_flags & MSG_TRUNC) ? 0 : msgs[i].len;
		memset(&local[i], 0, sizeof(local[i]));
		udp_sockaddr_to_endpoint(&src[i], &from[i]);
		from[i].port = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].hdr); c; c = CMSG_NXTHDR(&msgs[i].hdr, c)) {
			uint32_t ovfl;
			if (os_dgram_drop_count(c, &ovfl)) {
				*kernel_drops += ovfl_delta(&rs->last_ovfl[idx], ovfl);
			} else {
				udp_socket_parse_pktinfo(c, &local[i]);
			}
		}
	}
	return r;
}

bool raw_esp_parse(uipsec_pkt_t *p, int family, uipsec_addr_t *local, stats_id_t *why)
{
	const uint8_t *d = uipsec_pkt_data(p);
	uint32_t len = p->len;
	*why = STAT_MALFORMED;
	if (family == AF_INET) {
		if (len < IPV4_HDR_LEN || d[0] >> 4 != 4)
			return false;
		uint32_t hl = (uint32_t)(d[0] & 0x0f) * 4;
		uint32_t tot = get_be16(d + 2);
		if (hl < IPV4_HDR_LEN || hl > len || tot < hl || tot > len || d[9] != IP_PROTO_ESP ||
		    (get_be16(d + 6) & 0x3fff) != 0)   /* more fragments or an offset: reassembled before us */
			return false;
		memset(local, 0, sizeof(*local));
		local->family = AF_INET;
		memcpy(local->bytes, d + 16, 4);
		uipsec_pkt_pull(p, hl);
		len = tot - hl;   /* the link layer's padding is no part of it */
		p->len = len;
		d = uipsec_pkt_data(p);
	} else if (family != AF_INET6) {
		return false;
	}
	if (len < ESP_HDR_LEN)
		return false;
	if (get_be32(d) == 0) {
		*why = STAT_BAD_SPI;
		return false;
	}
	return true;
}

/* Batched send of one run of packets of one family. */
static int send_run(int fd, uipsec_pkt_t **pkts, const ip_endpoint_t *to, int n)
{
	os_dgram_t msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_storage dst[BATCH_MAX];
	for (int i = 0; i < n; i++) {
		/* IPv6 raw sockets take port 0 or their protocol only */
		ip_endpoint_t ep = { .addr = to[i].addr, .port = 0 };
		iov[i].iov_base = uipsec_pkt_data(pkts[i]);
		iov[i].iov_len = pkts[i]->len;
		struct msghdr *m = &msgs[i].hdr;
		memset(m, 0, sizeof(*m));
		m->msg_iov = &iov[i];
		m->msg_iovlen = 1;
		m->msg_name = &dst[i];
		m->msg_namelen = udp_endpoint_to_sockaddr(&ep, &dst[i]);
	}
	int pos = 0, delivered = 0;
	while (pos < n) {
		int r = os_dgram_send(fd, msgs + pos, (unsigned)(n - pos));
		if (r < 0) {
			pos++;   /* full send queue or no route: skip it (the caller counts) */
			continue;
		}
		delivered += r;
		pos += r;
	}
	return delivered;
}

int raw_socket_send(raw_socket_t *rs, uipsec_pkt_t **pkts, const ip_endpoint_t *to, int n)
{
	int total = 0;
	for (int start = 0; start < n;) {
		int fam = to[start].addr.family;
		int end = start + 1;
		while (end < n && end - start < BATCH_MAX && to[end].addr.family == fam)
			end++;
		int fd = -1;
		for (unsigned i = 0; i < rs->set.nfds && fd < 0; i++)
			if (rs->set.family[i] == fam)
				fd = rs->set.fds[i];
		if (fd >= 0)
			total += send_run(fd, pkts + start, to + start, end - start);
		start = end;
	}
	return total;
}
