/*
 * Copyright (C) 2006-2013 Tobias Brunner
 * Copyright (C) 2006 Daniel Roethlisberger
 * Copyright (C) 2005-2010 Martin Willi
 * Copyright (C) 2005 Jan Hutter
 *
 * Copyright (C) secunet Security Networks AG
 *
 * kernel-uipsec changes (the IKE relay of uipsecd for the NAT-T port,
 * reconnection, frame checks): the uipsec authors.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

/*
 * Based on socket-default (src/libcharon/plugins/socket_default/
 * socket_default_socket.c of strongSwan 5.9.8): the UDP sockets on
 * charon.port, their PKTINFO handling, DSCP and the send path are that
 * code. The NAT-T sockets are replaced by one SOCK_SEQPACKET connection to
 * uipsecd's IKE relay socket: uipsecd owns the NAT-T port (ESP-in-UDP and
 * IKE share it, RFC 3948) and passes IKE datagrams and NAT keepalives in
 * frames of a 44-byte header plus the UDP payload (docs/control-protocol.md,
 * "IKE relay socket"):
 *
 *   u8 version (1) | u8 family (4/6) | u16 flags (0) | u16 sport |
 *   u16 dport | u32 ifindex | u8 src[16] | u8 dst[16] | payload
 *
 * Payloads are passed unchanged in both directions (non-ESP marker
 * included), as socket-default passes what it reads from and writes to its
 * NAT-T sockets: charon's receiver strips the marker (receiver.c, for
 * packets where neither port is 500) and its sender adds it (sender.c).
 *
 * Threads: receive() runs in charon's receiver thread, send() in its sender
 * thread. Both may (re)connect the relay, so the relay descriptor is
 * guarded by a mutex and a generation counter: receive() polls a snapshot
 * of the descriptor without the lock and, after poll(), reads only if the
 * connection is still the one it polled. Whoever changes the connection
 * writes to a pipe that receive() also polls, so it picks up the new one.
 */

/* for struct in6_pktinfo */
#define _GNU_SOURCE
#ifdef __sun
#define _XPG4_2
#define __EXTENSIONS__
#endif
/* make sure to use the proper defs on Mac OS X */
#define __APPLE_USE_RFC_3542

#include "kernel_uipsec_socket.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <netinet/in_systm.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <net/if.h>

#include <daemon.h>
#include <threading/thread.h>
#include <threading/mutex.h>

/* these are not defined on some platforms */
#ifndef SOL_IP
#define SOL_IP IPPROTO_IP
#endif
#ifndef SOL_IPV6
#define SOL_IPV6 IPPROTO_IPV6
#endif
#ifndef IPV6_TCLASS
#define IPV6_TCLASS 67
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* IPV6_RECVPKTINFO is defined in RFC 3542 which obsoletes RFC 2292 that
 * previously defined IPV6_PKTINFO */
#ifndef IPV6_RECVPKTINFO
#define IPV6_RECVPKTINFO IPV6_PKTINFO
#endif

#ifndef IN6ADDR_ANY_INIT
#define IN6ADDR_ANY_INIT {{{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}}}
#endif

#ifndef HAVE_IN6ADDR_ANY
static const struct in6_addr in6addr_any = IN6ADDR_ANY_INIT;
#endif

/** settings prefix of this plugin */
#define KU_SETTINGS "%s.plugins.kernel-uipsec"

/** default path of uipsecd's IKE relay socket (uipsecd.ike.socket) */
#define KU_IKE_SOCKET_DEFAULT "/run/uipsec/ike.sock"

/** relay frame: header length, version, largest payload */
#define RELAY_HDR_LEN 44
#define RELAY_VERSION 1
#define RELAY_MAX_PAYLOAD 65535

/** reconnection delays (ms): first, largest; a connection that lasted less
 * than RELAY_STABLE_MS does not reset the delay (so two IKE daemons that
 * keep replacing each other on uipsecd's one relay slot back off) */
#define RELAY_BACKOFF_MIN_MS 200
#define RELAY_BACKOFF_MAX_MS 10000
#define RELAY_STABLE_MS 10000

/** at most one log line about malformed relay frames per this many s */
#define RELAY_BAD_LOG_INTERVAL 10

typedef struct private_kernel_uipsec_socket_t private_kernel_uipsec_socket_t;

/**
 * Private data of a socket_t object
 */
struct private_kernel_uipsec_socket_t {

	/**
	 * public functions
	 */
	socket_t public;

	/**
	 * Configured port (or random, if initially 0)
	 */
	uint16_t port;

	/**
	 * NAT-T port: uipsecd's ESP port, reached through the relay
	 */
	uint16_t natt;

	/**
	 * IPv4 socket (500 or port)
	 */
	int ipv4;

	/**
	 * IPv6 socket (500 or port)
	 */
	int ipv6;

	/**
	 * DSCP value set on IPv4 socket
	 */
	uint8_t dscp4;

	/**
	 * DSCP value set on IPv6 socket
	 */
	uint8_t dscp6;

	/**
	 * Maximum packet size to receive
	 */
	int max_packet;

	/**
	 * TRUE if the source address should be set on outbound packets
	 */
	bool set_source;

	/**
	 * TRUE to force sending source interface on outbound packets
	 */
	bool set_sourceif;

	/**
	 * A counter to implement round-robin selection of read sockets
	 */
	u_int rr_counter;

	/**
	 * Path of uipsecd's IKE relay socket, NULL for none
	 */
	char *relay_path;

	/**
	 * Guards all relay_* fields below
	 */
	mutex_t *mutex;

	/**
	 * Connection to the relay, -1 if none
	 */
	int relay;

