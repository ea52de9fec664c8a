/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: the descriptor names another plugin than the file. */
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("name-mismatch", 0, NULL),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(name_mismatch, "other-name", "1.0", "descriptor name differs",
                     features, NULL, NULL, NULL);
