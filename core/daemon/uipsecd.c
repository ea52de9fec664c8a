/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecd: the userland IPsec daemon.
 *
 * Steps: command line -> config -> logging -> (--check-config,
 * --list-plugins, --help-options stop here) -> daemonize -> pidfile ->
 * uipsecd.user looked up -> daemon_steps[] (privileges, plugins, data
 * path, events and SA lifetimes, control socket, privilege drop)
 * -> READY=1 to systemd -> main loop (SIGTERM/SIGINT stop, SIGHUP reloads)
 * -> steps stopped in reverse -> pidfile removed. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>
#include <uipsec/log.h>
#include "crypto/crypto_core.h"
#include "daemon/daemon.h"
#include "config/logging.h"
#include "plugin/module.h"
#include "plugin/plugin_loader.h"
#include "config/settings_parser.h"
#include "esp/sad.h"
#include "esp/spd.h"
#include "datapath/dataplane.h"   /* datapath */
#include "datapath/datapath.h"   /* datapath */
#include "datapath/tunnel.h"   /* datapath */
#include "control/control_service.h"   /* control */

#define LOG_SUBSYS "daemon"
#define DEFAULT_CONFIG UIPSEC_SYSCONFDIR "/uipsec.conf"

/* ---------------------------------------------------------------- steps */

static bool plugins_start(daemon_t *d, GError **err)
{
	if (!plugin_loader_load(d->settings, err))
		return false;
	return plugin_loader_require_roles(err);
}

static void plugins_stop(daemon_t *d)
{
	plugin_loader_unload();
}

/* SAD and SPD: emptied at stop, after the data path and before the plugins
 * are unloaded, so that every SA left (added over the control socket) is
 * destroyed with its keys wiped by the plugins that made its transforms.
 * The sa-down events this raises are not delivered (events stopped first). */
static bool databases_start_step(daemon_t *d, GError **err)
{
	sad_init();
	return true;
}
static void databases_stop_step(daemon_t *d)
{
	uint32_t left = sad_count();
	sad_flush();
	spd_flush();
	if (left)
		uinfo(LOG_SUBSYS, "stop: removed %u SAs left in the SAD (keys wiped)", left);
}

/* The TUN device was deleted from outside: its queues are gone with it.
 * Stop with a failure status, so that a service manager restarts uipsecd
 * (Restart=on-failure), which creates it anew; SAs added over the control
 * socket are the IKE daemon's to install again, as after any restart. */
static void on_tun_lost(const char *ifname, void *user)
{
	daemon_t *d = user;
	uerror(LOG_SUBSYS, "TUN device %s is gone: stopping with exit status 1 (a service manager restarts uipsecd, "
	       "which creates it again)", ifname);
	d->failed = true;
	daemon_notify_stopping(d);
	if (d->loop)
		g_main_loop_quit(d->loop);
}

/* datapath: TUN device, workers, ESP-in-UDP sockets, tunnels (dataplane.c) */
static bool datapath_start_step(daemon_t *d, GError **err)
{
	dataplane_t *svc = dataplane_start(d->settings, err);
	if (svc && dataplane_route_mgr(svc))
		route_mgr_watch_device(dataplane_route_mgr(svc), datapath_ifname(dataplane_datapath(svc)), on_tun_lost, d);
	return svc != NULL;
}
static void datapath_stop_step(daemon_t *d) { dataplane_stop(dataplane_current()); }
/* --check-config: the tunnels parse (keys, their files' modes, proposals) */
static bool datapath_check_step(daemon_t *d, GError **err)
{
	tunnels_t *t = tunnels_new(d->settings, err);
	bool ok = t != NULL;
	tunnels_free(t);
	return ok;
}
/* datapath end */

/* events and SA lifetimes: events raised anywhere are delivered from the
 * main loop, and the SAD checks lifetimes there once a second and removes
 * SAs at their hard lifetime -- with or without a control socket. It runs
 * after the data path so that the tunnels' hard-expiry handler (subscribed
 * there) still sees the SA's last sequence number before the SAD's own
 * handler removes it; nothing is dispatched before the main loop runs. */
static bool events_start_step(daemon_t *d, GError **err)
{
	dataplane_events_attach();
	return true;
}
static void events_stop_step(daemon_t *d) { dataplane_events_detach(); }

