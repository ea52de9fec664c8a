/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Security Association Database: an open-addressing table of inbound SAs
 * keyed by SPI, outbound SAs by SPI and by reqid. See sad.h for the locking
 * rules (the lock itself: db_lock.c). */
#include "config.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "esp/events.h"
#include "esp/sad.h"

/* ------------------------------------------------------------ inbound table */

/* Linear probing on hash(SPI); SAs sharing an SPI (different destination)
 * share a probe chain. Deleted slots become tombstones until the next
 * rebuild. */
typedef struct in_slot {
	uint32_t spi;
	uint32_t used;          /* 0 empty, 1 live, 2 tombstone */
	sa_t *sa;
} in_slot_t;

typedef struct in_table {
	uint32_t mask, live, tombs;
	in_slot_t *slots;
} in_table_t;

enum { SLOT_EMPTY = 0, SLOT_LIVE = 1, SLOT_TOMB = 2 };

/* Writers are serialised by this mutex; readers are kept out by db_lock
 * only while a change is published. */
/* pthread, not GMutex (a bare futex): ThreadSanitizer sees it */
static pthread_mutex_t sad_writer = PTHREAD_MUTEX_INITIALIZER;
static in_table_t *in_tab;
static GHashTable *out_by_spi;     /* spi -> sa_t* */
static GHashTable *out_by_reqid;   /* reqid -> GPtrArray of sa_t*, oldest first */
static bool sad_ready;
static unsigned sad_hard_sub;
static guint sad_timer;
static GMainContext *sad_timer_ctx;

static inline uint32_t spi_hash(uint32_t spi)
{
	uint32_t h = spi * 0x9E3779B1u;
	return h ^ (h >> 15);
}

static in_table_t *in_table_new(uint32_t cap)
{
	in_table_t *t = g_new0(in_table_t, 1);
	t->mask = cap - 1;
	t->slots = g_new0(in_slot_t, cap);
	return t;
}

static void in_table_free(in_table_t *t)
{
	if (t) {
		g_free(t->slots);
		g_free(t);
	}
}

static void in_insert(in_table_t *t, sa_t *sa)
{
	uint32_t i = spi_hash(sa->spi) & t->mask;
	while (t->slots[i].used == SLOT_LIVE)
		i = (i + 1) & t->mask;
	if (t->slots[i].used == SLOT_TOMB)
		t->tombs--;
	t->slots[i].spi = sa->spi;
	t->slots[i].sa = sa;
	t->slots[i].used = SLOT_LIVE;
	t->live++;
}

static in_slot_t *in_find(in_table_t *t, uint32_t spi, const uipsec_addr_t *dst)
{
	if (!t)
		return NULL;
	for (uint32_t i = spi_hash(spi) & t->mask;; i = (i + 1) & t->mask) {
		in_slot_t *s = &t->slots[i];
		if (s->used == SLOT_EMPTY)
			return NULL;
		if (s->used == SLOT_LIVE && s->spi == spi &&
		    (!dst || !dst->family || ip_addr_eq(&s->sa->dst.addr, dst)))
			return s;
	}
}

/* With sad_writer held: make room for one more SA. A new table is built
 * outside db_lock (readers keep using the old one, nothing else changes
 * it) and swapped in under it. */
static void in_reserve(void)
{
	in_table_t *t = in_tab;
	if (t && (t->live + t->tombs + 1) * 4 < (t->mask + 1) * 3)
		return;
	uint32_t cap = 64;
	while (t && cap < (t->live + 1) * 2)
		cap <<= 1;
	in_table_t *n = in_table_new(cap);
	for (uint32_t i = 0; t && i <= t->mask; i++)
		if (t->slots[i].used == SLOT_LIVE)
			in_insert(n, t->slots[i].sa);
	db_write_lock();
	in_tab = n;
	db_write_unlock();
	in_table_free(t);
}

void sad_init(void)
{
	pthread_mutex_lock(&sad_writer);
	if (!sad_ready) {
		out_by_spi = g_hash_table_new(g_direct_hash, g_direct_equal);
		out_by_reqid = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
		                                     (GDestroyNotify)g_ptr_array_unref);
		sad_ready = true;
	}
	pthread_mutex_unlock(&sad_writer);
	db_write_lock();
	spd_init();
	db_write_unlock();
}