	/**
	 * Incremented whenever relay changes
	 */
	u_int relay_gen;

	/**
	 * Self-pipe: written when relay changes, polled by receive()
	 */
	int wake[2];

	/**
	 * Monotonic time (ms) of the next reconnection attempt of receive()
	 */
	uint64_t relay_next;

	/**
	 * Current reconnection delay (ms)
	 */
	u_int relay_backoff;

	/**
	 * Monotonic time (ms) the current connection was made
	 */
	uint64_t relay_since;

	/**
	 * A failed connection attempt was logged at level 1 in this outage
	 */
	bool relay_down_logged;

	/**
	 * Malformed frames not yet logged, and when we last logged them
	 */
	u_int bad_frames;
	time_t bad_logged;
	bool bad_logged_ever;

	/**
	 * A relay frame to another port than natt was logged
	 */
	bool port_mismatch_logged;
};

/**
 * Monotonic time in ms
 */
static uint64_t now_ms()
{
	timeval_t tv;

	time_monotonic(&tv);
	return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/**
 * Get the destination IPv4 address of a received packet, depending on the
 * available mechanism.
 */
#ifdef IP_PKTINFO

static host_t *get_dst_v4(struct cmsghdr *cmsgptr, uint16_t port)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};
	struct in_pktinfo *pktinfo;
	struct in_addr *addr;

	if (cmsgptr->cmsg_type == IP_PKTINFO)
	{
		pktinfo = (struct in_pktinfo*)CMSG_DATA(cmsgptr);
		addr = &pktinfo->ipi_addr;
		memcpy(&dst.sin_addr, addr, sizeof(dst.sin_addr));
		return host_create_from_sockaddr((sockaddr_t*)&dst);
	}
	return NULL;
}

#elif defined(IP_RECVDSTADDR)

static host_t *get_dst_v4(struct cmsghdr *cmsgptr, uint16_t port)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};
	struct in_addr *addr;

	if (cmsgptr->cmsg_type == IP_RECVDSTADDR)
	{
		addr = (struct in_addr*)CMSG_DATA(cmsgptr);
		memcpy(&dst.sin_addr, addr, sizeof(dst.sin_addr));
		return host_create_from_sockaddr((sockaddr_t*)&dst);
	}
	return NULL;
}

#else /* IP_PKTINFO || IP_RECVDSTADDR */

static host_t *get_dst_v4(struct cmsghdr *cmsgptr, uint16_t port)
{
	return NULL;
}

#endif /* IP_PKTINFO || IP_RECVDSTADDR */

/**
 * Get the destination IPv6 address of a received packet, depending on the
 * available mechanism.
 */
#ifdef HAVE_IN6_PKTINFO

static host_t *get_dst_v6(struct cmsghdr *cmsgptr, uint16_t port)
{
	struct in6_pktinfo *pktinfo;
	struct sockaddr_in6 dst = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
	};

	if (cmsgptr->cmsg_type == IPV6_PKTINFO)
	{
		pktinfo = (struct in6_pktinfo*)CMSG_DATA(cmsgptr);
		memcpy(&dst.sin6_addr, &pktinfo->ipi6_addr, sizeof(dst.sin6_addr));
		return host_create_from_sockaddr((sockaddr_t*)&dst);
	}
	return NULL;
}

#else /* HAVE_IN6_PKTINFO */

static host_t *get_dst_v6(struct cmsghdr *cmsgptr, uint16_t port)
{
	return NULL;
}

#endif /* HAVE_IN6_PKTINFO */

/*
 * ---------------------------------------------------------------- relay
 */

/**
 * Tell receive() that the relay connection changed (any thread)
 */
static void relay_wake(private_kernel_uipsec_socket_t *this)
{
	char c = 0;
	ssize_t n;

	do
	{
		n = write(this->wake[1], &c, 1);
	}
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full, receive() wakes up anyway */
}

/**
 * Schedule the next reconnection attempt of receive(), mutex held
 */
static void relay_schedule(private_kernel_uipsec_socket_t *this, uint64_t now)
{
	this->relay_next = now + this->relay_backoff;
	this->relay_backoff = min(this->relay_backoff * 2, RELAY_BACKOFF_MAX_MS);
}

/**
 * Close the relay connection, mutex held
 */
static void relay_close(private_kernel_uipsec_socket_t *this,
						const char *why)
{
	uint64_t now = now_ms();

	if (this->relay == -1)
	{
		return;
	}
	DBG1(DBG_NET, "IKE relay connection to %s closed (%s), reconnecting",
		 this->relay_path, why);
	close(this->relay);
	this->relay = -1;
	this->relay_gen++;
	if (now - this->relay_since >= RELAY_STABLE_MS)
	{
		this->relay_backoff = RELAY_BACKOFF_MIN_MS;
	}
	relay_schedule(this, now);
	this->relay_down_logged = FALSE;
	relay_wake(this);
}

/**
 * Connect to uipsecd's IKE relay socket without blocking, mutex held.
 * backoff: a failure schedules receive()'s next attempt (else only logs).
 */
static bool relay_connect(private_kernel_uipsec_socket_t *this, bool backoff)
{
	struct sockaddr_un addr = {
		.sun_family = AF_UNIX,
	};
	int fd, err, flags;

	if (!this->relay_path || this->relay != -1)
	{
		return this->relay != -1;
	}
	/* the length was checked in the constructor */
	strncpy(addr.sun_path, this->relay_path, sizeof(addr.sun_path) - 1);

	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
	{
		err = errno;
		goto failed;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
	{
		err = errno;
		close(fd);
		goto failed;
	}
	/* a UNIX socket connects at once or fails (EAGAIN: backlog full) */
	if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) < 0)
	{
		err = errno;
		close(fd);
		goto failed;
	}
	this->relay = fd;
	this->relay_gen++;
	this->relay_since = now_ms();
	this->relay_down_logged = FALSE;
	DBG1(DBG_NET, "connected to uipsecd's IKE relay socket %s (NAT-T port %u)",
		 this->relay_path, this->natt);
	relay_wake(this);
	return TRUE;

