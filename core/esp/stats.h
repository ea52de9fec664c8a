/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Global data-path counters (internal API).
 *
 * Each thread counts into its own cache-line aligned block (no atomics, no
 * sharing on the hot path); a snapshot sums every live block plus what
 * threads that exited left behind. Names are those of `stats` in docs/contract.md. */
#ifndef UIPSEC_CORE_STATS_H
#define UIPSEC_CORE_STATS_H

#include <stdint.h>

typedef enum stats_id {
	STAT_RX_PACKETS,     /* ESP packets decapsulated and delivered */
	STAT_TX_PACKETS,     /* ESP packets built */
	STAT_RX_BYTES,       /* inner bytes delivered */
	STAT_TX_BYTES,       /* inner bytes encapsulated */
	STAT_AUTH_FAILED,    /* ICV did not verify */
	STAT_REPLAY_DROPPED, /* duplicate or too old */
	STAT_BAD_SPI,        /* no inbound SA for the SPI */
	STAT_MALFORMED,      /* truncated, bad padding, bad next header, bad inner packet */
	STAT_POLICY_DROPPED, /* drop policy, or inner packet outside the SA's selectors */
	STAT_NO_SA,          /* protect/trap policy without an outbound SA, or SA expired */
	STAT_KEEPALIVE_RX,   /* NAT keepalives (RFC 3948 0xFF) */
	STAT_IKE_RX,         /* non-ESP marker packets (IKE on port 4500) */
	STAT_QUEUE_DROPPED,  /* a queue between stages was full (data path) */
	STAT_BYPASS,         /* matched a bypass policy in the TUN device: dropped (its
	                      * throw route keeps bypass traffic off the TUN) */
	STAT_DUMMY_DROPPED,  /* next header 59 (TFC dummy packets) */
	STAT_CRYPTO_FAILED,  /* crypto backend error other than auth */
	STAT_SEQ_RESERVE_WAIT, /* outbound sequence number not yet reserved on disk */
	STAT_ICMP_SUPPRESSED, /* ICMP "too big" replies to the TUN held back by the rate limit */
	STAT_CONTROL_STALLED, /* control clients closed for not reading their replies/events */
	STAT_IKE_RELAY_DROPPED, /* IKE datagrams the relay could not pass on (client socket full,
	                         * or a reply the kernel would not send) */
	STAT_IKE_RELAY_MALFORMED, /* frames from the IKE daemon rejected (length, version, family, flags) */
	STAT_ENCAP_MISMATCH, /* ESP of an encap=udp SA as IP protocol 50, or of an encap=none SA in UDP */
	STAT_RAW_ESP_RX,     /* IP protocol 50 packets read from the raw ESP sockets (before any check) */
	STAT_RAW_ESP_TX,     /* ESP packets sent as IP protocol 50 (SAs with encap none) */
	STAT_TUN_DOWN,       /* a TUN device of the daemon was set down from outside */
	STAT_TUN_LOST,       /* a TUN device of the daemon was deleted from outside, or reads from it failed */
	STAT_ROUTES_REINSTALLED, /* routes, rules, virtual IPs of the daemon removed by someone else, put back */
	STAT_NET_EVENTS_LOST, /* the network backend lost notifications (netlink ENOBUFS): full re-check */
	STAT_COUNT
} stats_id_t;

/* Per-thread block; use stats_add(). */
typedef struct stats_block {
	uint64_t v[STAT_COUNT];
} __attribute__((aligned(64))) stats_block_t;

extern __thread stats_block_t *stats_tls;
stats_block_t *stats_thread_block(void);

static inline void stats_add(stats_id_t id, uint64_t n)
{
	stats_block_t *b = stats_tls;
	if (__builtin_expect(!b, 0))
		b = stats_thread_block();
	/* single writer: a relaxed load/store pair, no locked instruction */
	__atomic_store_n(&b->v[id], __atomic_load_n(&b->v[id], __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
static inline void stats_inc(stats_id_t id) { stats_add(id, 1); }

/* SPEC name, e.g. "replay_dropped". */
const char *stats_name(stats_id_t id);
/* Sum over every thread; out has STAT_COUNT entries. Counts a thread adds
 * while the snapshot runs may be seen or not (each is a single word). */
void stats_snapshot(uint64_t out[STAT_COUNT]);
/* Zero every counter (tests). */
void stats_reset(void);

#endif