int sad_add(const sa_cfg_t *cfg, uipsec_err_t *err)
{
	sad_init();
	sa_t *sa = NULL;
	int rc = sa_create(cfg, &sa, err);   /* slow part (crypto contexts) outside every lock */
	if (rc != UIPSEC_OK)
		return rc;
	pthread_mutex_lock(&sad_writer);
	bool exists = sa->dir == SA_DIR_IN ? in_find(in_tab, sa->spi, &sa->dst.addr) != NULL
	                                   : g_hash_table_contains(out_by_spi, GUINT_TO_POINTER(sa->spi));
	if (exists) {
		pthread_mutex_unlock(&sad_writer);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "an %s SA with SPI 0x%08x exists",
			         sa->dir == SA_DIR_IN ? "inbound" : "outbound", sa->spi);
		sa_unref(sa);
		return UIPSEC_ERR_EXISTS;
	}
	if (sa->dir == SA_DIR_IN) {
		in_reserve();
		db_write_lock();
		in_insert(in_tab, sa);
		db_write_unlock();
	} else {
		GPtrArray *list = g_hash_table_lookup(out_by_reqid, GUINT_TO_POINTER(sa->reqid));
		bool new_list = !list;
		if (new_list)
			list = g_ptr_array_new();
		db_write_lock();
		g_hash_table_insert(out_by_spi, GUINT_TO_POINTER(sa->spi), sa);
		/* newest last: it takes over the policy's traffic from now on */
		g_ptr_array_add(list, sa);
		if (new_list)
			g_hash_table_insert(out_by_reqid, GUINT_TO_POINTER(sa->reqid), list);
		db_write_unlock();
	}
	sa_emit(sa, EVENT_SA_ADDED, EVENT_REASON_NONE);
	pthread_mutex_unlock(&sad_writer);
	return UIPSEC_OK;
}

int sad_del(sa_dir_t dir, uint32_t spi, const uipsec_addr_t *dst)
{
	sad_init();
	sa_t *sa = NULL;
	pthread_mutex_lock(&sad_writer);
	if (dir == SA_DIR_IN) {
		db_write_lock();
		in_slot_t *s = in_find(in_tab, spi, dst);
		if (s) {
			sa = s->sa;
			s->used = SLOT_TOMB;
			s->sa = NULL;
			in_tab->live--;
			in_tab->tombs++;
		}
		db_write_unlock();
	} else {
		db_write_lock();
		sa = g_hash_table_lookup(out_by_spi, GUINT_TO_POINTER(spi));
		if (sa && dst && dst->family && !ip_addr_eq(&sa->dst.addr, dst))
			sa = NULL;
		if (sa) {
			g_hash_table_remove(out_by_spi, GUINT_TO_POINTER(spi));
			GPtrArray *list = g_hash_table_lookup(out_by_reqid, GUINT_TO_POINTER(sa->reqid));
			if (list) {
				g_ptr_array_remove(list, sa);
				if (list->len == 0)
					g_hash_table_remove(out_by_reqid, GUINT_TO_POINTER(sa->reqid));
			}
		}
		db_write_unlock();
	}
	pthread_mutex_unlock(&sad_writer);
	if (!sa)
		return UIPSEC_ERR_NOTFOUND;
	sa_emit(sa, EVENT_SA_DELETED, EVENT_REASON_DELETED);
	sa_unref(sa);   /* readers are out: they hold the read lock while using SAs */
	return UIPSEC_OK;
}

/* With sad_writer held (or inside the read lock): the SA sad_del would remove. */
static sa_t *find(sa_dir_t dir, uint32_t spi, const uipsec_addr_t *dst)
{
	if (dir == SA_DIR_IN) {
		in_slot_t *s = in_find(in_tab, spi, dst);
		return s ? s->sa : NULL;
	}
	sa_t *sa = g_hash_table_lookup(out_by_spi, GUINT_TO_POINTER(spi));
	return sa && dst && dst->family && !ip_addr_eq(&sa->dst.addr, dst) ? NULL : sa;
}

