/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the address, prefix and fwmark parsers of <uipsec/net.h>
 * (they read local_ts/remote_ts/vip and the fwmark options from the config).
 * Whatever parses must print and re-parse to the same value. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <uipsec/net.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128];
	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	uipsec_prefix_t p, q;
	char buf[UIPSEC_PREFIX_STRLEN];
	if (uipsec_prefix_parse(s, &p)) {
		if (!uipsec_prefix_parse(uipsec_prefix_str(&p, buf, sizeof(buf)), &q) || !uipsec_prefix_equal(&p, &q))
			abort();
		if (!uipsec_prefix_contains(&p, &p.addr))
			abort();
	}
	uipsec_addr_t a, b;
	char abuf[UIPSEC_ADDR_STRLEN];
	if (uipsec_addr_parse(s, &a)) {
		if (!uipsec_addr_parse(uipsec_addr_str(&a, abuf, sizeof(abuf)), &b) || !uipsec_addr_equal(&a, &b))
			abort();
	}
	bool inv;
	uint32_t mark, mask;
	uipsec_err_t err;
	if (uipsec_fwmark_parse(s, &inv, &mark, &mask, &err) && (mark & ~mask))
		abort();
	return 0;
}
