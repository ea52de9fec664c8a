#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Per-VIP device mode (plugins.io-tun.per_vip_device = yes), the mode the
# PF_ROUTE systems (FreeBSD, macOS) need, run end to end on Linux:
#   gateway A has two virtual IPs, 10.9.1.1 (tunnel to 10.2.0.0/24) and
#   10.9.2.1 (tunnel to 10.3.0.0/24), plus a tunnel without a VIP for
#   10.1.0.0/24 -> 10.4.0.0/24; gateway B serves all three on one device.
# Checked: each VIP sits on its own TUN device with the routes that use it;
# decrypted traffic for each VIP arrives on that VIP's device (its rx counter
# moves, the other's does not); traffic for a non-VIP address arrives on the
# default device; on stop the devices and addresses are gone.
. "$(dirname "$0")/lib.sh"
require_root_tools ping
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
crypto=crypto-openssl
has_plugin $crypto || crypto=crypto-gcrypt
has_plugin $crypto || skip_all "no crypto plugin built"

# names carry the PID: other checkouts may run this test at the same time
NS_A=uipt-pfr-vip$$-a NS_B=uipt-pfr-vip$$-b
ns_add "$NS_A"
ns_add "$NS_B"
veth "$NS_A" out0 "$NS_B" out0
ip -n "$NS_A" addr add 192.0.2.1/24 dev out0
ip -n "$NS_B" addr add 192.0.2.2/24 dev out0
# A's own inner address (no VIP), one address in each of B's three
# protected networks (on lo: host addresses need no extra device type)
ip -n "$NS_A" addr add 10.1.0.1/32 dev lo
for net in 2 3 4; do ip -n "$NS_B" addr add 10.$net.0.1/32 dev lo; done

# tunnel NAME_A NAME_B A_TS B_TS SPI_AB SPI_BA [VIP on A]
tunnel_pair() {
	local k1 k2
	k1=$(gen_key 20) k2=$(gen_key 20)
	tunnel_conf "$T_TMP/a.conf" "$1" 192.0.2.1 192.0.2.2 "$3" "$4" aes128gcm16 "$6" "$5" "$k2" "$k1" \
		"" "" "${7:+vip = $7}"
	tunnel_conf "$T_TMP/b.conf" "$2" 192.0.2.2 192.0.2.1 "$4" "$3" aes128gcm16 "$5" "$6" "$k1" "$k2"
}
daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink
    plugins { io-tun { per_vip_device = yes } }"
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_pair vip1 vip1 10.9.1.1/32 10.2.0.0/24 0x1101 0x1102 10.9.1.1
tunnel_pair vip2 vip2 10.9.2.1/32 10.3.0.0/24 0x1201 0x1202 10.9.2.1
tunnel_pair plain plain 10.1.0.0/24 10.4.0.0/24 0x1301 0x1302

if ! start_daemon b "$NS_B" "$T_TMP/b.conf" || ! start_daemon a "$NS_A" "$T_TMP/a.conf"; then
	not_ok "both daemons start"
	finish
	exit 1
fi
ok "both daemons start"

# the device holding an address (empty if none)
dev_of() { ip -n "$NS_A" -o addr show to "$1" | awk '{ print $2; exit }'; }
is_tun() { ip -n "$NS_A" -d link show dev "$1" 2>/dev/null | grep -qw tun; }
rx_of() { ip netns exec "$NS_A" cat "/sys/class/net/$1/statistics/rx_packets" 2>/dev/null || echo 0; }

for _ in $(seq 30); do [ -n "$(dev_of 10.9.1.1)" ] && [ -n "$(dev_of 10.9.2.1)" ] && break; sleep 0.1; done
DEV1=$(dev_of 10.9.1.1) DEV2=$(dev_of 10.9.2.1) DEV0=uipsec0
diag "VIP 10.9.1.1 on '$DEV1', VIP 10.9.2.1 on '$DEV2', default device $DEV0"
check "VIP 10.9.1.1 is on a TUN device" is_tun "$DEV1"
check "VIP 10.9.2.1 is on a TUN device" is_tun "$DEV2"
check "each VIP has its own device" test -n "$DEV1" -a -n "$DEV2" -a "$DEV1" != "$DEV2"
check "no VIP on the default device" \
	bash -c "! ip -n $NS_A -o addr show dev $DEV0 | grep -q '10\.9\.'"
check "route to 10.2.0.1 leaves through the device of 10.9.1.1, from 10.9.1.1" \
	bash -c "ip -n $NS_A route get 10.2.0.1 | grep -q 'dev $DEV1 .*src 10.9.1.1'"
check "route to 10.3.0.1 leaves through the device of 10.9.2.1, from 10.9.2.1" \
	bash -c "ip -n $NS_A route get 10.3.0.1 | grep -q 'dev $DEV2 .*src 10.9.2.1'"

# ping_arrives_on DESC SRC DST RX_DEV OTHER_DEVS...: replies (decrypted on A)
# are written to RX_DEV; the other devices see none of them
ping_arrives_on() {
	local desc=$1 src=$2 dst=$3 dev=$4; shift 4
	local before other_before=() o i=0 rc=0
	before=$(rx_of "$dev")
	for o in "$@"; do other_before+=("$(rx_of "$o")"); done
	if ! nsx "$NS_A" ping -c 5 -i 0.2 -W 2 -I "$src" "$dst" >"$T_TMP/ping.out" 2>&1; then
		not_ok "$desc: ping $src -> $dst"; sed 's/^/# /' "$T_TMP/ping.out" | tail -5
		return
	fi
	ok "$desc: ping $src -> $dst"
	local got=$(( $(rx_of "$dev") - before ))
	[ "$got" -ge 5 ] || rc=1
	for o in "$@"; do
		[ "$(rx_of "$o")" = "${other_before[$i]}" ] || { diag "$o received $(( $(rx_of "$o") - ${other_before[$i]} ))"; rc=1; }
		i=$((i + 1))
	done
	if [ $rc = 0 ]; then ok "$desc: the $got replies arrived on $dev only"
	else not_ok "$desc: replies arrived on $dev only (got $got there)"; fi
}
ping_arrives_on "VIP 1" 10.9.1.1 10.2.0.1 "$DEV1" "$DEV2" "$DEV0"
ping_arrives_on "VIP 2" 10.9.2.1 10.3.0.1 "$DEV2" "$DEV1" "$DEV0"
ping_arrives_on "no VIP" 10.1.0.1 10.4.0.1 "$DEV0" "$DEV1" "$DEV2"

check "daemon A stops cleanly" stop_daemon a
check "the VIPs' devices are gone" \
	bash -c "! ip -n $NS_A link show dev '$DEV1' 2>/dev/null && ! ip -n $NS_A link show dev '$DEV2' 2>/dev/null"
check "no TUN device and no VIP left" \
	bash -c "[ -z \"\$(ip -n $NS_A -o link show type tun)\" ] && ! ip -n $NS_A -o addr show | grep -q '10\.9\.'"
check "daemon B stops cleanly" stop_daemon b
finish
