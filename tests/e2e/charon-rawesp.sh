#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# strongSwan's charon with kernel-uipsec speaks plain ESP (IP protocol 50)
# when there is no NAT, and ESP in UDP when there is one (issue 15): the
# plugin no longer demands UDP encapsulation, charon's NAT detection
# decides, and a NAT appearing or going away under a MOBIKE address update
# switches the CHILD_SA in place (update_sa -> migrate-sa "encap").
#   A 198.51.100.1 -- 198.51.100.254 N 192.0.2.254 -- 192.0.2.2 B
# N routes (later: masquerades), inner 10.1.0.1 (A) and 10.2.0.1 (B) on lo,
# CHILD_SA 10.1.0.0/24 === 10.2.0.0/24 (aes128gcm16), PSK, MOBIKE (the
# default), A has no fixed local address so that it can roam.
#  1. no NAT: swanctl lists the CHILD_SA as TUNNEL (not TUNNEL-in-UDP),
#     neither side detected a NAT, both uipsecd list the SAs with encap
#     "none"; a capture on B's link sees the pings and an iperf3 transfer as
#     IP protocol 50 and no ESP in UDP; uipsecd's raw_esp_tx/rx counted them
#  2. NAT appears: N starts masquerading, A moves to 198.51.100.3 while it
#     pings B every 50 ms; MOBIKE's address update carries the NAT
#     detection, both charons switch the CHILD_SA to UDP (migrate-sa with
#     "encap": true): TUNNEL-in-UDP, uipsecd lists encap "udp" and B's
#     outbound SA goes to the NAT's address and translated port, the SPIs
#     are unchanged (no rekey), the capture sees only ESP in UDP; the pings
#     go on (at most MAX_LOST lost during the switch)
#  3. NAT goes: N stops masquerading, A moves to 198.51.100.4: back to plain
#     ESP the same way ("encap": false), traffic continues, same SPIs
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping nft tcpdump iperf3 ss
[ "$CHARON_MODE" = uipsec ] || skip_all "checks uipsecd's encapsulation (UIPT_CHARON_MODE=$CHARON_MODE)"
ctl_unwrap

# pings (50 ms apart) lost at most while a switch happens
MAX_LOST=${MAX_LOST:-30}
A_ADDR=198.51.100.1 A_ADDR2=198.51.100.3 A_ADDR3=198.51.100.4
NAT_IN=198.51.100.254 NAT_OUT=192.0.2.254 B_ADDR=192.0.2.2

NS_A=uipt-cse$U-a NS_N=uipt-cse$U-n NS_B=uipt-cse$U-b
ns_add "$NS_A"; ns_add "$NS_N"; ns_add "$NS_B"
veth "$NS_A" out0 "$NS_N" in0
veth "$NS_N" out0 "$NS_B" out0
# the roaming address replaces the old one without taking the routes along
nsx "$NS_A" sysctl -qw net.ipv4.conf.out0.promote_secondaries=1
ip -n "$NS_A" addr add $A_ADDR/24 dev out0
ip -n "$NS_A" route add default via $NAT_IN
ip -n "$NS_A" addr add 10.1.0.1/32 dev lo
ip -n "$NS_N" addr add $NAT_IN/24 dev in0
ip -n "$NS_N" addr add $NAT_OUT/24 dev out0
nsx "$NS_N" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NS_B" addr add $B_ADDR/24 dev out0
ip -n "$NS_B" route add 198.51.100.0/24 via $NAT_OUT
ip -n "$NS_B" addr add 10.2.0.1/32 dev lo

# nat_on / nat_off: N masquerades what leaves towards B (UDP source ports
# into 30000-30100) / routes it unchanged
nat_on() {
	nsx "$NS_N" nft -f - <<NFT
table ip uipt_nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "out0" meta l4proto udp masquerade to :30000-30100
		oifname "out0" masquerade
	}
}
NFT
}
nat_off() { nsx "$NS_N" nft delete table ip uipt_nat; }

# move_a NEW OLD: A's outer address becomes NEW (added before OLD goes:
# charon sees one address change, kernel-netlink raises a roam event)
move_a() {
	ip -n "$NS_A" addr add "$1/24" dev out0 &&
	ip -n "$NS_A" addr del "$2/24" dev out0 &&
	ip -n "$NS_A" route replace default via $NAT_IN
}

