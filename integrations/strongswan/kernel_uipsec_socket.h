/*
 * Copyright (C) 2006-2013 Tobias Brunner
 * Copyright (C) 2006 Daniel Roethlisberger
 * Copyright (C) 2005-2010 Martin Willi
 * Copyright (C) 2005 Jan Hutter
 *
 * Copyright (C) secunet Security Networks AG
 *
 * kernel-uipsec changes: the uipsec authors.
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

/**
 * @defgroup kernel_uipsec_socket kernel_uipsec_socket
 * @{ @ingroup kernel_uipsec
 *
 * charon's socket_t for uipsecd: socket-default's own UDP sockets on
 * charon.port (500) for IPv4 and IPv6, and, for charon.port_nat_t (4500,
 * which uipsecd owns for ESP-in-UDP), uipsecd's IKE relay socket
 * (charon.plugins.kernel-uipsec.ike_socket, SOCK_SEQPACKET; the frame
 * format is in docs/control-protocol.md, "IKE relay socket").
 *
 * Datagrams are passed as on the wire, non-ESP marker included, exactly
 * as socket-default does: charon's receiver and sender add and strip it.
 */

#ifndef KERNEL_UIPSEC_SOCKET_H_
#define KERNEL_UIPSEC_SOCKET_H_

#include <network/socket.h>

/**
 * Create the socket: bind charon.port for IPv4/IPv6 and connect to
 * uipsecd's IKE relay (reconnected in the background while uipsecd is not
 * there).
 *
 * @return			socket_t, NULL if no UDP socket could be opened
 */
socket_t *kernel_uipsec_socket_create(void);

#endif /** KERNEL_UIPSEC_SOCKET_H_ @}*/
