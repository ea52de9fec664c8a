/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the IKE relay frame parser (core/datapath/ike_frame.c),
 * the one parser of bytes the IKE daemon writes to uipsecd. The input is
 * one SEQPACKET message, copied to a block of exactly its size so ASan
 * catches any read past it. A frame that parses encodes back to the same
 * header, and its payload lies inside the message. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "datapath/ike_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = malloc(size ? size : 1);
	if (!msg)
		return 0;
	if (size)
		memcpy(msg, data, size);
	ike_frame_t f;
	const uint8_t *payload = NULL;
	size_t plen = 0;
	if (ike_frame_decode(msg, size, &f, &payload, &plen) == IKE_FRAME_OK) {
		if (payload < msg || payload + plen != msg + size || plen == 0 || plen > IKE_FRAME_MAX_PAYLOAD)
			abort();
		uint8_t hdr[IKE_FRAME_HDR_LEN];
		if (ike_frame_encode(&f, hdr) != IKE_FRAME_OK)
			abort();
		/* the address bytes an IPv4 frame does not use are not kept */
		size_t alen = ip_addr_len(f.src.addr.family);
		if (memcmp(hdr, msg, 12) != 0 || memcmp(hdr + 12, msg + 12, alen) != 0 ||
		    memcmp(hdr + 28, msg + 28, alen) != 0)
			abort();
	}
	free(msg);
	return 0;
}
