/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Security Association object (internal API): keys turned into a crypto
 * transform (one clone per worker), sequence numbers, replay window,
 * lifetimes and per-SA counters. SAs live in the SAD (sad.h). */
#ifndef UIPSEC_CORE_SA_H
#define UIPSEC_CORE_SA_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uipsec/common.h>
#include <uipsec/crypto.h>
#include "util/ip.h"
#include "esp/replay.h"
#include "esp/spd.h"

typedef enum sa_dir {
	SA_DIR_IN = 0,
	SA_DIR_OUT = 1,
} sa_dir_t;

/* How the SA's ESP packets travel: in UDP (RFC 3948, NAT traversal) or
 * as IP protocol 50 (RFC 4303 alone). A packet that arrives the other way
 * is dropped (encap_mismatch), as Linux XFRM does (XfrmInStateMismatch). */
typedef enum sa_encap {
	SA_ENCAP_UDP = 0,
	SA_ENCAP_NONE = 1,
} sa_encap_t;

/* 0 = unlimited for every field. */
typedef struct sa_limits {
	uint64_t time_s;     /* seconds since the SA was added */
	uint64_t bytes;      /* inner bytes */
	uint64_t packets;
} sa_limits_t;

/* 8 local x 8 remote selectors of a tunnel or add-sa request */
#define SA_MAX_TS 64

/* What a decrypted packet's inner flow must match (besides the dir in
 * policies, which esp_decap.c always enforces). */
typedef enum sa_ts_mode {
	SA_TS_ANY = 0,       /* nothing: no selectors were given ("any": true, tests) */
	SA_TS_LIST,          /* one of the SA's selectors (ts/n_ts) */
	SA_TS_POLICIES,      /* a dir in protect/trap policy with the SA's reqid */
} sa_ts_mode_t;

typedef struct sa_cfg {
	uint32_t spi;
	sa_dir_t dir;
	/* Outer endpoints: src = sender of the ESP packets. For outbound SAs
	 * src is us and dst the peer; for inbound SAs src is the peer and dst us.
	 * Ports: UDP encapsulation ports (RFC 3948), 4500 by default; kept
	 * but unused with SA_ENCAP_NONE (a later switch back to UDP uses them). */
	ip_endpoint_t src, dst;
	sa_encap_t encap;                /* SA_ENCAP_UDP by default */
	const char *esp;                 /* proposal keyword, e.g. "aes128gcm16" */
	const uint8_t *key; size_t key_len;             /* includes the salt for AEAD */
	const uint8_t *integ_key; size_t integ_key_len; /* cipher + integrity only */
	bool esn;
	uint32_t replay_window;          /* inbound, packets; 0 = off */
	sa_limits_t soft, hard;
	uint32_t reqid;                  /* links to policies (spd.h) */
	uint16_t owner;                  /* who installed it (control_owner.h); 0 = configuration */
	const char *tunnel;              /* optional name */
	/* Inbound policy check: inner src must lie in remote_ts and inner dst
	 * in local_ts (as protocol/ports). n_ts > 0 makes SA_TS_ANY SA_TS_LIST. */
	spd_sel_t ts[SA_MAX_TS];         /* selectors as seen on inbound packets */
	unsigned n_ts;
	sa_ts_mode_t ts_mode;
	uint64_t initial_seq;            /* outbound: last sequence number used (tests: ESN wrap) */
	/* outbound, persisted reservations (seq_store.h): highest number that
	 * may be sent and the number at which to ask for more; 0 = unlimited */
	uint64_t seq_reserved, seq_wake;
} sa_cfg_t;

/* Per-SA counters (relaxed atomics). */
typedef struct sa_counters {
	_Atomic uint64_t bytes, packets;
	_Atomic int64_t first_use, last_use;   /* g_get_real_time(), 0 = never */
	_Atomic uint64_t auth_failed, replay_dropped, malformed, policy_dropped;
} sa_counters_t;

typedef enum sa_state {
	SA_STATE_ACTIVE = 0,
	SA_STATE_SOFT_EXPIRED = 1,   /* still usable */
	SA_STATE_HARD_EXPIRED = 2,   /* no longer used; removal queued */
} sa_state_t;

typedef struct sa {
	uint32_t spi;
	sa_dir_t dir;
	uint32_t reqid;
	uint16_t owner;                  /* sa_cfg_t.owner */
	ip_endpoint_t src, dst;
	uint8_t encap;                   /* sa_encap_t */
	char esp[32];
	char tunnel[64];
	bool esn;
	uint16_t iv_size, icv_size, block_size;
	bool aead;
	bool iv_random;                  /* CBC: random IV; otherwise the sequence number */

	pthread_mutex_t replay_lock;     /* inbound window (short critical sections) */
	replay_t replay;

	sa_limits_t soft, hard;
	int64_t added;                   /* g_get_monotonic_time() */
	int64_t added_real;              /* g_get_real_time() */
	_Atomic int state;               /* sa_state_t */
	_Atomic int soft_raised;         /* soft expiry event sent */
	_Atomic int64_t last_error;      /* monotonic us of the last error event */

	spd_sel_t *ts;                   /* n_ts inbound selectors, NULL if none */
	unsigned n_ts;
	uint8_t ts_mode;                 /* sa_ts_mode_t */

	/* Written by every worker per packet: kept off the read-mostly lines above. */
	_Atomic uint64_t seq_out __attribute__((aligned(64)));   /* last sequence number sent */
	/* Reserved sequence numbers (seq_store.h), raised by the main loop
	 * only after they are on disk: numbers above seq_limit are never sent;
	 * at seq_wake (<= seq_limit) workers ask for more. UINT64_MAX = none. */
	_Atomic uint64_t seq_limit, seq_wake;
	sa_counters_t ctr;

	_Atomic int refs;
	/* Crypto: one transform per worker, cloned on first use; workers beyond
	 * n_xf share xf_shared under xf_lock. */
	uipsec_xform_t *xf_master;
	uint32_t n_xf;
	_Atomic(uipsec_xform_t *) *xf;
	pthread_mutex_t xf_lock;
	/* One-way digest of the keys (sa_key_digest): tells an update that
	 * keeps the keys from one that changes them, without keeping keys. */
	uint8_t key_id[32];
} sa_t;

