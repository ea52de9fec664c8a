/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: its only feature needs one nobody provides. */
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("dep-unmet", 0, NULL),
		UIPSEC_DEPENDS_CUSTOM("no-such-feature"),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(dep_unmet, "dep-unmet", "1.0", "unmet hard dependency",
                     features, NULL, NULL, NULL);