# ping_from NS SRC DST [COUNT]: every echo request from SRC answered
ping_from() {
	nsx "$1" ping -c "${4:-5}" -i 0.1 -W 2 -I "$2" "$3" >"$T_TMP/ping.out" 2>&1
	grep -q "^${4:-5} packets transmitted, ${4:-5} received" "$T_TMP/ping.out" || { tail -3 "$T_TMP/ping.out"; false; }
}
# pings_both: 5 pings A -> B and B -> A
pings_both() { ping_from "$NS_A" 10.1.0.1 10.2.0.1 && ping_from "$NS_B" 10.2.0.1 10.1.0.1; }
# iperf_ab SECONDS: iperf3 (TCP) from 10.1.0.1 (A) to 10.2.0.1 (B)
iperf_ab() {
	local srv rc
	nsx "$NS_B" iperf3 -s -1 -B 10.2.0.1 >"$T_TMP/iperf-srv.out" 2>&1 &
	srv=$!
	T_PIDS+=("$srv")
	for _ in $(seq 30); do nsx "$NS_B" ss -ltn 2>/dev/null | grep -q '10.2.0.1:5201 ' && break; sleep 0.1; done
	nsx "$NS_A" timeout $(($1 + 15)) iperf3 -c 10.2.0.1 -B 10.1.0.1 -t "$1" >"$T_TMP/iperf.out" 2>&1
	rc=$?
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	if [ $rc != 0 ]; then tail -5 "$T_TMP/iperf.out"; return 1; fi
}
# iperf_rate: the receiver's rate of the last iperf_ab ("1.45 Gbits/sec")
iperf_rate() { awk '/receiver$/ {print $(NF-2), $(NF-1)}' "$T_TMP/iperf.out"; }
# raw_ike GW KEY: KEY=VALUE of GW's IKE_SA gw (swanctl --list-sas --raw)
raw_ike() { sw "$1" --list-sas --ike gw --raw 2>/dev/null | grep -o "$2=[^ ]*" | head -1 | cut -d= -f2; }
# child_mode GW: the mode swanctl lists for GW's INSTALLED CHILD_SA net
# (TUNNEL: plain ESP, TUNNEL-in-UDP: UDP-encapsulated)
child_mode() {
	sw "$1" --list-sas 2>/dev/null | awk '$1 == "net:" && /INSTALLED/ { m = $6 } END { gsub(/,/, "", m); print m }'
}
# mode_is GW MODE: GW's CHILD_SA net is INSTALLED in MODE (list shown otherwise)
mode_is() { [ "$(child_mode "$1")" = "$2" ] || { sw "$1" --list-sas; false; }; }
# u_encap GW ENCAP: GW's uipsecd holds the CHILD_SA's two SAs, both with
# encap ENCAP ("none" or "udp")
u_encap() { ujq "$1" sas "length == 2 and all(.[]; .encap == \"$2\")"; }
# b_out: "DST:DPORT" of B's outbound charon SA in uipsecd
b_out() { u_sas b | jq -r '.[] | select(.direction == "out") | "\(.dst):\(.dst_port)"'; }
# all_spis: the CHILD_SA's SPIs as both charons and both uipsecd see them
all_spis() { echo "$(child_spis a net)/$(child_spis b net)/$(u_spis a)/$(u_spis b)"; }

# cap_start NAME / cap_stop: tcpdump on B's link into NAME.pcap
cap_start() {
	ip netns exec "$NS_B" tcpdump -U --immediate-mode -n -i out0 -w "$T_TMP/$1.pcap" ip 2>"$T_TMP/$1.tcpdump" &
	CAP=$!
	T_PIDS+=("$CAP")
	for _ in $(seq 50); do grep -q "listening on" "$T_TMP/$1.tcpdump" && break; sleep 0.1; done
}
cap_stop() { sleep 0.3; kill "$CAP"; wait "$CAP" 2>/dev/null; }
# cap_count NAME FILTER: packets of NAME.pcap matching FILTER
cap_count() { tcpdump -n -r "$T_TMP/$1.pcap" "$2" 2>/dev/null | wc -l; }
# ESP in UDP (not IKE's non-ESP marker, not a keepalive) / plain ESP
F_UDP_ESP='udp port 4500 and udp[4:2] > 9 and udp[8:4] != 0'
F_RAW_ESP='ip proto 50'
# cap_spis NAME FILTER: the ESP SPIs captured (sorted hex, no 0x)
cap_spis() {
	tcpdump -n -r "$T_TMP/$1.pcap" "$2" 2>/dev/null | grep -o 'spi=0x[0-9a-f]*' | cut -d= -f2 | sed 's/^0x//' | sort -u | tr '\n' ' '
}
# want_spis: the CHILD_SA's SPIs as A lists them (sorted, as cap_spis)
want_spis() { child_spis a net | tr ' ' '\n' | sort -u | tr '\n' ' '; }

