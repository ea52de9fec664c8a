/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control socket server: a UNIX stream socket speaking JSON lines
 * (control_proto.h, docs/control-protocol.md), served from a GLib main
 * context, never from data-path threads. Only root, or members of
 * control.group, may talk to it (SO_PEERCRED). */
#ifndef UIPSEC_CORE_CONTROL_H
#define UIPSEC_CORE_CONTROL_H

#include <glib.h>
#include <uipsec/settings.h>
#include "control/control_proto.h"

#define CONTROL_DEFAULT_SOCKET "/run/uipsec/uipsecd.sock"
/* uipsecd.control.socket value for "no control socket" */
#define CONTROL_SOCKET_NONE "none"

typedef struct control_config {
	char *path;               /* socket path */
	unsigned mode;            /* file mode of the socket, default 0600 */
	char *group;              /* group allowed besides root, NULL = none */
	size_t max_request;       /* bytes per request line, default 64 KiB */
	unsigned max_clients;     /* concurrent connections, default 64 */
	unsigned idle_timeout;    /* seconds a non-subscribed client may stay silent, 0 = none; default 60 */
	size_t max_output;        /* unsent bytes before a subscriber is dropped, default 8 MiB */
} control_config_t;

/* Defaults, then uipsecd.control.{socket,mode,group,max_request,max_clients,idle_timeout}. */
UIPSEC_EXPORT void control_config_init(control_config_t *cfg, const uipsec_settings_t *s);
UIPSEC_EXPORT void control_config_clear(control_config_t *cfg);
/* Declares the uipsecd.control.* options (once). */
UIPSEC_EXPORT void control_declare_options(void);

typedef struct control control_t;

/* Create the socket (and its directory), start serving in ctx (NULL = the
 * thread-default context). be is copied. Refuses to take over a socket
 * another process still answers on. */
UIPSEC_EXPORT control_t *control_start(const control_config_t *cfg, const control_backend_t *be,
                         GMainContext *ctx, GError **err);
/* Close every client and remove the socket file. */
UIPSEC_EXPORT void control_stop(control_t *c);

/* Send an event to every client subscribed to it. Thread safe: from another
 * thread the event is queued and delivered from the server's context.
 * data (may be NULL) is copied. */
UIPSEC_EXPORT void control_post_event(control_t *c, const char *event, JsonNode *data);

UIPSEC_EXPORT unsigned control_client_count(const control_t *c);
UIPSEC_EXPORT const char *control_socket_path(const control_t *c);

#endif
