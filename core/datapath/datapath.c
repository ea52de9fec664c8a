/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Data-path workers: an event loop per thread (core/os seam), batches through
 * the ESP engine. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uipsec/log.h>
#include <uipsec/plugin.h>
#include <uipsec/pktio.h>

#include "os/dgram.h"
#include "os/event_loop.h"
#include "os/thread_name.h"
#include "os/wake.h"
#include "esp/esp_decap.h"
#include "esp/esp_encap.h"
#include "datapath/gso.h"
#include "datapath/mtu.h"
#include "esp/pktbuf.h"
#include "esp/sad.h"
#include "esp/stats.h"
#include "datapath/raw_socket.h"
#include "datapath/udp_socket.h"
#include "datapath/udp_split.h"
#include "datapath/datapath.h"

#define SUBSYS "dp"
#define BATCH PKTBUF_BATCH
/* batches per ready descriptor before looking at the others again */
#define BUDGET 8
/* fragments of one oversized packet, and the ICMP reply */
#define SPARE 48
/* segments of one TCP super-packet (64 KiB / MSS, with room to spare) */
#define SEGS 64
/* a super-packet read from a TUN device with segmentation offload, or
 * coalesced datagrams from a socket with UDP_GRO */
#define GSO_MAX_PACKET 65536u
/* socket reads per batch (each up to 128 coalesced datagrams, split
 * into views BATCH at a time) */
#define UDP_RX 16
/* super-packets built per decapsulated batch */
#define GRO_BUFS 8
#define MAX_THREADS 256
#define TAG_STOP UINT32_MAX
/* TUN device d of the data path: TAG_TUN + d */
#define TAG_TUN 0xffff0000u
/* the shared raw ESP socket fd: TAG_RAW + fd (below: a UDP socket's fd) */
#define TAG_RAW 0xfffe0000u
/* devices: the default one plus one per virtual IP (per_vip_device) */
#define MAX_DEVS 16

typedef struct worker {
	datapath_t *dp;
	uint32_t id;
	pthread_t thread;
	bool started;
	os_event_loop_t *loop;
	udp_socket_t *us;
	esp_worker_t *esp;
	pktbuf_pool_t *pool;
	uipsec_pkt_t *tun_rx[BATCH];
	uipsec_pkt_t *udp_rx[UDP_RX];   /* 64 KiB each: coalesced datagrams */
	uipsec_pkt_t *raw_rx[BATCH];    /* raw ESP reads (only with raw sockets) */
	udp_local_t raw_local[BATCH];   /* where each arrived */
	ip_endpoint_t raw_from[BATCH];
	uint16_t udp_gso[UDP_RX];
	udp_local_t udp_local[UDP_RX];  /* where each read arrived (PKTINFO): SA lookup, IKE relay */
	uipsec_pkt_t views[BATCH];      /* one per datagram, pointing into udp_rx buffers */
	uipsec_pkt_t *vptr[BATCH];
	ip_endpoint_t vfrom[BATCH];
	uint32_t vbuf[BATCH];           /* the read each view was cut from */
	uipsec_pkt_t *spare[SPARE];
	uipsec_pkt_t *seg[SEGS];        /* only with segmentation offload */
	uipsec_pkt_t *pend[BATCH];      /* packets of the current batch to encrypt, in order */
	uipsec_pkt_t *gro[GRO_BUFS];    /* coalesced TCP super-packets for the TUN device */
	uipsec_pkt_t *gro_out[BATCH];
	uipsec_pkt_t *sorted[BATCH];    /* per-device share of a batch */
	bool gro_on;
	pktbuf_pool_t *big_pool;        /* 64 KiB buffers: socket reads, TUN reads with offload */
	bool tun_big;                   /* TUN reads use big_pool */
	ip_endpoint_t from[UDP_RX];
	esp_in_meta_t meta[BATCH];
	esp_result_t res[BATCH];
	uipsec_pkt_t *out[BATCH];
	ip_endpoint_t to[BATCH];
	uipsec_pkt_t *raw_out[BATCH];   /* the share of a batch for SAs with encap none */
	ip_endpoint_t raw_to[BATCH];
	/* the (SPI, source) pair checked last for a NAT rebinding */
	uint32_t rebind_spi;
	ip_endpoint_t rebind_from;
	uint32_t rebind_gen;            /* dp->rebind_gen when cached */
	mtu_icmp_limit_t icmp_limit;    /* ICMP "too big" replies into the TUN device */
} worker_t;

/* Which device owns which virtual IP: an immutable snapshot the workers
 * read without locks; replaced (never changed) by the main thread. */
typedef struct vip_map {
	uint32_t n;
	struct { uipsec_addr_t addr; uint32_t dev; } e[MAX_DEVS];
} vip_map_t;