for gw in a b; do
	charon_conf $gw uipsec
	daemon_conf "$T_TMP/$gw.conf" $gw "load = crypto-openssl io-tun net-netlink"
	if [ $gw = a ]; then ns=$NS_A; else ns=$NS_B; fi
	start_daemon $gw "$ns" "$T_TMP/$gw.conf" || { echo "Bail out! uipsecd $gw did not start"; exit 1; }
	charon_start $gw "$ns" || { echo "Bail out! charon $gw did not start"; exit 1; }
done
# A without a fixed local address: it roams (MOBIKE)
fqdn_confs %any $B_ADDR $B_ADDR %any "mobike = yes"
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'

# ---- 1. no NAT: plain ESP
cap_start plain
check "no NAT: A initiates (swanctl --initiate --child net)" sw a --initiate --child net --timeout 30
for gw in a b; do
	check "no NAT: $gw lists CHILD_SA net INSTALLED as TUNNEL, not TUNNEL-in-UDP" mode_is $gw TUNNEL
	check "no NAT: $gw's uipsecd holds the two SAs with encap \"none\"" u_encap $gw none
done
check "no NAT: neither charon detected a NAT (nat-any absent on A and B)" \
	eval "[ -z '$(raw_ike a nat-any)' ] && [ -z '$(raw_ike b nat-any)' ]"
check "no NAT: B's uipsecd: outbound SA to A's own address $A_ADDR" test "$(b_out | cut -d: -f1)" = $A_ADDR
check "no NAT: ping A -> B and B -> A" pings_both
check "no NAT: iperf3 A -> B, 2 s" iperf_ab 2
diag "no NAT: iperf3 A -> B $(iperf_rate)"
cap_stop
raw=$(cap_count plain "$F_RAW_ESP") udp=$(cap_count plain "$F_UDP_ESP")
diag "no NAT: B's link saw $raw ESP packets (IP protocol 50), $udp ESP in UDP"
check "no NAT: the traffic crossed B's link as IP protocol 50 (>= 100 packets)" test "$raw" -ge 100
check "no NAT: no ESP in UDP 4500 on B's link" test "$udp" = 0
check "no NAT: the ESP packets carry the CHILD_SA's two SPIs ($(want_spis))" \
	eval "[ \"\$(cap_spis plain '$F_RAW_ESP')\" = \"\$(want_spis)\" ]"
for gw in a b; do
	check "no NAT: $gw's uipsecd counted raw ESP sent and received (raw_esp_tx, raw_esp_rx > 100)" \
		eval "[ \"\$(stat_of $gw raw_esp_tx)\" -gt 100 ] && [ \"\$(stat_of $gw raw_esp_rx)\" -gt 100 ]"
done
check "no NAT: swanctl --list-sas counts bytes in and out on A" child_counted a net
spis=$(all_spis)
diag "SPIs (A, B, A's uipsecd, B's uipsecd): $spis"

# ---- 2. a NAT appears: A roams behind it (MOBIKE)
# switch NAME FROM_ADDR TO_ADDR: A moves while it pings B every 50 ms
switch() {
	cap_start "$1"
	nsx "$NS_A" ping -c 100 -i 0.05 -W 2 -I 10.1.0.1 10.2.0.1 >"$T_TMP/ping-$1.out" 2>&1 &
	PP=$!
	T_PIDS+=("$PP")
	sleep 1
	check "$1: A moves from $2 to $3" move_a "$3" "$2"
	wait $PP
	lost=$(awk '/packets transmitted/ {print $1 - $4}' "$T_TMP/ping-$1.out")
	diag "$1: pings during the switch: $(grep 'packets transmitted' "$T_TMP/ping-$1.out")"
	check "$1: traffic went on: at most $MAX_LOST of 100 pings (50 ms apart) lost (lost ${lost:-?})" \
		test "${lost:-999}" -le "$MAX_LOST"
}
# settled GW MODE: GW's CHILD_SA reaches MODE within 10 s
settled() { for _ in $(seq 50); do [ "$(child_mode "$1")" = "$2" ] && return 0; sleep 0.2; done; mode_is "$1" "$2"; }

check "NAT: N masquerades towards B" nat_on
switch nat $A_ADDR $A_ADDR2
for gw in a b; do
	check "NAT: $gw switched CHILD_SA net to TUNNEL-in-UDP" settled $gw TUNNEL-in-UDP
	check "NAT: $gw's uipsecd lists both SAs with encap \"udp\"" u_encap $gw udp
