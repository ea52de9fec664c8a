/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pfroute internals shared by the files of the OS-facing half of net-pfroute
 * (pfroute_os.c, pfroute_route.c, pfroute_iface.c, pfroute_msg.c): the
 * handle, routing messages, sockaddr conversions, errors. System headers
 * only, like pfroute_os.h. */
#ifndef PFROUTE_INTERNAL_H
#define PFROUTE_INTERNAL_H

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

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sockaddrs in routing messages are padded: to sizeof(long) on FreeBSD
 * (SA_SIZE in <net/route.h>), to 32 bits on macOS (xnu's ROUNDUP32). */
#if defined(__APPLE__)
#define PFR_SA_ALIGN sizeof(uint32_t)
#else
#define PFR_SA_ALIGN sizeof(long)
#endif

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

typedef union pfr_sa {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_dl dl;
	struct sockaddr_storage ss;
} pfr_sa_t;

/* Fills err with "WHAT: strerror(errnum)"; returns -errnum. */
int pfr_fail(pfr_err_t *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *pfr_addr_str(const pfr_addr_t *a, char *buf, size_t len);
int pfr_cloexec_socket(int domain, int type, int proto);

/* sockaddrs */
int pfr_sa_from_addr(pfr_sa_t *s, const pfr_addr_t *a);
bool pfr_addr_from_sa(pfr_addr_t *a, const struct sockaddr *sa);
void pfr_sa_mask(pfr_sa_t *s, int family, unsigned prefixlen);
/* Prefix length of a netmask sockaddr of an address of family. */
unsigned pfr_mask_prefixlen(const struct sockaddr *mask, int family);
/* The link sockaddr of ifname; ifname NULL = an empty one. */
int pfr_sa_link(pfr_sa_t *s, const char *ifname);
/* The name of the interface of a link sockaddr, else of index; "" if none. */
void pfr_ifname_from(char out[PFR_IFNAMSIZ], const struct sockaddr *ifp, unsigned index);

/* routing messages */
void pfr_msg_init(pfr_t *p, pfr_msg_t *m, int type, int flags);
/* Sockaddrs must be appended in RTA_* bit order. */
void pfr_msg_add(pfr_msg_t *m, int rta, const pfr_sa_t *s);
/* Split the sockaddr list after a header of hdr_len bytes into rti[RTAX_*];
 * false when the message is truncated or malformed. */
bool pfr_msg_sockaddrs(const void *msg, size_t msglen, size_t hdr_len, int addrs,
                       const struct sockaddr *rti[RTAX_MAX]);

#endif