struct datapath {
	const uipsec_pktio_ops_t *ops;
	void *pktio_state;
	uipsec_pktio_dev_t *devs[MAX_DEVS];   /* [0]: the default device */
	_Atomic uint32_t ndevs;
	bool per_vip;
	_Atomic(vip_map_t *) vips;
	GPtrArray *old_vips;                  /* replaced snapshots, freed at stop */
	char ifname[32];
	uint32_t mtu;
	uint16_t port;
	uint32_t nworkers;
	worker_t *workers;
	raw_socket_t *raw;                    /* shared by the workers; NULL: socket.raw_esp = no */
	os_wake_t *stop;                      /* signalled once: the workers return */
	_Atomic uint32_t inner_room;
	datapath_rebind_cb rebind_cb;
	void *rebind_user;
	_Atomic uint32_t rebind_gen;          /* bumped when a peer address was adopted */
	_Atomic(ike_relay_t *) ike_relay;     /* set once after start, cleared before stop */
};

uint32_t datapath_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : (uint32_t)n);
}

/* ------------------------------------------------------------ rebinding */

typedef struct rebind_note {
	datapath_t *dp;
	uint32_t reqid, spi;
	ip_endpoint_t from;
} rebind_note_t;

static gboolean rebind_deliver(gpointer data)
{
	rebind_note_t *n = data;
	/* an outbound SA points elsewhere now: workers check again. One that
	 * was not moved (a client's SA: reported, not adopted) stays cached
	 * in the workers, so a peer that keeps its new address is reported
	 * once, not once per packet. */
	if (n->dp->rebind_cb && n->dp->rebind_cb(n->reqid, n->spi, &n->from, n->dp->rebind_user))
		atomic_fetch_add(&n->dp->rebind_gen, 1);
	return G_SOURCE_REMOVE;
}

/* Inside the read lock, after decapsulation: does the authenticated
 * packet come from where our outbound SA sends? r is the decap result
 * (its reqid names the pair: no second SPI lookup). */
static void check_rebinding(worker_t *w, const esp_result_t *r, const ip_endpoint_t *from)
{
	uint32_t spi = r->spi;
	uint32_t gen = atomic_load_explicit(&w->dp->rebind_gen, memory_order_relaxed);
	if (!w->dp->rebind_cb ||
	    (w->rebind_spi == spi && w->rebind_gen == gen && udp_endpoint_equal(&w->rebind_from, from)))
		return;
	sa_t *out = sad_out_by_reqid(r->reqid);
	if (!out)
		return;
	/* remember the pair checked last: the next packets of the same peer
	 * cost one comparison, and a move is reported once */
	w->rebind_spi = spi;
	w->rebind_from = *from;
	w->rebind_gen = gen;
	/* raw ESP has no port: the address alone tells a move */
	if (out->encap == SA_ENCAP_NONE ? ip_addr_eq(&out->dst.addr, &from->addr) : udp_endpoint_equal(&out->dst, from))
		return;
	rebind_note_t *n = g_new0(rebind_note_t, 1);
	n->dp = w->dp;
	n->reqid = r->reqid;
	n->spi = spi;
	n->from = *from;
	if (out->encap == SA_ENCAP_NONE)
		n->from.port = out->dst.port;   /* kept for a switch back to UDP */
	g_idle_add_full(G_PRIORITY_DEFAULT, rebind_deliver, n, g_free);
}

/* ------------------------------------------------------------ outbound */

/* The share of a batch for SAs without UDP encapsulation: out of the
 * raw socket (the kernel adds the IP header, protocol 50). */
static __attribute__((noinline)) void send_raw(worker_t *w, int k)
{
	int sent = w->dp->raw ? raw_socket_send(w->dp->raw, w->raw_out, w->raw_to, k) : 0;
	stats_add(STAT_RAW_ESP_TX, (uint64_t)sent);
	if (sent < k)
		stats_add(STAT_QUEUE_DROPPED, (uint64_t)(k - sent));
}

/* Encapsulate pkts and send what the engine made into ESP (the UDP
 * payload, or the IP payload for raw ESP: the kernel adds the outer
 * headers). */
static void encap_and_send(worker_t *w, uipsec_pkt_t **pkts, uint32_t n)
{
	db_read_lock();
	esp_encap_batch(w->esp, pkts, n, w->res);
	db_read_unlock();
	int k = 0, kr = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (w->res[i].verdict != ESP_SEND)
			continue;   /* dropped, or bypass (counted `bypass`): its throw route should have kept it off the TUN */
		if (__builtin_expect(w->res[i].encap != SA_ENCAP_UDP, 0)) {
			w->raw_out[kr] = pkts[i];
			w->raw_to[kr++] = w->res[i].peer;
			continue;
		}
		w->out[k] = pkts[i];
		w->to[k] = w->res[i].peer;
		k++;
	}
	if (k) {
		int sent = udp_socket_send(w->us, w->out, w->to, k);
		if (sent < k)
			stats_add(STAT_QUEUE_DROPPED, (uint64_t)(k - sent));
	}
	if (kr)
		send_raw(w, kr);
}

