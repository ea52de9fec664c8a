/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the uipsec authors
 *
 * The kernel-uipsec plugin: provides charon's "kernel-ipsec" (SAs and
 * policies in uipsecd) and "socket" (UDP 500 of its own, the NAT-T port
 * through uipsecd's IKE relay) features.
 */

#include "kernel_uipsec_plugin.h"
#include "kernel_uipsec_ipsec.h"
#include "kernel_uipsec_socket.h"

#include <daemon.h>
#include <network/socket.h>
#include <utils/debug.h>

typedef struct private_kernel_uipsec_plugin_t private_kernel_uipsec_plugin_t;

struct private_kernel_uipsec_plugin_t {

	/**
	 * implements plugin interface
	 */
	kernel_uipsec_plugin_t public;
};

METHOD(plugin_t, get_name, char*,
	private_kernel_uipsec_plugin_t *this)
{
	return "kernel-uipsec";
}

METHOD(plugin_t, get_features, int,
	private_kernel_uipsec_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK(kernel_ipsec_register, kernel_uipsec_ipsec_create),
			PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec"),
		PLUGIN_CALLBACK(socket_register, kernel_uipsec_socket_create),
			PLUGIN_PROVIDE(CUSTOM, "socket"),
				PLUGIN_DEPENDS(CUSTOM, "kernel-ipsec"),
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, destroy, void,
	private_kernel_uipsec_plugin_t *this)
{
	free(this);
}

/*
 * See header
 */
plugin_t *kernel_uipsec_plugin_create()
{
	private_kernel_uipsec_plugin_t *this;

	INIT(this,
		.public = {
			.plugin = {
				.get_name = _get_name,
				.get_features = _get_features,
				.destroy = _destroy,
			},
		},
	);
	/* no version check in charon's loader: the struct layouts this plugin
	 * was compiled against must be the running charon's */
	DBG1(DBG_KNL, "kernel-uipsec plugin built for strongSwan %s (uipsecd "
		 "control socket %s)", VERSION,
		 lib->settings->get_str(lib->settings,
								"%s.plugins.kernel-uipsec.socket",
								"/run/uipsec/uipsecd.sock", lib->ns));
	return &this->public.plugin;
}