static int not_found(sa_dir_t dir, uint32_t spi, uipsec_err_t *err)
{
	if (err)
		snprintf(err->msg, sizeof(err->msg), "no %s SA with SPI 0x%08x",
		         dir == SA_DIR_IN ? "inbound" : "outbound", spi);
	return UIPSEC_ERR_NOTFOUND;
}

/* With sad_writer and the write lock held: sa takes old's place. */
static void swap_in(sa_t *old, sa_t *sa)
{
	if (sa->dir == SA_DIR_IN) {
		in_slot_t *s = in_find(in_tab, old->spi, &old->dst.addr);
		s->sa = sa;   /* same SPI: same probe chain */
		return;
	}
	g_hash_table_insert(out_by_spi, GUINT_TO_POINTER(sa->spi), sa);
	GPtrArray *list = g_hash_table_lookup(out_by_reqid, GUINT_TO_POINTER(old->reqid));
	guint i;
	if (sa->reqid == old->reqid && g_ptr_array_find(list, old, &i)) {
		list->pdata[i] = sa;   /* keeps its rank: an update does not take over from a newer SA */
		return;
	}
	g_ptr_array_remove(list, old);
	if (list->len == 0)
		g_hash_table_remove(out_by_reqid, GUINT_TO_POINTER(old->reqid));
	list = g_hash_table_lookup(out_by_reqid, GUINT_TO_POINTER(sa->reqid));
	if (!list) {
		list = g_ptr_array_new();
		g_hash_table_insert(out_by_reqid, GUINT_TO_POINTER(sa->reqid), list);
	}
	g_ptr_array_add(list, sa);
}

int sad_replace(sa_dir_t dir, uint32_t spi, const uipsec_addr_t *dst, const sa_cfg_t *cfg, unsigned flags,
                uipsec_err_t *err)
{
	sad_init();
	if (cfg->dir != dir || cfg->spi != spi) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "a replacement keeps the SPI and direction");
		return UIPSEC_ERR_INVAL;
	}
	/* slow part (crypto contexts) outside every lock; the old SA is not
	 * touched yet, so a failure leaves it as it was */
	sa_t *like = NULL, *sa = NULL;
	int rc;
	if (flags & SAD_REPLACE_KEEP_KEYS) {
		pthread_mutex_lock(&sad_writer);
		like = find(dir, spi, dst);
		if (like)
			sa_ref(like);
		pthread_mutex_unlock(&sad_writer);
		if (!like)
			return not_found(dir, spi, err);
		rc = sa_create_like(cfg, like, &sa, err);
	} else {
		rc = sa_create(cfg, &sa, err);
	}
	if (rc != UIPSEC_OK) {
		sa_unref(like);
		return rc;
	}
	pthread_mutex_lock(&sad_writer);
	sa_t *old = find(dir, spi, dst);
	if (!old || (like && old != like)) {
		/* gone, or replaced by other keys since we copied them */
		pthread_mutex_unlock(&sad_writer);
		sa_unref(like);
		sa_unref(sa);
		return not_found(dir, spi, err);
	}
	sa_unref(like);   /* old holds it */
	if (dir == SA_DIR_IN) {
		sa_t *other = find(dir, spi, &sa->dst.addr);
		if (other && other != old) {
			pthread_mutex_unlock(&sad_writer);
			if (err)
				snprintf(err->msg, sizeof(err->msg), "an inbound SA with SPI 0x%08x exists", spi);
			sa_unref(sa);
			return UIPSEC_ERR_EXISTS;
		}
	}
	bool same = sa_same_keys(old, sa);
	db_write_lock();
	/* no worker is inside: the old SA's state is final while copied */
	if (same)
		sa_continue(sa, old);
	swap_in(old, sa);
	db_write_unlock();
	sa_emit(sa, EVENT_SA_UPDATED, EVENT_REASON_NONE);
	pthread_mutex_unlock(&sad_writer);
	sa_unref(old);   /* readers are out: they hold the read lock while using SAs */
	return UIPSEC_OK;
}

sa_t *sad_lookup_spi(uint32_t spi, const uipsec_addr_t *dst)
{
	in_slot_t *s = in_find(in_tab, spi, dst);
	return s ? s->sa : NULL;
}