/* Oversized cleartext: ICMP error back into the TUN device, or fragments. */
static void handle_too_big(worker_t *w, uint32_t dev, uipsec_pkt_t *p, mtu_verdict_t v, uint32_t room)
{
	datapath_t *dp = w->dp;
	if (v == MTU_FRAGMENT) {
		int nf = mtu_ip4_fragment(uipsec_pkt_data(p), p->len, room, w->spare, SPARE);
		if (nf > 0) {
			encap_and_send(w, w->spare, (uint32_t)nf);
			return;
		}
		stats_inc(STAT_MALFORMED);
		return;
	}
	if (v == MTU_TOO_BIG) {
		if (mtu_build_too_big(uipsec_pkt_data(p), p->len, room, w->spare[0])) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (!mtu_icmp_allow(&w->icmp_limit, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec))
				stats_inc(STAT_ICMP_SUPPRESSED);
			else if (dp->ops->write(dp->devs[dev], w->id, w->spare, 1) != 1)
				stats_inc(STAT_QUEUE_DROPPED);
		}
		/* the sender learns the MTU and retransmits smaller */
		stats_inc(STAT_POLICY_DROPPED);
		return;
	}
	stats_inc(STAT_MALFORMED);
}

/* Reads fail once the device was deleted from outside, and its fd stays
 * readable (EPOLLERR): stop watching it, or this worker spins. The main
 * thread learns of it from the network backend and stops the daemon. */
static void tun_read_failed(worker_t *w, uint32_t dev, int status)
{
	if (os_event_loop_remove(w->loop, w->dp->ops->fd(w->dp->devs[dev], w->id)))
		uwarn(SUBSYS, "worker %u: reading TUN device %u failed (%s): no longer reading it", w->id, dev,
		      uipsec_status_str(status));
}

static bool tun_rx(worker_t *w, uint32_t dev)
{
	datapath_t *dp = w->dp;
	int n = dp->ops->read(dp->devs[dev], w->id, w->tun_rx, BATCH);
	if (n < 0 && n != UIPSEC_ERR_INVAL)
		tun_read_failed(w, dev, n);
	if (n <= 0)
		return false;
	uint32_t room = atomic_load_explicit(&dp->inner_room, memory_order_relaxed);
	uint32_t k = 0;
	for (int i = 0; i < n; i++) {
		uipsec_pkt_t *p = w->tun_rx[i];
		if (p->gso_size && p->gso_type != UIPSEC_GSO_NONE) {
			/* a TCP super-packet: what came before it leaves first */
			if (k)
				encap_and_send(w, w->pend, k);
			k = 0;
			int ns = w->seg[0] ? gso_segment_tcp(p, w->seg, SEGS) : 0;
			if (ns <= 0) {
				stats_inc(STAT_MALFORMED);
			} else if (room && w->seg[0]->len > room) {
				/* segments too big for the path (TUN MTU set above
				 * it): TCP learns the MTU from one ICMP error */
				mtu_verdict_t v = mtu_check(uipsec_pkt_data(w->seg[0]), w->seg[0]->len, room);
				for (int j = 0; j < (v == MTU_FRAGMENT ? ns : 1); j++)
					handle_too_big(w, dev, w->seg[j], v, room);
			} else {
				encap_and_send(w, w->seg, (uint32_t)ns);
			}
			continue;
		}
		if ((p->flags & UIPSEC_PKT_F_CSUM_PARTIAL) && !gso_csum_complete(p)) {
			stats_inc(STAT_MALFORMED);
			continue;
		}
		if (room) {
			mtu_verdict_t v = mtu_check(uipsec_pkt_data(p), p->len, room);
			if (v != MTU_FITS) {
				handle_too_big(w, dev, p, v, room);
				continue;
			}
		}
		w->pend[k++] = p;
	}
	if (k)
		encap_and_send(w, w->pend, k);
	return n == BATCH;
}

/* ------------------------------------------------------------ inbound */

/* Write decrypted packets to one device (this worker's queue). */
static void write_to_device(worker_t *w, uint32_t dev, uipsec_pkt_t **pkts, int k)
{
	datapath_t *dp = w->dp;
	if (k > 1 && w->gro_on) {
		/* one TCP super-packet instead of dozens of segments: the
		 * receiving stack does its work once */
		k = gso_coalesce_tcp(pkts, k, w->gro_out, w->gro, GRO_BUFS);
		pkts = w->gro_out;
	}
	if (k) {
		int wr = dp->ops->write(dp->devs[dev], w->id, pkts, k);
		if (wr < k)
			stats_add(STAT_QUEUE_DROPPED, (uint64_t)(k - (wr > 0 ? wr : 0)));
	}
}

