/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Seam: sockets that are close-on-exec (and non-blocking when asked) from
 * their first moment (internal API: the control socket, the IKE relay
 * socket, uipsecctl's connection, the MTU probes).
 *
 * Linux, FreeBSD (sockfd_atomic.c): SOCK_CLOEXEC / SOCK_NONBLOCK in the
 * type and accept4(2), set atomically.
 * macOS (sockfd_fcntl.c): it has neither; socket()/accept() then fcntl().
 * A fork+exec in another thread between the two could inherit the socket;
 * uipsecd and uipsecctl never exec. configure picks by accept4(). */
#ifndef UIPSEC_CORE_OS_SOCKFD_H
#define UIPSEC_CORE_OS_SOCKFD_H

#include <stdbool.h>

/* socket(domain, type, protocol), close-on-exec, non-blocking if asked:
 * the fd or -1 with errno set. */
int os_socket(int domain, int type, int protocol, bool nonblock);

/* accept(fd) with the connection close-on-exec and non-blocking; retries
 * EINTR. The fd or -1 with errno set (EAGAIN: none waits). */
int os_accept(int fd);

#endif