done
check "NAT: A detected the NAT in front of itself (nat-local=yes)" test "$(raw_ike a nat-local)" = yes
check "NAT: B detected the NAT in front of A (nat-remote=yes)" test "$(raw_ike b nat-remote)" = yes
out=$(b_out)
check "NAT: B's uipsecd sends to the NAT's $NAT_OUT and a translated port (${out#*:})" \
	eval "[ '${out%:*}' = $NAT_OUT ] && [ '${out#*:}' -ge 30000 ] && [ '${out#*:}' -le 30100 ]"
check "NAT: A's uipsecd: outbound SA to $B_ADDR:4500" \
	ujq a sas "any(.[]; .direction == \"out\" and .dst == \"$B_ADDR\" and .dst_port == 4500)"
for gw in a b; do
	check "NAT: charon $gw migrated its SAs to ESP in UDP (migrate-sa \"encap\": true)" \
		charon_log_has $gw "kernel-uipsec: migrated SA [0-9a-f]+ to .*, now ESP in UDP"
done
grep -E "NAT|migrated SA|migrate-sa|UPDATE_SA_ADDRESSES" "$T_TMP/b-charon.log" | head -8 | sed 's/^/# charon B: /'
check "NAT: SPIs unchanged, no rekey (charons and uipsecd)" test "$(all_spis)" = "$spis"
check "NAT: ping A -> B and B -> A" pings_both
cap_stop
raw=$(cap_count nat "$F_RAW_ESP") udp=$(cap_count nat "$F_UDP_ESP")
udp_after=$(tcpdump -n -r "$T_TMP/nat.pcap" "$F_UDP_ESP" 2>/dev/null | tail -1)
diag "NAT: B's link saw $raw ESP packets (IP protocol 50), $udp ESP in UDP"
check "NAT: the pings crossed B's link as ESP in UDP from the NAT (>= 40 packets)" test "$udp" -ge 40
check "NAT: the last ESP packets came in UDP from/to $NAT_OUT" eval "grep -q '$NAT_OUT' <<<'$udp_after'"
check "NAT: the ESP in UDP carries the CHILD_SA's SPIs" eval "[ \"\$(cap_spis nat '$F_UDP_ESP')\" = \"\$(want_spis)\" ]"
check "NAT: iperf3 A -> B, 2 s" iperf_ab 2
diag "NAT: iperf3 A -> B $(iperf_rate)"

# ---- 3. the NAT goes: A roams again, on a path without NAT
check "no NAT again: N stops masquerading" nat_off
switch nonat $A_ADDR2 $A_ADDR3
for gw in a b; do
	check "no NAT again: $gw switched CHILD_SA net back to TUNNEL" settled $gw TUNNEL
	check "no NAT again: $gw's uipsecd lists both SAs with encap \"none\"" u_encap $gw none
	check "no NAT again: charon $gw migrated its SAs to plain ESP (migrate-sa \"encap\": false)" \
		charon_log_has $gw "kernel-uipsec: migrated SA [0-9a-f]+ to .*, now plain ESP"
done
check "no NAT again: B's uipsecd: outbound SA to A's new address $A_ADDR3" test "$(b_out | cut -d: -f1)" = $A_ADDR3
check "no NAT again: SPIs unchanged, no rekey" test "$(all_spis)" = "$spis"
check "no NAT again: ping A -> B and B -> A" pings_both
cap_stop
raw=$(cap_count nonat "$F_RAW_ESP")
raw_after=$(tcpdump -n -r "$T_TMP/nonat.pcap" "$F_RAW_ESP" 2>/dev/null | tail -1)
diag "no NAT again: B's link saw $raw ESP packets (IP protocol 50), $(cap_count nonat "$F_UDP_ESP") ESP in UDP"
check "no NAT again: the pings crossed B's link as IP protocol 50 (>= 40 packets)" test "$raw" -ge 40
check "no NAT again: the last ESP packet is plain ESP between $A_ADDR3 and $B_ADDR" \
	eval "grep -q '$A_ADDR3' <<<'$raw_after'"
check "no CHILD_SA rekey in either charon's log" \
	test "$(charon_log_count a 'rekeying CHILD_SA|CHILD_SA .* rekeyed')$(charon_log_count b 'rekeying CHILD_SA|CHILD_SA .* rekeyed')" = 00
for gw in a b; do
	diag "$gw's uipsecd errors: $(uerrs $gw)"
done

check "swanctl --terminate --ike gw on A" sw a --terminate --ike gw --timeout 30
check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
check "uipsecd A and B stop cleanly" stop_daemons
finish
