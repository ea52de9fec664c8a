/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: an unmet soft dependency (fine) and a met hard one
 * (provided by the plugin itself, after the feature that needs it). */
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("dep-soft", 0, NULL),
		UIPSEC_SDEPEND_CUSTOM("no-such-feature"),
		UIPSEC_DEPENDS_CUSTOM("dep-soft-base"),
	UIPSEC_PROVIDE_CUSTOM("dep-soft-base", 0, NULL),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(dep_soft, "dep-soft", "1.0", "soft dependency", features, NULL, NULL, NULL);
