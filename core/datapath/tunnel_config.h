/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One manually keyed tunnel's configuration (internal API).
 *
 * Parses a `tunnels.<name>` section: endpoints, selectors, virtual IPs,
 * proposal, lifetimes and keys (inline or from key_file, refused when the
 * file is group/world accessible). Every error names file:line. The
 * proposal and key lengths are checked here, so a bad tunnel fails at
 * start-up rather than when it is brought up. tunnel.c owns the
 * run-time state kept in the same struct. */
#ifndef UIPSEC_CORE_TUNNEL_CONFIG_H
#define UIPSEC_CORE_TUNNEL_CONFIG_H

#include <glib.h>
#include <uipsec/net.h>
#include <uipsec/settings.h>
#include "util/ip.h"
#include "esp/seq_store.h"
#include "esp/ts.h"

#define TUNNEL_MAX_TS 8
#define TUNNEL_MAX_POLICIES (2 * TUNNEL_MAX_TS * TUNNEL_MAX_TS)
/* NAT keepalive interval when a tunnel sets none (strongSwan's default). */
#define TUNNEL_KEEPALIVE_DEFAULT 20

typedef struct keyset {
	uint32_t spi;
	uint8_t *key, *integ_key;   /* wiped on free */
	size_t key_len, integ_key_len;
} keyset_t;

typedef struct tunnel {
	/* ---- configuration (tunnel_config_parse) */
	char *name;
	char *origin;           /* file:line of the tunnel's definition */
	ip_endpoint_t local, peer, configured_peer;
	ts_t local_ts[TUNNEL_MAX_TS], remote_ts[TUNNEL_MAX_TS];
	unsigned n_local_ts, n_remote_ts;
	uipsec_prefix_t vips[TUNNEL_MAX_TS];
	unsigned n_vips;
	char *esp;
	bool esn, start;
	bool encap;             /* ESP in UDP (yes, the default) or raw ESP, IP protocol 50 (no) */
	uint32_t replay_window;
	uint64_t keepalive, rekey_time, life_time, life_bytes, life_packets;
	keyset_t in, out;
	uint32_t reqid;

	/* ---- run-time state (tunnel.c) */
	bool up;
	uint32_t policies[TUNNEL_MAX_POLICIES];
	unsigned n_policies;
	guint keepalive_src;
	uint32_t inner_room;    /* outer path MTU minus overhead, 0 unknown */
	/* last outbound sequence number of an earlier install: a tunnel taken
	 * down and up again continues there (the peer's replay window has
	 * seen the old numbers, and the same key with the same sequence
	 * number would repeat an AEAD nonce) */
	uint64_t out_seq;
	/* an SA reached its hard lifetime: these keys are used up */
	bool expired;
	/* outbound sequence numbers reserved on disk (NULL: not opened yet or
	 * uipsecd.state_dir = none); kept across down/up */
	seq_resv_t *resv;
	bool resv_failed;       /* extending it failed (logged once) */
} tunnel_t;

/* Parse and check tunnels.<name> (port: the local UDP port and the default
 * remote_port). NULL with err (file:line) when anything is wrong. */
tunnel_t *tunnel_config_parse(const uipsec_settings_t *s, const char *name, uint16_t port, GError **err);
/* Wipes the keys. */
void tunnel_config_free(tunnel_t *t);

/* Same SPI and key bytes. */
bool tunnel_keyset_equal(const keyset_t *a, const keyset_t *b);
/* Same addresses, selectors and virtual IPs: policies and routes can stay. */
bool tunnel_config_same_plumbing(const tunnel_t *a, const tunnel_t *b);
/* Everything that shapes the installed tunnel ('start' only matters at start). */
bool tunnel_config_same(const tunnel_t *a, const tunnel_t *b);

#endif
