/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: loop-b needs loop-a, which needs loop-b. */
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("loop-b", 0, NULL),
		UIPSEC_DEPENDS_CUSTOM("loop-a"),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(loop_b, "loop-b", "1.0", "dependency loop, part 2", features, NULL, NULL, NULL);
