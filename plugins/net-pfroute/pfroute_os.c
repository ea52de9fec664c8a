/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pfroute_os: PF_ROUTE routing socket and interface ioctls (FreeBSD, macOS).
 * System headers only; see pfroute_os.h. This file: opening and closing the
 * sockets, change events. Routes are in pfroute_route.c, interfaces in
 * pfroute_iface.c, messages and sockaddrs in pfroute_msg.c. */
#include "pfroute_internal.h"

int pfr_open(pfr_t **out, pfr_err_t *err)
{
	pfr_t *p = calloc(1, sizeof(*p));
	int e;

	if (!p)
		return pfr_fail(err, ENOMEM, "net-pfroute");
	p->cmd_fd = p->event_fd = p->ioctl4_fd = p->ioctl6_fd = -1;
	p->pid = getpid();

	p->cmd_fd = pfr_cloexec_socket(PF_ROUTE, SOCK_RAW, AF_UNSPEC);
	if (p->cmd_fd < 0) {
		e = pfr_fail(err, errno, "socket(PF_ROUTE)");
		goto error;
	}
	/* We never read this one: add/delete failures come back from write(). */
	(void)shutdown(p->cmd_fd, SHUT_RD);

	p->event_fd = pfr_cloexec_socket(PF_ROUTE, SOCK_RAW, AF_UNSPEC);
	if (p->event_fd < 0) {
		e = pfr_fail(err, errno, "socket(PF_ROUTE) for events");
		goto error;
	}
	(void)fcntl(p->event_fd, F_SETFL, fcntl(p->event_fd, F_GETFL) | O_NONBLOCK);

	p->ioctl4_fd = pfr_cloexec_socket(AF_INET, SOCK_DGRAM, 0);
	if (p->ioctl4_fd < 0) {
		e = pfr_fail(err, errno, "socket(AF_INET)");
		goto error;
	}
	p->ioctl6_fd = pfr_cloexec_socket(AF_INET6, SOCK_DGRAM, 0);
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

	if (!pfr_msg_sockaddrs(ifam, len, sizeof(*ifam), ifam->ifam_addrs, rti) || !rti[RTAX_IFA])
		return;
	memset(&ev, 0, sizeof(ev));
	if (!pfr_addr_from_sa(&ev.addr, rti[RTAX_IFA]))
		return;
	ev.type = ifam->ifam_type == RTM_NEWADDR ? PFR_EV_ADDR_ADDED : PFR_EV_ADDR_REMOVED;
	ev.prefixlen = rti[RTAX_NETMASK] ? pfr_mask_prefixlen(rti[RTAX_NETMASK], ev.addr.family)
	                                 : (ev.addr.family == AF_INET ? 32 : 128);
	pfr_ifname_from(ev.ifname, rti[RTAX_IFP], ifam->ifam_index);
	cb(&ev, user);
}

static void dispatch_link(const struct if_msghdr *ifm, pfr_event_cb cb, void *user)
{
	pfr_event_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = (ifm->ifm_flags & IFF_UP) ? PFR_EV_LINK_UP : PFR_EV_LINK_DOWN;
	pfr_ifname_from(ev.ifname, NULL, ifm->ifm_index);
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
