/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SA objects: transform per worker, lifetimes, counters. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "esp/events.h"
#include "esp/sa.h"

static uint32_t sa_workers = 16;

void sa_set_workers(uint32_t n)
{
	sa_workers = n ? n : 1;
}

void sa_cfg_init(sa_cfg_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->replay_window = REPLAY_WINDOW_DEFAULT;
	cfg->src.port = cfg->dst.port = 4500;
}

/* An event about sa: who it is (SPI, direction, reqid, addresses, tunnel). */
static void sa_event(const sa_t *sa, int type, int reason, event_t *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = (event_type_t)type;
	ev->reason = (event_reason_t)reason;
	ev->spi = sa->spi;
	ev->dir = (uint8_t)sa->dir;
	ev->reqid = sa->reqid;
	ev->owner = sa->owner;
	ev->src = sa->src;
	ev->dst = sa->dst;
	ev->encap = sa->encap;
	g_strlcpy(ev->tunnel, sa->tunnel, sizeof(ev->tunnel));
}

void sa_emit(const sa_t *sa, int type, int reason)
{
	event_t ev;
	sa_event(sa, type, reason, &ev);
	events_emit(&ev);
}

static int cfg_check(const sa_cfg_t *cfg, bool need_esp, uipsec_err_t *err)
{
	err->msg[0] = '\0';
	if ((need_esp && !cfg->esp) || cfg->spi == 0 || cfg->n_ts > SA_MAX_TS || cfg->ts_mode > SA_TS_POLICIES ||
	    (cfg->dir != SA_DIR_IN && cfg->dir != SA_DIR_OUT) ||
	    (cfg->src.addr.family != AF_INET && cfg->src.addr.family != AF_INET6) ||
	    cfg->src.addr.family != cfg->dst.addr.family ||
	    (cfg->encap != SA_ENCAP_UDP && cfg->encap != SA_ENCAP_NONE)) {
		snprintf(err->msg, sizeof(err->msg), "SA needs a proposal, a non-zero SPI, a direction "
		         "and outer addresses of one family");
		return UIPSEC_ERR_INVAL;
	}
	if (cfg->replay_window > REPLAY_WINDOW_MAX) {
		snprintf(err->msg, sizeof(err->msg), "replay window %u exceeds the maximum %u",
		         cfg->replay_window, REPLAY_WINDOW_MAX);
		return UIPSEC_ERR_INVAL;
	}
	return UIPSEC_OK;
}

/* The SA around a transform (taken over, destroyed on failure). */
static int sa_build(const sa_cfg_t *cfg, const char *esp, const uint8_t key_id[32], uipsec_xform_t *xf,
                    sa_t **out, uipsec_err_t *err)
{
	const uipsec_xform_info_t *info = uipsec_xform_info(xf);
	sa_t *sa = NULL;
	if (posix_memalign((void **)&sa, 64, sizeof(*sa)) != 0)
		sa = NULL;
	else
		memset(sa, 0, sizeof(*sa));
	if (!sa) {
		uipsec_xform_destroy(xf);
		return UIPSEC_ERR_NOMEM;
	}
	sa->spi = cfg->spi;
	sa->dir = cfg->dir;
	sa->reqid = cfg->reqid;
	sa->owner = cfg->owner;
	sa->src = cfg->src;
	sa->dst = cfg->dst;
	sa->encap = (uint8_t)cfg->encap;
	g_strlcpy(sa->esp, esp, sizeof(sa->esp));
	if (cfg->tunnel)
		g_strlcpy(sa->tunnel, cfg->tunnel, sizeof(sa->tunnel));
	memcpy(sa->key_id, key_id, sizeof(sa->key_id));
	sa->esn = cfg->esn;
	sa->iv_size = info->iv_size;
	sa->icv_size = info->icv_size;
	sa->block_size = info->block_size ? info->block_size : 1;
	sa->aead = info->aead;
	/* CBC needs unpredictable IVs; counter modes need unique ones. */
	sa->iv_random = !info->aead && info->block_size > 1 && info->iv_size > 0;
	atomic_init(&sa->seq_out, cfg->initial_seq);
	atomic_init(&sa->seq_limit, cfg->seq_reserved ? cfg->seq_reserved : UINT64_MAX);
	atomic_init(&sa->seq_wake, !cfg->seq_reserved ? UINT64_MAX :
	            cfg->seq_wake ? MIN(cfg->seq_wake, cfg->seq_reserved) : cfg->seq_reserved);
	pthread_mutex_init(&sa->replay_lock, NULL);
	if (!replay_init(&sa->replay, cfg->dir == SA_DIR_IN ? cfg->replay_window : 0, cfg->esn)) {
		snprintf(err->msg, sizeof(err->msg), "cannot allocate the replay window");
		pthread_mutex_destroy(&sa->replay_lock);
		uipsec_xform_destroy(xf);
		uipsec_memwipe(sa, sizeof(*sa));
		free(sa);
		return UIPSEC_ERR_NOMEM;
	}
	sa->soft = cfg->soft;
	sa->hard = cfg->hard;
	sa->added = g_get_monotonic_time();
	sa->added_real = g_get_real_time();
	if (cfg->n_ts) {
		sa->ts = g_memdup2(cfg->ts, cfg->n_ts * sizeof(cfg->ts[0]));
		sa->n_ts = cfg->n_ts;
	}
	sa->ts_mode = (uint8_t)(cfg->n_ts && cfg->ts_mode == SA_TS_ANY ? SA_TS_LIST : cfg->ts_mode);
	atomic_init(&sa->refs, 1);
	sa->xf_master = xf;
	sa->n_xf = sa_workers;
	sa->xf = calloc(sa->n_xf, sizeof(*sa->xf));
	pthread_mutex_init(&sa->xf_lock, NULL);
	if (!sa->xf) {
		sa->n_xf = 0;
		sa_unref(sa);
		return UIPSEC_ERR_NOMEM;
	}
	*out = sa;
	return UIPSEC_OK;
}

