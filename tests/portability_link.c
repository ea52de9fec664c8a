/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linked (never run) by 'make check-portability' for FreeBSD and macOS with
 * the OS-facing BSD code: zig links against stubs made from each system's
 * real libc symbol lists, so a libc function that one of the systems lacks
 * (e.g. fdevname_r on macOS) fails the check. Every exported function of
 * pfroute_os.c and tun_bsd.c is referenced here. */
#include <stdio.h>

#include "pfroute_os.h"
#include "tun_bsd.h"

static void on_event(const pfr_event_t *ev, void *user)
{
	(void)ev;
	(void)user;
}

static void on_addr(const char *ifname, const pfr_addr_t *a, unsigned prefixlen, void *user)
{
	(void)ifname;
	(void)a;
	(void)prefixlen;
	(void)user;
}

int main(void)
{
	pfr_t *p;
	pfr_err_t err;
	pfr_route_t r = { 0 };
	pfr_lookup_t lk;
	unsigned removed;
	char name[PFR_IFNAMSIZ], msg[128];
	uint8_t buf[64] = { 0x45 };

	if (pfr_open(&p, &err) < 0)
		return 1;
	pfr_route_add(p, &r, &err);
	pfr_route_del(p, &r, &err);
	pfr_route_get(p, &r.dst, &lk, &err);
	pfr_flush_marked(p, &removed, &err);
	pfr_addr_add(p, "tun0", &r.dst, 32, &err);
	pfr_addr_del(p, "tun0", &r.dst, 32, &err);
	pfr_link_set(p, "tun0", true, 1400, &err);
	pfr_addrs_foreach(on_addr, NULL, &err);
	pfr_event_dispatch(p, on_event, NULL);
	printf("%d %u\n", pfr_event_fd(p), pfr_route_marker());
	pfr_close(p);

	int fd = tun_bsd_open("tun0", name, sizeof(name), msg, sizeof(msg));
	tun_bsd_read(fd, buf, sizeof(buf));
	tun_bsd_write(fd, buf, sizeof(buf));
	tun_bsd_close(fd, name);
	printf("%u\n", (unsigned)tun_bsd_af_values()->inet6);
	return 0;
}
