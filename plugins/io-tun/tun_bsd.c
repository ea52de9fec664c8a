/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tun_bsd: FreeBSD tun / macOS utun devices and their address-family
 * framing. System headers only; see tun_bsd.h. */
#include "tun_bsd.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------ framing */

static int ip_version(const uint8_t *ip, size_t len)
{
	if (!ip || len == 0)
		return -EINVAL;
	switch (ip[0] >> 4) {
	case 4:
		return 4;
	case 6:
		return 6;
	default:
		return -EINVAL;
	}
}

int tun_af_hdr_build(uint8_t hdr[TUN_AF_HDR_LEN], const uint8_t *ip, size_t len,
                     const tun_af_values_t *af)
{
	int v = ip_version(ip, len);
	uint32_t family;

	if (v < 0)
		return v;
	family = v == 4 ? af->inet : af->inet6;
	hdr[0] = (uint8_t)(family >> 24);
	hdr[1] = (uint8_t)(family >> 16);
	hdr[2] = (uint8_t)(family >> 8);
	hdr[3] = (uint8_t)family;
	return 0;
}

int tun_af_hdr_parse(const uint8_t hdr[TUN_AF_HDR_LEN], const uint8_t *ip, size_t len,
                     const tun_af_values_t *af)
{
	uint32_t family = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	                  (uint32_t)hdr[2] << 8 | hdr[3];
	int v = ip_version(ip, len);

	if (v < 0)
		return v;
	if ((family == af->inet && v == 4) || (family == af->inet6 && v == 6))
		return v;
	return -EINVAL;
}

ssize_t tun_af_prepend(uint8_t *ip, size_t len, const tun_af_values_t *af)
{
	int e = tun_af_hdr_build(ip - TUN_AF_HDR_LEN, ip, len, af);
	return e < 0 ? e : (ssize_t)(len + TUN_AF_HDR_LEN);
}

ssize_t tun_af_strip(const uint8_t *framed, size_t len, const tun_af_values_t *af)
{
	if (!framed || len <= TUN_AF_HDR_LEN)
		return -EINVAL;
	int v = tun_af_hdr_parse(framed, framed + TUN_AF_HDR_LEN, len - TUN_AF_HDR_LEN, af);
	return v < 0 ? v : (ssize_t)(len - TUN_AF_HDR_LEN);
}

/* ------------------------------------------------------------ devices */

#ifdef TUN_BSD_SUPPORTED

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <sys/uio.h>
#include <net/if.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__FreeBSD__)
#include <net/if_tun.h>
#endif

#include "tun_sys.h"

#if defined(__APPLE__)
#include <sys/kern_control.h>
/* Zig's trimmed macOS headers lack these two; Apple's SDK has them. The
 * fallbacks are the values Apple publishes in the same headers. */
#if __has_include(<sys/sys_domain.h>)
#include <sys/sys_domain.h>
#endif
#if __has_include(<net/if_utun.h>)
#include <net/if_utun.h>
#endif
#ifndef SYSPROTO_CONTROL
#define SYSPROTO_CONTROL 2
#endif
#ifndef AF_SYS_CONTROL
#define AF_SYS_CONTROL 2
#endif
#ifndef UTUN_CONTROL_NAME
#define UTUN_CONTROL_NAME "com.apple.net.utun_control"
#endif
#ifndef UTUN_OPT_IFNAME
#define UTUN_OPT_IFNAME 2
#endif
#endif

static const tun_af_values_t native_af = { AF_INET, AF_INET6 };

const tun_af_values_t *tun_bsd_af_values(void)
{
	return &native_af;
}

static int fail(char *err, size_t err_len, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t err_len, int errnum, const char *fmt, ...)
{
	if (err && err_len) {
		char what[128];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		snprintf(err, err_len, "%s: %s", what, strerror(errnum));
	}
	return -errnum;
}