#define SA_KEY_DOMAIN "uipsec-sa-v1|"

/* From cfg's keys, or (like != NULL) with a clone of like's transform. */
static int create(const sa_cfg_t *cfg, sa_t *like, sa_t **out, uipsec_err_t *err)
{
	uipsec_err_t local;
	if (!err)
		err = &local;
	int rc = cfg_check(cfg, !like, err);
	if (rc != UIPSEC_OK)
		return rc;
	uipsec_xform_t *xf = NULL;
	if (like) {
		pthread_mutex_lock(&like->xf_lock);   /* the master is shared by every cloner */
		rc = uipsec_xform_clone(like->xf_master, &xf);
		pthread_mutex_unlock(&like->xf_lock);
		if (rc != UIPSEC_OK) {
			snprintf(err->msg, sizeof(err->msg), "cannot copy the transform of SA 0x%08x: %s", like->spi,
			         uipsec_status_str(rc));
			return rc;
		}
		return sa_build(cfg, like->esp, like->key_id, xf, out, err);
	}
	rc = uipsec_xform_create(cfg->esp, cfg->key, cfg->key_len, cfg->integ_key, cfg->integ_key_len, &xf, err);
	if (rc != UIPSEC_OK)
		return rc;
	uint8_t key_id[32];
	sa_key_digest(SA_KEY_DOMAIN, cfg->key, cfg->key_len, cfg->integ_key, cfg->integ_key_len, key_id);
	return sa_build(cfg, cfg->esp, key_id, xf, out, err);
}

int sa_create(const sa_cfg_t *cfg, sa_t **out, uipsec_err_t *err)
{
	return create(cfg, NULL, out, err);
}

int sa_create_like(const sa_cfg_t *cfg, sa_t *like, sa_t **out, uipsec_err_t *err)
{
	return create(cfg, like, out, err);
}

void sa_key_digest(const char *domain, const uint8_t *key, size_t key_len, const uint8_t *ikey,
                   size_t ikey_len, uint8_t out[32])
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	uint8_t lens[16];
	for (int i = 0; i < 8; i++) {
		lens[i] = (uint8_t)((uint64_t)key_len >> (8 * i));
		lens[8 + i] = (uint8_t)((uint64_t)ikey_len >> (8 * i));
	}
	g_checksum_update(c, (const guchar *)domain, (gssize)strlen(domain));
	g_checksum_update(c, lens, sizeof(lens));
	if (key_len)
		g_checksum_update(c, key, (gssize)key_len);
	if (ikey_len)
		g_checksum_update(c, ikey, (gssize)ikey_len);
	gsize n = 32;
	g_checksum_get_digest(c, out, &n);
	g_checksum_free(c);
}

