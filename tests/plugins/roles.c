/* Test plugins test-net and test-pktio (one source, ROLE_* set by the
 * build): declare the network backend / packet I/O role so that the loader
 * and uipsecd --check-config can be tested without a kernel. Their ops are
 * their name: for loader tests only, not a usable backend. test-net also
 * has an option, to test option declaration and plugin option lookup. */
#include <uipsec/log.h>
#include <uipsec/plugin.h>

static const char ops_name[] = ROLE_NAME;

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE(ROLE_TYPE, 0, UIPSEC_PRIO_DEFAULT, ops_name),
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