static void set_fd_flags(int fd)
{
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

#if defined(__FreeBSD__)

static int tun_open_os(const char *want, char *name, size_t name_len, char *err, size_t err_len)
{
	struct ifreq ifr;
	int fd, on = 1, e;

	/* opening the cloning device creates a fresh tunN */
	fd = open("/dev/tun", O_RDWR);
	if (fd < 0)
		return fail(err, err_len, errno, "open /dev/tun");
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGIFNAME, &ifr) < 0) {
		e = fail(err, err_len, errno, "TUNGIFNAME");
		close(fd);
		return e;
	}
	/* the family header in front of every packet: without it tun carries
	 * IPv4 only */
	if (ioctl(fd, TUNSIFHEAD, &on) < 0) {
		e = fail(err, err_len, errno, "TUNSIFHEAD on %s", ifr.ifr_name);
		tun_bsd_close(fd, ifr.ifr_name);
		return e;
	}
#ifdef TUNSTRANSIENT
	/* FreeBSD 13+: the interface goes with its last fd, so a crashed
	 * daemon leaves no device (nor its addresses and routes) behind */
	(void)ioctl(fd, TUNSTRANSIENT, &on);
#endif
	if (want && want[0] && strcmp(want, ifr.ifr_name) != 0 && strlen(want) < IFNAMSIZ) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		char newname[IFNAMSIZ];
		memset(newname, 0, sizeof(newname));
		memcpy(newname, want, strlen(want));
		ifr.ifr_data = newname;
		if (s >= 0 && ioctl(s, SIOCSIFNAME, &ifr) == 0)
			memcpy(ifr.ifr_name, newname, sizeof(ifr.ifr_name));
		if (s >= 0)
			close(s);
	}
	snprintf(name, name_len, "%s", ifr.ifr_name);
	return fd;
}

void tun_bsd_close(int fd, const char *name)
{
	struct ifreq ifr;
	int s;

	if (fd >= 0)
		close(fd);
	if (!name || !name[0] || strlen(name) >= sizeof(ifr.ifr_name))
		return;
	/* cloned tun interfaces outlive their fd unless transient; destroying
	 * an already vanished one fails harmlessly */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	(void)ioctl(s, SIOCIFDESTROY, &ifr);
	close(s);
}

#else /* __APPLE__ */

/* A utun control socket connected to unit sc_unit (0: the kernel picks). */
static int utun_connect(unsigned sc_unit, char *err, size_t err_len)
{
	struct ctl_info info;
	struct sockaddr_ctl addr;
	int fd, e;

	fd = socket(PF_SYSTEM, SOCK_DGRAM, SYSPROTO_CONTROL);
	if (fd < 0)
		return fail(err, err_len, errno, "socket(PF_SYSTEM, SYSPROTO_CONTROL)");
	memset(&info, 0, sizeof(info));
	snprintf(info.ctl_name, sizeof(info.ctl_name), "%s", UTUN_CONTROL_NAME);
	if (ioctl(fd, CTLIOCGINFO, &info) < 0) {
		e = fail(err, err_len, errno, "CTLIOCGINFO %s", UTUN_CONTROL_NAME);
		close(fd);
		return e;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sc_len = sizeof(addr);
	addr.sc_family = AF_SYSTEM;
	addr.ss_sysaddr = AF_SYS_CONTROL;
	addr.sc_id = info.ctl_id;
	addr.sc_unit = sc_unit;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		e = fail(err, err_len, errno, "connect utun unit %u", sc_unit);
		close(fd);
		return e;
	}
	return fd;
}

static int tun_open_os(const char *want, char *name, size_t name_len, char *err, size_t err_len)
{
	char ifname[IFNAMSIZ];
	socklen_t ifname_len = sizeof(ifname);
	unsigned unit = 0;
	int fd, e;

	/* "utunN" asks for unit N (sc_unit is N + 1; 0 lets the kernel pick).
	 * macOS names can only be utunN; anything else gets the next free one. */
	if (want && strncmp(want, "utun", 4) == 0 && want[4]) {
		char *end;
		unsigned long n = strtoul(want + 4, &end, 10);
		if (*end == '\0' && n < 0xffff)
			unit = (unsigned)n + 1;
	}
	fd = utun_connect(unit, err, err_len);
	/* the system itself holds low units (utun0..3 are common): a taken
	 * one is a wish we cannot grant, not a failure */
	if (fd == -EBUSY && unit)
		fd = utun_connect(0, err, err_len);
	if (fd < 0)
		return fd;
	memset(ifname, 0, sizeof(ifname));
	if (getsockopt(fd, SYSPROTO_CONTROL, UTUN_OPT_IFNAME, ifname, &ifname_len) < 0) {
		e = fail(err, err_len, errno, "UTUN_OPT_IFNAME");
		close(fd);
		return e;
	}
	ifname[sizeof(ifname) - 1] = '\0';
	snprintf(name, name_len, "%s", ifname);
	return fd;
}

