#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Network events reach the route manager: gateway A has two paths to the
# peer B (eth0: 198.51.100.0/24, eth1: 192.0.2.0/24); the peer's outer
# address 203.0.113.2 lies inside A's remote selector, so A holds an
# exception route for it in table 220 (default set-up: no fwmark). When
# the main table's route towards the peer moves to the other path (new
# next hop and device), the exception route must follow within 2 s, and
# the tunnel must keep passing traffic, now on the new path.
. "$(dirname "$0")/lib.sh"
require_root_tools tcpdump jq
tunnel_plugins

A=uipt-dp-rev-$U-a B=uipt-dp-rev-$U-b
ns_add $A; ns_add $B
veth $A eth0 $B eth0
veth $A eth1 $B eth1
for n in $A $B; do
	# replies may come back on the other path
	nsx $n sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
done
ip -n $A addr add 198.51.100.1/24 dev eth0
ip -n $B addr add 198.51.100.2/24 dev eth0
ip -n $A addr add 192.0.2.1/24 dev eth1
ip -n $B addr add 192.0.2.2/24 dev eth1
ip -n $A addr add 203.0.113.1/32 dev lo
ip -n $A addr add 10.1.0.1/32 dev lo
ip -n $B addr add 203.0.113.2/32 dev lo
ip -n $B addr add 10.2.0.1/32 dev lo
ip -n $A route add 203.0.113.0/24 via 198.51.100.2 dev eth0
# src: the replies must come from the address A knows as its peer
ip -n $B route add 203.0.113.1/32 via 198.51.100.1 dev eth0 src 203.0.113.2

k1=$(gen_key 20) k2=$(gen_key 20)
daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/a.conf" site-b 203.0.113.1 203.0.113.2 10.1.0.0/24 "10.2.0.0/24, 203.0.113.0/24" aes128gcm16 0x1000 0x2000 "$k1" "$k2"
tunnel_conf "$T_TMP/b.conf" site-a 203.0.113.2 203.0.113.1 "10.2.0.0/24, 203.0.113.0/24" 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$k2" "$k1"
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"

# exception_via GW DEV: table 220's route to the peer goes via GW on DEV
exception_via() {
	ip -n $A -j route show table 220 | jq -e --arg gw "$1" --arg dev "$2" \
		'.[] | select(.dst == "203.0.113.2" and .gateway == $gw and .dev == $dev)' >/dev/null
}
ip -n $A route show table 220 | sed 's/^/# table 220: /'
check "exception route to the peer via 198.51.100.2 dev eth0" exception_via 198.51.100.2 eth0
check "ping through the tunnel" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1

# follows GW DEV: polls for at most 2 s, prints how long it took
follows() {
	local t0 t1
	t0=$(date +%s%N)
	while ! exception_via "$1" "$2"; do
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 2000 ] && { ip -n $A route show table 220; return 1; }
		sleep 0.05
	done
	t1=$(date +%s%N)
	echo "followed after $(( (t1 - t0) / 1000000 )) ms"
}

# new next hop and new device
ip -n $A route replace 203.0.113.0/24 via 192.0.2.2 dev eth1
check "exception route follows to via 192.0.2.2 dev eth1 within 2 s" follows 192.0.2.2 eth1
diag "$(cat "$T_TMP/check.out")"
nsx $A tcpdump -U --immediate-mode -n -i eth1 -w "$T_TMP/eth1.pcap" 'udp port 4500' 2>"$T_TMP/tcpdump.log" &
td=$!; T_PIDS+=("$td")
for _ in $(seq 20); do grep -q listening "$T_TMP/tcpdump.log" && break; sleep 0.1; done
sleep 0.3
check "ping through the tunnel after the move" nsx $A ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
sleep 0.3
kill $td; wait $td 2>/dev/null
check "ESP now leaves on eth1" test "$(tcpdump -n -r "$T_TMP/eth1.pcap" 'src host 203.0.113.1' 2>/dev/null | wc -l)" -ge 3

# and back: a route removed and re-added through the first path
ip -n $A route del 203.0.113.0/24
ip -n $A route add 203.0.113.0/24 via 198.51.100.2 dev eth0
check "exception route follows back to eth0 within 2 s" follows 198.51.100.2 eth0
diag "$(cat "$T_TMP/check.out")"
check "ping through the tunnel after moving back" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "no throw route left over from the re-checks" bash -c "! ip -n $A route show table 220 | grep -q throw"
check "daemon A logged the change" grep -q "next hop to peer 203.0.113.2 changed" "$T_TMP/a.log"

check "daemon A stops cleanly" stop_daemon a
check "table 220 empty after stop" bash -c "! ip -n $A route show table 220 | grep -q ."
finish
