/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Splitting coalesced datagrams (UDP_GRO) into views: whatever the
 * segment sizes and counts, the views tile the receive buffers exactly,
 * in order, and no call writes more than its max views. */
#include "config.h"

#include <string.h>
#include <glib.h>

#include "datapath/udp_split.h"

#define NBUF 16
#define MAXV 64
/* guard entries behind the arrays: a write past max shows there */
#define GUARD 8

typedef struct rx {
	uint32_t n;
	uipsec_pkt_t pkt[NBUF];
	uipsec_pkt_t *bufs[NBUF];
	uint16_t seg[NBUF];
	ip_endpoint_t from[NBUF];
} rx_t;

static void rx_init(rx_t *r, uint32_t n)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	for (uint32_t i = 0; i < n; i++) {
		r->pkt[i].cap = UIPSEC_PKT_HEADROOM + 65536 + UIPSEC_PKT_TAILROOM;
		r->pkt[i].buf = g_malloc0(r->pkt[i].cap);
		r->pkt[i].off = UIPSEC_PKT_HEADROOM;
		r->bufs[i] = &r->pkt[i];
		r->from[i].port = (uint16_t)(4500 + i);
	}
}

static void rx_clear(rx_t *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		g_free(r->pkt[i].buf);
}

/* The datagrams buffer i should give: ceil(len / seg), one when empty. */
static uint32_t expected_views(const uipsec_pkt_t *p, uint16_t seg)
{
	if (!p->len)
		return 1;
	uint32_t s = seg ? seg : p->len;
	return (p->len + s - 1) / s;
}

/* Split everything max views at a time; check the tiling; return the count. */
static uint32_t split_all(rx_t *r, uint32_t max)
{
	uipsec_pkt_t views[MAXV + GUARD];
	uipsec_pkt_t *vptr[MAXV + GUARD];
	ip_endpoint_t vfrom[MAXV + GUARD];
	uint32_t vbuf[MAXV + GUARD];
	udp_split_t s = { 0, 0 };
	uint32_t total = 0, want = 0, i = 0, off = 0, nv;
	for (uint32_t b = 0; b < r->n; b++)
		want += expected_views(r->bufs[b], r->seg[b]);
	g_assert_cmpuint(max, <=, MAXV);
	memset(views, 0xa5, sizeof(views));
	memset(vptr, 0xa5, sizeof(vptr));
	memset(vfrom, 0xa5, sizeof(vfrom));
	memset(vbuf, 0xa5, sizeof(vbuf));
	while ((nv = udp_split(&s, r->bufs, r->seg, r->from, r->n, views, vptr, vfrom, vbuf, max)) > 0) {
		g_assert_cmpuint(nv, <=, max);
		/* full chunks until the last one */
		g_assert_true(nv == max || total + nv == want);
		for (uint32_t k = 0; k < nv; k++) {
			const uipsec_pkt_t *p = r->bufs[i];
			uint32_t seg = r->seg[i] ? r->seg[i] : p->len;
			uint32_t len = p->len - off < seg ? p->len - off : seg;
			g_assert_true(vptr[k] == &views[k]);
			g_assert_true(views[k].buf == p->buf);
			g_assert_cmpuint(vbuf[k], ==, i);   /* where it arrived: that buffer's PKTINFO */
			g_assert_cmpuint(views[k].off, ==, p->off + off);
			g_assert_cmpuint(views[k].len, ==, len);
			/* a view cannot grow into the next datagram */
			g_assert_cmpuint(views[k].cap, ==, views[k].off + views[k].len);
			g_assert_cmpuint(views[k].gso_size, ==, 0);
			g_assert_cmpuint(vfrom[k].port, ==, r->from[i].port);
			off += len;
			if (off >= p->len) {
				i++;
				off = 0;
			}
		}
		total += nv;
		for (uint32_t k = max; k < MAXV + GUARD; k++) {
			const uint8_t *gv = (const uint8_t *)&views[k], *gp = (const uint8_t *)&vptr[k];
			const uint8_t *gf = (const uint8_t *)&vfrom[k], *gb = (const uint8_t *)&vbuf[k];
			g_assert_cmpuint(gv[0], ==, 0xa5);
			g_assert_cmpuint(gp[0], ==, 0xa5);
			g_assert_cmpuint(gf[0], ==, 0xa5);
			g_assert_cmpuint(gb[0], ==, 0xa5);
		}
	}
	g_assert_cmpuint(i, ==, r->n);   /* every buffer, every byte */
	g_assert_cmpuint(total, ==, want);
	/* done means done */
	g_assert_cmpuint(udp_split(&s, r->bufs, r->seg, r->from, r->n, views, vptr, vfrom, vbuf, max), ==, 0);
	return total;
}

