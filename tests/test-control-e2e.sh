#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end through the control socket, in namespaces (hosts ha, hb behind
# gateways ga, gb): SAs and policies added with uipsecctl only (no tunnels
# in the config) carry traffic; list-sas --json counters match what was
# sent; deleting the SA stops it; monitor reports expire-soft/expire-hard
# (packet lifetimes) and acquire (trap policy). Then a reload that changes
# one tunnel's keys while pings run through another: no loss there, its
# counters keep counting.
. "${top_srcdir:-$(dirname "$0")/..}/tests/e2e/lib.sh"
UIPSECCTL=${UIPSECCTL_UNDER_TEST:-$top_builddir/core/ctl/uipsecctl}   # e.g. a sanitizer build
require_root_tools jq ping
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
# the daemons run dropped to user uipsec with CAP_NET_ADMIN only (docs/security.md)
use_daemon_user

net2net_topo uipt-ctl-e$$   # PID: parallel runs (other worktrees, CI) must not collide
K1=$(gen_key 20) K2=$(gen_key 20)
LOAD="crypto-openssl io-tun net-netlink"
ctl_daemons "$LOAD" || { echo "Bail out! daemons did not start"; exit 1; }

check "gateway A: SAs, policies (uipsecctl) and route" ctl_gateway a "$NS_GA" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 0x1000 0x2000 "$K2" "$K1"
check "gateway B: SAs, policies (uipsecctl) and route" ctl_gateway b "$NS_GB" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 0x2000 0x1000 "$K1" "$K2"

check "ping host A -> host B through the SAs" nsx "$NS_HA" ping -c 5 -i 0.1 -W 2 10.2.0.2
# 5 echo requests out, 5 replies in: 84 inner bytes each (20 IP + 8 ICMP + 56 data)
check "list-sas --json on A: out SA counted 5 packets / 420 bytes, in SA 5 / 420" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -e '(.[] | select(.direction == \"out\") | .packets == 5 and .bytes == 420) and (.[] | select(.direction == \"in\") | .packets == 5 and .bytes == 420) and all(.[]; .tunnel == \"adhoc\" and .last_use > 0)'"
check "stats on B: 5 packets each way" bash -c "[ \$('$UIPSECCTL' --socket '$T_TMP/b.sock' --json stats | jq '.rx_packets == 5 and .tx_packets == 5') = true ]"

check "del-sa of A's outbound SA" ctl a del-sa spi 0x2000 dir out
check "traffic stops without the SA" bash -c "! ip netns exec '$NS_HA' ping -c 3 -i 0.1 -W 1 10.2.0.2"
check "stats on A count the packets without SA (no_sa)" bash -c "[ \$('$UIPSECCTL' --socket '$T_TMP/a.sock' --json stats | jq '.no_sa >= 3') = true ]"

# expire-soft / expire-hard by packet count, acquire from a trap policy
"$UIPSECCTL" --socket "$T_TMP/a.sock" --json monitor expire-soft expire-hard acquire >"$T_TMP/monitor" 2>&1 &
MON=$!
T_PIDS+=("$MON")
sleep 0.3
check "add an outbound SA with packet-soft 3 / packet-hard 6" ctl a add-sa src 192.0.2.1 dst 192.0.2.2 spi 0x2001 dir out \
	reqid 1000 esp aes128gcm16 key "$K1" limit packet-soft 3 packet-hard 6
ctl b add-sa src 192.0.2.1 dst 192.0.2.2 spi 0x2001 dir in reqid 1000 esp aes128gcm16 key "$K1" >/dev/null
nsx "$NS_HA" ping -c 8 -i 0.1 -W 1 10.2.0.2 >"$T_TMP/ping8" 2>&1
check "pings pass until the packet-hard limit, then the SA is gone" bash -c "grep -Eq ' [56] received' '$T_TMP/ping8' || { cat '$T_TMP/ping8'; false; }"
check "add a trap policy for 10.9.0.0/24" bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' add-policy src 10.1.0.0/24 dst 10.9.0.0/24 dir out action trap && ip -n '$NS_GA' route add 10.9.0.0/24 dev uipsec0"
nsx "$NS_HA" ping -c 1 -W 1 10.9.0.7 >/dev/null 2>&1
for _ in $(seq 30); do grep -q acquire "$T_TMP/monitor" && break; sleep 0.1; done
kill -INT $MON 2>/dev/null; wait $MON 2>/dev/null
check "monitor: expire-soft and expire-hard (packets) for SPI 0x2001" \
	jq -s -e '[.[] | select(.data.spi == 8193) | .event] == ["expire-soft", "expire-hard"] and all(.[] | select(.data.spi == 8193); .data.reason == "packets")' "$T_TMP/monitor"
