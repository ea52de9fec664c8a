/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: built for a future ABI major (must be refused). */
#include <uipsec/plugin.h>

UIPSEC_EXPORT extern const uipsec_plugin_desc_t uipsec_plugin_abi_major;
UIPSEC_EXPORT const uipsec_plugin_desc_t uipsec_plugin_abi_major = {
	.abi_major = UIPSEC_ABI_MAJOR + 1, .abi_minor = 0,
	.struct_size = sizeof(uipsec_plugin_desc_t), .name = "abi-major",
};