/* What made today's array overflow: 16 reads of 128 one-byte segments. */
static void test_max_segments(void)
{
	rx_t r;
	rx_init(&r, NBUF);
	for (uint32_t i = 0; i < NBUF; i++) {
		r.pkt[i].len = 128;
		r.seg[i] = 1;
	}
	g_assert_cmpuint(split_all(&r, MAXV), ==, NBUF * 128);
	g_assert_cmpuint(split_all(&r, 1), ==, NBUF * 128);
	g_assert_cmpuint(split_all(&r, 7), ==, NBUF * 128);
	/* 64 KiB of 1-byte segments: more than the kernel sends, still bounded */
	r.pkt[3].len = 65536;
	g_assert_cmpuint(split_all(&r, MAXV), ==, NBUF * 128 - 128 + 65536);
	rx_clear(&r);
}

static void test_edge_sizes(void)
{
	rx_t r;
	rx_init(&r, 6);
	r.pkt[0].len = 1000; r.seg[0] = 0;      /* not coalesced: one datagram */
	r.pkt[1].len = 1000; r.seg[1] = 4000;   /* segment larger than the buffer */
	r.pkt[2].len = 0;    r.seg[2] = 0;      /* empty: one empty view */
	r.pkt[3].len = 0;    r.seg[3] = 100;
	r.pkt[4].len = 1001; r.seg[4] = 100;    /* last segment shorter */
	r.pkt[5].len = 65535; r.seg[5] = 65535;
	g_assert_cmpuint(split_all(&r, MAXV), ==, 1 + 1 + 1 + 1 + 11 + 1);
	g_assert_cmpuint(split_all(&r, 1), ==, 16);
	/* no buffers: nothing */
	rx_t none;
	rx_init(&none, 0);
	g_assert_cmpuint(split_all(&none, MAXV), ==, 0);
	rx_clear(&r);
}

/* A length the buffer cannot hold is cut at the buffer's end. */
static void test_len_past_cap(void)
{
	rx_t r;
	rx_init(&r, 1);
	r.pkt[0].len = r.pkt[0].cap;   /* claims more than cap - off */
	r.seg[0] = 1500;
	uipsec_pkt_t views[MAXV], *vptr[MAXV];
	ip_endpoint_t vfrom[MAXV];
	uint32_t vbuf[MAXV];
	udp_split_t s = { 0, 0 };
	uint32_t nv, end = 0;
	while ((nv = udp_split(&s, r.bufs, r.seg, r.from, 1, views, vptr, vfrom, vbuf, MAXV)) > 0)
		for (uint32_t k = 0; k < nv; k++)
			end = views[k].cap;
	g_assert_cmpuint(end, ==, r.pkt[0].cap);
	rx_clear(&r);
}

/* Random lengths, segment sizes and chunk sizes. */
static void test_random(void)
{
	GRand *rnd = g_rand_new_with_seed(11);
	for (int round = 0; round < 300; round++) {
		rx_t r;
		uint32_t n = (uint32_t)g_rand_int_range(rnd, 1, NBUF + 1);
		rx_init(&r, n);
		for (uint32_t i = 0; i < n; i++) {
			r.seg[i] = (uint16_t)(g_rand_boolean(rnd) ? g_rand_int_range(rnd, 0, 9) : g_rand_int_range(rnd, 0, 65536));
			r.pkt[i].len = (uint32_t)g_rand_int_range(rnd, 0, 4097);
		}
		split_all(&r, (uint32_t)g_rand_int_range(rnd, 1, MAXV + 1));
		rx_clear(&r);
	}
	g_rand_free(rnd);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/udp-split/128-segments-of-1-byte", test_max_segments);
	g_test_add_func("/udp-split/edge-sizes", test_edge_sizes);
	g_test_add_func("/udp-split/len-past-cap", test_len_past_cap);
	g_test_add_func("/udp-split/random", test_random);
	return g_test_run();
}