check "monitor: acquire for the trapped packet (10.1.0.2 -> 10.9.0.7, icmp)" \
	jq -s -e 'any(.[]; .event == "acquire" and .data.src == "10.1.0.2" and .data.dst == "10.9.0.7" and .data.proto == 1)' "$T_TMP/monitor"
stop_daemon a; stop_daemon b
check "at stop, B removes the SAs added over the socket before its plugins go (keys wiped)" \
	grep -Eq 'stop: removed [1-9][0-9]* SAs left in the SAD' "$T_TMP/b.log"

# ---- reload under traffic: tunnels t1 (10.1/10.2) and t2 (10.11/10.12)
ip -n "$NS_HA" addr add 10.11.0.2/24 dev eth0
ip -n "$NS_GA" addr add 10.11.0.1/24 dev in0
ip -n "$NS_HB" addr add 10.12.0.2/24 dev eth0
ip -n "$NS_GB" addr add 10.12.0.1/24 dev in0
ip -n "$NS_HA" route add 10.12.0.0/24 via 10.11.0.1
ip -n "$NS_HB" route add 10.11.0.0/24 via 10.12.0.1
write_pair() {   # write_pair T2_SPI_AB T2_SPI_BA T2_KEY_AB T2_KEY_BA
	daemon_conf "$T_TMP/a.conf" a "load = $LOAD"
	daemon_conf "$T_TMP/b.conf" b "load = $LOAD"
	tunnel_conf "$T_TMP/a.conf" t1 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$K2" "$K1"
	tunnel_conf "$T_TMP/b.conf" t1 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$K1" "$K2"
	tunnel_conf "$T_TMP/a.conf" t2 192.0.2.1 192.0.2.2 10.11.0.0/24 10.12.0.0/24 aes128gcm16 "$2" "$1" "$4" "$3"
	tunnel_conf "$T_TMP/b.conf" t2 192.0.2.2 192.0.2.1 10.12.0.0/24 10.11.0.0/24 aes128gcm16 "$1" "$2" "$3" "$4"
}
K3=$(gen_key 20) K4=$(gen_key 20)
write_pair 0x3000 0x4000 "$K3" "$K4"
PID_a=; PID_b=
start_daemon a "$NS_GA" "$T_TMP/a.conf" && start_daemon b "$NS_GB" "$T_TMP/b.conf" || { echo "Bail out! daemons did not restart"; exit 1; }
check "t1 and t2 carry traffic" bash -c "ip netns exec '$NS_HA' ping -c 2 -i 0.1 -W 2 10.2.0.2 && ip netns exec '$NS_HA' ping -c 2 -i 0.1 -W 2 -I 10.11.0.2 10.12.0.2"
t1_before=$(ctl a --json list-sas | jq '[.[] | select(.tunnel == "t1" and .direction == "out") | .packets] | add')
nsx "$NS_HA" ping -c 60 -i 0.05 -W 1 10.2.0.2 >"$T_TMP/ping-t1" 2>&1 &
P1=$!
nsx "$NS_HA" ping -c 60 -i 0.05 -W 1 -I 10.11.0.2 10.12.0.2 >"$T_TMP/ping-t2" 2>&1 &
P2=$!
sleep 1
K5=$(gen_key 20) K6=$(gen_key 20)
write_pair 0x3100 0x4100 "$K5" "$K6"
check "reload on A: t2 changed, t1 unchanged" bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json reload | jq -e '.changed == [\"t2\"] and .unchanged == [\"t1\"]'"
check "reload on B: t2 changed, t1 unchanged" bash -c "'$UIPSECCTL' --socket '$T_TMP/b.sock' --json reload | jq -e '.changed == [\"t2\"] and .unchanged == [\"t1\"]'"
wait $P1 $P2
check "no loss on the unchanged tunnel t1 during the reload" grep -q ' 0% packet loss' "$T_TMP/ping-t1"
check "t1's counters kept counting (not reset)" bash -c "[ \$('$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq '[.[] | select(.tunnel == \"t1\" and .direction == \"out\") | .packets] | add') -ge \$(( $t1_before + 60 )) ]"
check "t2 works with its new keys and SPIs" bash -c "ip netns exec '$NS_HA' ping -c 2 -i 0.1 -W 2 -I 10.11.0.2 10.12.0.2 && '$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -e '[.[] | select(.tunnel == \"t2\") | .spi] | sort == [12544, 16640]'"
diag "t2 during the reload: $(grep 'packet loss' "$T_TMP/ping-t2")"
# exit status 0: a sanitizer build exits non-zero on a leak (its leak check
# at exit can take longer than a second)
stop_both() { stop_daemon a && wait "$PID_a" && stop_daemon b && wait "$PID_b"; }
check "daemons stop cleanly" stop_both
finish
