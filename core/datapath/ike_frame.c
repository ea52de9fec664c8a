/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IKE relay frames: encode the header, decode and check a whole message. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "util/byteorder.h"
#include "datapath/ike_frame.h"

/* the wire says 4 or 6: AF_INET6 differs between Linux and the BSDs */
static uint8_t wire_family(int af)
{
	return af == AF_INET ? 4 : af == AF_INET6 ? 6 : 0;
}

ike_frame_status_t ike_frame_encode(const ike_frame_t *f, uint8_t hdr[IKE_FRAME_HDR_LEN])
{
	uint8_t fam = wire_family(f->src.addr.family);
	if (!fam || f->dst.addr.family != f->src.addr.family)
		return IKE_FRAME_BAD_FAMILY;
	size_t alen = ip_addr_len(f->src.addr.family);
	memset(hdr, 0, IKE_FRAME_HDR_LEN);
	hdr[0] = IKE_FRAME_VERSION;
	hdr[1] = fam;
	put_be16(hdr + 2, f->flags);
	put_be16(hdr + 4, f->src.port);
	put_be16(hdr + 6, f->dst.port);
	put_be32(hdr + 8, f->ifindex);
	memcpy(hdr + 12, f->src.addr.bytes, alen);
	memcpy(hdr + 28, f->dst.addr.bytes, alen);
	return IKE_FRAME_OK;
}

ike_frame_status_t ike_frame_decode(const uint8_t *msg, size_t len, ike_frame_t *f, const uint8_t **payload,
                                    size_t *payload_len)
{
	if (len < IKE_FRAME_HDR_LEN)
		return IKE_FRAME_SHORT;
	if (msg[0] != IKE_FRAME_VERSION)
		return IKE_FRAME_BAD_VERSION;
	int af = msg[1] == 4 ? AF_INET : msg[1] == 6 ? AF_INET6 : 0;
	if (!af)
		return IKE_FRAME_BAD_FAMILY;
	memset(f, 0, sizeof(*f));
	f->flags = get_be16(msg + 2);
	if (f->flags)
		return IKE_FRAME_BAD_FLAGS;
	size_t plen = len - IKE_FRAME_HDR_LEN;
	if (plen == 0)
		return IKE_FRAME_EMPTY;
	if (plen > IKE_FRAME_MAX_PAYLOAD)
		return IKE_FRAME_TOO_BIG;
	size_t alen = ip_addr_len((uint8_t)af);
	f->src.addr.family = f->dst.addr.family = (uint8_t)af;
	f->src.port = get_be16(msg + 4);
	f->dst.port = get_be16(msg + 6);
	f->ifindex = get_be32(msg + 8);
	/* an IPv4 frame's bytes past the address are ignored, not copied:
	 * ip_addr_eq() and friends expect them zero */
	memcpy(f->src.addr.bytes, msg + 12, alen);
	memcpy(f->dst.addr.bytes, msg + 28, alen);
	*payload = msg + IKE_FRAME_HDR_LEN;
	*payload_len = plen;
	return IKE_FRAME_OK;
}

const char *ike_frame_status_str(ike_frame_status_t st)
{
	switch (st) {
	case IKE_FRAME_OK: return "ok";
	case IKE_FRAME_SHORT: return "shorter than the header";
	case IKE_FRAME_BAD_VERSION: return "unknown version";
	case IKE_FRAME_BAD_FAMILY: return "unknown address family";
	case IKE_FRAME_BAD_FLAGS: return "unknown flags";
	case IKE_FRAME_EMPTY: return "no payload";
	case IKE_FRAME_TOO_BIG: return "payload over 64 KiB";
	}
	return "?";
}