bool sa_same_keys(const sa_t *a, const sa_t *b)
{
	return strcmp(a->esp, b->esp) == 0 && memcmp(a->key_id, b->key_id, sizeof(a->key_id)) == 0;
}

void sa_continue(sa_t *to, const sa_t *from)
{
	/* never send a number twice with these keys */
	uint64_t seq = atomic_load(&from->seq_out);
	if (seq > atomic_load(&to->seq_out))
		atomic_store(&to->seq_out, seq);
	atomic_store(&to->seq_limit, atomic_load(&from->seq_limit));
	atomic_store(&to->seq_wake, atomic_load(&from->seq_wake));
	replay_copy(&to->replay, &from->replay);
	const sa_counters_t *f = &from->ctr;
	sa_counters_t *t = &to->ctr;
	atomic_store(&t->bytes, atomic_load(&f->bytes));
	atomic_store(&t->packets, atomic_load(&f->packets));
	atomic_store(&t->first_use, atomic_load(&f->first_use));
	atomic_store(&t->last_use, atomic_load(&f->last_use));
	atomic_store(&t->auth_failed, atomic_load(&f->auth_failed));
	atomic_store(&t->replay_dropped, atomic_load(&f->replay_dropped));
	atomic_store(&t->malformed, atomic_load(&f->malformed));
	atomic_store(&t->policy_dropped, atomic_load(&f->policy_dropped));
	/* lifetimes count from the first add; an expired SA is not revived */
	to->added = from->added;
	to->added_real = from->added_real;
	atomic_store(&to->state, atomic_load(&from->state));
	atomic_store(&to->soft_raised, atomic_load(&from->soft_raised));
}

sa_t *sa_ref(sa_t *sa)
{
	atomic_fetch_add_explicit(&sa->refs, 1, memory_order_relaxed);
	return sa;
}

void sa_unref(sa_t *sa)
{
	if (!sa || atomic_fetch_sub_explicit(&sa->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (uint32_t i = 0; i < sa->n_xf; i++) {
		uipsec_xform_t *x = atomic_load(&sa->xf[i]);
		if (x)
			uipsec_xform_destroy(x);
	}
	free(sa->xf);
	g_free(sa->ts);
	uipsec_xform_destroy(sa->xf_master);
	replay_free(&sa->replay);
	pthread_mutex_destroy(&sa->replay_lock);
	pthread_mutex_destroy(&sa->xf_lock);
	uipsec_memwipe(sa, sizeof(*sa));
	free(sa);
}

uipsec_xform_t *sa_xform(sa_t *sa, uint32_t worker, bool *locked)
{
	*locked = false;
	if (worker < sa->n_xf) {
		/* Only this worker writes its slot. */
		uipsec_xform_t *x = atomic_load_explicit(&sa->xf[worker], memory_order_relaxed);
		if (__builtin_expect(x != NULL, 1))
			return x;
		pthread_mutex_lock(&sa->xf_lock);   /* the master is shared by every cloner */
		int rc = uipsec_xform_clone(sa->xf_master, &x);
		pthread_mutex_unlock(&sa->xf_lock);
		if (rc != UIPSEC_OK)
			return NULL;
		atomic_store_explicit(&sa->xf[worker], x, memory_order_relaxed);
		return x;
	}
	pthread_mutex_lock(&sa->xf_lock);
	*locked = true;
	return sa->xf_master;
}

void sa_xform_unlock(sa_t *sa, bool locked)
{
	if (locked)
		pthread_mutex_unlock(&sa->xf_lock);
}

void sa_error(sa_t *sa, const char *what, int status)
{
	int64_t now = g_get_monotonic_time();
	int64_t last = atomic_load_explicit(&sa->last_error, memory_order_relaxed);
	if ((last && now - last < G_USEC_PER_SEC) ||
	    !atomic_compare_exchange_strong(&sa->last_error, &last, now))
		return;
	event_t ev;
	sa_event(sa, EVENT_ERROR, EVENT_REASON_NONE, &ev);
	snprintf(ev.msg, sizeof(ev.msg), "%s (%s): %s", what, sa->esp, uipsec_status_str(status));
	events_emit(&ev);
}

void sa_expire_soft(sa_t *sa, int reason)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&sa->soft_raised, &expected, 1))
		return;
	int st = SA_STATE_ACTIVE;
	atomic_compare_exchange_strong(&sa->state, &st, SA_STATE_SOFT_EXPIRED);
	sa_emit(sa, EVENT_EXPIRE_SOFT, reason);
}

