/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: descriptor size differs from the core's (must be refused). */
#include <uipsec/plugin.h>

UIPSEC_EXPORT extern const uipsec_plugin_desc_t uipsec_plugin_bad_size;
UIPSEC_EXPORT const uipsec_plugin_desc_t uipsec_plugin_bad_size = {
	.abi_major = UIPSEC_ABI_MAJOR, .abi_minor = UIPSEC_ABI_MINOR,
	.struct_size = sizeof(uipsec_plugin_desc_t) - 8, .name = "bad-size",
};
