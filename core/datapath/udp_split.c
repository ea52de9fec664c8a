/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Coalesced datagrams (UDP_GRO) to one view per datagram, in bounded chunks. */
#include "config.h"

#include <uipsec/pktio.h>

#include "datapath/udp_split.h"

uint32_t udp_split(udp_split_t *s, uipsec_pkt_t *const *bufs, const uint16_t *seg,
                   const ip_endpoint_t *from, uint32_t n, uipsec_pkt_t *views, uipsec_pkt_t **vptr,
                   ip_endpoint_t *vfrom, uint32_t *vbuf, uint32_t max)
{
	uint32_t k = 0;
	/* the bound is checked before every write: a chunk never holds more
	 * than max views, the rest waits for the next call */
	while (k < max && s->i < n) {
		const uipsec_pkt_t *p = bufs[s->i];
		/* never past the buffer, whatever len claims */
		uint32_t avail = p->off > p->cap ? 0 : (p->len < p->cap - p->off ? p->len : p->cap - p->off);
		uint32_t left = avail > s->off ? avail - s->off : 0;
		uint32_t size = seg[s->i] ? seg[s->i] : left;
		uint32_t len = left < size ? left : size;
		uipsec_pkt_t *v = &views[k];
		/* the view ends where the next datagram begins: decapsulation in
		 * place can never reach into its neighbour */
		*v = (uipsec_pkt_t){ .buf = p->buf, .off = p->off + s->off, .len = len,
		                     .cap = p->off + s->off + len, .gso_type = UIPSEC_GSO_NONE };
		vptr[k] = v;
		vfrom[k] = from[s->i];
		vbuf[k] = s->i;
		k++;
		s->off += len;
		/* len == 0 only when nothing is left: every pass makes progress */
		if (len == 0 || s->off >= avail) {
			s->i++;
			s->off = 0;
		}
	}
	return k;
}
