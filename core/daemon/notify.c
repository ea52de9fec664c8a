/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd service notifications (Type=notify; docs/uipsecd.md): READY=1
 * once the data path runs, RELOADING=1 .. READY=1 around a reload (with
 * MONOTONIC_USEC, as systemd 253's Type=notify-reload wants; older ones
 * ignore it), STOPPING=1, and WATCHDOG=1 from the main loop at half of
 * WatchdogSec= -- a main loop that hangs stops pinging. Without libsystemd,
 * or without $NOTIFY_SOCKET, these do nothing. */
#include "config.h"
#include <inttypes.h>
#include <unistd.h>
#include <glib.h>
#include <uipsec/log.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif
#include "daemon/daemon.h"

#define LOG_SUBSYS "daemon"

#ifdef HAVE_LIBSYSTEMD
static gboolean on_watchdog(gpointer user)
{
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

void daemon_notify_ready(daemon_t *d)
{
	sd_notifyf(0, "READY=1\nSTATUS=running\nMAINPID=%ld", (long)getpid());
	uint64_t usec = 0;
	if (!d->watchdog && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		guint ms = (guint)MAX(usec / 2000, 1);
		d->watchdog = g_timeout_add(ms, on_watchdog, d);
		udebug(LOG_SUBSYS, "systemd watchdog: a ping every %u ms", ms);
	}
}

void daemon_notify_reloading(daemon_t *d)
{
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%" PRId64, g_get_monotonic_time());
}

void daemon_notify_stopping(daemon_t *d)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
#else
void daemon_notify_ready(daemon_t *d) {}
void daemon_notify_reloading(daemon_t *d) {}
void daemon_notify_stopping(daemon_t *d) {}
#endif

void daemon_watchdog_stop(daemon_t *d)
{
	if (d->watchdog)
		g_source_remove(d->watchdog);
	d->watchdog = 0;
}
