/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: exports a descriptor under the wrong symbol name. */
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("no-symbol", 0, NULL),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(something_else, "no-symbol", "1.0", "wrong descriptor symbol",
                     features, NULL, NULL, NULL);
