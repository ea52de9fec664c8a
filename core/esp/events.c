/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events: a bounded queue filled from any thread, drained in the main
 * context, so no subscriber ever runs on the data path. */
#include "config.h"
#include <pthread.h>
#include <string.h>
#include "esp/events.h"

typedef struct subscriber {
	unsigned id;
	uint32_t types;
	event_cb cb;
	void *user;
} subscriber_t;

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static GQueue ev_queue = G_QUEUE_INIT;
static GArray *ev_subs;             /* subscriber_t */
static unsigned ev_next_id = 1;
static uint64_t ev_dropped;
static GMainContext *ev_ctx;
static bool ev_attached, ev_scheduled;

static const char *const type_names[] = {
	[EVENT_SA_ADDED] = "sa-up",
	[EVENT_SA_DELETED] = "sa-down",
	[EVENT_EXPIRE_SOFT] = "expire-soft",
	[EVENT_EXPIRE_HARD] = "expire-hard",
	[EVENT_ACQUIRE] = "acquire",
	[EVENT_ERROR] = "error",
	[EVENT_SA_UPDATED] = "sa-updated",
	[EVENT_MAPPING] = "mapping",
};

static const char *const reason_names[] = {
	[EVENT_REASON_NONE] = "",
	[EVENT_REASON_TIME] = "time",
	[EVENT_REASON_BYTES] = "bytes",
	[EVENT_REASON_PACKETS] = "packets",
	[EVENT_REASON_SEQ] = "sequence numbers",
	[EVENT_REASON_DELETED] = "deleted",
};

const char *event_type_name(event_type_t t)
{
	if ((unsigned)t < G_N_ELEMENTS(type_names) && type_names[t])
		return type_names[t];
	return "unknown";
}

const char *event_reason_name(event_reason_t r)
{
	if ((unsigned)r < G_N_ELEMENTS(reason_names) && reason_names[r])
		return reason_names[r];
	return "unknown";
}

unsigned events_subscribe(uint32_t types, event_cb cb, void *user)
{
	pthread_mutex_lock(&ev_lock);
	if (!ev_subs)
		ev_subs = g_array_new(FALSE, FALSE, sizeof(subscriber_t));
	subscriber_t s = { ev_next_id++, types, cb, user };
	g_array_append_val(ev_subs, s);
	pthread_mutex_unlock(&ev_lock);
	return s.id;
}

void events_unsubscribe(unsigned id)
{
	pthread_mutex_lock(&ev_lock);
	for (guint i = 0; ev_subs && i < ev_subs->len; i++) {
		if (g_array_index(ev_subs, subscriber_t, i).id == id) {
			g_array_remove_index(ev_subs, i);
			break;
		}
	}
	pthread_mutex_unlock(&ev_lock);
}

static gboolean dispatch_idle(gpointer data)
{
	(void)data;
	pthread_mutex_lock(&ev_lock);
	ev_scheduled = false;
	pthread_mutex_unlock(&ev_lock);
	events_dispatch();
	return G_SOURCE_REMOVE;
}

/* With ev_lock held: make sure the main context will drain the queue. */
static void schedule_locked(void)
{
	if (!ev_attached || ev_scheduled)
		return;
	GSource *src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, dispatch_idle, NULL, NULL);
	g_source_attach(src, ev_ctx);
	g_source_unref(src);
	ev_scheduled = true;
}

void events_emit(const event_t *ev)
{
	event_t *copy = g_new(event_t, 1);
	memcpy(copy, ev, sizeof(*ev));
	if (!copy->time)
		copy->time = g_get_real_time();
	pthread_mutex_lock(&ev_lock);
	if (ev_queue.length >= EVENTS_QUEUE_MAX) {
		ev_dropped++;
		pthread_mutex_unlock(&ev_lock);
		g_free(copy);
		return;
	}
	g_queue_push_tail(&ev_queue, copy);
	schedule_locked();
	pthread_mutex_unlock(&ev_lock);
}

void events_attach(GMainContext *ctx)
{
	pthread_mutex_lock(&ev_lock);
	if (ev_ctx)
		g_main_context_unref(ev_ctx);
	ev_ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
	ev_attached = true;
	ev_scheduled = false;
	if (ev_queue.length)
		schedule_locked();
	pthread_mutex_unlock(&ev_lock);
}

void events_detach(void)
{
	pthread_mutex_lock(&ev_lock);
	ev_attached = false;
	if (ev_ctx)
		g_main_context_unref(ev_ctx);
	ev_ctx = NULL;
	pthread_mutex_unlock(&ev_lock);
}

unsigned events_dispatch(void)
{
	unsigned count = 0;
	for (;;) {
		pthread_mutex_lock(&ev_lock);
		event_t *ev = g_queue_pop_head(&ev_queue);
		subscriber_t *subs = NULL;
		guint nsubs = 0;
		if (ev && ev_subs && ev_subs->len) {
			nsubs = ev_subs->len;
			subs = g_new(subscriber_t, nsubs);
			memcpy(subs, ev_subs->data, nsubs * sizeof(subscriber_t));
		}
		pthread_mutex_unlock(&ev_lock);
		if (!ev)
			break;
		/* Subscribers may (un)subscribe or emit: they run without the lock. */
		for (guint i = 0; i < nsubs; i++)
			if (!subs[i].types || (subs[i].types & (1u << ev->type)))
				subs[i].cb(ev, subs[i].user);
		g_free(subs);
		g_free(ev);
		count++;
	}
	return count;
}

uint64_t events_dropped(void)
{
	pthread_mutex_lock(&ev_lock);
	uint64_t n = ev_dropped;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

void events_reset(void)
{
	pthread_mutex_lock(&ev_lock);
	g_queue_clear_full(&ev_queue, g_free);
	if (ev_subs)
		g_array_set_size(ev_subs, 0);
	ev_dropped = 0;
	pthread_mutex_unlock(&ev_lock);
}