failed:
	if (!this->relay_down_logged)
	{
		DBG1(DBG_NET, "connecting to uipsecd's IKE relay socket %s failed: %s "
			 "(retrying, IKE on port %u fails meanwhile)", this->relay_path,
			 strerror(err), this->natt);
		this->relay_down_logged = TRUE;
	}
	else
	{
		DBG2(DBG_NET, "connecting to uipsecd's IKE relay socket %s failed: %s",
			 this->relay_path, strerror(err));
	}
	if (backoff)
	{
		relay_schedule(this, now_ms());
	}
	return FALSE;
}

/**
 * Count (and now and then log) a malformed frame from the relay
 */
static void relay_bad_frame(private_kernel_uipsec_socket_t *this,
							const char *why)
{
	time_t now = time_monotonic(NULL);

	DBG2(DBG_NET, "malformed frame from uipsecd's IKE relay dropped: %s", why);
	this->bad_frames++;
	if (!this->bad_logged_ever ||
		now - this->bad_logged >= RELAY_BAD_LOG_INTERVAL)
	{
		DBG1(DBG_NET, "dropped %u malformed frame%s from uipsecd's IKE relay "
			 "(last: %s)", this->bad_frames, this->bad_frames == 1 ? "" : "s",
			 why);
		this->bad_frames = 0;
		this->bad_logged = now;
		this->bad_logged_ever = TRUE;
	}
}

/**
 * One of the frame's addresses as host_t; the interface index gives an
 * IPv6 link-local address its scope
 */
static host_t *frame_host(int family, uint8_t *addr, uint16_t port,
						  uint32_t ifindex)
{
	union {
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} sa;

	memset(&sa, 0, sizeof(sa));
	if (family == AF_INET)
	{
		sa.in4.sin_family = AF_INET;
		sa.in4.sin_port = htons(port);
		memcpy(&sa.in4.sin_addr, addr, 4);
	}
	else
	{
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons(port);
		memcpy(&sa.in6.sin6_addr, addr, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&sa.in6.sin6_addr))
		{
			sa.in6.sin6_scope_id = ifindex;
		}
	}
	return host_create_from_sockaddr((sockaddr_t*)&sa);
}

/**
 * Check a frame of len bytes from the relay and make it a packet
 */
static packet_t *relay_parse(private_kernel_uipsec_socket_t *this,
							 uint8_t *buf, size_t len)
{
	host_t *source, *dest;
	packet_t *pkt;
	uint16_t sport, dport;
	uint32_t ifindex;
	int family;

	if (len < RELAY_HDR_LEN)
	{
		relay_bad_frame(this, "shorter than the header");
		return NULL;
	}
	if (buf[0] != RELAY_VERSION)
	{
		relay_bad_frame(this, "unknown version");
		return NULL;
	}
	switch (buf[1])
	{
		case 4:
			family = AF_INET;
			break;
		case 6:
			family = AF_INET6;
			break;
		default:
			relay_bad_frame(this, "unknown address family");
			return NULL;
	}
	if (untoh16(buf + 2) != 0)
	{
		relay_bad_frame(this, "unknown flags");
		return NULL;
	}
	if (len == RELAY_HDR_LEN)
	{
		relay_bad_frame(this, "no payload");
		return NULL;
	}
	if (len - RELAY_HDR_LEN > RELAY_MAX_PAYLOAD)
	{
		relay_bad_frame(this, "payload over 64 KiB");
		return NULL;
	}
	sport = untoh16(buf + 4);
	dport = untoh16(buf + 6);
	ifindex = untoh32(buf + 8);
	if (sport == 0 || dport == 0)
	{
		relay_bad_frame(this, "port 0");
		return NULL;
	}
	if (dport != this->natt && !this->port_mismatch_logged)
	{
		DBG1(DBG_NET, "uipsecd's IKE relay passes datagrams to port %u, but "
			 "charon.port_nat_t is %u: set both to the same port (uipsecd's "
			 "socket.port)", dport, this->natt);
		this->port_mismatch_logged = TRUE;
	}
	source = frame_host(family, buf + 12, sport, ifindex);
	dest = frame_host(family, buf + 28, dport, ifindex);
	if (!source || !dest)
	{
		DESTROY_IF(source);
		DESTROY_IF(dest);
		relay_bad_frame(this, "bad address");
		return NULL;
	}
	pkt = packet_create();
	pkt->set_source(pkt, source);
	pkt->set_destination(pkt, dest);
	DBG2(DBG_NET, "received packet: from %#H to %#H (IKE relay)", source,
		 dest);
	pkt->set_data(pkt, chunk_clone(chunk_create(buf + RELAY_HDR_LEN,
												len - RELAY_HDR_LEN)));
	return pkt;
}

/**
 * Read one frame from the relay, mutex held, the connection the one polled.
 * Returns a packet or NULL (nothing to read, a bad frame, closed).
 */
