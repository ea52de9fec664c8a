/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecd: the daemon's state and its start-up steps (internal).
 *
 * main() runs: command line -> config -> logging -> [check/list modes] ->
 * pidfile -> the steps of daemon_steps[] in order (plugins, then what
 * later parts add: data path, control socket) -> main loop -> the steps'
 * stop functions in reverse. A new part adds one entry to daemon_steps[]. */
#ifndef UIPSEC_DAEMON_H
#define UIPSEC_DAEMON_H

#include <stdio.h>
#include <sys/types.h>
#include <glib.h>
typedef struct _JsonNode JsonNode;   /* json-glib; only passed through here */
#include <uipsec/settings.h>

typedef struct daemon_opts {
	char *config;            /* --config */
	gboolean foreground;     /* --foreground */
	char *pidfile;           /* --pidfile */
	char *debug;             /* --debug LEVEL */
	gboolean check_config;   /* --check-config */
	gboolean list_plugins;   /* --list-plugins */
	gboolean help_options;   /* --help-options */
	gboolean version;        /* --version */
} daemon_opts_t;

/* uipsecd.user, resolved at start-up (privdrop.c) */
typedef struct daemon_user {
	char *name;
	bool drop;                     /* false: root (or uid 0), nothing to drop */
	uid_t uid;
	gid_t gid;                     /* the user's primary group */
} daemon_user_t;

typedef struct daemon {
	daemon_opts_t opts;
	uipsec_settings_t *settings;   /* current configuration */
	GMainLoop *loop;
	int pidfile_fd;                /* -1 when we hold no pidfile */
	char *pidfile;
	unsigned started;              /* steps started so far */
	int ready_fd;                  /* background start: tells the waiting parent how it went, -1 = none */
	daemon_user_t user;            /* uipsecd.user */
	guint watchdog;                /* systemd watchdog timer source, 0 = none */
	bool failed;                   /* stopping for a fault (its TUN device deleted): exit status 1 */
} daemon_t;

/* One start-up step; stop() undoes start() (may be NULL). reload() (may
 * be NULL) is called for started steps after a reload replaced
 * d->settings; old is the previous configuration (still valid). check()
 * (may be NULL) validates the step's configuration for --check-config
 * without starting anything; plugins are loaded when it runs. */
typedef struct daemon_step {
	const char *name;
	bool (*start)(daemon_t *d, GError **err);
	void (*stop)(daemon_t *d);
	void (*reload)(daemon_t *d, const uipsec_settings_t *old);
	bool (*check)(daemon_t *d, GError **err);
} daemon_step_t;

/* Re-read the configuration (SIGHUP, the control socket's "reload"): log
 * what changed, apply log levels, hand plugins and steps the new settings.
 * A file that does not parse or has bad values is refused (err says why)
 * and the running configuration stays. */
/* Returns the control socket's report of what changed, NULL when refused. */
JsonNode *daemon_reload(daemon_t *d, GError **err);

/* Plugins, their features and who serves what, for --list-plugins (and
 * --check-config's summary). */
void daemon_print_plugins(FILE *out, bool verbose);

/* uipsecd.user: look it up (false with err when it does not exist) and
 * make key-file checks expect it as their reader (privdrop.c). */
bool daemon_user_resolve(daemon_t *d, GError **err);
void daemon_user_clear(daemon_t *d);
/* Start-up step "privileges" (the first): PR_SET_NO_NEW_PRIVS, the
 * capability bounding set cut to CAP_NET_ADMIN, the state directory made
 * the daemon user's. Nothing when uipsecd.user is root. */
bool daemon_privileges_prepare(daemon_t *d, GError **err);
/* Start-up step "privilege drop" (the last): switch to the daemon user with
 * CAP_NET_ADMIN only. Everything that needs more is open before it. */
bool daemon_privileges_drop(daemon_t *d, GError **err);

/* systemd's service notifications (notify.c; nothing without libsystemd
 * or outside systemd): ready once the data path runs, reloading around a
 * reload, stopping; the watchdog pinged from the main loop. */
void daemon_notify_ready(daemon_t *d);
void daemon_notify_reloading(daemon_t *d);
void daemon_notify_stopping(daemon_t *d);
void daemon_watchdog_stop(daemon_t *d);

/* PID file: false (with a message) when another live instance holds it. */
bool daemon_pidfile_acquire(daemon_t *d, GError **err);
void daemon_pidfile_release(daemon_t *d);

#endif
