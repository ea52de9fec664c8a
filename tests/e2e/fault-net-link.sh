#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: the outer network changes under a running tunnel, with a ping
# through it every 20 ms (docs/reliability.md, "Faults: network, devices,
# routes"). Gateway A sits behind a source NAT (namespace N) and sends NAT
# keepalives every second; its remote selector holds B's outer address, so
# A keeps an exception route to B in table 220.
#  - A's outer link down for 5 s, then up (the network manager, here the
#    test, puts the default route back): uipsecd stays idle meanwhile, the
#    exception route is back within 3 s of the default route, pings pass
#    within 5 s, and NAT keepalives reach B again (>= 2 within 4 s);
#  - the NAT's public address changes (203.0.113.1 -> 203.0.113.5): B
#    adopts A's new address from A's next authenticated packet within 5 s
#    (NAT rebinding, logged), pings pass, keepalives come from the new
#    address;
#  - A's own outer address removed and added back (a DHCP renewal gone
#    wrong): the kernel drops the exception route that names it as source;
#    it is back within 3 s, pings pass within 5 s.
# Nothing is restarted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault-net-lib.sh"
require_tunnel_pair tcpdump nft jq

A=uipt-dp-flk-$U-a N=uipt-dp-flk-$U-n B=uipt-dp-flk-$U-b
nat_topo $A $N $B
nsx $N sysctl -qw net.ipv4.conf.out0.promote_secondaries=1
nsx $N nft -f - <<NFT
table ip uipt_nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "out0" masquerade
	}
}
NFT

k1=$(gen_key 20) k2=$(gen_key 20)
daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/a.conf" b 198.51.100.2 203.0.113.2 10.1.0.0/24 "10.2.0.0/24, 203.0.113.0/24" aes128gcm16 \
	0x1000 0x2000 "$k1" "$k2" "" "" "keepalive = 1s"
tunnel_conf "$T_TMP/b.conf" a 203.0.113.2 203.0.113.1 "10.2.0.0/24, 203.0.113.0/24" 10.1.0.0/24 aes128gcm16 \
	0x2000 0x1000 "$k2" "$k1"
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"

exception_route() {
	ip -n $A -j route show table 220 | jq -e '.[] | select(.dst == "203.0.113.2" and .gateway == "198.51.100.1"
		and .dev == "eth0" and .prefsrc == "198.51.100.2")' >/dev/null
}
# keepalives_from ADDR N SECS: at least N NAT keepalives (one 0xFF byte)
# from ADDR reach B within SECS
keepalives_from() {
	local n
	n=$(nsx $B timeout "$3" tcpdump -l -n -i eth0 -c "$2" \
		"src host $1 and udp dst port 4500 and udp[4:2] = 9 and udp[8:1] = 0xff" 2>/dev/null | wc -l)
	echo "$n keepalive(s) from $1"
	[ "$n" -ge "$2" ]
}
check "exception route 203.0.113.2 via 198.51.100.1 dev eth0 src 198.51.100.2 in table 220" exception_route
check "ping through the tunnel" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
check "keepalives reach B through the NAT" keepalives_from 203.0.113.1 1 3
pinger $A 10.1.0.1 10.2.0.1

# ---- the outer link down for 5 s
t0=$(now_ms)
ip -n $A link set eth0 down
no_exception_route() { ! exception_route; }
check "link down: the kernel dropped the exception route" within 2000 no_exception_route
check "link down: uipsecd stays idle (< 20% CPU over 4 s)" cpu_low "$PID_a" 4 20
diag "$(cat "$T_TMP/check.out")"
while [ $(( $(now_ms) - t0 )) -lt 5000 ]; do sleep 0.1; done
ip -n $A link set eth0 up
ip -n $A route add default via 198.51.100.1   # what the network manager does
check "link up: exception route back within 3 s" within 3000 exception_route
diag "$(cat "$T_TMP/check.out")"
check "link up: pings pass within 5 s" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
diag "$(cat "$T_TMP/check.out")"
check "link up: NAT keepalives continue (>= 2 at B within 4 s)" keepalives_from 203.0.113.1 2 4
diag "$(cat "$T_TMP/check.out")"

# ---- the NAT's public address changes
ip -n $N addr add 203.0.113.5/24 dev out0
ip -n $N addr del 203.0.113.1/24 dev out0
moved() { grep -q "to 203.0.113.5:.*NAT rebinding" "$T_TMP/b.log"; }
check "public address changed: B adopts 203.0.113.5 within 5 s (logged)" within 5000 moved
diag "$(cat "$T_TMP/check.out")"
check "public address changed: pings pass within 5 s" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
check "public address changed: keepalives come from 203.0.113.5 (>= 2 within 4 s)" keepalives_from 203.0.113.5 2 4

# ---- A's own address removed and added back
ip -n $A addr del 198.51.100.2/24 dev eth0
ip -n $A addr add 198.51.100.2/24 dev eth0
ip -n $A route add default via 198.51.100.1
check "address back: exception route back within 3 s" within 3000 exception_route
diag "$(cat "$T_TMP/check.out")"
check "address back: pings pass within 5 s" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
check "exactly one route to 203.0.113.2 in table 220, no throw route left" \
	test "$(ip -n $A route show table 220 | grep -c '203.0.113.2')" = 1
check "neither daemon restarted" test "$(grep -c 'uipsecd running' "$T_TMP/a.log")$(grep -c 'uipsecd running' "$T_TMP/b.log")" = 11
check "daemon A stops cleanly" stop_daemon a
check "daemon B stops cleanly" stop_daemon b
finish