sa_t *sad_out_by_reqid(uint32_t reqid)
{
	if (!sad_ready)
		return NULL;
	GPtrArray *list = g_hash_table_lookup(out_by_reqid, GUINT_TO_POINTER(reqid));
	for (guint i = list ? list->len : 0; i > 0; i--) {
		sa_t *sa = g_ptr_array_index(list, i - 1);
		if (sa_usable(sa))
			return sa;
	}
	return NULL;
}

sa_t *sad_lookup_out(uint32_t spi)
{
	return sad_ready ? g_hash_table_lookup(out_by_spi, GUINT_TO_POINTER(spi)) : NULL;
}

uint32_t sad_count(void)
{
	return (in_tab ? in_tab->live : 0) + (sad_ready ? g_hash_table_size(out_by_spi) : 0);
}

void sad_foreach(void (*fn)(sa_t *sa, void *user), void *user)
{
	for (uint32_t i = 0; in_tab && i <= in_tab->mask; i++)
		if (in_tab->slots[i].used == SLOT_LIVE)
			fn(in_tab->slots[i].sa, user);
	if (!sad_ready)
		return;
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, out_by_spi);
	while (g_hash_table_iter_next(&it, NULL, &v))
		fn(v, user);
}

typedef struct sa_id {
	sa_dir_t dir;
	uint32_t spi;
	uipsec_addr_t dst;
} sa_id_t;

static void tick_one(sa_t *sa, void *user)
{
	GArray *dead = user;
	sa_check_time(sa, g_get_monotonic_time());
	if (!sa_usable(sa)) {
		sa_id_t id = { sa->dir, sa->spi, sa->dst.addr };
		g_array_append_val(dead, id);
	}
}

void sad_tick(void)
{
	GArray *dead = g_array_new(FALSE, FALSE, sizeof(sa_id_t));
	db_read_lock();
	sad_foreach(tick_one, dead);
	db_read_unlock();
	for (guint i = 0; i < dead->len; i++) {
		sa_id_t *id = &g_array_index(dead, sa_id_t, i);
		sad_del(id->dir, id->spi, &id->dst);
	}
	g_array_free(dead, TRUE);
}

void sad_flush(void)
{
	GArray *all = g_array_new(FALSE, FALSE, sizeof(sa_id_t));
	db_read_lock();
	for (uint32_t i = 0; in_tab && i <= in_tab->mask; i++) {
		if (in_tab->slots[i].used == SLOT_LIVE) {
			sa_t *sa = in_tab->slots[i].sa;
			sa_id_t id = { sa->dir, sa->spi, sa->dst.addr };
			g_array_append_val(all, id);
		}
	}
	if (sad_ready) {
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, out_by_spi);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			sa_t *sa = v;
			sa_id_t id = { sa->dir, sa->spi, sa->dst.addr };
			g_array_append_val(all, id);
		}
	}
	db_read_unlock();
	for (guint i = 0; i < all->len; i++) {
		sa_id_t *id = &g_array_index(all, sa_id_t, i);
		sad_del(id->dir, id->spi, &id->dst);
	}
	g_array_free(all, TRUE);
}

static void on_expire_hard(const event_t *ev, void *user)
{
	(void)user;
	sad_del((sa_dir_t)ev->dir, ev->spi, &ev->dst.addr);
}

static gboolean on_timer(gpointer user)
{
	(void)user;
	sad_tick();
	return G_SOURCE_CONTINUE;
}

void sad_attach(GMainContext *ctx)
{
	sad_detach();
	sad_hard_sub = events_subscribe(1u << EVENT_EXPIRE_HARD, on_expire_hard, NULL);
	GSource *src = g_timeout_source_new_seconds(1);
	g_source_set_callback(src, on_timer, NULL, NULL);
	sad_timer_ctx = ctx;
	sad_timer = g_source_attach(src, ctx);
	g_source_unref(src);
}

void sad_detach(void)
{
	if (sad_hard_sub)
		events_unsubscribe(sad_hard_sub);
	sad_hard_sub = 0;
	if (sad_timer) {
		GSource *src = g_main_context_find_source_by_id(sad_timer_ctx, sad_timer);
		if (src)
			g_source_destroy(src);
	}
	sad_timer = 0;
}