/* The device owning the inner destination address (0 = default). */
static uint32_t vip_device(const vip_map_t *map, const uint8_t *ip, uint32_t len)
{
	if (!map || len < 20)
		return 0;
	uipsec_addr_t dst;
	memset(&dst, 0, sizeof(dst));
	if ((ip[0] >> 4) == 4) {
		dst.family = AF_INET;
		memcpy(dst.bytes, ip + 16, 4);
	} else if ((ip[0] >> 4) == 6 && len >= 40) {
		dst.family = AF_INET6;
		memcpy(dst.bytes, ip + 24, 16);
	} else {
		return 0;
	}
	for (uint32_t i = 0; i < map->n; i++)
		if (ip_addr_eq(&map->e[i].addr, &dst))
			return map->e[i].dev;
	return 0;
}

/* IKE datagrams and NAT keepalives of the batch to the IKE daemon, with
 * the address and interface each arrived on. Rare (IKE rates). */
static void relay_ike(worker_t *w, ike_relay_t *relay, uipsec_pkt_t **pkts, const ip_endpoint_t *from,
                      const udp_local_t *local, const uint32_t *vbuf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (w->res[i].verdict == ESP_IKE || w->res[i].verdict == ESP_KEEPALIVE)
			ike_relay_forward(relay, uipsec_pkt_data(pkts[i]), pkts[i]->len, &from[i],
			                  &local[vbuf[i]], w->dp->port);
}

/* Decapsulate n ESP packets (UDP payloads, or raw ESP with encap
 * SA_ENCAP_NONE) and write what they carry into the TUN queue. The
 * address each arrived at (local[vbuf[i]], PKTINFO of its read) picks
 * among inbound SAs that share an SPI. */
static void decap_and_deliver(worker_t *w, uipsec_pkt_t **pkts, const ip_endpoint_t *from,
                              const udp_local_t *local, const uint32_t *vbuf, uint32_t n, uint8_t encap)
{
	datapath_t *dp = w->dp;
	for (uint32_t i = 0; i < n; i++) {
		w->meta[i].src = from[i];
		w->meta[i].dst.addr = local[vbuf[i]].addr;
		w->meta[i].dst.port = encap == SA_ENCAP_UDP ? dp->port : 0;
		w->meta[i].encap = encap;
	}
	int k = 0;
	db_read_lock();
	esp_decap_batch(w->esp, pkts, n, w->meta, w->res);
	for (uint32_t i = 0; i < n; i++) {
		if (w->res[i].verdict != ESP_DELIVER)
			continue;
		check_rebinding(w, &w->res[i], &from[i]);
		w->out[k++] = pkts[i];
	}
	db_read_unlock();
	ike_relay_t *relay = atomic_load_explicit(&dp->ike_relay, memory_order_acquire);
	if (relay)
		relay_ike(w, relay, pkts, from, local, vbuf, n);
	uint32_t ndevs = atomic_load_explicit(&dp->ndevs, memory_order_acquire);
	if (ndevs == 1) {
		write_to_device(w, 0, w->out, k);
		return;
	}
	/* per-VIP devices: each packet goes to the device owning its
	 * destination, the rest to the default device */
	const vip_map_t *map = atomic_load_explicit(&dp->vips, memory_order_acquire);
	uint32_t devof[BATCH];
	for (int i = 0; i < k; i++)
		devof[i] = vip_device(map, uipsec_pkt_data(w->out[i]), w->out[i]->len);
	for (uint32_t d = 0; d < ndevs; d++) {
		int m = 0;
		for (int i = 0; i < k; i++)
			if (devof[i] == d)
				w->sorted[m++] = w->out[i];
		if (m)
			write_to_device(w, d, w->sorted, m);
	}
}

static bool udp_rx(worker_t *w, int fd)
{
	uint32_t kdrops = 0;
	int n = udp_socket_recv(w->us, fd, w->udp_rx, w->from, w->udp_local, w->udp_gso, UDP_RX, &kdrops);
	if (kdrops)
		stats_add(STAT_QUEUE_DROPPED, kdrops);
	if (n <= 0)
		return false;
	/* split coalesced datagrams into views of the receive buffers, one
	 * batch at a time: each ESP packet is decrypted in place, nothing is
	 * copied, and however many segments a read holds (up to 128 each)
	 * the views never outgrow their arrays */
	udp_split_t split = { 0, 0 };
	uint32_t nv;
	while ((nv = udp_split(&split, w->udp_rx, w->udp_gso, w->from, (uint32_t)n, w->views, w->vptr,
	                       w->vfrom, w->vbuf, BATCH)) > 0)
		decap_and_deliver(w, w->vptr, w->vfrom, w->udp_local, w->vbuf, nv, SA_ENCAP_UDP);
	return n == UDP_RX;
}

