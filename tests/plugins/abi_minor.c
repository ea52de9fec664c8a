/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: built for a newer ABI minor than the core (must be refused). */
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("abi-minor", 0, NULL),
	UIPSEC_FEATURE_END
};

UIPSEC_EXPORT extern const uipsec_plugin_desc_t uipsec_plugin_abi_minor;
UIPSEC_EXPORT const uipsec_plugin_desc_t uipsec_plugin_abi_minor = {
	.abi_major = UIPSEC_ABI_MAJOR, .abi_minor = UIPSEC_ABI_MINOR + 1,
	.struct_size = sizeof(uipsec_plugin_desc_t), .name = "abi-minor", .features = features,
};