void tun_bsd_close(int fd, const char *name)
{
	(void)name;   /* the utun interface goes away with its control socket */
	if (fd >= 0)
		close(fd);
}

#endif

int tun_bsd_open(const char *want, char *name, size_t name_len, char *err, size_t err_len)
{
	int fd;

	if (!name || name_len == 0)
		return fail(err, err_len, EINVAL, "tun open");
	name[0] = '\0';
	fd = tun_open_os(want, name, name_len, err, err_len);
	if (fd >= 0)
		set_fd_flags(fd);
	return fd;
}

ssize_t tun_bsd_read(int fd, uint8_t *buf, size_t cap)
{
	uint8_t hdr[TUN_AF_HDR_LEN];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = buf, .iov_len = cap },
	};
	ssize_t n = readv(fd, iov, 2);

	if (n < 0)
		return -1;
	if (n <= TUN_AF_HDR_LEN || tun_af_hdr_parse(hdr, buf, (size_t)(n - TUN_AF_HDR_LEN),
	                                            &native_af) < 0) {
		errno = EINVAL;
		return -1;
	}
	return n - TUN_AF_HDR_LEN;
}

ssize_t tun_bsd_write(int fd, const uint8_t *ip, size_t len)
{
	uint8_t hdr[TUN_AF_HDR_LEN];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)(uintptr_t)ip, .iov_len = len },
	};
	int e = tun_af_hdr_build(hdr, ip, len, &native_af);
	ssize_t n;

	if (e < 0) {
		errno = -e;
		return -1;
	}
	n = writev(fd, iov, 2);
	if (n < 0)
		return -1;
	if (n < TUN_AF_HDR_LEN) {
		errno = EIO;
		return -1;
	}
	return n - TUN_AF_HDR_LEN;
}

/* ------------------------------------------------------------ io-tun's system half (tun_sys.h) */

void tun_sys_close(int fd, const char *name)
{
	tun_bsd_close(fd, name);   /* also destroys a cloned FreeBSD tun */
}

int tun_sys_open(const char *want, uint32_t queues, bool offload, int *fds, tun_sys_dev_t *dev,
                 uipsec_err_t *err)
{
	char emsg[sizeof(err->msg)] = "";
	/* one queue: the BSD devices have no multi-queue mode; no offloads:
	 * they have no virtio-net header */
	(void)queues;
	(void)offload;
	dev->vnet_hdr = false;
	dev->offloads = 0;
	dev->nqueues = 0;
	fds[0] = tun_bsd_open(want, dev->name, sizeof(dev->name), emsg, sizeof(emsg));
	if (fds[0] < 0) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s: %s", want, emsg[0] ? emsg : strerror(-fds[0]));
		return UIPSEC_ERR_IO;
	}
	dev->nqueues = 1;
	return UIPSEC_OK;
}

ssize_t tun_sys_read(int fd, bool vnet, uipsec_pkt_t *p, size_t room)
{
	(void)vnet;
	ssize_t r = tun_bsd_read(fd, p->buf + p->off, room);
	/* a frame whose family header contradicts its packet: skipped */
	return r < 0 && errno == EINVAL ? 0 : r;
}

bool tun_sys_write(int fd, bool vnet, uipsec_pkt_t *p)
{
	(void)vnet;
	ssize_t r;
	do
		r = tun_bsd_write(fd, uipsec_pkt_data(p), p->len);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)p->len;
}

#endif /* TUN_BSD_SUPPORTED */