/* Raw ESP from the shared socket fd: IP header (IPv4) checked and
 * stripped, then the same decapsulation as ESP in UDP. */
static bool raw_rx(worker_t *w, int fd)
{
	uint32_t kdrops = 0;
	int n = raw_socket_recv(w->dp->raw, fd, w->raw_rx, w->raw_from, w->raw_local, BATCH, &kdrops);
	if (kdrops)
		stats_add(STAT_QUEUE_DROPPED, kdrops);
	if (n <= 0)
		return false;
	stats_add(STAT_RAW_ESP_RX, (uint64_t)n);
	uint32_t k = 0;
	for (int i = 0; i < n; i++) {
		stats_id_t why;
		if (!raw_esp_parse(w->raw_rx[i], w->raw_from[i].addr.family, &w->raw_local[i].addr, &why)) {
			stats_inc(why);
			continue;
		}
		w->vptr[k] = w->raw_rx[i];
		w->vfrom[k] = w->raw_from[i];
		w->vbuf[k++] = (uint32_t)i;
	}
	if (k)
		decap_and_deliver(w, w->vptr, w->vfrom, w->raw_local, w->vbuf, k, SA_ENCAP_NONE);
	return n == BATCH;
}

/* ------------------------------------------------------------ thread */

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	char tname[16];
	g_snprintf(tname, sizeof(tname), "uipsec-w%u", w->id);
	os_thread_name_self(tname);
	uint32_t tags[16];
	for (;;) {
		int n = os_event_loop_wait(w->loop, tags, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			uerror(SUBSYS, "worker %u: %s wait: %s", w->id, os_event_loop_kind(), g_strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = tags[i];
			if (tag == TAG_STOP)
				return NULL;
			for (int b = 0; b < BUDGET; b++) {
				bool more = tag >= TAG_TUN ? tun_rx(w, tag - TAG_TUN)
				            : tag >= TAG_RAW ? raw_rx(w, (int)(tag - TAG_RAW)) : udp_rx(w, (int)tag);
				if (!more)
					break;
			}
		}
	}
	return NULL;
}

static void worker_free(worker_t *w)
{
	os_event_loop_destroy(w->loop);
	udp_socket_close(w->us);
	if (w->esp)
		esp_worker_free(w->esp);
	pktbuf_pool_t *tun_pool = w->tun_big ? w->big_pool : w->pool;
	uipsec_pkt_t **sets[] = { w->tun_rx, w->udp_rx, w->spare, w->seg, w->gro, w->raw_rx };
	pktbuf_pool_t *pools[] = { tun_pool, w->big_pool, w->pool, w->pool, w->big_pool, w->pool };
	unsigned sizes[] = { BATCH, UDP_RX, SPARE, SEGS, GRO_BUFS, BATCH };
	for (unsigned s = 0; s < 6; s++)
		for (unsigned i = 0; i < sizes[s]; i++)
			if (sets[s][i])
				pktbuf_free(pools[s], sets[s][i]);
	if (w->big_pool)
		pktbuf_pool_free(w->big_pool);
	if (w->pool)
		pktbuf_pool_free(w->pool);
}

