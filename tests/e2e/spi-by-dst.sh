#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Inbound SAs are found by (SPI, destination), as the kernel finds them:
# B holds two inbound SAs with SPI 0x2000 and different keys, one for each
# of its addresses (192.0.2.2, 192.0.2.12). The UDP socket learns where
# each datagram arrived (IP_PKTINFO), so A's ESP to either address is
# decrypted with that address's SA: no auth_failed, each SA counts its own
# packets. Without the destination the SPI alone would pick one of them
# for both, and the other's packets would fail their ICV.
. "$(dirname "$0")/lib.sh"
require_root_tools jq ping
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"

net2net_topo uipt-spidst$$
ip -n "$NS_GB" addr add 192.0.2.12/24 dev out0
K1=$(gen_key 20) K2=$(gen_key 20) K3=$(gen_key 20)
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

check "gateway A: SAs, policies and route (ESP to 192.0.2.2 with key 1)" \
	ctl_gateway a "$NS_GA" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 0x1000 0x2000 "$K3" "$K1"
check "gateway B: SAs, policies and route (SA 0x2000 at 192.0.2.2, key 1)" \
	ctl_gateway b "$NS_GB" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 0x2000 0x1000 "$K1" "$K3"
check "B: a second inbound SA 0x2000, at 192.0.2.12 with key 2" \
	ctl_add_sa b in 192.0.2.12 192.0.2.1 0x2000 "$K2" 10.2.0.0/24 10.1.0.0/24

# packets SPI DST: packets B's inbound SA 0x2000 at DST counted
packets() { ctl b --json query-sa spi 0x2000 dir in dst "$1" | jq -r .packets; }
st0=$(stats_json b)
check "ping A -> B, ESP to 192.0.2.2" nsx "$NS_HA" ping -c 5 -i 0.1 -W 2 10.2.0.2
check "the SA at 192.0.2.2 counted the 5 requests, the one at 192.0.2.12 none" \
	test "$(packets 192.0.2.2) $(packets 192.0.2.12)" = "5 0"

check "A's outbound SA 0x2000 now goes to 192.0.2.12 with key 2" \
	bash -c "$(declare -f ctl ctl_add_sa); UIPSECCTL='$UIPSECCTL' T_TMP='$T_TMP'
	         ctl a del-sa spi 0x2000 dir out && ctl_add_sa a out 192.0.2.1 192.0.2.12 0x2000 '$K2'"
check "ping A -> B, ESP to 192.0.2.12" nsx "$NS_HA" ping -c 5 -i 0.1 -W 2 10.2.0.2
check "the SA at 192.0.2.12 counted its 5, the one at 192.0.2.2 still 5" \
	test "$(packets 192.0.2.2) $(packets 192.0.2.12)" = "5 5"
st1=$(stats_json b)
check "B: no auth_failed, no bad_spi" \
	test "$(stat_delta "$st0" "$st1" auth_failed) $(stat_delta "$st0" "$st1" bad_spi)" = "0 0"

check "daemons stop cleanly" stop_daemons
finish
