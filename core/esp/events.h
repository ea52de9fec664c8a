/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SA/policy events (internal API).
 *
 * Any thread (the data path included) raises an event with events_emit():
 * it is copied into a bounded queue under a short lock and never calls a
 * subscriber itself. Subscribers run later, from the GLib main context
 * given to events_attach() (or from events_dispatch() in tests), in the
 * order the events were raised. */
#ifndef UIPSEC_CORE_EVENTS_H
#define UIPSEC_CORE_EVENTS_H

#include <glib.h>
#include <stdint.h>
#include "util/ip.h"

typedef enum event_type {
	EVENT_SA_ADDED = 1,
	EVENT_SA_DELETED,
	EVENT_EXPIRE_SOFT,
	EVENT_EXPIRE_HARD,
	EVENT_ACQUIRE,       /* traffic hit a trap policy without SA (rate limited per policy) */
	EVENT_ERROR,
	EVENT_SA_UPDATED,    /* replaced in place by sad_replace(): the SA never went away */
	EVENT_MAPPING,       /* an authenticated packet of a client's inbound SA came from a new
	                      * peer address/port (src: the peer as the SA knows it, dst: the new one) */
} event_type_t;

/* Why an SA expired. */
typedef enum event_reason {
	EVENT_REASON_NONE = 0,
	EVENT_REASON_TIME,
	EVENT_REASON_BYTES,
	EVENT_REASON_PACKETS,
	EVENT_REASON_SEQ,      /* sequence number space (nearly) exhausted */
	EVENT_REASON_DELETED,  /* removed by request */
} event_reason_t;

typedef struct event {
	event_type_t type;
	event_reason_t reason;
	uint32_t spi;          /* SA events */
	uint8_t dir;           /* SA_DIR_IN / SA_DIR_OUT (sa.h) */
	uint32_t reqid;        /* SA or policy reqid */
	uint16_t owner;        /* SA events: the SA's owner (sa.h) */
	ip_endpoint_t src, dst; /* SA events: the SA's outer endpoints */
	uint8_t encap;         /* SA events: the SA's sa_encap_t */
	uint32_t policy_id;    /* acquire */
	ip_flow_t flow;        /* acquire: the packet that hit the trap */
	int64_t time;          /* g_get_real_time() when raised */
	char tunnel[64];       /* tunnel name of the SA/policy, may be empty */
	char msg[128];         /* error text, may be empty */
} event_t;

typedef void (*event_cb)(const event_t *ev, void *user);

/* "sa-up", "sa-down", "expire-soft", "expire-hard", "acquire", "error",
 * "sa-updated", "mapping". */
const char *event_type_name(event_type_t t);
const char *event_reason_name(event_reason_t r);

/* Returns a subscription id (> 0). types: bit mask of (1u << type), 0 = all. */
unsigned events_subscribe(uint32_t types, event_cb cb, void *user);
void events_unsubscribe(unsigned id);

/* Queue ev (copied). Thread safe, never blocks long, never calls back.
 * When the queue is full (EVENTS_QUEUE_MAX) the event is dropped and counted. */
#define EVENTS_QUEUE_MAX 4096
void events_emit(const event_t *ev);
/* Dispatch from ctx (NULL = the default main context) from now on. */
void events_attach(GMainContext *ctx);
void events_detach(void);
/* Deliver every queued event now, in this thread; returns how many. */
unsigned events_dispatch(void);
/* Events dropped because the queue was full. */
uint64_t events_dropped(void);
/* Drop queued events and subscribers (tests, shutdown). */
void events_reset(void);

#endif