/* control: the control socket; its reload request runs daemon_reload() */
static JsonNode *control_reload(void *user, GError **err) { return daemon_reload(user, err); }
static bool control_start_step(daemon_t *d, GError **err)
{
	return control_service_start(d->settings, control_reload, d, err);
}
static void control_stop_step(daemon_t *d) { control_service_stop(); }
/* control end */

/* Started in this order, stopped in reverse. The privilege drop is the
 * last step: whatever needs more than CAP_NET_ADMIN (binding sockets, raw
 * sockets, SO_MARK, TUN devices, files of root) is done by the steps
 * before it; a new step that opens such things goes above it. */
static const daemon_step_t daemon_steps[] = {
	{ "privileges", daemon_privileges_prepare, NULL },
	{ "plugins", plugins_start, plugins_stop },
	{ "security databases", databases_start_step, databases_stop_step },
	{ "data path", datapath_start_step, datapath_stop_step, .check = datapath_check_step },   /* datapath */
	{ "events and SA lifetimes", events_start_step, events_stop_step },
	{ "control socket", control_start_step, control_stop_step }, /* control */
	{ "privilege drop", daemon_privileges_drop, NULL },
};

static bool steps_start(daemon_t *d, GError **err)
{
	for (d->started = 0; d->started < G_N_ELEMENTS(daemon_steps); d->started++) {
		const daemon_step_t *step = &daemon_steps[d->started];
		udebug(LOG_SUBSYS, "starting %s", step->name);
		if (!step->start(d, err)) {
			g_prefix_error(err, "%s: ", step->name);
			/* the failed step cleans up what it did, like a stop */
			if (step->stop)
				step->stop(d);
			return false;
		}
	}
	return true;
}

static void steps_stop(daemon_t *d)
{
	while (d->started > 0) {
		const daemon_step_t *step = &daemon_steps[--d->started];
		udebug(LOG_SUBSYS, "stopping %s", step->name);
		if (step->stop)
			step->stop(d);
	}
}

/* ---------------------------------------------------------------- config */

static uipsec_settings_t *read_config(daemon_t *d, GError **err)
{
	uipsec_settings_t *s = settings_new();
	if (!settings_load_file(s, d->opts.config, err)) {
		settings_free(s);
		return NULL;
	}
	if (d->opts.debug)
		settings_set(s, "uipsecd.log.default", d->opts.debug);
	return s;
}

/* Values of key options are never logged. */
static bool value_is_secret(const char *key)
{
	const uipsec_option_t *o = options_find(key);
	return (o && o->type == UIPSEC_OPT_HEX) || g_str_has_suffix(key, "key");
}

typedef struct diff {
	const uipsec_settings_t *other;
	const char *what;               /* "added"/"changed" or "removed" */
	unsigned count;
} diff_t;

static void diff_one(const char *key, const char *value, const char *origin, void *user)
{
	diff_t *df = user;
	const char *old = uipsec_settings_get_str(df->other, key, NULL);
	bool removed = strcmp(df->what, "removed") == 0;

	if (removed ? old != NULL : g_strcmp0(old, value) == 0)
		return;
	df->count++;
	if (removed)
		uinfo("cfg", "reload: %s removed", key);
	else if (value_is_secret(key))
		uinfo("cfg", "reload: %s %s (%s)", key, old ? "changed" : "added", origin);
	else if (old)
		uinfo("cfg", "reload: %s changed: %s -> %s (%s)", key, old, value, origin);
	else
		uinfo("cfg", "reload: %s added: %s (%s)", key, value, origin);
}

/* SIGHUP and the control socket's reload: NULL with err when the new
 * configuration is rejected; the running one is kept then. */