static packet_t *relay_read(private_kernel_uipsec_socket_t *this,
							uint8_t *buf, size_t size, short revents)
{
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = size;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	do
	{
		n = recvmsg(this->relay, &msg, MSG_DONTWAIT);
	}
	while (n < 0 && errno == EINTR);
	if (n < 0)
	{
		if (errno == EAGAIN || errno == EWOULDBLOCK)
		{
			return NULL;
		}
		relay_close(this, strerror(errno));
		return NULL;
	}
	if (n == 0)
	{
		/* end of file, or an empty message (SEQPACKET): only the former
		 * comes with a hangup */
		if (revents & (POLLHUP | POLLERR))
		{
			relay_close(this, "uipsecd closed it");
		}
		else
		{
			relay_bad_frame(this, "empty message");
		}
		return NULL;
	}
	if (msg.msg_flags & MSG_TRUNC)
	{
		/* a datagram from the net: rate-limited as the rest */
		relay_bad_frame(this, "payload over charon.max_packet");
		return NULL;
	}
	DBG3(DBG_NET, "received relay frame %b", buf, (u_int)n);
	return relay_parse(this, buf, n);
}

/*
 * ---------------------------------------------------------------- receive
 */

/**
 * Read a datagram from one of our UDP sockets (socket-default's code)
 */
static status_t receive_udp(private_kernel_uipsec_socket_t *this, int selected,
							uint16_t port, u_char *buffer, packet_t **packet)
{
	struct msghdr msg;
	struct cmsghdr *cmsgptr;
	struct iovec iov;
	char ancillary[64];
	union {
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} src;
	host_t *source = NULL, *dest = NULL;
	packet_t *pkt;
	chunk_t data;
	int bytes_read;

	msg.msg_name = &src;
	msg.msg_namelen = sizeof(src);
	iov.iov_base = buffer;
	iov.iov_len = this->max_packet;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ancillary;
	msg.msg_controllen = sizeof(ancillary);
	msg.msg_flags = 0;
	bytes_read = recvmsg(selected, &msg, 0);
	if (bytes_read < 0)
	{
		DBG1(DBG_NET, "error reading socket: %s", strerror(errno));
		return FAILED;
	}
	if (msg.msg_flags & MSG_TRUNC)
	{
		DBG1(DBG_NET, "receive buffer too small, packet discarded");
		return FAILED;
	}
	DBG3(DBG_NET, "received packet %b", buffer, bytes_read);

	/* read ancillary data to get destination address */
	for (cmsgptr = CMSG_FIRSTHDR(&msg); cmsgptr != NULL;
		 cmsgptr = CMSG_NXTHDR(&msg, cmsgptr))
	{
		if (cmsgptr->cmsg_len == 0)
		{
			DBG1(DBG_NET, "error reading ancillary data");
			return FAILED;
		}
		if (cmsgptr->cmsg_level == SOL_IP)
		{
			dest = get_dst_v4(cmsgptr, port);
		}
		else if (cmsgptr->cmsg_level == SOL_IPV6)
		{
			dest = get_dst_v6(cmsgptr, port);
		}
		if (dest)
		{
			break;
		}
	}
	if (dest == NULL)
	{
		DBG1(DBG_NET, "error reading IP header");
		return FAILED;
	}
	source = host_create_from_sockaddr((sockaddr_t*)&src);

	pkt = packet_create();
	pkt->set_source(pkt, source);
	pkt->set_destination(pkt, dest);
	DBG2(DBG_NET, "received packet: from %#H to %#H", source, dest);
	data = chunk_create(buffer, bytes_read);
	pkt->set_data(pkt, chunk_clone(data));
	*packet = pkt;
	return SUCCESS;
}

METHOD(socket_t, receiver, status_t,
	private_kernel_uipsec_socket_t *this, packet_t **packet)
{
	/* one buffer for both: a relay frame is the header plus a datagram */
	uint8_t buffer[RELAY_HDR_LEN + this->max_packet];
	char drain[64];
	int i, rr, index, timeout, relay, n;
	u_int gen;
	bool oldstate;
	uint64_t now;
	packet_t *pkt;

	while (TRUE)
	{
		this->mutex->lock(this->mutex);
		timeout = -1;
		if (this->relay_path && this->relay == -1)
		{
			now = now_ms();
			if (now >= this->relay_next)
			{
				relay_connect(this, TRUE);
			}
			if (this->relay == -1)
			{
				timeout = this->relay_next > now ?
								min(this->relay_next - now, INT_MAX) : 0;
			}
		}
		relay = this->relay;
		gen = this->relay_gen;
		this->mutex->unlock(this->mutex);

		/* poll() ignores the entries of closed sockets (-1) */
		struct pollfd pfd[] = {
			{ .fd = this->ipv4,		.events = POLLIN },
			{ .fd = this->ipv6,		.events = POLLIN },
			{ .fd = relay,			.events = POLLIN },
			{ .fd = this->wake[0],	.events = POLLIN },
		};

		DBG2(DBG_NET, "waiting for data on sockets");
		oldstate = thread_cancelability(TRUE);
		n = poll(pfd, countof(pfd), timeout);
		thread_cancelability(oldstate);
		if (n < 0)
		{
			if (errno == EINTR)
			{
				continue;
			}
			DBG1(DBG_NET, "waiting for data on sockets failed: %s",
				 strerror(errno));
			return FAILED;
		}
		if (pfd[3].revents & POLLIN)
		{
			while (read(this->wake[0], drain, sizeof(drain)) > 0)
			{
				/* the connection changed: poll it again */
			}
		}

		/* To serve all sockets with equal priority, we use a round-robin
		 * scheme to choose the one to process in this invocation */
		rr = this->rr_counter++;
		for (i = 0; i < 3; i++)
		{
			index = (rr + i) % 3;
			if (!pfd[index].revents)
			{
				continue;
			}
			if (index < 2)
			{
				if (pfd[index].revents & POLLIN)
				{
					return receive_udp(this, pfd[index].fd, this->port,
									   buffer, packet);
				}
				continue;
			}
			/* the relay: a frame, a hangup or an error */
			this->mutex->lock(this->mutex);
			pkt = NULL;
			if (this->relay_gen == gen && this->relay != -1)
			{
				pkt = relay_read(this, buffer, sizeof(buffer),
								 pfd[index].revents);
			}
			this->mutex->unlock(this->mutex);
			if (pkt)
			{
				*packet = pkt;
				return SUCCESS;
			}
		}
	}
}

