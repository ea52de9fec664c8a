#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bypass means bypass: a tunnel protects 10.2.0.0/24; `uipsecctl
# add-policy ... action bypass` for one /32 inside it installs a throw
# route in table 220, so a ping to that /32 leaves in clear through the
# normal stack (ICMP on the wire, not UDP 4500) while a ping to a
# neighbour in the /24 goes as ESP. A packet that still reaches the TUN
# device and matches the bypass is dropped and counted `bypass`. Deleting
# the policy removes the throw route.
. "$(dirname "$0")/lib.sh"
require_root_tools tcpdump jq
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
tunnel_plugins

A=uipt-dp-byp-$U-a B=uipt-dp-byp-$U-b
two_gateways $A $B
# the bypassed host answers in clear: B has it, A reaches it directly
ip -n $B addr add 10.2.0.5/32 dev lo
ip -n $A route add 10.2.0.5/32 via 192.0.2.2 dev eth0

k1=$(gen_key 20) k2=$(gen_key 20)
daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/a.conf" site-b 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$k1" "$k2"
tunnel_conf "$T_TMP/b.conf" site-a 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$k2" "$k1"
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"
ctl() { "$UIPSECCTL" --socket "$T_TMP/a.sock" "$@"; }
throw_route() { ip -n $A -j route show table 220 | jq -e '.[] | select(.type == "throw" and .dst == "10.2.0.5")' >/dev/null; }
no_throw_route() { ! throw_route; }

check "bypass policy for 10.2.0.5/32 added" \
	ctl add-policy src 0.0.0.0/0 dst 10.2.0.5/32 dir out action bypass priority 100
check "throw route 10.2.0.5 in table 220" throw_route
ip -n $A route show table 220 | sed 's/^/# table 220: /'

# $1: capture file; the rest: the command that makes traffic
capture() {
	local pcap=$1; shift
	ip netns exec $A tcpdump -U --immediate-mode -n -i eth0 -w "$pcap" ip 2>"$T_TMP/tcpdump.log" &
	local td=$!
	T_PIDS+=("$td")
	for _ in $(seq 20); do grep -q listening "$T_TMP/tcpdump.log" && break; sleep 0.1; done
	sleep 0.3   # "listening" comes just before the capture really starts
	"$@" >"$T_TMP/capture.out" 2>&1
	local rc=$?
	sleep 0.3
	kill $td; wait $td 2>/dev/null
	return $rc
}
count() { tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l; }

check "ping to the bypassed 10.2.0.5 answered" capture "$T_TMP/bypass.pcap" nsx $A ping -c 4 -i 0.2 -W 2 10.2.0.5
diag "bypass ping: $(count "$T_TMP/bypass.pcap" 'icmp and host 10.2.0.5') ICMP to/from 10.2.0.5, $(count "$T_TMP/bypass.pcap" 'udp port 4500') UDP 4500"
check "bypassed ping leaves in clear (ICMP echo requests and replies on the wire)" \
	test "$(count "$T_TMP/bypass.pcap" 'icmp and host 10.2.0.5')" -ge 6
check "bypassed ping: no ESP-in-UDP on the wire" test "$(count "$T_TMP/bypass.pcap" 'udp port 4500')" = 0

check "ping to the neighbour 10.2.0.1 answered" capture "$T_TMP/esp.pcap" nsx $A ping -c 4 -i 0.2 -W 2 10.2.0.1
diag "neighbour ping: $(count "$T_TMP/esp.pcap" 'udp port 4500') UDP 4500, $(count "$T_TMP/esp.pcap" 'icmp') ICMP"
tcpdump -n -r "$T_TMP/esp.pcap" 2>/dev/null | head -3 | sed 's/^/# /'
check "neighbour ping goes as ESP-in-UDP" test "$(count "$T_TMP/esp.pcap" 'udp port 4500')" -ge 6
check "neighbour ping: no cleartext ICMP on the wire" test "$(count "$T_TMP/esp.pcap" 'icmp')" = 0

# forced into the TUN device anyway (bound to it: the kernel sends there
# whatever the routes say): dropped and counted, never sent
before=$(stat_of a bypass)
nsx $A ping -c 2 -i 0.2 -W 1 -I uipsec0 10.2.0.5 >/dev/null 2>&1
after=$(stat_of a bypass)
diag "bypass counter: ${before:-?} -> ${after:-?}"
check "bypass traffic reaching the TUN is counted bypass" test "${after:-0}" -ge $(( ${before:-0} + 2 ))

check "policy deleted" ctl del-policy src 0.0.0.0/0 dst 10.2.0.5/32 dir out
check "throw route gone with the policy" no_throw_route
check "tunnel route still in place" bash -c "ip -n $A route show table 220 | grep -q '^10.2.0.0/24 dev uipsec0'"

# a bypass limited to a port cannot be routed: refused, nothing installed
check "bypass with a port refused" bash -c \
	"! '$UIPSECCTL' --socket '$T_TMP/a.sock' add-policy src 0.0.0.0/0 dst 10.2.0.6/32 proto tcp dport 22 dir out action bypass 2>'$T_TMP/port.err'"
sed 's/^/# /' "$T_TMP/port.err"
check "... with a message saying why" grep -q "every protocol and port in clear" "$T_TMP/port.err"
check "... and no policy left behind" bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' list-policies | grep -q 10.2.0.6"

check "daemon A stops cleanly" stop_daemon a
check "table 220 empty after stop" bash -c "! ip -n $A route show table 220 | grep -q ."
finish