static JsonNode *reload(daemon_t *d, GError **err)
{
	uinfo(LOG_SUBSYS, "reloading %s", d->opts.config);
	uipsec_settings_t *s = read_config(d, err);
	if (!s)
		return NULL;
	diff_t changed = { d->settings, "changed", 0 }, removed = { s, "removed", 0 };
	settings_foreach(s, diff_one, &changed);
	settings_foreach(d->settings, diff_one, &removed);
	if (changed.count + removed.count == 0)
		uinfo("cfg", "reload: no change");
	options_check_unknown(s);
	GError *lerr = NULL;
	JsonNode *report = NULL;
	/* control: a bad value or tunnel keeps the running configuration */
	if (!options_check_values(s, err) || !(report = control_reload_apply(d->settings, s, err))) {
		settings_free(s);
		return NULL;
	}
	if (!log_configure(s, &lerr)) {
		uerror("cfg", "%s", lerr->message);
		g_clear_error(&lerr);
	}
	/* the replaced tree goes once every step saw it: nothing keeps a
	 * pointer into it (plugins' option strings are interned, plugin.h),
	 * so 100 reloads cost no memory */
	uipsec_settings_t *old = d->settings;
	d->settings = s;
	plugin_loader_set_settings(s);
	crypto_init(s);
	for (unsigned i = 0; i < d->started; i++)
		if (daemon_steps[i].reload)
			daemon_steps[i].reload(d, old);
	settings_free(old);
	return report;
}

/* systemd hears of every reload, refused or not */
JsonNode *daemon_reload(daemon_t *d, GError **err)
{
	daemon_notify_reloading(d);
	JsonNode *report = reload(d, err);
	daemon_notify_ready(d);
	return report;
}