static bool worker_init(datapath_t *dp, worker_t *w, uint32_t id, const udp_socket_cfg_t *scfg,
                        uint32_t buf_size, GError **err)
{
	w->dp = dp;
	w->id = id;
	w->us = udp_socket_open(scfg, err);
	if (!w->us)
		return false;
	w->esp = esp_worker_new(id);
	bool gso = dp->ops->offloads && (dp->ops->offloads(dp->devs[0]) & UIPSEC_PKTIO_OFF_GSO);
	w->tun_big = gso;
	uint32_t raw = dp->raw ? BATCH : 0;
	w->pool = pktbuf_pool_new((gso ? 0 : BATCH) + SPARE + (gso ? SEGS : 0) + raw, buf_size);
	w->gro_on = gso;
	w->big_pool = pktbuf_pool_new(UDP_RX + (gso ? BATCH + GRO_BUFS : 0),
	                              UIPSEC_PKT_HEADROOM + GSO_MAX_PACKET + UIPSEC_PKT_TAILROOM);
	if (!w->esp || !w->pool || !w->big_pool) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "worker %u: out of memory", id);
		return false;
	}
	uipsec_pkt_t **sets[] = { w->tun_rx, w->udp_rx, w->spare, w->seg, w->gro, w->raw_rx };
	pktbuf_pool_t *pools[] = { gso ? w->big_pool : w->pool, w->big_pool, w->pool, w->pool, w->big_pool, w->pool };
	unsigned sizes[] = { BATCH, UDP_RX, SPARE, gso ? SEGS : 0, gso ? GRO_BUFS : 0, raw };
	for (unsigned s = 0; s < 6; s++)
		for (unsigned i = 0; i < sizes[s]; i++)
			if (!(sets[s][i] = pktbuf_alloc(pools[s]))) {
				g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "worker %u: packet pool exhausted", id);
				return false;
			}
	w->loop = os_event_loop_create();
	int fds[UDP_SOCKET_MAX_FDS];
	unsigned nfd = udp_socket_fds(w->us, fds, UDP_SOCKET_MAX_FDS);
	bool ok = w->loop && os_event_loop_add(w->loop, os_wake_fd(dp->stop), TAG_STOP) &&
	          os_event_loop_add(w->loop, dp->ops->fd(dp->devs[0], id), TAG_TUN);
	for (unsigned i = 0; ok && i < nfd; i++)
		ok = os_event_loop_add(w->loop, fds[i], (uint32_t)fds[i]);
	/* each raw socket is read by one worker (IPv4 by worker 0, IPv6 by
	 * worker 1, ...): what arrives keeps its order, as ESP in UDP from one
	 * peer does (its 4-tuple hashes to one SO_REUSEPORT socket). Every
	 * worker sends on them. */
	nfd = dp->raw ? raw_socket_fds(dp->raw, fds, UDP_SOCKET_MAX_FDS) : 0;
	for (unsigned i = 0; ok && i < nfd; i++)
		if (i % dp->nworkers == id)
			ok = os_event_loop_add(w->loop, fds[i], TAG_RAW + (uint32_t)fds[i]);
	if (!ok) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "worker %u: %s: %s", id,
		            os_event_loop_kind(), g_strerror(errno));
		return false;
	}
	return true;
}

/* uipsecd.threads: how many workers to ask the device for (0 = one per CPU). */
static bool wanted_workers(const uipsec_settings_t *s, uint32_t *want, GError **err)
{
	int64_t threads = uipsec_settings_get_int(s, "uipsecd.threads", 0);
	if (threads < 0 || threads > MAX_THREADS) {
		const char *o = uipsec_settings_origin(s, "uipsecd.threads");
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: uipsecd.threads: %lld is out of range (0..%d)",
		            o ? o : "config", (long long)threads, MAX_THREADS);
		return false;
	}
	*want = threads ? (uint32_t)threads : datapath_default_threads();
	return true;
}

/* Opens the first packet I/O device with up to want queues; there are as
 * many workers as it has queues. */
static bool open_first_device(datapath_t *dp, uint32_t default_mtu, uint32_t want, GError **err)
{
	const uipsec_pktio_ops_t *ops = dp->ops;
	/* the workers segment super-packets and complete checksums themselves;
	 * the portable data path asks for no TUN offloads (FreeBSD and macOS
	 * have none), so Linux runs the code they run */
	uipsec_pktio_cfg_t pcfg = { .name = NULL, .mtu = default_mtu, .queues = want,
	                            .offloads = os_dgram_offloads() ? UIPSEC_PKTIO_OFF_GSO | UIPSEC_PKTIO_OFF_CSUM : 0 };
	uipsec_err_t perr = { "" };
	int rc = ops->open(dp->pktio_state, &pcfg, &dp->devs[0], &perr);
	if (rc != UIPSEC_OK) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "packet I/O device: %s",
		            perr.msg[0] ? perr.msg : uipsec_status_str(rc));
		return false;
	}
	atomic_store(&dp->ndevs, 1);
	g_strlcpy(dp->ifname, ops->name(dp->devs[0]), sizeof(dp->ifname));
	dp->mtu = ops->mtu ? ops->mtu(dp->devs[0]) : default_mtu;
	dp->nworkers = ops->queues ? ops->queues(dp->devs[0]) : 1;
	if (dp->nworkers > want)
		dp->nworkers = want;
	return true;
}

static bool init_workers(datapath_t *dp, const udp_socket_cfg_t *scfg, GError **err)
{
	/* room for the largest datagram a peer with a bigger MTU may send */
	uint32_t payload = dp->mtu + 256 > 9216 ? dp->mtu + 256 : 9216;
	uint32_t buf_size = (UIPSEC_PKT_HEADROOM + payload + UIPSEC_PKT_TAILROOM + 63) & ~63u;
	bool ok = true;
	for (uint32_t i = 0; ok && i < dp->nworkers; i++)
		ok = worker_init(dp, &dp->workers[i], i, scfg, buf_size, err);
	return ok;
}

