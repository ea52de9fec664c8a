/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: loop-a needs loop-b, which needs loop-a. */
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("loop-a", 0, NULL),
		UIPSEC_DEPENDS_CUSTOM("loop-b"),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(loop_a, "loop-a", "1.0", "dependency loop, part 1", features, NULL, NULL, NULL);
