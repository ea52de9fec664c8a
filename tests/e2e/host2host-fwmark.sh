#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host-to-host with fwmark (the seed scenario): the remote selector is the
# peer itself (allow_peer_ts = yes). Routes to the peer point into the TUN
# device from table 220, selected by a rule for packets NOT marked 0x42
# (net-netlink.fwmark = !0x42); the daemon marks its own ESP-in-UDP packets
# 0x42 (socket.fwmark), so they leave through the real interface. On the
# wire there must be only UDP 4500, no cleartext. Then the same tunnel in
# raw ESP (encap = no): the raw sockets carry the mark too, and the wire
# holds only IP protocol 50.
. "$(dirname "$0")/lib.sh"
require_root_tools tcpdump iperf3
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
crypto=crypto-openssl; has_plugin $crypto || crypto=crypto-gcrypt

A=uipt-dp-h2h-$U-a B=uipt-dp-h2h-$U-b
ns_add $A; ns_add $B
veth $A eth0 $B eth0
ip -n $A addr add 192.0.2.1/24 dev eth0
ip -n $B addr add 192.0.2.2/24 dev eth0

k1=$(gen_key 20) k2=$(gen_key 20)
xd="load = $crypto io-tun net-netlink
    allow_peer_ts = yes
    socket { fwmark = 0x42 }
    plugins { net-netlink { fwmark = !0x42 } }"
daemon_conf "$T_TMP/a.conf" a "$xd"
daemon_conf "$T_TMP/b.conf" b "$xd"
tunnel_conf "$T_TMP/a.conf" peer-b 192.0.2.1 192.0.2.2 192.0.2.1/32 192.0.2.2/32 aes128gcm16 0x1000 0x2000 "$k1" "$k2"
tunnel_conf "$T_TMP/b.conf" peer-a 192.0.2.2 192.0.2.1 192.0.2.2/32 192.0.2.1/32 aes128gcm16 0x2000 0x1000 "$k2" "$k1"

# without allow_peer_ts the same tunnel is refused, naming the option
daemon_conf "$T_TMP/refuse.conf" refuse "load = $crypto io-tun net-netlink
    socket { fwmark = 0x42
             port = 4501 }
    plugins { io-tun { name = uipt-dp-refuse } }"
tunnel_conf "$T_TMP/refuse.conf" peer-b 192.0.2.1 192.0.2.2 192.0.2.1/32 192.0.2.2/32 aes128gcm16 0x1000 0x2000 "$k1" "$k2"
ip netns exec $A "$UIPSECD" --foreground --config "$T_TMP/refuse.conf" >"$T_TMP/refuse.log" 2>&1 &
rp=$!
T_PIDS+=("$rp")
for _ in $(seq 30); do grep -q allow_peer_ts "$T_TMP/refuse.log" && break; sleep 0.1; done
kill $rp 2>/dev/null; wait $rp 2>/dev/null
check "remote selector = peer refused without allow_peer_ts (message names it)" grep -q allow_peer_ts "$T_TMP/refuse.log"

start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"
check "rule: not fwmark 0x42 -> table 220" bash -c "ip -n $A rule | grep -q 'not from all fwmark 0x42 lookup 220'"
check "route to the peer in table 220 via uipsec0" bash -c "ip -n $A route show table 220 | grep -q '192.0.2.2 dev uipsec0'"

ip netns exec $A tcpdump -U --immediate-mode -n -i eth0 -w "$T_TMP/wire.pcap" ip 2>"$T_TMP/tcpdump.log" &
td=$!; T_PIDS+=("$td")
sleep 1
check "ping A -> B through the tunnel" nsx $A ping -c 3 -i 0.2 -W 2 192.0.2.2
check "ping B -> A through the tunnel" nsx $B ping -c 3 -i 0.2 -W 2 192.0.2.1
check "TCP both ways (iperf3)" tcp_transfer $A $B 192.0.2.2 1M
sleep 0.5
kill $td; wait $td 2>/dev/null
total=$(tcpdump -n -r "$T_TMP/wire.pcap" 2>/dev/null | wc -l)
esp=$(tcpdump -n -r "$T_TMP/wire.pcap" 'udp port 4500' 2>/dev/null | wc -l)
clear=$(tcpdump -n -r "$T_TMP/wire.pcap" 'not udp port 4500' 2>/dev/null | wc -l)
tcpdump -n -r "$T_TMP/wire.pcap" "not udp port 4500" 2>/dev/null | head -5 | sed "s/^/# other: /"
diag "captured $total packets on the wire, $esp ESP-in-UDP, $clear other"
check "ESP-in-UDP seen on the wire" test "$esp" -gt 100
check "nothing but UDP 4500 on the wire (no cleartext ICMP/TCP)" test "$clear" = 0
check "captured datagrams are ESP with our SPIs" bash -c \
	"tcpdump -n -r '$T_TMP/wire.pcap' -c 20 2>/dev/null | grep -q 'UDP-encap: ESP(spi=0x0000[12]000'"
check "daemon A stops cleanly" stop_daemon a
check "rule and routes removed on stop" bash -c "! ip -n $A rule | grep -q 'lookup 220' && ! ip -n $A route show table 220 | grep -q ."

# ---- raw ESP: the same with encap = no
stop_daemon b
sed -i 's/^\( *\)esp = aes128gcm16$/&\n\1encap = no/' "$T_TMP/a.conf" "$T_TMP/b.conf"
start_daemon a $A "$T_TMP/a.conf" || not_ok "raw ESP: daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "raw ESP: daemon B starts"
ip netns exec $A tcpdump -U --immediate-mode -n -i eth0 -w "$T_TMP/raw.pcap" ip 2>"$T_TMP/tcpdump.log" &
td=$!; T_PIDS+=("$td")
for _ in $(seq 50); do grep -q "listening on" "$T_TMP/tcpdump.log" && break; sleep 0.1; done
check "raw ESP: ping A -> B through the tunnel" nsx $A ping -c 3 -i 0.2 -W 2 192.0.2.2
check "raw ESP: TCP both ways (iperf3)" tcp_transfer $A $B 192.0.2.2 1M
sleep 0.5
kill $td; wait $td 2>/dev/null
esp=$(tcpdump -n -r "$T_TMP/raw.pcap" 'ip proto 50' 2>/dev/null | wc -l)
clear=$(tcpdump -n -r "$T_TMP/raw.pcap" 'not ip proto 50' 2>/dev/null | wc -l)
diag "raw ESP: $esp protocol 50 packets on the wire, $clear other"
check "raw ESP: protocol 50 on the wire" test "$esp" -gt 100
check "raw ESP: nothing but protocol 50 on the wire (no UDP, no cleartext)" test "$clear" = 0
check "raw ESP: daemon A stops cleanly" stop_daemon a
check "raw ESP: daemon B stops cleanly" stop_daemon b
finish
