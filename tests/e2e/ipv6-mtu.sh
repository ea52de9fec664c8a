#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 outer and inner addresses, and MTU handling: with a TUN MTU larger
# than the path leaves after ESP overhead, a too-big IPv4 packet with DF
# gets ICMP "fragmentation needed" with the right MTU, IPv6 gets ICMPv6
# "packet too big", and IPv4 without DF is fragmented before encryption
# and arrives whole.
. "$(dirname "$0")/lib.sh"
require_root_tools iperf3
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
crypto=crypto-openssl; has_plugin $crypto || crypto=crypto-gcrypt
net2net_topo uipt-dp-v6-$U

# --- IPv6 outer, IPv4 + IPv6 inner
gw_pair_confs aes128gcm16 "$crypto io-tun net-netlink" "$crypto io-tun net-netlink" "" "" v6 both
start_daemon a "$NS_GA" "$T_TMP/a.conf" || not_ok "daemon A starts (IPv6 outer)"
start_daemon b "$NS_GB" "$T_TMP/b.conf" || not_ok "daemon B starts (IPv6 outer)"
check "IPv6 outer: ping6 host A -> host B" nsx "$NS_HA" ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::2
check "IPv6 outer: ping6 host B -> host A" nsx "$NS_HB" ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::2
check "IPv6 outer: IPv4 inner ping A -> B" nsx "$NS_HA" ping -c 3 -i 0.2 -W 2 10.2.0.2
check "IPv6 outer: TCP over IPv6 inner both ways" tcp_transfer "$NS_HA" "$NS_HB" 2001:db8:2::2 1M
nsx "$NS_GA" timeout 5 tcpdump -n -i out0 -c 3 'ip6 and udp port 4500' >"$T_TMP/v6.txt" 2>/dev/null &
tdp=$!
sleep 0.5
nsx "$NS_HA" ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::2 >/dev/null
wait $tdp
check "IPv6 outer: ESP-in-UDP over IPv6 on the wire" grep -q 'UDP-encap: ESP' "$T_TMP/v6.txt"
stop_daemon a; stop_daemon b

# path MTUs learned in the first part must not mask what this part checks
for n in $NS_HA $NS_HB $NS_GA $NS_GB; do ip -n $n -6 route flush cache; ip -n $n -4 route flush cache; done
# --- MTU: TUN MTU 1500 while 1438 bytes fit (AES-GCM over IPv4 outer, 1500 link)
gw_pair_confs aes128gcm16 "$crypto io-tun net-netlink" "$crypto io-tun net-netlink" \
	"plugins { io-tun { mtu = 1500 } }" "" v4 both
start_daemon a "$NS_GA" "$T_TMP/a.conf" || not_ok "daemon A starts (MTU 1500)"
start_daemon b "$NS_GB" "$T_TMP/b.conf" || not_ok "daemon B starts (MTU 1500)"
check "TUN MTU as configured (1500)" bash -c "ip -n $NS_GA link show uipsec0 | grep -q 'mtu 1500'"
check "small packets pass" nsx "$NS_HA" ping -c 2 -i 0.2 -W 2 10.2.0.2
nsx "$NS_HA" ping -M do -s 1472 -c 3 -i 0.3 -W 1 10.2.0.2 >"$T_TMP/df.txt" 2>&1
sed 's/^/#   /' "$T_TMP/df.txt" | head -4
check "IPv4 DF 1500 bytes: ICMP fragmentation needed, mtu = 1438" grep -Eq 'mtu ?= ?1438' "$T_TMP/df.txt"
check "IPv4 DF 1438 bytes (exactly the room) passes" nsx "$NS_HA" ping -M do -s 1410 -c 2 -i 0.2 -W 2 10.2.0.2
check "IPv4 without DF, 1500 bytes: fragmented before encryption, arrives whole" \
	nsx "$NS_HA" ping -M dont -s 1472 -c 3 -i 0.2 -W 2 10.2.0.2
check "IPv4 without DF, 4000 bytes (already fragmented by the host) arrives whole" \
	nsx "$NS_HA" ping -M dont -s 4000 -c 3 -i 0.2 -W 2 10.2.0.2
nsx "$NS_HA" ping -6 -M do -s 1452 -c 3 -i 0.3 -W 1 2001:db8:2::2 >"$T_TMP/ptb.txt" 2>&1
sed 's/^/#   /' "$T_TMP/ptb.txt" | head -4
check "IPv6 1500 bytes: ICMPv6 packet too big, mtu = 1438" grep -Eq 'mtu ?= ?1438' "$T_TMP/ptb.txt"
check "TCP adapts through path MTU discovery (iperf3 both ways)" tcp_transfer "$NS_HA" "$NS_HB" 10.2.0.2 2M
stop_daemon a; stop_daemon b
finish