static bool start_worker_threads(datapath_t *dp, GError **err)
{
	for (uint32_t i = 0; i < dp->nworkers; i++) {
		int e = pthread_create(&dp->workers[i].thread, NULL, worker_main, &dp->workers[i]);
		if (e) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "worker thread: %s", g_strerror(e));
			return false;
		}
		dp->workers[i].started = true;
	}
	return true;
}

datapath_t *datapath_start(const uipsec_settings_t *s, uint32_t default_mtu, GError **err)
{
	void *pstate = NULL;
	const uipsec_pktio_ops_t *ops = uipsec_feature_get(UIPSEC_FT_PKTIO, 0, NULL, &pstate);
	if (!ops) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            "no packet I/O plugin loaded (add io-tun to uipsecd.load)");
		return NULL;
	}
	uint32_t want;
	if (!wanted_workers(s, &want, err))
		return NULL;
	udp_socket_cfg_t scfg;
	if (!udp_socket_cfg_load(&scfg, s, err))
		return NULL;
	scfg.gro = os_dgram_offloads();   /* udp_rx() splits coalesced datagrams */

	datapath_t *dp = g_new0(datapath_t, 1);
	dp->ops = ops;
	dp->port = scfg.port;
	dp->pktio_state = pstate;
	/* BSD/macOS need one device per virtual IP (routes there name a
	 * device, and an address picks the device its replies come from) */
	dp->per_vip = uipsec_settings_get_bool(s, "uipsecd.plugins.io-tun.per_vip_device", UIPSEC_PER_VIP_DEFAULT);
	dp->old_vips = g_ptr_array_new_with_free_func(g_free);
	if (!open_first_device(dp, default_mtu, want, err)) {
		udp_socket_cfg_clear(&scfg);
		g_free(dp);
		return NULL;
	}
	sa_set_workers(dp->nworkers);
	dp->stop = os_wake_create();
	dp->workers = g_new0(worker_t, dp->nworkers);
	bool ok = dp->stop != NULL;
	if (!ok)
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "stop signal (%s): %s", os_wake_kind(),
		            g_strerror(errno));
	/* before the workers (they watch it) and before any privilege drop */
	if (ok && raw_socket_enabled(s))
		ok = (dp->raw = raw_socket_open(&scfg, err)) != NULL;
	ok = ok && init_workers(dp, &scfg, err);
	udp_socket_cfg_clear(&scfg);
	if (!ok || !start_worker_threads(dp, err)) {
		datapath_stop(dp);
		return NULL;
	}
	uinfo(SUBSYS, "data path: %u worker thread%s on %s (MTU %u), ESP-in-UDP port %u, raw ESP %s", dp->nworkers,
	      dp->nworkers == 1 ? "" : "s", dp->ifname, dp->mtu, dp->port, dp->raw ? "on" : "off");
	return dp;
}

void datapath_stop(datapath_t *dp)
{
	if (!dp)
		return;
	if (dp->stop && !os_wake_signal(dp->stop))
		uwarn(SUBSYS, "stopping workers: %s", g_strerror(errno));
	for (uint32_t i = 0; dp->workers && i < dp->nworkers; i++)
		if (dp->workers[i].started)
			pthread_join(dp->workers[i].thread, NULL);
	for (uint32_t i = 0; dp->workers && i < dp->nworkers; i++)
		worker_free(&dp->workers[i]);
	g_free(dp->workers);
	raw_socket_close(dp->raw);
	os_wake_destroy(dp->stop);
	for (uint32_t d = 0; d < MAX_DEVS; d++)
		if (dp->devs[d])
			dp->ops->close(dp->devs[d]);
	g_free(atomic_load(&dp->vips));
	if (dp->old_vips)
		g_ptr_array_free(dp->old_vips, TRUE);
	g_free(dp);
}

const char *datapath_ifname(const datapath_t *dp) { return dp->ifname; }
bool datapath_per_vip(const datapath_t *dp) { return dp->per_vip; }

/* A new snapshot with vips[] mapped to device d. */
static void vip_map_publish(datapath_t *dp, const uipsec_addr_t *vips, unsigned nvips, uint32_t d)
{
	vip_map_t *old = atomic_load(&dp->vips);
	vip_map_t *map = g_new0(vip_map_t, 1);
	if (old)
		*map = *old;
	for (unsigned v = 0; v < nvips && map->n < MAX_DEVS; v++) {
		bool have = false;
		for (uint32_t i = 0; i < map->n; i++)
			have |= ip_addr_eq(&map->e[i].addr, &vips[v]);
		if (!have) {
			map->e[map->n].addr = vips[v];
			map->e[map->n].dev = d;
			map->n++;
		}
	}
	atomic_store_explicit(&dp->vips, map, memory_order_release);
	/* workers may still read the old snapshot: keep it until stop */
	if (old)
		g_ptr_array_add(dp->old_vips, old);
}

