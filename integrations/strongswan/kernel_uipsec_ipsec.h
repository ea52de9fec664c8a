/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the uipsec authors
 */

/**
 * @defgroup kernel_uipsec_ipsec kernel_uipsec_ipsec
 * @{ @ingroup kernel_uipsec
 *
 * kernel_ipsec_t on top of uipsecd's control protocol (version 2): SAs and
 * policies are installed in uipsecd, charon's kernel events come from
 * uipsecd's event stream.
 */

#ifndef KERNEL_UIPSEC_IPSEC_H_
#define KERNEL_UIPSEC_IPSEC_H_

#include <library.h>
#include <kernel/kernel_ipsec.h>

typedef struct kernel_uipsec_ipsec_t kernel_uipsec_ipsec_t;

/**
 * Implementation of the kernel ipsec interface using uipsecd.
 */
struct kernel_uipsec_ipsec_t {

	/**
	 * Implements kernel_ipsec_t interface
	 */
	kernel_ipsec_t interface;
};

/**
 * Create a kernel_uipsec_ipsec instance. Never fails because uipsecd is
 * absent: it is reached later (with a backoff).
 *
 * @return			kernel_uipsec_ipsec_t instance
 */
kernel_uipsec_ipsec_t *kernel_uipsec_ipsec_create(void);

#endif /** KERNEL_UIPSEC_IPSEC_H_ @}*/
