#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Control protocol v2 end to end, in namespaces: a configured tunnel t1
# (10.1/10.2, owner "config") next to SAs an IKE daemon ("charon") installs
# for 10.11/10.12 with uipsecctl: alloc-spi gives the inbound SPIs, add-sa
# consumes them, traffic flows, query-sa counts it, flush charon removes
# charon's SAs and policies and leaves the configured tunnel carrying
# traffic. Also: reqid 1 of charon is not t1's reqid 1, status protocol 2.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
UIPSECCTL=${UIPSECCTL_UNDER_TEST:-$top_builddir/core/ctl/uipsecctl}
require_root_tools jq ping
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
# the daemons run dropped to user uipsec with CAP_NET_ADMIN only (docs/security.md)
use_daemon_user

net2net_topo uipt-ctl-v2$$
K1=$(gen_key 20) K2=$(gen_key 20) K3=$(gen_key 20) K4=$(gen_key 20)
LOAD="crypto-openssl io-tun net-netlink"
daemon_conf "$T_TMP/a.conf" a "load = $LOAD"
daemon_conf "$T_TMP/b.conf" b "load = $LOAD"
tunnel_conf "$T_TMP/a.conf" t1 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$K2" "$K1"
tunnel_conf "$T_TMP/b.conf" t1 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$K1" "$K2"
ip -n "$NS_HA" addr add 10.11.0.2/24 dev eth0
ip -n "$NS_GA" addr add 10.11.0.1/24 dev in0
ip -n "$NS_HB" addr add 10.12.0.2/24 dev eth0
ip -n "$NS_GB" addr add 10.12.0.1/24 dev in0
ip -n "$NS_HA" route add 10.12.0.0/24 via 10.11.0.1
ip -n "$NS_HB" route add 10.11.0.0/24 via 10.12.0.1
start_daemon a "$NS_GA" "$T_TMP/a.conf" && start_daemon b "$NS_GB" "$T_TMP/b.conf" || { echo "Bail out! daemons did not start"; exit 1; }

check "status: protocol 2, socket port and fwmark" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json status | jq -e '.protocol == 2 and (.port | type) == \"number\" and (.fwmark | type) == \"number\"'"
check "the configured tunnel's SAs belong to owner config" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas owner config | jq -e 'length == 2 and all(.[]; .owner == \"config\" and .tunnel == \"t1\")'"

# the inbound SPI of each side comes from its own daemon
SPI_A=$(ctl a --owner charon alloc-spi min 0x10000 max 0x1ffff dst 192.0.2.1)
SPI_B=$(ctl b --owner charon alloc-spi min 0x10000 max 0x1ffff dst 192.0.2.2)
check "alloc-spi prints an SPI in the range on each side" \
	bash -c "[[ '$SPI_A' =~ ^0x0001[0-9a-f]{4}$ && '$SPI_B' =~ ^0x0001[0-9a-f]{4}$ ]]"
check "status counts the reservation" bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json status | jq -e '.spis_reserved == 1'"
check "another owner cannot take the reserved SPI (exit 1)" \
	bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' --owner other add-sa src 192.0.2.2 dst 192.0.2.1 spi $SPI_A dir in reqid 1 esp aes128gcm16 key $K3 any"
# charon's SAs use reqid 1, as t1 does: separate namespaces
charon_gw() {   # charon_gw GW LOCAL REMOTE LNET RNET SPI_IN SPI_OUT KEY_IN KEY_OUT
	local gw=$1
	ctl "$gw" --owner charon add-sa src "$3" dst "$2" spi "$6" dir in reqid 1 esp aes128gcm16 key "$8" \
		local-ts "$4" remote-ts "$5" &&
	ctl "$gw" --owner charon add-sa src "$2" dst "$3" spi "$7" dir out reqid 1 esp aes128gcm16 key "$9" &&
	ctl "$gw" --owner charon add-policy src "$4" dst "$5" dir out reqid 1 &&
	ctl "$gw" --owner charon add-policy src "$5" dst "$4" dir in reqid 1
}
check "gateway A: charon's SAs (alloc-spi'd inbound SPI) and policies, reqid 1" \
	charon_gw a 192.0.2.1 192.0.2.2 10.11.0.0/24 10.12.0.0/24 "$SPI_A" "$SPI_B" "$K3" "$K4"
check "gateway B: the same" \
	charon_gw b 192.0.2.2 192.0.2.1 10.12.0.0/24 10.11.0.0/24 "$SPI_B" "$SPI_A" "$K4" "$K3"
ip -n "$NS_GA" route add 10.12.0.0/24 dev uipsec0
ip -n "$NS_GB" route add 10.11.0.0/24 dev uipsec0
check "add-sa consumed the reservation" bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json status | jq -e '.spis_reserved == 0'"
check "list-policies owner charon: reqid 1 in charon's namespace" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-policies --owner charon | jq -e 'length == 2 and all(.[]; .reqid == 1 and .owner == \"charon\")'"

check "ping through charon's SAs (10.11 -> 10.12)" nsx "$NS_HA" ping -c 5 -i 0.1 -W 2 -I 10.11.0.2 10.12.0.2
check "ping through the configured tunnel (10.1 -> 10.2)" nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2
check "query-sa on A: the inbound SA counted 5 packets / 420 bytes, last use on both clocks" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json query-sa spi $SPI_A dir in dst 192.0.2.1 | jq -e '.packets == 5 and .bytes == 420 and .owner == \"charon\" and .reqid == 1 and .last_use > 0 and .last_use_mono > 0 and .last_use_mono <= .now_mono'"
check "query-sa on A: the outbound SA counted 5 packets" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json query-sa spi $SPI_B dir out | jq -e '.packets == 5'"
check "query-sa: unknown SPI (exit 1)" bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' query-sa spi 0x7777 dir in"

check "flush charon on A removes 2 SAs and 2 policies" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json flush owner charon | jq -e '.sas == 2 and .policies == 2'"
check "flush config is refused (exit 1)" bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' flush owner config"
check "charon's SAs are gone, t1's are there" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -e 'length == 2 and all(.[]; .owner == \"config\")'"
check "t1's policies are untouched" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-policies | jq -e 'length == 2 and all(.[]; .owner == \"config\" and .reqid == 1)'"
check "traffic through charon's SAs stops" bash -c "! ip netns exec '$NS_HA' ping -c 2 -i 0.1 -W 1 -I 10.11.0.2 10.12.0.2"
check "the configured tunnel still carries traffic" nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2
stop_both() { stop_daemon a && wait "$PID_a" && stop_daemon b && wait "$PID_b"; }
check "daemons stop cleanly" stop_both
finish