/*
 * ---------------------------------------------------------------- send
 */

/**
 * Generic function to send a message.
 */
static ssize_t send_msg_generic(int skt, struct msghdr *msg)
{
	return sendmsg(skt, msg, 0);
}

#if defined(IP_PKTINFO) || defined(HAVE_IN6_PKTINFO)

/**
 * Find the interface index a source address is installed on
 */
static int find_srcif(host_t *src)
{
	char *ifname;
	int idx = 0;

	if (charon->kernel->get_interface(charon->kernel, src, &ifname))
	{
		idx = if_nametoindex(ifname);
		free(ifname);
	}
	return idx;
}

#else /* IP_PKTINFO || HAVE_IN6_PKTINFO */

static int find_srcif(host_t *src)
{
	return 0;
}

#endif /* IP_PKTINFO || HAVE_IN6_PKTINFO */

/**
 * Send a message with the IPv4 source address set, if possible.
 */
#ifdef IP_PKTINFO

static ssize_t send_msg_v4(private_kernel_uipsec_socket_t *this, int skt,
						   struct msghdr *msg, host_t *src)
{
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))] = {};
	struct cmsghdr *cmsg;
	struct in_addr *addr;
	struct in_pktinfo *pktinfo;
	struct sockaddr_in *sin;

	msg->msg_control = buf;
	msg->msg_controllen = sizeof(buf);
	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_level = SOL_IP;
	cmsg->cmsg_type = IP_PKTINFO;
	cmsg->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));

	pktinfo = (struct in_pktinfo*)CMSG_DATA(cmsg);
	if (this->set_sourceif)
	{
		pktinfo->ipi_ifindex = find_srcif(src);
	}
	addr = &pktinfo->ipi_spec_dst;

	sin = (struct sockaddr_in*)src->get_sockaddr(src);
	memcpy(addr, &sin->sin_addr, sizeof(struct in_addr));
	return send_msg_generic(skt, msg);
}

#elif defined(IP_SENDSRCADDR)

static ssize_t send_msg_v4(private_kernel_uipsec_socket_t *this, int skt,
						   struct msghdr *msg, host_t *src)
{
	char buf[CMSG_SPACE(sizeof(struct in_addr))] = {};
	struct cmsghdr *cmsg;
	struct in_addr *addr;
	struct sockaddr_in *sin;

	msg->msg_control = buf;
	msg->msg_controllen = sizeof(buf);
	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_level = SOL_IP;
	cmsg->cmsg_type = IP_SENDSRCADDR;
	cmsg->cmsg_len = CMSG_LEN(sizeof(struct in_addr));

	addr = (struct in_addr*)CMSG_DATA(cmsg);

	sin = (struct sockaddr_in*)src->get_sockaddr(src);
	memcpy(addr, &sin->sin_addr, sizeof(struct in_addr));
	return send_msg_generic(skt, msg);
}

#else /* IP_PKTINFO || IP_RECVDSTADDR */

static ssize_t send_msg_v4(private_kernel_uipsec_socket_t *this,
						   int skt, struct msghdr *msg, host_t *src)
{
	return send_msg_generic(skt, msg);
}

#endif /* IP_PKTINFO || IP_RECVDSTADDR */

/**
 * Send a message with the IPv6 source address set, if possible.
 */
#ifdef HAVE_IN6_PKTINFO

static ssize_t send_msg_v6(private_kernel_uipsec_socket_t *this, int skt,
						   struct msghdr *msg, host_t *src)
{
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = {};
	struct cmsghdr *cmsg;
	struct in6_pktinfo *pktinfo;
	struct sockaddr_in6 *sin;

	msg->msg_control = buf;
	msg->msg_controllen = sizeof(buf);
	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_level = SOL_IPV6;
	cmsg->cmsg_type = IPV6_PKTINFO;
	cmsg->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	pktinfo = (struct in6_pktinfo*)CMSG_DATA(cmsg);
	if (this->set_sourceif)
	{
		pktinfo->ipi6_ifindex = find_srcif(src);
	}
	sin = (struct sockaddr_in6*)src->get_sockaddr(src);
	memcpy(&pktinfo->ipi6_addr, &sin->sin6_addr, sizeof(struct in6_addr));
	return send_msg_generic(skt, msg);
}

#else /* HAVE_IN6_PKTINFO */

static ssize_t send_msg_v6(private_kernel_uipsec_socket_t *this,
						   int skt, struct msghdr *msg, host_t *src)
{
	return send_msg_generic(skt, msg);
}

#endif /* HAVE_IN6_PKTINFO */

/**
 * Send a datagram from charon.port through our own UDP socket
 * (socket-default's code)
 */
