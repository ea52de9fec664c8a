#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# NAT traversal: gateway A sits behind a namespace doing source NAT
# (nftables masquerade, UDP ports rewritten); B knows only the NAT's public
# address. A's packets reach B from a translated port; once one of them
# authenticates, B adopts that address/port (logged) and answers there.
# Then the NAT rebinds (new port range, old mappings expired): B adopts the
# new port after the next authenticated packet and the tunnel keeps working.
. "$(dirname "$0")/lib.sh"
require_root_tools nft
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
crypto=crypto-openssl; has_plugin $crypto || crypto=crypto-gcrypt

A=uipt-dp-nat-$U-a N=uipt-dp-nat-$U-n B=uipt-dp-nat-$U-b
nat_topo $A $N $B
nat_rule() {
	nsx $N nft -f - <<NFT
table ip uipt_nat
delete table ip uipt_nat
table ip uipt_nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "out0" meta l4proto udp masquerade to :$1
		oifname "out0" masquerade
	}
}
NFT
}
nat_rule 30000-30099   # the ports the checks below expect (300NN)
# short UDP conntrack timeouts so that old mappings can expire in the test
nsx $N sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 net.netfilter.nf_conntrack_udp_timeout_stream=2

k1=$(gen_key 20) k2=$(gen_key 20)
daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/a.conf" b 198.51.100.2 203.0.113.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$k1" "$k2" "" "" "keepalive = 1s"
tunnel_conf "$T_TMP/b.conf" a 203.0.113.2 203.0.113.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$k2" "$k1"
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"

check "NAT keepalives (0xFF) reach B through the NAT" bash -c \
	"sleep 1.5; nsx() { ip netns exec \"\$@\"; }; nsx $B timeout 3 tcpdump -n -i eth0 -c 1 'udp port 4500 and udp[8:1] = 0xff and len < 60' >/dev/null 2>&1"
check "ping A -> B through the NAT" nsx $A ping -c 3 -i 0.3 -W 2 -I 10.1.0.1 10.2.0.1
check "B adopted the translated port (logged)" grep -Eq 'peer moved from 203.0.113.1:4500 to 203.0.113.1:300[0-9][0-9].*NAT rebinding' "$T_TMP/b.log"
check "ping B -> A through the NAT" nsx $B ping -c 3 -i 0.3 -W 2 -I 10.2.0.1 10.1.0.1
if command -v iperf3 >/dev/null; then
	check "TCP both ways through the NAT" tcp_transfer $A $B 10.2.0.1 1M
fi

# rebinding: the NAT maps to other ports from now on; old mappings expire
nat_rule 40000-40099
# A sends keepalives every second, which would keep its mapping alive: drop
# its packets before conntrack sees them until the mapping has expired
nsx $N nft add table ip uipt_block
nsx $N nft add chain ip uipt_block pre '{ type filter hook prerouting priority -300; }'
nsx $N nft add rule ip uipt_block pre iifname in0 drop
sleep 3.5
nsx $N nft delete table ip uipt_block
check "ping A -> B after the NAT rebinding" nsx $A ping -c 4 -i 0.3 -W 2 -I 10.1.0.1 10.2.0.1
check "B adopted the new port (logged)" grep -Eq 'to 203.0.113.1:400[0-9][0-9].*NAT rebinding' "$T_TMP/b.log"
check "ping B -> A after the rebinding" nsx $B ping -c 3 -i 0.3 -W 2 -I 10.2.0.1 10.1.0.1
grep 'NAT rebinding' "$T_TMP/b.log" | sed 's/^/# /'
finish
