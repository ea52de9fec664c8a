/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Security Policy Database (internal API).
 *
 * A policy selects cleartext packets by address ranges (a prefix is a
 * range), protocol and port ranges (ICMP type in the source port range,
 * code in the destination port range, as Linux xfrm) and direction, and
 * says what happens to them: protect (ESP with the policy's current
 * outbound SA), bypass, drop, or trap (protect, but without an SA raise an
 * acquire event and drop).
 *
 * Precedence: the lowest priority value wins; among equal priorities the
 * more specific selector wins (longer prefixes, then protocol, then port
 * ranges); then the older policy. A policy without explicit priority gets
 * SPD_PRIO_DEFAULT, so an explicit value below it overrides specificity.
 *
 * Lookup: a per-worker flow cache (exact 5-tuple, invalidated by a
 * generation number on every change) in front of a tuple-space index:
 * one hash table per distinct destination prefix length, keyed by the
 * masked destination, each bucket sorted by precedence. Ranges that are
 * not prefixes are split into covering prefixes.
 *
 * Locking: readers run inside db_read_lock() (db_lock.h) for a whole batch;
 * spd_add/spd_del take the write side only to publish the change. */
#ifndef UIPSEC_CORE_SPD_H
#define UIPSEC_CORE_SPD_H

#include <stdbool.h>
#include <stdint.h>
#include <uipsec/common.h>
#include "util/ip.h"

typedef enum spd_dir {
	SPD_DIR_OUT = 0,     /* cleartext from the TUN device towards the peer */
	SPD_DIR_IN = 1,      /* decapsulated packets from the peer */
	SPD_DIR_COUNT
} spd_dir_t;

typedef enum spd_action {
	SPD_PROTECT = 0,
	SPD_BYPASS,
	SPD_DROP,
	SPD_TRAP,
} spd_action_t;

#define SPD_PRIO_DEFAULT 1000u

/* Traffic selector: inclusive ranges. family 0 in a lookup never matches. */
typedef struct spd_sel {
	uint8_t family;              /* AF_INET or AF_INET6 */
	uipsec_addr_t src_from, src_to;
	uipsec_addr_t dst_from, dst_to;
	uint8_t proto;               /* 0 = any */
	uint16_t sport_from, sport_to; /* 0..65535 = any; ICMP: type range */
	uint16_t dport_from, dport_to; /* ICMP: code range */
} spd_sel_t;

typedef struct spd_policy_cfg {
	spd_dir_t dir;
	spd_action_t action;
	uint32_t priority;           /* 0 = SPD_PRIO_DEFAULT */
	spd_sel_t sel;
	uint32_t reqid;              /* protect/trap: links the policy to its SAs */
	uint16_t owner;              /* who installed it (as sa_cfg_t.owner) */
	const char *tunnel;          /* optional name (events, listings) */
} spd_policy_cfg_t;

/* An installed policy (read-only outside spd.c, valid inside the read lock). */
typedef struct spd_policy {
	uint32_t id;
	spd_dir_t dir;
	spd_action_t action;
	uint32_t priority;           /* effective */
	uint32_t specificity;
	spd_sel_t sel;
	uint32_t reqid;
	uint16_t owner;
	char tunnel[64];
	int64_t last_acquire;        /* monotonic us, acquire rate limit (atomic) */
} spd_policy_t;

/* Selector helpers. "any" everywhere, then narrow. */
void spd_sel_any(spd_sel_t *s, uint8_t family);
/* Set src or dst to prefix/plen; returns false on a bad prefix length. */
bool spd_sel_set_prefix(spd_sel_t *s, bool dst, const uipsec_addr_t *prefix, unsigned plen);
/* Parse "10.1.0.0/24", "10.1.0.1-10.1.0.9", "2001:db8::/64", or a bare address. */
bool spd_sel_parse_addr(spd_sel_t *s, bool dst, const char *text);
bool spd_sel_match(const spd_sel_t *s, const ip_flow_t *f);

/* Initialise / tear down the SPD (spd_init is idempotent). */
void spd_init(void);
void spd_flush(void);

/* Install a policy; returns its id (> 0) in *id. An identical selector with
 * the same direction and priority is UIPSEC_ERR_EXISTS. */
int spd_add(const spd_policy_cfg_t *cfg, uint32_t *id, uipsec_err_t *err);
int spd_del(uint32_t id);
/* Number of installed policies. */
uint32_t spd_count(void);
/* Number of policies of one direction (inside the read lock). */
uint32_t spd_count_dir(spd_dir_t dir);
/* Bumped on every change (flow caches compare it). */
uint64_t spd_generation(void);

/* Uncached lookup (inside the read lock); NULL = no policy matches. */
spd_policy_t *spd_lookup(spd_dir_t dir, const ip_flow_t *f);

/* Per-worker flow cache in front of spd_lookup (not thread safe). */
typedef struct spd_cache spd_cache_t;
spd_cache_t *spd_cache_new(unsigned entries_log2);
void spd_cache_free(spd_cache_t *c);
spd_policy_t *spd_cache_lookup(spd_cache_t *c, spd_dir_t dir, const ip_flow_t *f);

/* Acquire rate limit: true at most once per SPD_ACQUIRE_INTERVAL_US per policy. */
#define SPD_ACQUIRE_INTERVAL_US 1000000
bool spd_acquire_allowed(spd_policy_t *p, int64_t now_us);

/* Visit every policy (inside the read lock), in id order. */
void spd_foreach(void (*fn)(const spd_policy_t *p, void *user), void *user);
const spd_policy_t *spd_get(uint32_t id);

const char *spd_action_name(spd_action_t a);
const char *spd_dir_name(spd_dir_t d);

#endif