static status_t send_udp(private_kernel_uipsec_socket_t *this,
						 packet_t *packet, host_t *src, host_t *dst,
						 chunk_t data)
{
	int skt, family;
	ssize_t bytes_sent;
	struct msghdr msg;
	struct iovec iov;
	uint8_t *dscp;

	family = dst->get_family(dst);
	switch (family)
	{
		case AF_INET:
			skt = this->ipv4;
			dscp = &this->dscp4;
			break;
		case AF_INET6:
			skt = this->ipv6;
			dscp = &this->dscp6;
			break;
		default:
			return FAILED;
	}
	if (skt == -1)
	{
		DBG1(DBG_NET, "no socket found to send IPv%d packet from port %d",
			 family == AF_INET ? 4 : 6, src->get_port(src));
		return FAILED;
	}

	/* setting DSCP values per-packet in a cmsg seems not to be supported
	 * on Linux. We instead setsockopt() before sending it, this should be
	 * safe as only a single thread calls send(). */
	if (*dscp != packet->get_dscp(packet))
	{
		if (family == AF_INET)
		{
#ifdef __FreeBSD__
			int ds4;
#else
			uint8_t ds4;
#endif

			ds4 = packet->get_dscp(packet) << 2;
			if (setsockopt(skt, SOL_IP, IP_TOS, &ds4, sizeof(ds4)) == 0)
			{
				*dscp = packet->get_dscp(packet);
			}
			else
			{
				DBG1(DBG_NET, "unable to set IP_TOS on socket: %s",
					 strerror(errno));
			}
		}
		else
		{
			u_int ds6;

			ds6 = packet->get_dscp(packet) << 2;
			if (setsockopt(skt, SOL_IPV6, IPV6_TCLASS, &ds6, sizeof(ds6)) == 0)
			{
				*dscp = packet->get_dscp(packet);
			}
			else
			{
				DBG1(DBG_NET, "unable to set IPV6_TCLASS on socket: %s",
					 strerror(errno));
			}
		}
	}

	memset(&msg, 0, sizeof(struct msghdr));
	msg.msg_name = dst->get_sockaddr(dst);
	msg.msg_namelen = *dst->get_sockaddr_len(dst);
	iov.iov_base = data.ptr;
	iov.iov_len = data.len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_flags = 0;

	if (this->set_source && !src->is_anyaddr(src))
	{
		if (family == AF_INET)
		{
			bytes_sent = send_msg_v4(this, skt, &msg, src);
		}
		else
		{
			bytes_sent = send_msg_v6(this, skt, &msg, src);
		}
	}
	else
	{
		bytes_sent = send_msg_generic(skt, &msg);
	}

	if (bytes_sent < 0 || (size_t)bytes_sent != data.len)
	{
		DBG1(DBG_NET, "error writing to socket: %s", strerror(errno));
		return FAILED;
	}
	return SUCCESS;
}

/**
 * Copy the address of host (of the frame's family) into a frame field
 */
static void frame_addr(uint8_t *field, host_t *host)
{
	chunk_t addr = host->get_address(host);

	memcpy(field, addr.ptr, min(addr.len, 16));
}

/**
 * Send a datagram from the NAT-T port: a frame to uipsecd's relay
 */
static status_t send_relay(private_kernel_uipsec_socket_t *this,
						   host_t *src, host_t *dst, chunk_t data)
{
	uint8_t hdr[RELAY_HDR_LEN];
	struct iovec iov[2];
	struct msghdr msg;
	ssize_t n;
	int family, err, attempt;

	if (!this->relay_path)
	{
		DBG1(DBG_NET, "no IKE relay socket configured to send from port %u",
			 this->natt);
		return FAILED;
	}
	family = dst->get_family(dst);
	if (family != AF_INET && family != AF_INET6)
	{
		return FAILED;
	}
	if (data.len == 0 || data.len > RELAY_MAX_PAYLOAD)
	{
		DBG1(DBG_NET, "cannot relay a packet of %zu bytes", data.len);
		return FAILED;
	}

	memset(hdr, 0, sizeof(hdr));
	hdr[0] = RELAY_VERSION;
	hdr[1] = family == AF_INET ? 4 : 6;
	/* flags 0; sport is not used by uipsecd: always its ESP port */
	htoun16(hdr + 4, this->natt);
	htoun16(hdr + 6, dst->get_port(dst));
	if (this->set_source && !src->is_anyaddr(src) &&
		src->get_family(src) == family)
	{
		if (this->set_sourceif)
		{
			htoun32(hdr + 8, find_srcif(src));
		}
		frame_addr(hdr + 12, src);
	}
	/* else: the any address, uipsecd lets the kernel pick */
	frame_addr(hdr + 28, dst);

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = data.ptr;
	iov[1].iov_len = data.len;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;

	this->mutex->lock(this->mutex);
	for (attempt = 0; attempt < 2; attempt++)
	{
		if (this->relay == -1 && !relay_connect(this, FALSE))
		{
			this->mutex->unlock(this->mutex);
			DBG1(DBG_NET, "uipsecd's IKE relay is not connected, packet to "
				 "%#H not sent", dst);
			return FAILED;
		}
		do
		{
			n = sendmsg(this->relay, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)(sizeof(hdr) + data.len))
		{
			this->mutex->unlock(this->mutex);
			return SUCCESS;
		}
		err = n < 0 ? errno : EMSGSIZE;
		if (err != EPIPE && err != ECONNRESET && err != ENOTCONN &&
			err != ECONNREFUSED)
		{
			break;
		}
		/* uipsecd went away (restarted, or another client replaced us):
		 * reconnect once and retry */
		relay_close(this, strerror(err));
	}
	this->mutex->unlock(this->mutex);
	DBG1(DBG_NET, "sending packet to %#H through uipsecd's IKE relay failed: "
		 "%s", dst, strerror(err));
	return FAILED;
}

