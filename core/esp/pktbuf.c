/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Packet buffer pool: fixed-size buffers from one slab, a locked free
 * stack, and per-worker caches that move packets to and from the pool a
 * batch at a time. */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "esp/pktbuf.h"

struct pktbuf_pool {
	pthread_mutex_t lock;
	uint32_t count, buf_size, nfree;
	uipsec_pkt_t *hdrs;       /* count packet descriptors */
	uint8_t *slab;            /* count * buf_size bytes */
	uipsec_pkt_t **free;      /* stack of free packets */
};

pktbuf_pool_t *pktbuf_pool_new(uint32_t count, uint32_t buf_size)
{
	if (count == 0 || buf_size < UIPSEC_PKT_HEADROOM + UIPSEC_PKT_TAILROOM + 64)
		return NULL;
	pktbuf_pool_t *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pthread_mutex_init(&pool->lock, NULL);
	buf_size = (buf_size + 63) & ~63u;   /* cache-line aligned buffers */
	pool->count = count;
	pool->buf_size = buf_size;
	pool->hdrs = calloc(count, sizeof(uipsec_pkt_t));
	pool->free = calloc(count, sizeof(uipsec_pkt_t *));
	if (posix_memalign((void **)&pool->slab, 64, (size_t)count * buf_size) != 0)
		pool->slab = NULL;
	if (!pool->hdrs || !pool->free || !pool->slab) {
		pktbuf_pool_free(pool);
		return NULL;
	}
	for (uint32_t i = 0; i < count; i++) {
		uipsec_pkt_t *p = &pool->hdrs[i];
		p->buf = pool->slab + (size_t)i * buf_size;
		p->cap = buf_size;
		pktbuf_reset(p);
		pool->free[i] = p;
	}
	pool->nfree = count;
	return pool;
}

void pktbuf_pool_free(pktbuf_pool_t *pool)
{
	if (!pool)
		return;
	free(pool->slab);
	free(pool->hdrs);
	free(pool->free);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

uint32_t pktbuf_pool_buf_size(const pktbuf_pool_t *pool) { return pool->buf_size; }

uint32_t pktbuf_pool_available(pktbuf_pool_t *pool)
{
	pthread_mutex_lock(&pool->lock);
	uint32_t n = pool->nfree;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

void pktbuf_reset(uipsec_pkt_t *p)
{
	p->off = UIPSEC_PKT_HEADROOM;
	p->len = 0;
	p->dev = 0;
	p->flags = UIPSEC_PKT_F_NONE;
	p->gso_size = p->gso_type = 0;
	p->mark = 0;
}

void pktbuf_prefetch(const uipsec_pkt_t *p)
{
	const uint8_t *d = uipsec_pkt_data(p);
	for (uint32_t off = 0; off < p->len; off += 64)
		__builtin_prefetch(d + off, 1, 3);   /* for writing: ciphers work in place */
}

/* Move up to n packets out of the pool into out; returns how many. */
static uint32_t pool_take(pktbuf_pool_t *pool, uipsec_pkt_t **out, uint32_t n)
{
	pthread_mutex_lock(&pool->lock);
	if (n > pool->nfree)
		n = pool->nfree;
	pool->nfree -= n;
	memcpy(out, pool->free + pool->nfree, n * sizeof(*out));
	pthread_mutex_unlock(&pool->lock);
	return n;
}

static void pool_give(pktbuf_pool_t *pool, uipsec_pkt_t *const *in, uint32_t n)
{
	pthread_mutex_lock(&pool->lock);
	/* A packet from another pool or freed twice would overflow the stack. */
	if (pool->nfree + n > pool->count)
		abort();
	memcpy(pool->free + pool->nfree, in, n * sizeof(*in));
	pool->nfree += n;
	pthread_mutex_unlock(&pool->lock);
}

uipsec_pkt_t *pktbuf_alloc(pktbuf_pool_t *pool)
{
	uipsec_pkt_t *p = NULL;
	if (pool_take(pool, &p, 1) == 0)
		return NULL;
	pktbuf_reset(p);
	return p;
}

void pktbuf_free(pktbuf_pool_t *pool, uipsec_pkt_t *p)
{
	if (p)
		pool_give(pool, &p, 1);
}

void pktbuf_cache_init(pktbuf_cache_t *c, pktbuf_pool_t *pool)
{
	c->pool = pool;
	c->n = 0;
}

void pktbuf_cache_flush(pktbuf_cache_t *c)
{
	if (c->n)
		pool_give(c->pool, c->free, c->n);
	c->n = 0;
}

uipsec_pkt_t *pktbuf_cache_alloc(pktbuf_cache_t *c)
{
	if (c->n == 0)
		c->n = pool_take(c->pool, c->free, PKTBUF_BATCH);
	if (c->n == 0)
		return NULL;
	uipsec_pkt_t *p = c->free[--c->n];
	pktbuf_reset(p);
	return p;
}

void pktbuf_cache_free(pktbuf_cache_t *c, uipsec_pkt_t *p)
{
	if (!p)
		return;
	if (c->n == 2 * PKTBUF_BATCH) {
		/* Keep one batch, return the older one. */
		pool_give(c->pool, c->free, PKTBUF_BATCH);
		memmove(c->free, c->free + PKTBUF_BATCH, PKTBUF_BATCH * sizeof(*c->free));
		c->n = PKTBUF_BATCH;
	}
	c->free[c->n++] = p;
}

uint32_t pktbuf_cache_alloc_batch(pktbuf_cache_t *c, pkt_batch_t *b, uint32_t want)
{
	if (want > PKTBUF_BATCH)
		want = PKTBUF_BATCH;
	b->n = 0;
	while (b->n < want) {
		uipsec_pkt_t *p = pktbuf_cache_alloc(c);
		if (!p)
			break;
		b->pkts[b->n++] = p;
	}
	return b->n;
}

void pktbuf_cache_free_batch(pktbuf_cache_t *c, pkt_batch_t *b)
{
	for (uint32_t i = 0; i < b->n; i++)
		pktbuf_cache_free(c, b->pkts[i]);
	b->n = 0;
}