bool sa_expire_hard(sa_t *sa, int reason)
{
	if (atomic_exchange(&sa->state, SA_STATE_HARD_EXPIRED) == SA_STATE_HARD_EXPIRED)
		return false;
	sa_emit(sa, EVENT_EXPIRE_HARD, reason);
	return true;
}

static void set_use_time(sa_t *sa, int64_t now_real)
{
	int64_t zero = 0;
	if (__builtin_expect(atomic_load_explicit(&sa->ctr.first_use, memory_order_relaxed) == 0, 0))
		atomic_compare_exchange_strong(&sa->ctr.first_use, &zero, now_real);
	atomic_store_explicit(&sa->ctr.last_use, now_real, memory_order_relaxed);
}

bool sa_account(sa_t *sa, uint64_t len, int64_t now_real)
{
	uint64_t pk = atomic_fetch_add_explicit(&sa->ctr.packets, 1, memory_order_relaxed) + 1;
	uint64_t by = atomic_fetch_add_explicit(&sa->ctr.bytes, len, memory_order_relaxed) + len;
	set_use_time(sa, now_real);

	if ((sa->hard.packets && pk > sa->hard.packets) || (sa->hard.bytes && by > sa->hard.bytes)) {
		sa_expire_hard(sa, sa->hard.packets && pk > sa->hard.packets ? EVENT_REASON_PACKETS
		                                                              : EVENT_REASON_BYTES);
		return false;
	}
	if (sa->hard.packets && pk == sa->hard.packets)
		sa_expire_hard(sa, EVENT_REASON_PACKETS);   /* this one is the last */
	else if ((sa->soft.packets && pk >= sa->soft.packets) || (sa->soft.bytes && by >= sa->soft.bytes))
		sa_expire_soft(sa, sa->soft.packets && pk >= sa->soft.packets ? EVENT_REASON_PACKETS
		                                                              : EVENT_REASON_BYTES);
	return true;
}

static inline bool volume_limited(const sa_t *sa)
{
	return sa->soft.packets || sa->soft.bytes || sa->hard.packets || sa->hard.bytes;
}

void sa_acct_flush(sa_acct_t *a)
{
	if (a->sa && a->packets) {
		atomic_fetch_add_explicit(&a->sa->ctr.packets, a->packets, memory_order_relaxed);
		atomic_fetch_add_explicit(&a->sa->ctr.bytes, a->bytes, memory_order_relaxed);
		set_use_time(a->sa, a->now_real);
	}
	a->sa = NULL;
	a->packets = a->bytes = 0;
}

bool sa_account_deferred(sa_acct_t *a, sa_t *sa, uint64_t len, int64_t now_real)
{
	if (volume_limited(sa))
		return sa_account(sa, len, now_real);
	if (a->sa != sa) {
		sa_acct_flush(a);
		a->sa = sa;
		a->now_real = now_real;
	}
	a->packets++;
	a->bytes += len;
	return true;
}

void sa_check_time(sa_t *sa, int64_t now)
{
	int64_t age = now - sa->added;
	if (sa->hard.time_s && age >= (int64_t)sa->hard.time_s * G_USEC_PER_SEC)
		sa_expire_hard(sa, EVENT_REASON_TIME);
	else if (sa->soft.time_s && age >= (int64_t)sa->soft.time_s * G_USEC_PER_SEC)
		sa_expire_soft(sa, EVENT_REASON_TIME);
}

int64_t sa_time_left(const sa_t *sa, int64_t now)
{
	if (!sa->hard.time_s)
		return -1;
	int64_t left = (int64_t)sa->hard.time_s - (now - sa->added) / G_USEC_PER_SEC;
	return left > 0 ? left : 0;
}

bool sa_ts_match(const sa_t *sa, const ip_flow_t *f)
{
	if (sa->ts_mode != SA_TS_LIST)
		return true;
	for (unsigned i = 0; i < sa->n_ts; i++)
		if (spd_sel_match(&sa->ts[i], f))
			return true;
	return false;
}

const char *sa_ts_mode_name(int mode)
{
	static const char *const names[] = { "any", "selectors", "in-policies" };
	return (unsigned)mode < G_N_ELEMENTS(names) ? names[mode] : "?";
}

const char *sa_encap_name(int encap)
{
	static const char *const names[] = { "udp", "none" };
	return (unsigned)encap < G_N_ELEMENTS(names) ? names[encap] : "?";
}