METHOD(socket_t, sender, status_t,
	private_kernel_uipsec_socket_t *this, packet_t *packet)
{
	host_t *src, *dst;
	chunk_t data;
	int sport;

	src = packet->get_source(packet);
	dst = packet->get_destination(packet);
	data = packet->get_data(packet);

	DBG2(DBG_NET, "sending packet: from %#H to %#H", src, dst);

	sport = src->get_port(src);
	if (sport == 0 || sport == this->port)
	{
		return send_udp(this, packet, src, dst, data);
	}
	if (sport == this->natt)
	{
		return send_relay(this, src, dst, data);
	}
	DBG1(DBG_NET, "no socket found to send IPv%d packet from port %d",
		 dst->get_family(dst) == AF_INET ? 4 : 6, sport);
	return FAILED;
}

METHOD(socket_t, get_port, uint16_t,
	private_kernel_uipsec_socket_t *this, bool nat_t)
{
	return nat_t ? this->natt : this->port;
}

METHOD(socket_t, supported_families, socket_family_t,
	private_kernel_uipsec_socket_t *this)
{
	socket_family_t families = SOCKET_FAMILY_NONE;

	/* IKE_SA_INIT always uses charon.port: the relay alone is no use */
	if (this->ipv4 != -1)
	{
		families |= SOCKET_FAMILY_IPV4;
	}
	if (this->ipv6 != -1)
	{
		families |= SOCKET_FAMILY_IPV6;
	}
	return families;
}

/*
 * ---------------------------------------------------------------- setup
 */

/**
 * open a socket to send and receive packets (socket-default's code)
 */
