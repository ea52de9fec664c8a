/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugins prio-low and prio-high (one source, PRIO_NAME/PRIO_IDENT/
 * PRIO_VALUE set by the build): both provide the network backend role and
 * CUSTOM:prio with different priorities. Their ops are their name, so a
 * test sees which one won. For loader tests only: not a usable backend. */
#include <uipsec/plugin.h>

static const char ops_name[] = PRIO_NAME;

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE(UIPSEC_FT_NET, 0, PRIO_VALUE, ops_name),
	UIPSEC_PROVIDE_CUSTOM("prio", PRIO_VALUE, ops_name),
	UIPSEC_FEATURE_END
};

#define DEFINE(ident) UIPSEC_PLUGIN_DEFINE(ident, PRIO_NAME, "1.0", "priority test", \
                                           features, NULL, NULL, NULL)
DEFINE(PRIO_IDENT);
