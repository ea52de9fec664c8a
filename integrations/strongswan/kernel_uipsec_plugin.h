/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the uipsec authors
 */

/**
 * @defgroup kernel_uipsec kernel_uipsec
 * @ingroup cplugins
 *
 * @defgroup kernel_uipsec_plugin kernel_uipsec_plugin
 * @{ @ingroup kernel_uipsec
 *
 * charon plugin "kernel-uipsec": IPsec SAs and policies in uipsecd (a
 * userland ESP data plane) instead of the kernel's XFRM, and IKE on the
 * NAT-T port through uipsecd's IKE relay socket.
 */

#ifndef KERNEL_UIPSEC_PLUGIN_H_
#define KERNEL_UIPSEC_PLUGIN_H_

#include <library.h>
#include <plugins/plugin.h>

typedef struct kernel_uipsec_plugin_t kernel_uipsec_plugin_t;

/**
 * kernel-uipsec plugin
 */
struct kernel_uipsec_plugin_t {

	/**
	 * implements plugin interface
	 */
	plugin_t plugin;
};

/**
 * Create the plugin (found by charon's loader by this name).
 */
plugin_t *kernel_uipsec_plugin_create(void);

#endif /** KERNEL_UIPSEC_PLUGIN_H_ @}*/
