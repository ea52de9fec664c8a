/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Packet buffer pool and batches (internal API).
 *
 * Buffers are carved from large slabs, each packet's data placed after
 * UIPSEC_PKT_HEADROOM so outer headers are pushed in front without copying.
 * A pool is shared by all workers: each worker keeps a small private cache
 * (pktbuf_cache_t) and only touches the pool's lock when the cache runs
 * empty or full, once per PKTBUF_BATCH packets. */
#ifndef UIPSEC_CORE_PKTBUF_H
#define UIPSEC_CORE_PKTBUF_H

#include <uipsec/packet.h>

/* Packets per batch (vector) through the data path. */
#define PKTBUF_BATCH 64
/* Default buffer size: headroom + 64 KiB TUN packet + tailroom would waste
 * memory; 2048 covers MTU 1500 + headroom + tailroom. */
#define PKTBUF_DEFAULT_SIZE 2048

typedef struct pktbuf_pool pktbuf_pool_t;

/* A batch (vector) of packets. */
typedef struct pkt_batch {
	uint32_t n;
	uipsec_pkt_t *pkts[PKTBUF_BATCH];
} pkt_batch_t;

/* A per-worker cache in front of a pool (not thread safe: one per worker). */
typedef struct pktbuf_cache {
	pktbuf_pool_t *pool;
	uint32_t n;
	uipsec_pkt_t *free[2 * PKTBUF_BATCH];
} pktbuf_cache_t;

/* count packets of buf_size bytes each (buf_size includes head- and tailroom). */
pktbuf_pool_t *pktbuf_pool_new(uint32_t count, uint32_t buf_size);
void pktbuf_pool_free(pktbuf_pool_t *pool);
uint32_t pktbuf_pool_buf_size(const pktbuf_pool_t *pool);
/* Free packets in the pool right now (approximate under concurrency). */
uint32_t pktbuf_pool_available(pktbuf_pool_t *pool);

/* Thread-safe single allocation/free (slow path). Allocated packets are
 * reset: off = UIPSEC_PKT_HEADROOM, len = 0. NULL when exhausted. */
uipsec_pkt_t *pktbuf_alloc(pktbuf_pool_t *pool);
void pktbuf_free(pktbuf_pool_t *pool, uipsec_pkt_t *p);
/* Reset a packet for reuse (data at headroom, length 0, flags cleared). */
void pktbuf_reset(uipsec_pkt_t *p);
/* Start fetching a packet's data into the cache (a batch is larger than
 * L1: the next packet is fetched while the current one is processed). */
void pktbuf_prefetch(const uipsec_pkt_t *p);

void pktbuf_cache_init(pktbuf_cache_t *c, pktbuf_pool_t *pool);
/* Return every cached packet to the pool. */
void pktbuf_cache_flush(pktbuf_cache_t *c);
uipsec_pkt_t *pktbuf_cache_alloc(pktbuf_cache_t *c);
void pktbuf_cache_free(pktbuf_cache_t *c, uipsec_pkt_t *p);
/* Fill batch b with up to want fresh packets; returns how many it holds. */
uint32_t pktbuf_cache_alloc_batch(pktbuf_cache_t *c, pkt_batch_t *b, uint32_t want);
/* Free every packet of b and empty it. */
void pktbuf_cache_free_batch(pktbuf_cache_t *c, pkt_batch_t *b);

#endif
