/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugins test-net and test-pktio (one source, ROLE_* set by the
 * build): declare the network backend / packet I/O role so that the loader
 * and uipsecd --check-config can be tested without a kernel. For loader
 * tests only: they are not backends, creating a device or a network
 * context fails with a message saying so. They also have an option, to
 * test option declaration and plugin option lookup. */
#include <stdio.h>
#include <uipsec/log.h>
#include <uipsec/net.h>
#include <uipsec/pktio.h>
#include <uipsec/plugin.h>

static int not_a_backend(uipsec_err_t *err)
{
	snprintf(err->msg, sizeof(err->msg), "%s is a loader test plugin, not a backend", ROLE_NAME);
	return UIPSEC_ERR_NOTSUP;
}

static int pktio_open(void *state, const uipsec_pktio_cfg_t *cfg, uipsec_pktio_dev_t **dev,
                      uipsec_err_t *err)
{
	return not_a_backend(err);
}

static int net_create(void *state, uipsec_net_t **net, uipsec_err_t *err)
{
	return not_a_backend(err);
}

static const uipsec_pktio_ops_t pktio_ops = { .open = pktio_open };
static const uipsec_net_ops_t net_ops = { .create = net_create };

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE(ROLE_TYPE, 0, UIPSEC_PRIO_DEFAULT,
	               ROLE_TYPE == UIPSEC_FT_NET ? (const void *)&net_ops : (const void *)&pktio_ops),
	UIPSEC_FEATURE_END
};

static const uipsec_option_t options[] = {
	{ "greeting", UIPSEC_OPT_STRING, "hello", "logged by init (loader tests)" },
	UIPSEC_OPTION_END
};

static int init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	uinfo(ROLE_NAME, "%s: greeting %s", uipsec_plugin_ctx_name(ctx),
	      uipsec_plugin_opt_str(ctx, "greeting", "hello"));
	return UIPSEC_OK;
}

#define DEFINE(ident) UIPSEC_PLUGIN_DEFINE(ident, ROLE_NAME, "1.0", "role test", \
                                           features, options, init, NULL)
DEFINE(ROLE_IDENT);
