#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The IKE relay on the ESP port (uipsecd.ike.socket, docs/control-protocol.md
# "IKE relay socket"). Gateway B runs uipsecd with a tunnel to A and the
# relay socket; A plays the IKE peer (UDP port 50000, no IKE daemon).
#  - no client: IKE datagrams to 4500 are counted (ike_rx) and dropped
#  - a client (ike_relay.py) gets each datagram with the right header
#    (family, peer address and port, our address - also a second one -,
#    port 4500, interface), for IPv4, IPv6 and a NAT keepalive; its
#    replies reach the peer from port 4500 and the address it named
#  - a second client replaces the first
#  - bad frames are counted (ike_relay_malformed), the daemon lives on
#  - a client that reads nothing: a flood of IKE datagrams is dropped and
#    counted (ike_relay_dropped) while the tunnel keeps carrying traffic
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}
REL=$(dirname "$0")/ike_relay.py
require_tunnel_pair jq "$PY"

A=uipt-dp-ike-$U-a B=uipt-dp-ike-$U-b
# no NAT keepalives of the daemons: the counts below are the test's own datagrams
TUNNEL_PAIR_EXTRA="keepalive = 0" tunnel_pair $A $B
SOCK=$T_TMP/b-ike.sock
# a second IPv4 address on B, and IPv6 on both
ip -n $B addr add 192.0.2.12/24 dev eth0
ip -n $A addr add 2001:db8::1/64 dev eth0 nodad
ip -n $B addr add 2001:db8::2/64 dev eth0 nodad
ifb=$(nsx $B cat /sys/class/net/eth0/ifindex)

check "tunnel works" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "the relay socket exists, mode 0600" bash -c "test -S '$SOCK' && test \"\$(stat -c %a '$SOCK')\" = 600"


# --- no client: counted and dropped, as without a relay
before=$(stats_json b)
nsx $A "$PY" "$REL" peer 192.0.2.1 192.0.2.2 4500 one two three >"$T_TMP/peer0.out"
after=$(stats_json b)
check "no client: 3 IKE datagrams counted (ike_rx +3)" test "$(stat_delta "$before" "$after" ike_rx)" = 3
check "no client: nothing relayed, nothing answered" test ! -s "$T_TMP/peer0.out"
check "no client: not counted as relay drops" test "$(stat_delta "$before" "$after" ike_relay_dropped)" = 0

# --- a client: both directions, IPv4 (two local addresses), IPv6, keepalive
"$PY" "$REL" client "$SOCK" 4 >"$T_TMP/client.out" 2>&1 &
client_pid=$!
sleep 0.5
before=$(stats_json b)
nsx $A "$PY" "$REL" peer 192.0.2.1 192.0.2.2 4500 hello-v4 >"$T_TMP/peer1.out"
nsx $A "$PY" "$REL" peer 192.0.2.1 192.0.2.12 4500 second-address keepalive >"$T_TMP/peer2.out"
nsx $A "$PY" "$REL" peer 2001:db8::1 2001:db8::2 4500 hello-v6 >"$T_TMP/peer3.out"
wait $client_pid
check "client received 4 frames" test "$(wc -l <"$T_TMP/client.out")" = 4
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
check "IPv4 frame: peer 192.0.2.1:50000 -> 192.0.2.2:4500 on eth0, payload as on the wire" \
	grep -qx "4 192.0.2.1 50000 192.0.2.2 4500 $ifb 00000000$(hex hello-v4)" "$T_TMP/client.out"
check "IPv4 frame to the second address names it (192.0.2.12)" \
	grep -qx "4 192.0.2.1 50000 192.0.2.12 4500 $ifb 00000000$(hex second-address)" "$T_TMP/client.out"
check "NAT keepalive passes (payload ff)" grep -qx "4 192.0.2.1 50000 192.0.2.12 4500 $ifb ff" "$T_TMP/client.out"
check "IPv6 frame: 2001:db8::1:50000 -> 2001:db8::2:4500" \
	grep -qx "6 2001:db8::1 50000 2001:db8::2 4500 $ifb 00000000$(hex hello-v6)" "$T_TMP/client.out"
check "reply reaches the peer from 192.0.2.2:4500" \
	grep -qx "from 192.0.2.2 4500 00000000$(hex re:hello-v4)" "$T_TMP/peer1.out"
check "reply comes from the address the client named (192.0.2.12:4500)" \
	grep -qx "from 192.0.2.12 4500 00000000$(hex re:second-address)" "$T_TMP/peer2.out"
check "IPv6 reply from [2001:db8::2]:4500" \
	grep -qx "from 2001:db8::2 4500 00000000$(hex re:hello-v6)" "$T_TMP/peer3.out"
after=$(stats_json b)
check "ike_rx counted the 3 IKE datagrams, keepalive_rx the keepalive" \
	test "$(stat_delta "$before" "$after" ike_rx)" = 3 -a "$(stat_delta "$before" "$after" keepalive_rx)" = 1
check "nothing dropped by the relay" test "$(stat_delta "$before" "$after" ike_relay_dropped)" = 0

# --- one client at a time: a new connection replaces the old one
check "a second client replaces the first (the first sees end of file)" "$PY" "$REL" replace "$SOCK"

# --- frames the relay must reject
before=$(stats_json b)
nbad=$("$PY" "$REL" bad "$SOCK" 2>"$T_TMP/bad.err")
sleep 0.3
after=$(stats_json b)
diag "bad frames written: $nbad"
check "every bad frame counted (ike_relay_malformed +$nbad)" \
	test -n "$nbad" -a "$(stat_delta "$before" "$after" ike_relay_malformed)" = "$nbad"
check "daemon survives bad frames" kill -0 "$PID_b"

# --- a client that does not read: the workers drop, never wait
"$PY" "$REL" hold "$SOCK" 8 &
hold_pid=$!
sleep 0.5
nsx $A ping -c 60 -i 0.05 -W 2 -I 10.1.0.1 10.2.0.1 >"$T_TMP/ping.out" 2>&1 &
ping_pid=$!
before=$(stats_json b)
nsx $A "$PY" "$REL" flood 192.0.2.2 4500 20000
sleep 0.5
after=$(stats_json b)
wait $ping_pid
rx=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$T_TMP/ping.out")
dr=$(stat_delta "$before" "$after" ike_relay_dropped) ik=$(stat_delta "$before" "$after" ike_rx)
diag "flood: ike_rx +$ik, ike_relay_dropped +$dr, pings answered ${rx:-?} of 60"
check "a client that does not keep up: drops counted (ike_relay_dropped > 0)" test "$dr" -gt 0
check "the tunnel carried traffic meanwhile (>= 54 of 60 pings)" test "${rx:-0}" -ge 54
kill $hold_pid 2>/dev/null; wait $hold_pid 2>/dev/null

check "tunnel still works afterwards" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "daemon B stops cleanly" stop_daemon b
check "the relay socket is removed at stop" test ! -e "$SOCK"
stop_daemon a
finish
