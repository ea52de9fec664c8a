/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the cleartext side, what a worker does with a packet
 * read from the TUN device (tun_rx() in core/datapath/datapath.c) without
 * the device: the virtio-net header as io-tun's read interprets it
 * (GSO type TCPV4/TCPV6 + gso_size, NEEDS_CSUM), then
 *  - a TCP super-packet: gso_segment_tcp(); segments larger than the
 *    inner room go through mtu_check() + the too-big handling,
 *  - anything else: gso_csum_complete() for a partial checksum, then
 *    mtu_check() against the inner room: fits, mtu_ip4_fragment() (IPv4
 *    without DF), or mtu_build_too_big() (the ICMP / ICMPv6 reply),
 * and what survives through esp_encap_batch() with real outbound
 * policies and SAs installed (IPv4 inner: AES-GCM over IPv4; IPv6 inner:
 * AES-CBC + HMAC over IPv6, which pads).
 * Checked: segments hold at most hdr + MSS bytes and tile the payload,
 * fragments fit the room, start at multiples of 8 and tile the payload,
 * a reply quotes at most what RFC 1812 / RFC 4443 allow, and every buffer
 * the engine produced lies inside its packet buffer (ASan sees the rest).
 *
 * Input: [flags: 1][room: 2, big endian][virtio_net_hdr: 10, if flags
 * bit 0][IP packet]. flags bit 0: the device has offloads (virtio-net
 * header, 64 KiB buffers; without: 9 KiB buffers as the worker's pool);
 * room 0: no path MTU known. The header is the legacy one in host byte
 * order (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <linux/virtio_net.h>
#include <uipsec/pktio.h>
#include "../esp_test_util.h"
#include "datapath/gso.h"
#include "datapath/mtu.h"

#ifndef FUZZ_PLUGIN_PATH
#define FUZZ_PLUGIN_PATH ""
#endif

/* as core/datapath/datapath.c */
#define SPARE 48
#define SEGS 64
#define GSO_MAX_PACKET 65536u
#define POOL_PAYLOAD 9216u

static const struct { uint32_t spi; uint32_t reqid; const char *esp; bool v6; const char *dst; } fz_sas[] = {
	{ 0x00000200, 1, "aes128gcm16", false, "10.0.0.0/8" },
	{ 0x00000201, 2, "aes128-sha256", true, "fd00::/8" },
};

static pktbuf_pool_t *fz_pool;      /* the worker's pool: spare and segment buffers */
static esp_worker_t *fz_worker;
static uint8_t fz_key[64];
static uipsec_pkt_t *fz_spare[SPARE], *fz_seg[SEGS];
static esp_result_t fz_res[SEGS > SPARE ? SEGS : SPARE];

static void tweak(sa_cfg_t *c, size_t idx)
{
	c->reqid = fz_sas[idx].reqid;
	c->replay_window = 0;
}

static void fuzz_setup(void)
{
	esp_test_fuzz_crypto(FUZZ_PLUGIN_PATH, fz_key, sizeof(fz_key));
	for (size_t i = 0; i < G_N_ELEMENTS(fz_sas); i++) {
		esp_test_fuzz_sa_pair(fz_sas[i].spi, fz_sas[i].esp, fz_key, fz_sas[i].v6, tweak, i);
		spd_policy_cfg_t c = { 0 };
		spd_sel_any(&c.sel, fz_sas[i].v6 ? AF_INET6 : AF_INET);
		if (!spd_sel_parse_addr(&c.sel, true, fz_sas[i].dst))
			abort();
		c.dir = SPD_DIR_OUT;
		c.action = SPD_PROTECT;
		c.reqid = fz_sas[i].reqid;
		c.tunnel = "fuzz";
		uint32_t id;
		if (spd_add(&c, &id, NULL) != UIPSEC_OK)
			abort();
	}
	uint32_t buf = (UIPSEC_PKT_HEADROOM + POOL_PAYLOAD + UIPSEC_PKT_TAILROOM + 63) & ~63u;
	fz_pool = pktbuf_pool_new(SPARE + SEGS, buf);
	for (int i = 0; i < SPARE; i++)
		fz_spare[i] = pktbuf_alloc(fz_pool);
	for (int i = 0; i < SEGS; i++)
		fz_seg[i] = pktbuf_alloc(fz_pool);
	fz_worker = esp_worker_new(0);
}

static void check_inside(const uipsec_pkt_t *p)
{
	if (p->off > p->cap || p->len > p->cap - p->off)
		abort();
}

/* esp_encap_batch() as encap_and_send() calls it; what it sends must lie
 * inside its buffer and carry at least the ESP header */
static void encap(uipsec_pkt_t **pkts, uint32_t n)
{
	db_read_lock();
	esp_encap_batch(fz_worker, pkts, n, fz_res);
	db_read_unlock();
	for (uint32_t i = 0; i < n; i++) {
		check_inside(pkts[i]);
		if (fz_res[i].verdict == ESP_SEND && pkts[i]->len < ESP_HDR_LEN)
			abort();
	}
}

/* the fragments of an IPv4 packet: each within room, at multiples of 8,
 * together exactly its payload */
static void check_fragments(const uint8_t *orig, int nf, uint32_t room)
{
	uint32_t ihl = (orig[0] & 15) * 4u, total = get_be16(orig + 2);
	uint32_t base = (get_be16(orig + 6) & 0x1fff) * 8u, at = base;
	for (int i = 0; i < nf; i++) {
		const uipsec_pkt_t *f = fz_spare[i];
		const uint8_t *h = uipsec_pkt_data(f);
		check_inside(f);
		uint32_t fo = (get_be16(h + 6) & 0x1fff) * 8u;
		if (f->len > room || f->len <= ihl || get_be16(h + 2) != f->len || fo != at ||
		    (i < nf - 1 && (f->len - ihl) % 8))
			abort();
		at += f->len - ihl;
	}
	if (at - base != total - ihl)
		abort();
}

/* handle_too_big() of the worker: fragments, or the ICMP reply */
static void too_big(const uipsec_pkt_t *p, mtu_verdict_t v, uint32_t room)
{
	const uint8_t *d = uipsec_pkt_data(p);
	if (v == MTU_FRAGMENT) {
		int nf = mtu_ip4_fragment(d, p->len, room, fz_spare, SPARE);
		if (nf < 0 || nf > SPARE)
			abort();
		if (nf > 0) {
			check_fragments(d, nf, room);
			encap(fz_spare, (uint32_t)nf);
		}
	} else if (v == MTU_TOO_BIG && mtu_build_too_big(d, p->len, room, fz_spare[0])) {
		const uipsec_pkt_t *r = fz_spare[0];
		check_inside(r);
		/* IPv4: header + ICMP + the original's header and 8 bytes;
		 * IPv6: the minimum MTU */
		if (r->len > ((d[0] >> 4) == 4 ? IPV4_HDR_LEN + 8u + 60u + 8u : MTU_IPV6_MIN))
			abort();
		ip_flow_t f;
		if (ip_parse_flow(uipsec_pkt_data(r), r->len, &f) != r->len)
			abort();
	}
}

/* gso_segment_tcp()'s segments: headers + at most mss bytes each, the
 * payload in order */
static void check_segments(const uipsec_pkt_t *p, int ns)
{
	const uint8_t *d = uipsec_pkt_data(p);
	uint32_t l4 = (d[0] >> 4) == 4 ? (d[0] & 15) * 4u : IPV6_HDR_LEN;
	uint32_t hdr = l4 + (d[l4 + 12] >> 4) * 4u, at = hdr;
	for (int i = 0; i < ns; i++) {
		const uipsec_pkt_t *s = fz_seg[i];
		check_inside(s);
		if (s->len <= hdr || s->len - hdr > p->gso_size ||
		    memcmp(uipsec_pkt_data(s) + hdr, d + at, s->len - hdr) != 0)
			abort();
		at += s->len - hdr;
	}
	if (at != p->len)
		abort();
}

static void tun_rx(uipsec_pkt_t *p, uint32_t room)
{
	if (p->gso_size && p->gso_type != UIPSEC_GSO_NONE) {
		int ns = gso_segment_tcp(p, fz_seg, SEGS);
		if (ns < 0 || ns > SEGS)
			abort();
		if (ns == 0)
			return;   /* counted malformed */
		check_segments(p, ns);
		if (room && fz_seg[0]->len > room) {
			mtu_verdict_t v = mtu_check(uipsec_pkt_data(fz_seg[0]), fz_seg[0]->len, room);
			for (int j = 0; j < (v == MTU_FRAGMENT ? ns : 1); j++)
				too_big(fz_seg[j], v, room);
		} else {
			encap(fz_seg, (uint32_t)ns);
		}
		return;
	}
	if ((p->flags & UIPSEC_PKT_F_CSUM_PARTIAL) && !gso_csum_complete(p))
		return;   /* counted malformed */
	if (room) {
		mtu_verdict_t v = mtu_check(uipsec_pkt_data(p), p->len, room);
		if (v == MTU_FITS && p->len > room)
			abort();
		if (v != MTU_FITS) {
			too_big(p, v, room);
			return;
		}
	}
	encap(&p, 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	bool vnet = data[0] & 1;
	uint32_t room = get_be16(data + 1);
	size_t pos = 3;
	/* the read buffer: exactly as large as the worker's, so ASan sees
	 * anything past it */
	uipsec_pkt_t p = { 0 };
	p.cap = UIPSEC_PKT_HEADROOM + (vnet ? GSO_MAX_PACKET : POOL_PAYLOAD) + UIPSEC_PKT_TAILROOM;
	p.buf = malloc(p.cap);
	p.off = UIPSEC_PKT_HEADROOM;
	p.gso_type = UIPSEC_GSO_NONE;
	if (vnet) {
		/* what io_tun_read() takes from the virtio-net header */
		struct virtio_net_hdr vh;
		if (size - pos < sizeof(vh)) {
			free(p.buf);
			return 0;
		}
		memcpy(&vh, data + pos, sizeof(vh));
		pos += sizeof(vh);
		if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			p.flags |= UIPSEC_PKT_F_CSUM_PARTIAL;
		switch (vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
		case VIRTIO_NET_HDR_GSO_TCPV4: p.gso_type = UIPSEC_GSO_TCPV4; p.gso_size = vh.gso_size; break;
		case VIRTIO_NET_HDR_GSO_TCPV6: p.gso_type = UIPSEC_GSO_TCPV6; p.gso_size = vh.gso_size; break;
		default: break;
		}
	}
	/* a read never returns more than the buffer holds, nor nothing */
	size_t len = size - pos;
	if (len > p.cap - UIPSEC_PKT_HEADROOM - UIPSEC_PKT_TAILROOM)
		len = p.cap - UIPSEC_PKT_HEADROOM - UIPSEC_PKT_TAILROOM;
	if (len == 0) {
		free(p.buf);
		return 0;
	}
	memcpy(p.buf + p.off, data + pos, len);
	p.len = (uint32_t)len;
	tun_rx(&p, room);
	free(p.buf);
	return 0;
}
