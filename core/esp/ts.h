/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Traffic selectors as written in tunnel sections and in add-sa requests
 * (one parser for both):
 *
 *   "10.1.0.0/24", "10.1.0.1-10.1.0.9", "2001:db8::/64", "10.1.0.7",
 *   each optionally followed by "[proto/port]": "10.1.0.0/24[tcp/443]",
 *   "2001:db8::/64[udp/1000-2000]", "0.0.0.0/0[icmp]", "10.0.0.0/8[/53]".
 *
 * An SA's inbound selectors are the (remote -> local) pairs of one family. */
#ifndef UIPSEC_CORE_TS_H
#define UIPSEC_CORE_TS_H

#include <stdbool.h>
#include <stdint.h>
#include <uipsec/net.h>
#include "util/ip.h"
#include "esp/spd.h"

#define TS_TEXT_MAX 128

typedef struct ts {
	char text[TS_TEXT_MAX];       /* as written */
	uint8_t family;
	uipsec_addr_t from, to;           /* address range */
	bool is_prefix;
	uipsec_prefix_t prefix;       /* when is_prefix: what routes point at */
	uint8_t proto;                /* 0 = any */
	uint16_t port_from, port_to;  /* 0-65535 = any; ICMP: type / code */
} ts_t;

/* Parse text into ts; on failure *why is a g_malloc'd reason quoting text. */
bool ts_parse(const char *text, ts_t *ts, char **why);
/* Can src -> dst be one selector (same family, no protocol clash)? */
bool ts_pair_ok(const ts_t *src, const ts_t *dst);
/* The selector for packets from src to dst (ts_pair_ok must hold). */
void ts_sel(spd_sel_t *sel, const ts_t *src, const ts_t *dst);
/* Selectors of packets arriving from the remote side: every pair
 * remote[r] -> local[l] that ts_pair_ok accepts, at most max; returns the count. */
unsigned ts_inbound_sels(spd_sel_t *out, unsigned max, const ts_t *remote, unsigned n_remote,
                         const ts_t *local, unsigned n_local);

#endif