const char *datapath_vip_device(datapath_t *dp, const uipsec_addr_t *vips, unsigned nvips, GError **err)
{
	uint32_t n = atomic_load(&dp->ndevs);
	const vip_map_t *old = atomic_load(&dp->vips);
	for (unsigned v = 0; v < nvips; v++)
		for (uint32_t i = 0; old && i < old->n; i++)
			if (ip_addr_eq(&old->e[i].addr, &vips[v])) {
				vip_map_publish(dp, vips, nvips, old->e[i].dev);
				return dp->ops->name(dp->devs[old->e[i].dev]);
			}
	if (n == MAX_DEVS) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "no more than %d TUN devices", MAX_DEVS - 1);
		return NULL;
	}
	/* the default device's name with the device number: uipsec0 -> uipsec1 */
	char base[32], name[32];
	g_strlcpy(base, dp->ifname, sizeof(base));
	size_t bl = strlen(base);
	while (bl && g_ascii_isdigit(base[bl - 1]))
		base[--bl] = '\0';
	g_snprintf(name, sizeof(name), "%s%u", base, n);
	uipsec_pktio_cfg_t pcfg = { .name = name, .mtu = dp->mtu, .queues = dp->nworkers,
	                            .offloads = UIPSEC_PKTIO_OFF_GSO | UIPSEC_PKTIO_OFF_CSUM };
	uipsec_err_t perr = { "" };
	uipsec_pktio_dev_t *dev = NULL;
	int rc = dp->ops->open(dp->pktio_state, &pcfg, &dev, &perr);
	if (rc != UIPSEC_OK) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "TUN device for a virtual IP: %s",
		            perr.msg[0] ? perr.msg : uipsec_status_str(rc));
		return NULL;
	}
	if ((dp->ops->queues ? dp->ops->queues(dev) : 1) < dp->nworkers) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "TUN device %s: fewer queues than workers",
		            dp->ops->name(dev));
		dp->ops->close(dev);
		return NULL;
	}
	dp->devs[n] = dev;
	vip_map_publish(dp, vips, nvips, n);
	atomic_store_explicit(&dp->ndevs, n + 1, memory_order_release);
	/* each worker reads its queue of the new device from now on
	 * (the event loop seam allows adding while its thread waits) */
	for (uint32_t i = 0; i < dp->nworkers; i++)
		if (!os_event_loop_add(dp->workers[i].loop, dp->ops->fd(dev, i), TAG_TUN + n))
			uwarn(SUBSYS, "worker %u: watching %s: %s", i, dp->ops->name(dev), g_strerror(errno));
	uinfo(SUBSYS, "TUN device %s for virtual IP", dp->ops->name(dev));
	return dp->ops->name(dev);
}
uint32_t datapath_mtu(const datapath_t *dp) { return dp->mtu; }
uint32_t datapath_threads(const datapath_t *dp) { return dp->nworkers; }
uint16_t datapath_port(const datapath_t *dp) { return dp->port; }
bool datapath_raw_esp(const datapath_t *dp) { return dp->raw != NULL; }
const char *datapath_flavour(void) { return UIPSEC_DATAPATH_FLAVOUR; }

void datapath_set_inner_room(datapath_t *dp, uint32_t room)
{
	atomic_store(&dp->inner_room, room);
}

void datapath_recheck_peers(datapath_t *dp)
{
	atomic_fetch_add(&dp->rebind_gen, 1);
}

void datapath_set_rebind_cb(datapath_t *dp, datapath_rebind_cb cb, void *user)
{
	dp->rebind_user = user;
	dp->rebind_cb = cb;
}

void datapath_set_ike_relay(datapath_t *dp, ike_relay_t *relay)
{
	atomic_store_explicit(&dp->ike_relay, relay, memory_order_release);
}

bool datapath_send_from(datapath_t *dp, const void *data, size_t len, const uipsec_addr_t *src, uint32_t ifindex,
                        const ip_endpoint_t *peer)
{
	/* worker 0's socket, as keepalives: a socket of the reuseport group
	 * (from the ESP port), and no extra member that would take a share
	 * of the incoming ESP */
	return dp->nworkers && udp_socket_send_from(dp->workers[0].us, data, len, src, ifindex, peer);
}

bool datapath_send_keepalive(datapath_t *dp, const ip_endpoint_t *peer)
{
	/* sendto on worker 0's socket: safe alongside its own sends, and the
	 * keepalive leaves from the ESP-in-UDP port as the NAT must see */
	return dp->nworkers && udp_socket_send_keepalive(dp->workers[0].us, peer);
}