static gboolean on_reload(gpointer user)
{
	daemon_t *d = user;
	GError *err = NULL;
	uinfo(LOG_SUBSYS, "SIGHUP received");
	JsonNode *report = daemon_reload(d, &err);
	if (!report) {
		uerror("cfg", "reload failed, keeping the running configuration: %s", err->message);
		g_error_free(err);
	} else {
		control_report_free(report);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_stop(gpointer user)
{
	daemon_t *d = user;
	uinfo(LOG_SUBSYS, "signal received, stopping");
	daemon_notify_stopping(d);
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- modes */

static void count_one_failed(const plugin_info_t *p, void *user)
{
	if (p->status == PLUGIN_FAILED)
		(*(unsigned *)user)++;
}

static unsigned count_failed(void)
{
	unsigned failed = 0;
	plugin_loader_foreach(count_one_failed, &failed);
	return failed;
}

/* --check-config: every problem is reported, then exit non-zero if any. */
static int check_config(daemon_t *d)
{
	GError *err = NULL;
	unsigned errors = 0;

	if (!options_check_values(d->settings, &err)) {
		fprintf(stderr, "%s\n", err->message);
		g_clear_error(&err);
		errors++;
	}
	/* a missing user is the system's state, not the file's: said, not counted */
	if (!daemon_user_resolve(d, &err)) {
		fprintf(stderr, "warning: %s\n", err->message);
		g_clear_error(&err);
	}
	if (!plugin_loader_load(d->settings, &err)) {
		fprintf(stderr, "%s\n", err->message);
		g_clear_error(&err);
		errors++;
	}
	/* plugins declare their options when loaded: check their keys too */
	unsigned unknown = options_check_unknown(d->settings);
	unsigned failed = count_failed();
	errors += failed;
	if (!plugin_loader_require_roles(&err)) {
		fprintf(stderr, "%s\n", err->message);
		g_clear_error(&err);
		errors++;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(daemon_steps); i++) {
		if (daemon_steps[i].check && !daemon_steps[i].check(d, &err)) {
			fprintf(stderr, "%s: %s\n", daemon_steps[i].name, err->message);
			g_clear_error(&err);
			errors++;
		}
	}

	printf("configuration %s\n", d->opts.config);
	daemon_print_plugins(stdout, false);
	char *summary = plugin_loader_summary();
	printf("%s\n", summary);
	g_free(summary);
	printf("%u unknown key(s), %u plugin(s) failed, %s\n", unknown, failed,
	       errors ? "ERRORS" : "configuration OK");
	plugin_loader_unload();
	return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* --list-plugins: what loads and who serves what; does not require a
 * network backend or packet I/O (it says when one is missing). */
static int list_plugins(daemon_t *d)
{
	GError *err = NULL;
	bool ok = plugin_loader_load(d->settings, &err);
	if (!ok) {
		fprintf(stderr, "%s\n", err->message);
		g_clear_error(&err);
	}
	daemon_print_plugins(stdout, true);
	if (!plugin_loader_require_roles(&err)) {
		printf("note: %s\n", err->message);
		g_clear_error(&err);
	}
	plugin_loader_unload();
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* --help-options: the core's options and those of the plugins that load. */
static int help_options(daemon_t *d)
{
	log_set_level(NULL, UIPSEC_LOG_ERROR);     /* quiet: only the list */
	plugin_loader_load(d->settings, NULL);
	options_print_help(stdout);
	plugin_loader_unload();
	return EXIT_SUCCESS;
}

/* ---------------------------------------------------------------- daemon */

/* Go to the background. The parent waits until the child reports that it
 * started (exit 0) or why it did not (message, exit 1), so that start-up
 * errors reach the shell that started uipsecd. Returns in the child only. */
static bool daemonize(daemon_t *d, GError **err)
{
	int fds[2];
	if (pipe(fds) < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "pipe: %s", g_strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "fork: %s", g_strerror(errno));
		return false;
	}
	if (pid > 0) {
		close(fds[1]);
		GString *report = g_string_new(NULL);
		char buf[256];
		ssize_t n;
		while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				g_string_append_len(report, buf, n);
		bool ok = strcmp(report->str, "ok") == 0;
		if (!ok)
			fprintf(stderr, "uipsecd: %s\n", report->len ? report->str : "failed to start");
		_exit(ok ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(fds[0]);
	d->ready_fd = fds[1];
	setsid();
	if (chdir("/") < 0)
		udebug(LOG_SUBSYS, "chdir /: %s", g_strerror(errno));
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	/* logs to stderr would be lost in the background */
	if (g_strcmp0(uipsec_settings_get_str(d->settings, "uipsecd.log.target", "stderr"), "stderr") == 0)
		log_set_target(LOG_TARGET_SYSLOG);
	return true;
}

static void report_start(daemon_t *d, const char *msg)
{
	if (d->ready_fd < 0)
		return;
	ssize_t n = write(d->ready_fd, msg, strlen(msg));
	(void)n;                       /* the parent is gone: nothing to tell */
	close(d->ready_fd);
	d->ready_fd = -1;
}

static int run(daemon_t *d)
{
	GError *err = NULL;
	int status = EXIT_FAILURE;

	if (!d->opts.foreground && !daemonize(d, &err))
		goto out;
	d->pidfile = g_strdup(d->opts.pidfile ? d->opts.pidfile
	                                      : uipsec_settings_get_str(d->settings, "uipsecd.pidfile",
	                                                                UIPSEC_RUNSTATEDIR "/uipsecd.pid"));
	if (!daemon_pidfile_acquire(d, &err))
		goto out;

	uinfo(LOG_SUBSYS, "uipsecd %s starting (config %s, pid %ld)", PACKAGE_VERSION,
	      d->opts.config, (long)getpid());
	if (!options_check_values(d->settings, &err) || !daemon_user_resolve(d, &err))
		goto out;
	bool started = steps_start(d, &err);
	/* after loading plugins: they declare their options then */
	options_check_unknown(d->settings);
	if (!started)
		goto out;

	d->loop = g_main_loop_new(NULL, FALSE);
	guint sources[] = {
		g_unix_signal_add(SIGTERM, on_stop, d),
		g_unix_signal_add(SIGINT, on_stop, d),
		g_unix_signal_add(SIGHUP, on_reload, d),
	};
	uinfo(LOG_SUBSYS, "uipsecd running");
	report_start(d, "ok");
	daemon_notify_ready(d);
	if (!d->failed)   /* a fault during start-up (on_tun_lost) */
		g_main_loop_run(d->loop);
	daemon_watchdog_stop(d);
	for (size_t i = 0; i < G_N_ELEMENTS(sources); i++)
		g_source_remove(sources[i]);
	g_main_loop_unref(d->loop);
	d->loop = NULL;
	status = d->failed ? EXIT_FAILURE : EXIT_SUCCESS;

out:
	if (err) {
		uerror(LOG_SUBSYS, "%s", err->message);
		if (d->opts.foreground)
			fprintf(stderr, "uipsecd: %s\n", err->message);
		report_start(d, err->message);
		g_error_free(err);
	}
	report_start(d, "stopped before it was running");
	daemon_notify_stopping(d);
	steps_stop(d);
	daemon_pidfile_release(d);
	if (status == EXIT_SUCCESS)
		uinfo(LOG_SUBSYS, "uipsecd stopped");
	return status;
}

/* ---------------------------------------------------------------- main */

static bool parse_cli(daemon_t *d, int *argc, char ***argv)
{
	daemon_opts_t *o = &d->opts;
	const GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config,
		  "configuration file (default " DEFAULT_CONFIG ")", "FILE" },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &o->foreground,
		  "stay in the foreground, log to stderr", NULL },
		{ "pidfile", 'p', 0, G_OPTION_ARG_FILENAME, &o->pidfile,
		  "PID file (overrides uipsecd.pidfile; none = no PID file)", "FILE" },
		{ "debug", 'd', 0, G_OPTION_ARG_STRING, &o->debug,
		  "log level for every subsystem: error, warn, info, debug, trace", "LEVEL" },
		{ "check-config", 0, 0, G_OPTION_ARG_NONE, &o->check_config,
		  "check the configuration, load the plugins, print a summary and exit", NULL },
		{ "list-plugins", 0, 0, G_OPTION_ARG_NONE, &o->list_plugins,
		  "list plugins, their features and which one serves each, and exit", NULL },
		{ "help-options", 0, 0, G_OPTION_ARG_NONE, &o->help_options,
		  "list every configuration option and exit", NULL },
		{ "version", 'v', 0, G_OPTION_ARG_NONE, &o->version, "print the version and exit", NULL },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("- userland IPsec (ESP) data plane");
	GError *err = NULL;
	g_option_context_add_main_entries(ctx, entries, NULL);
	bool ok = g_option_context_parse(ctx, argc, argv, &err);
	if (!ok) {
		fprintf(stderr, "uipsecd: %s (try --help)\n", err->message);
		g_error_free(err);
	} else if (*argc > 1) {
		fprintf(stderr, "uipsecd: unexpected argument '%s' (try --help)\n", (*argv)[1]);
		ok = false;
	}
	uipsec_log_level_t level;
	if (ok && o->debug && !log_level_parse(o->debug, &level)) {
		fprintf(stderr, "uipsecd: --debug %s: expected error, warn, info, debug or trace\n", o->debug);
		ok = false;
	}
	g_option_context_free(ctx);
	if (!o->config)
		o->config = g_strdup(DEFAULT_CONFIG);
	return ok;
}

int main(int argc, char **argv)
{
	daemon_t d = { .pidfile_fd = -1, .ready_fd = -1 };
	GError *err = NULL;
	int status;

	log_capture_glib();   /* GLib's and json-glib's own warnings: through our logger */
	if (!parse_cli(&d, &argc, &argv)) {
		status = 2;
		goto out;
	}
	if (d.opts.version) {
		printf("uipsecd %s (module loader %s, plugins built: %s, data path %s)\n", PACKAGE_VERSION,
		       module_loader_name(), UIPSEC_BUILT_PLUGINS, datapath_flavour());
		status = EXIT_SUCCESS;
		goto out;
	}
	options_declare_core();
	control_service_declare_options();   /* control */

	d.settings = read_config(&d, &err);
	if (!d.settings) {
		/* --help-options works without a config file */
		if (d.opts.help_options && g_error_matches(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_IO)) {
			g_clear_error(&err);
			d.settings = settings_new();
		} else {
			fprintf(stderr, "uipsecd: %s\n", err->message);
			g_error_free(err);
			status = EXIT_FAILURE;
			goto out;
		}
	}
	if (!log_configure(d.settings, &err)) {
		fprintf(stderr, "uipsecd: %s\n", err->message);
		g_error_free(err);
		status = EXIT_FAILURE;
		goto out;
	}

	crypto_init(d.settings);   /* self-test switch, per-keyword providers */
	if (d.opts.help_options)
		status = help_options(&d);
	else if (d.opts.check_config)
		status = check_config(&d);
	else if (d.opts.list_plugins)
		status = list_plugins(&d);
	else
		status = run(&d);

out:
	crypto_deinit();
	if (d.settings)
		settings_free(d.settings);
	g_free(d.pidfile);
	g_free(d.opts.config);
	g_free(d.opts.debug);
	g_free(d.opts.pidfile);
	daemon_user_clear(&d);
	return status;
}
