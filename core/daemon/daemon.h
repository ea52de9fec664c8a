/* uipsecd: the daemon's state and its start-up steps (internal).
 *
 * main() runs: command line -> config -> logging -> [check/list modes] ->
 * pidfile -> the steps of daemon_steps[] in order (plugins, then what
 * later parts add: data path, control socket) -> main loop -> the steps'
 * stop functions in reverse. A new part adds one entry to daemon_steps[]. */
#ifndef UIPSEC_DAEMON_H
#define UIPSEC_DAEMON_H

#include <stdio.h>
#include <glib.h>
#include <uipsec/settings.h>

typedef struct daemon_opts {
	char *config;            /* --config */
	gboolean foreground;     /* --foreground */
	char *debug;             /* --debug LEVEL */
	gboolean check_config;   /* --check-config */
	gboolean list_plugins;   /* --list-plugins */
	gboolean help_options;   /* --help-options */
	gboolean version;        /* --version */
} daemon_opts_t;

typedef struct daemon {
	daemon_opts_t opts;
	uipsec_settings_t *settings;   /* current configuration */
	GPtrArray *old_settings;       /* replaced by reloads; plugins may still point into them */
	GMainLoop *loop;
	int pidfile_fd;                /* -1 when we hold no pidfile */
	char *pidfile;
	unsigned started;              /* steps started so far */
} daemon_t;

/* One start-up step; stop() undoes start() (may be NULL). */
typedef struct daemon_step {
	const char *name;
	bool (*start)(daemon_t *d, GError **err);
	void (*stop)(daemon_t *d);
} daemon_step_t;

/* Plugins, their features and who serves what, for --list-plugins (and
 * --check-config's summary). */
void daemon_print_plugins(FILE *out, bool verbose);

/* PID file: false (with a message) when another live instance holds it. */
bool daemon_pidfile_acquire(daemon_t *d, GError **err);
void daemon_pidfile_release(daemon_t *d);

#endif