/* Number of per-worker transform slots a new SA gets (set by the data path
 * to its worker count before SAs are added; default 16). */
void sa_set_workers(uint32_t n);

/* Defaults: replay window REPLAY_WINDOW_DEFAULT, ports 4500, everything else 0. */
void sa_cfg_init(sa_cfg_t *cfg);

/* Create an SA (keys copied into the transform, caller wipes its copy). */
int sa_create(const sa_cfg_t *cfg, sa_t **out, uipsec_err_t *err);
/* The same with the algorithm and keys of like (its transform cloned;
 * cfg->esp and the keys are ignored): an SA moved to new addresses. */
int sa_create_like(const sa_cfg_t *cfg, sa_t *like, sa_t **out, uipsec_err_t *err);
sa_t *sa_ref(sa_t *sa);
void sa_unref(sa_t *sa);

/* SHA-256 of domain, the key lengths and the keys: names keys without
 * revealing them (SA identity here, file names in seq_store.c). */
void sa_key_digest(const char *domain, const uint8_t *key, size_t key_len, const uint8_t *ikey,
                   size_t ikey_len, uint8_t out[32]);
/* Same algorithm and keys: a replacement must then continue the
 * sequence numbers (sa_continue). */
bool sa_same_keys(const sa_t *a, const sa_t *b);
/* Make the new SA `to` continue `from` (same keys): outbound sequence
 * number and its reservation, replay window, counters, added time and
 * expiry state. Only with no reader (under db_write_lock()). */
void sa_continue(sa_t *to, const sa_t *from);

/* The worker's transform for this SA (cloned on first use). NULL on
 * failure. For worker >= n_xf the caller must hold xf_lock (sa_xform_lock). */
uipsec_xform_t *sa_xform(sa_t *sa, uint32_t worker, bool *locked);
void sa_xform_unlock(sa_t *sa, bool locked);

/* Account a packet of len inner bytes at now (g_get_real_time(), cached
 * per batch); checks byte/packet lifetimes and raises soft/hard expiry
 * events. Returns false when the packet exceeds the hard limit. */
bool sa_account(sa_t *sa, uint64_t len, int64_t now_real);
/* Accounting deferred to the end of a batch (inside db_read_lock(), which
 * keeps the SAs alive): packets of an SA without packet or byte lifetimes
 * are summed and added to its counters once per run of packets instead of
 * with atomic additions per packet. SAs with such lifetimes are accounted
 * at once, as by sa_account(), since every packet may cross a limit. */
typedef struct sa_acct {
	sa_t *sa;
	uint64_t packets, bytes;
	int64_t now_real;
} sa_acct_t;

/* sa_account() through acct (which starts zeroed). */
bool sa_account_deferred(sa_acct_t *acct, sa_t *sa, uint64_t len, int64_t now_real);
/* Add what acct holds to its SA's counters and empty it. */
void sa_acct_flush(sa_acct_t *acct);
/* Raise an event (event_type_t, event_reason_t) about this SA. */
void sa_emit(const sa_t *sa, int type, int reason);
/* Raise an error event about this SA (crypto back-end failures), at most
 * once a second per SA. */
void sa_error(sa_t *sa, const char *what, int status);
/* Raise expire-soft once. */
void sa_expire_soft(sa_t *sa, int reason);
/* Without ESN an outbound SA raises expire-soft at this sequence number
 * and hard-expires after sending 2^32-1 (the counter never wraps). */
#define SA_SEQ_SOFT_32 0xff000000ull
#define SA_SEQ_MAX_32 0xffffffffull

/* Time lifetimes, from the main loop. now = g_get_monotonic_time(). */
void sa_check_time(sa_t *sa, int64_t now);
/* Mark hard-expired (once) and raise the event; returns true the first time. */
bool sa_expire_hard(sa_t *sa, int reason);
static inline bool sa_usable(const sa_t *sa)
{
	return atomic_load_explicit(&sa->state, memory_order_relaxed) != SA_STATE_HARD_EXPIRED;
}
/* Does the inner flow belong to the SA's selectors? (true without any) */
bool sa_ts_match(const sa_t *sa, const ip_flow_t *f);
const char *sa_ts_mode_name(int mode);
/* "udp" or "none" (list-sas, query-sa, events). */
const char *sa_encap_name(int encap);

/* Lifetime left in seconds (-1 = unlimited) for listings. */
int64_t sa_time_left(const sa_t *sa, int64_t now);

#endif
