/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's control service: the control socket (control_server.h) wired to
 * the SAD, SPD, counters, events, tunnels, plugins and log levels, plus
 * the tunnel part of a configuration reload. Main-loop thread only. */
#ifndef UIPSEC_CORE_CONTROL_SERVICE_H
#define UIPSEC_CORE_CONTROL_SERVICE_H

#include <glib.h>
#include <uipsec/settings.h>

/* Opaque here, so that uipsecd needs no json-glib flags of its own. */
typedef struct _JsonNode JsonNode;
struct control_backend;

/* Re-reads the configuration and applies it (the daemon's reload);
 * returns the report object or NULL with err (config errors: the running
 * state is kept). */
typedef JsonNode *(*control_reload_fn)(void *user, GError **err);

/* Start serving uipsecd.control.socket; reload may be NULL. Events reach
 * the socket's subscribers once this runs; event dispatch and SA lifetime
 * checks themselves run without it (dataplane_events_attach()). */
UIPSEC_EXPORT bool control_service_start(const uipsec_settings_t *s, control_reload_fn reload,
                                         void *reload_user, GError **err);
UIPSEC_EXPORT void control_service_stop(void);
/* Declare uipsecd.control.* options beyond the core's (before the config is checked). */
UIPSEC_EXPORT void control_service_declare_options(void);
/* The backend the service uses (tests and the benchmark call it directly). */
UIPSEC_EXPORT const struct control_backend *control_service_backend(void);

/* The tunnel and plugin part of a reload from old to new settings:
 * tunnels added are installed (start = yes), removed ones taken down,
 * changed ones replaced (new SAs first when their SPIs differ), unchanged
 * ones untouched. A change of uipsecd.load is reported as needing a
 * restart. Returns the report ({"added":[..],"removed":[..],"changed":[..],
 * "unchanged":[..],"restart_required":[..]}) or NULL with err when the new
 * tunnels section does not parse (nothing changed then). */
UIPSEC_EXPORT void control_report_free(JsonNode *report);
UIPSEC_EXPORT JsonNode *control_reload_apply(const uipsec_settings_t *old_s, const uipsec_settings_t *new_s,
                                             GError **err);

#endif