static int open_socket(private_kernel_uipsec_socket_t *this,
					   int family, uint16_t *port)
{
	int on = TRUE;
	union {
		struct sockaddr sockaddr;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} addr;
	socklen_t addrlen;
	u_int sol, pktinfo = 0;
	int skt;

	memset(&addr, 0, sizeof(addr));
	addr.sockaddr.sa_family = family;
	/* precalculate constants depending on address family */
	switch (family)
	{
		case AF_INET:
			addr.sin.sin_addr.s_addr = htonl(INADDR_ANY);
			addr.sin.sin_port = htons(*port);
			addrlen = sizeof(addr.sin);
			sol = SOL_IP;
#ifdef IP_PKTINFO
			pktinfo = IP_PKTINFO;
#elif defined(IP_RECVDSTADDR)
			pktinfo = IP_RECVDSTADDR;
#endif
			break;
		case AF_INET6:
			memcpy(&addr.sin6.sin6_addr, &in6addr_any, sizeof(in6addr_any));
			addr.sin6.sin6_port = htons(*port);
			addrlen = sizeof(addr.sin6);
			sol = SOL_IPV6;
			pktinfo = IPV6_RECVPKTINFO;
			break;
		default:
			return -1;
	}

	skt = socket(family, SOCK_DGRAM, IPPROTO_UDP);
	if (skt < 0)
	{
		DBG1(DBG_NET, "could not open socket: %s", strerror(errno));
		return -1;
	}
	if (fcntl(skt, F_SETFD, FD_CLOEXEC) == -1)
	{
		DBG1(DBG_NET, "unable to set FD_CLOEXEC on socket: %s",
			 strerror(errno));
	}

	if (family == AF_INET6 &&
		setsockopt(skt, SOL_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
	{
		DBG1(DBG_NET, "unable to set IPV6_V6ONLY on socket: %s", strerror(errno));
		close(skt);
		return -1;
	}

	/* bind the socket */
	if (bind(skt, &addr.sockaddr, addrlen) < 0)
	{
		DBG1(DBG_NET, "unable to bind socket: %s", strerror(errno));
		close(skt);
		return -1;
	}

	/* retrieve randomly allocated port if needed */
	if (*port == 0)
	{
		if (getsockname(skt, &addr.sockaddr, &addrlen) < 0)
		{
			DBG1(DBG_NET, "unable to determine port: %s", strerror(errno));
			close(skt);
			return -1;
		}
		switch (family)
		{
			case AF_INET:
				*port = ntohs(addr.sin.sin_port);
				break;
			case AF_INET6:
				*port = ntohs(addr.sin6.sin6_port);
				break;
		}
	}

	/* get additional packet info on receive */
	if (pktinfo > 0)
	{
		if (setsockopt(skt, sol, pktinfo, &on, sizeof(on)) < 0)
		{
			DBG1(DBG_NET, "unable to set IP_PKTINFO on socket: %s", strerror(errno));
			close(skt);
			return -1;
		}
	}

	/* kernel-uipsec's bypass_socket() marks it with uipsecd's fwmark */
	if (!charon->kernel->bypass_socket(charon->kernel, skt, family))
	{
		DBG1(DBG_NET, "installing IKE bypass policy failed");
	}
	/* no enable_udp_decap(): the NAT-T port is uipsecd's */
	return skt;
}

/**
 * Check if we should use the given family
 */
static bool use_family(int family)
{
	switch (family)
	{
		case AF_INET:
			return lib->settings->get_bool(lib->settings,
						KU_SETTINGS ".use_ipv4", TRUE, lib->ns);
		case AF_INET6:
			return lib->settings->get_bool(lib->settings,
						KU_SETTINGS ".use_ipv6", TRUE, lib->ns);
		default:
			return FALSE;
	}
}

/**
 * Open the socket for a given address family
 */
static int open_family(private_kernel_uipsec_socket_t *this, int family,
					   char *label)
{
	int skt;

	if (!use_family(family))
	{
		return -1;
	}
	skt = open_socket(this, family, &this->port);
	if (skt == -1)
	{
		DBG1(DBG_NET, "could not open %s socket, %s disabled", label, label);
	}
	return skt;
}

METHOD(socket_t, destroy, void,
	private_kernel_uipsec_socket_t *this)
{
	if (this->ipv4 != -1)
	{
		close(this->ipv4);
	}
	if (this->ipv6 != -1)
	{
		close(this->ipv6);
	}
	if (this->relay != -1)
	{
		close(this->relay);
	}
	if (this->wake[0] != -1)
	{
		close(this->wake[0]);
	}
	if (this->wake[1] != -1)
	{
		close(this->wake[1]);
	}
	DESTROY_IF(this->mutex);
	free(this->relay_path);
	free(this);
}

/**
 * The relay socket's path from the settings (unix:// accepted), NULL
 * for none; FALSE if it is unusable
 */
static bool relay_path_setting(private_kernel_uipsec_socket_t *this)
{
	struct sockaddr_un addr;
	char *path;

	path = lib->settings->get_str(lib->settings, KU_SETTINGS ".ike_socket",
								  KU_IKE_SOCKET_DEFAULT, lib->ns);
	if (path && strpfx(path, "unix://"))
	{
		path += strlen("unix://");
	}
	if (!path || !*path || streq(path, "none"))
	{
		DBG1(DBG_NET, "no IKE relay socket (ike_socket): IKE on port %u is "
			 "not possible", this->natt);
		return TRUE;
	}
	if (strlen(path) >= sizeof(addr.sun_path))
	{
		DBG1(DBG_NET, "IKE relay socket path %s is too long", path);
		return FALSE;
	}
	this->relay_path = strdup(path);
	return TRUE;
}

/*
 * See header for description
 */
socket_t *kernel_uipsec_socket_create(void)
{
	private_kernel_uipsec_socket_t *this;
	int i, flags;

	INIT(this,
		.public = {
			.send = _sender,
			.receive = _receiver,
			.get_port = _get_port,
			.supported_families = _supported_families,
			.destroy = _destroy,
		},
		.port = lib->settings->get_int(lib->settings,
							"%s.port", CHARON_UDP_PORT, lib->ns),
		.natt = lib->settings->get_int(lib->settings,
							"%s.port_nat_t", CHARON_NATT_PORT, lib->ns),
		.max_packet = lib->settings->get_int(lib->settings,
							"%s.max_packet", PACKET_MAX_DEFAULT, lib->ns),
		.set_source = lib->settings->get_bool(lib->settings,
							KU_SETTINGS ".set_source", TRUE, lib->ns),
		.set_sourceif = lib->settings->get_bool(lib->settings,
							KU_SETTINGS ".set_sourceif", FALSE, lib->ns),
		.ipv4 = -1,
		.ipv6 = -1,
		.relay = -1,
		.wake = { -1, -1 },
		.relay_backoff = RELAY_BACKOFF_MIN_MS,
	);

	if (this->max_packet <= 0 || this->max_packet > RELAY_MAX_PAYLOAD)
	{
		this->max_packet = this->max_packet <= 0 ? PACKET_MAX_DEFAULT
												 : RELAY_MAX_PAYLOAD;
	}
	if (this->natt == 0)
	{
		DBG1(DBG_NET, "kernel-uipsec: charon.port_nat_t must be uipsecd's ESP "
			 "port (socket.port), not random");
		destroy(this);
		return NULL;
	}
	if (this->port && this->port == this->natt)
	{
		DBG1(DBG_NET, "kernel-uipsec: charon.port and charon.port_nat_t can't "
			 "be equal (port_nat_t is uipsecd's ESP port)");
		destroy(this);
		return NULL;
	}
	if (!relay_path_setting(this))
	{
		destroy(this);
		return NULL;
	}

	if (this->port && this->port < 1024)
	{
		if (!lib->caps->check(lib->caps, CAP_NET_BIND_SERVICE))
		{
			/* required to bind ports < 1024 */
			DBG1(DBG_NET, "kernel-uipsec socket requires CAP_NET_BIND_SERVICE "
				 "capability");
			destroy(this);
			return NULL;
		}
	}

	/* we allocate IPv6 sockets first as that will reserve randomly allocated
	 * ports also for IPv4. On OS X, we have to do it the other way round
	 * for the same effect. */
#ifdef __APPLE__
	this->ipv4 = open_family(this, AF_INET, "IPv4");
	this->ipv6 = open_family(this, AF_INET6, "IPv6");
#else /* !__APPLE__ */
	this->ipv6 = open_family(this, AF_INET6, "IPv6");
	this->ipv4 = open_family(this, AF_INET, "IPv4");
#endif /* __APPLE__ */

	if (this->ipv4 == -1 && this->ipv6 == -1)
	{
		DBG1(DBG_NET, "could not create any sockets");
		destroy(this);
		return NULL;
	}

	if (pipe(this->wake) == -1)
	{
		DBG1(DBG_NET, "unable to create a pipe: %s", strerror(errno));
		this->wake[0] = this->wake[1] = -1;
		destroy(this);
		return NULL;
	}
	for (i = 0; i < 2; i++)
	{
		flags = fcntl(this->wake[i], F_GETFL);
		if (flags == -1 ||
			fcntl(this->wake[i], F_SETFL, flags | O_NONBLOCK) == -1 ||
			fcntl(this->wake[i], F_SETFD, FD_CLOEXEC) == -1)
		{
			DBG1(DBG_NET, "unable to configure a pipe: %s", strerror(errno));
			destroy(this);
			return NULL;
		}
	}
	this->mutex = mutex_create(MUTEX_TYPE_DEFAULT);

	/* uipsecd not (yet) there is no error: receive() retries */
	this->mutex->lock(this->mutex);
	relay_connect(this, TRUE);
	this->mutex->unlock(this->mutex);

	DBG2(DBG_NET, "kernel-uipsec socket: port %u own, NAT-T port %u via %s",
		 this->port, this->natt, this->relay_path ?: "(no relay)");
	return &this->public;
}
