/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapping event for SAs of clients: raised once per change of the
 * peer's endpoint and at most once per MAPPING_INTERVAL_MS per SA. Each
 * worker reports a new endpoint once (it caches what it checked), so the
 * same change arrives here up to once per worker, within moments: inside
 * the interval the endpoint reported last filters those repeats. */
#include "config.h"
#include <glib.h>
#include "datapath/mapping.h"
#include "esp/events.h"
#include "esp/sad.h"
#include "datapath/udp_socket.h"

/* Entries of SAs long gone are dropped once the table is this big. */
#define MAPPING_PRUNE_AT 1024

typedef struct seen {
	uint32_t spi;
	ip_endpoint_t reported, reported_old;   /* new and old endpoint the last event named */
	int64_t at;               /* g_get_monotonic_time() of that event */
	bool has_pending;
	event_t pending;          /* a change inside the interval, raised at its end */
	guint timer;
} seen_t;

static GHashTable *seen_by_spi;   /* spi -> seen_t */

static void seen_free(gpointer p)
{
	seen_t *s = p;
	if (s->timer)
		g_source_remove(s->timer);
	g_free(s);
}

static void raise_event(seen_t *s, const event_t *ev)
{
	s->reported = ev->dst;
	s->reported_old = ev->src;
	s->at = g_get_monotonic_time();
	s->has_pending = false;
	events_emit(ev);
}

static gboolean stale(gpointer key, gpointer value, gpointer user)
{
	(void)key;
	const seen_t *s = value;
	return !s->timer && *(const int64_t *)user - s->at > 60 * G_USEC_PER_SEC;
}

static gboolean on_interval_end(gpointer user)
{
	seen_t *s = user;
	s->timer = 0;
	if (s->has_pending)
		raise_event(s, &s->pending);
	return G_SOURCE_REMOVE;
}

/* The event for this packet, from the SAs as they are now; false when
 * there is nothing to report (SA gone, the outbound SA sends there). */
static bool make_event(uint32_t reqid, uint32_t spi, const ip_endpoint_t *from, event_t *ev)
{
	bool ok = false;
	db_read_lock();
	sa_t *in = sad_lookup_spi(spi, NULL);
	sa_t *out = in && in->reqid == reqid ? sad_out_by_reqid(reqid) : NULL;
	if (in && in->reqid == reqid) {
		memset(ev, 0, sizeof(*ev));
		ev->type = EVENT_MAPPING;
		ev->spi = spi;
		ev->dir = SA_DIR_IN;
		ev->reqid = reqid;
		ev->src = out ? out->dst : in->src;   /* where we believe the peer is */
		ev->dst = *from;
		ev->time = g_get_real_time();
		g_strlcpy(ev->tunnel, in->tunnel, sizeof(ev->tunnel));
		ev->owner = in->owner;
		ok = !udp_endpoint_equal(&ev->src, from);
	}
	db_read_unlock();
	return ok;
}

void mapping_report(uint32_t reqid, uint32_t spi, const ip_endpoint_t *from)
{
	event_t ev;
	if (!make_event(reqid, spi, from, &ev))
		return;
	if (!seen_by_spi)
		seen_by_spi = g_hash_table_new_full(NULL, NULL, NULL, seen_free);
	seen_t *s = g_hash_table_lookup(seen_by_spi, GUINT_TO_POINTER(spi));
	if (!s) {
		if (g_hash_table_size(seen_by_spi) >= MAPPING_PRUNE_AT) {
			int64_t now = g_get_monotonic_time();
			g_hash_table_foreach_remove(seen_by_spi, stale, &now);
		}
		s = g_new0(seen_t, 1);
		s->spi = spi;
		g_hash_table_insert(seen_by_spi, GUINT_TO_POINTER(spi), s);
		raise_event(s, &ev);
		return;
	}
	/* the change reported last (another worker's report, or a worker
	 * that checked again): once per change, however long ago */
	bool same = udp_endpoint_equal(&s->reported, from) && udp_endpoint_equal(&s->reported_old, &ev.src);
	if (same && !s->timer)
		return;
	int64_t wait_us = s->at + MAPPING_INTERVAL_MS * 1000 - g_get_monotonic_time();
	if (wait_us <= 0 && !s->timer) {
		raise_event(s, &ev);
		return;
	}
	/* inside the interval a new change waits for its end; one back to
	 * what was reported cancels it */
	s->has_pending = !same;
	s->pending = ev;
	if (!s->timer && s->has_pending)
		s->timer = g_timeout_add((guint)MAX(wait_us / 1000, 1), on_interval_end, s);
}

void mapping_reset(void)
{
	if (seen_by_spi)
		g_hash_table_destroy(seen_by_spi);
	seen_by_spi = NULL;
}
