#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# strongSwan's charon with kernel-uipsec behind a NAT (issue 14): the
# initiator A sits behind a NAT router namespace doing nftables masquerade
# (UDP source ports rewritten into 30000-30100):
#   A 198.51.100.1 -- 198.51.100.254 NAT 192.0.2.254 -- 192.0.2.2 B
# inner addresses 10.1.0.1 (A) and 10.2.0.1 (B) on lo, CHILD_SA
# 10.1.0.0/24 === 10.2.0.0/24, PSK with FQDN identities.
#  - IKE up, NAT-T detected (nat-local on A, nat-remote on B), the CHILD_SA
#    is UDP-encapsulated; B's uipsecd holds the SAs with the peer at the
#    NAT's address and a translated port; pings both ways
#  - the NAT mapping changes while A pings B every 50 ms: the masquerade
#    port range moves to 40000-40100 and the NAT's public address is
#    removed and added again (the kernel drops the masqueraded conntrack
#    entries with it, as a NAT router that lost its address or rebooted).
#    B's uipsecd raises one `mapping` event (uipsecctl monitor), charon B
#    logs it and queues the update, moves the remote endpoint and migrates
#    its SAs (migrate-sa): uipsecd lists the new port, the SPIs are
#    unchanged (no rekey), traffic resumes both ways. Loss during the
#    change: at most MAX_LOST of the pings (stated in the output).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping nft
[ "$CHARON_MODE" = uipsec ] || skip_all "checks uipsecd's mapping event (UIPT_CHARON_MODE=$CHARON_MODE)"
ctl_unwrap

# pings lost at most while the mapping changes (50 ms apart, i.e. 1 s)
MAX_LOST=20
A_ADDR=198.51.100.1 NAT_IN=198.51.100.254 NAT_OUT=192.0.2.254 B_ADDR=192.0.2.2

NS_A=uipt-csn$U-a NS_N=uipt-csn$U-n NS_B=uipt-csn$U-b
ns_add "$NS_A"; ns_add "$NS_N"; ns_add "$NS_B"
veth "$NS_A" out0 "$NS_N" in0
veth "$NS_N" out0 "$NS_B" out0
ip -n "$NS_A" addr add $A_ADDR/24 dev out0
ip -n "$NS_A" route add default via $NAT_IN
ip -n "$NS_A" addr add 10.1.0.1/32 dev lo
ip -n "$NS_N" addr add $NAT_IN/24 dev in0
ip -n "$NS_N" addr add $NAT_OUT/24 dev out0
nsx "$NS_N" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NS_B" addr add $B_ADDR/24 dev out0
ip -n "$NS_B" addr add 10.2.0.1/32 dev lo
# B does not route 198.51.100.0/24: everything from A must come through the NAT
# nat_rule RANGE: masquerade out0, UDP source ports into RANGE
nat_rule() {
	nsx "$NS_N" nft -f - <<NFT
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
nat_rule 30000-30100 || { echo "Bail out! nftables masquerade failed"; exit 1; }

# ping_from NS SRC DST [COUNT]: every echo request from SRC answered
ping_from() {
	nsx "$1" ping -c "${4:-5}" -i 0.1 -W 2 -I "$2" "$3" >"$T_TMP/ping.out" 2>&1
	grep -q "^${4:-5} packets transmitted, ${4:-5} received" "$T_TMP/ping.out" || { tail -3 "$T_TMP/ping.out"; false; }
}
# raw_ike GW KEY: KEY=VALUE of GW's IKE_SA gw (swanctl --list-sas --raw)
raw_ike() { sw "$1" --list-sas --ike gw --raw 2>/dev/null | grep -o "$2=[^ ]*" | head -1 | cut -d= -f2; }
# b_peer: "SRC:SPORT" of B's inbound charon SA in uipsecd (where A is seen)
b_peer() { u_sas b | jq -r '.[] | select(.direction == "in") | "\(.src):\(.src_port)"'; }
# b_out: "DST:DPORT" of B's outbound charon SA in uipsecd
b_out() { u_sas b | jq -r '.[] | select(.direction == "out") | "\(.dst):\(.dst_port)"'; }

for gw in a b; do
	charon_conf $gw uipsec
	daemon_conf "$T_TMP/$gw.conf" $gw "load = crypto-openssl io-tun net-netlink"
	if [ $gw = a ]; then ns=$NS_A; else ns=$NS_B; fi
	start_daemon $gw "$ns" "$T_TMP/$gw.conf" || { echo "Bail out! uipsecd $gw did not start"; exit 1; }
	charon_start $gw "$ns" || { echo "Bail out! charon $gw did not start"; exit 1; }
done
fqdn_confs $A_ADDR $B_ADDR $B_ADDR %any
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'
check "A initiates through the NAT (swanctl --initiate --child net)" sw a --initiate --child net --timeout 30
for gw in a b; do
	check "$gw lists CHILD_SA net INSTALLED, UDP-encapsulated (TUNNEL-in-UDP)" \
		eval "child_installed $gw net && grep -q 'INSTALLED, TUNNEL-in-UDP' '$T_TMP/sas.out'"
done
check "A detected the NAT in front of itself (nat-local=yes)" test "$(raw_ike a nat-local)" = yes
check "B detected the NAT in front of A (nat-remote=yes)" test "$(raw_ike b nat-remote)" = yes
rport=$(raw_ike b remote-port)
check "B's IKE_SA: A at the NAT's $NAT_OUT, translated port ($rport)" \
	eval "[ '$(raw_ike b remote-host)' = $NAT_OUT ] && [ '$rport' -ge 30000 ] && [ '$rport' -le 30100 ]"
peer1=$(b_peer)
diag "B's uipsecd sees A at $peer1"
check "B's uipsecd: inbound SA from the NAT ($NAT_OUT, port 30000-30100)" \
	ujq b sas "any(.[]; .direction == \"in\" and .src == \"$NAT_OUT\" and .src_port >= 30000 and .src_port <= 30100)"
check "B's uipsecd: outbound SA to the same address and port" test "$(b_out)" = "$peer1"
for gw in a b; do
	check "$gw's uipsecd lists both SAs with encap \"udp\" (NAT detected: no plain ESP)" \
		ujq $gw sas 'length == 2 and all(.[]; .encap == "udp")'
done
check "A's uipsecd: outbound SA to $B_ADDR:4500" ujq a sas "any(.[]; .direction == \"out\" and .dst == \"$B_ADDR\" and .dst_port == 4500)"
check "ping A -> B through the NAT" ping_from "$NS_A" 10.1.0.1 10.2.0.1
check "ping B -> A through the NAT" ping_from "$NS_B" 10.2.0.1 10.1.0.1
spis_a=$(child_spis a net) spis_b=$(child_spis b net) uspis_b=$(u_spis b)
diag "SPIs: A $spis_a, B $spis_b, B's uipsecd $uspis_b"

# ---- the mapping changes while A pings B
"$UIPSECCTL" --socket "$T_TMP/b.sock" --json monitor mapping >"$T_TMP/monitor" 2>&1 &
MON=$!
T_PIDS+=("$MON")
sleep 0.3
before=$(stats_json b)
NPINGS=100
nsx "$NS_A" ping -c $NPINGS -i 0.05 -W 2 -I 10.1.0.1 10.2.0.1 >"$T_TMP/ping-change.out" 2>&1 &
PP=$!
T_PIDS+=("$PP")
sleep 1.5
# new port range; the public address goes away and comes back: the kernel
# drops the conntrack entries masqueraded to it (A's 4500 mapping with it)
check "NAT: masquerade now into ports 40000-40100" nat_rule 40000-40100
check "NAT: public address removed and added again (masquerade conntrack entries flushed)" \
	eval "ip -n $NS_N addr del $NAT_OUT/24 dev out0 && ip -n $NS_N addr add $NAT_OUT/24 dev out0"
wait $PP
lost=$(awk '/packets transmitted/ {print $1 - $4}' "$T_TMP/ping-change.out")
diag "pings during the change: $(grep 'packets transmitted' "$T_TMP/ping-change.out")"
check "traffic went on through the change: at most $MAX_LOST of $NPINGS pings (50 ms apart) lost (lost ${lost:-?})" \
	test "${lost:-999}" -le $MAX_LOST
sleep 0.5
kill -INT $MON 2>/dev/null; wait $MON 2>/dev/null
after=$(stats_json b)
sed 's/^/# monitor: /' "$T_TMP/monitor"
check "B's uipsecd raised one mapping event, to $NAT_OUT and a port in 40000-40100" \
	jq -s -e "[.[] | select(.event == \"mapping\")] | length == 1 and
		(.[0].data | .new_src == \"$NAT_OUT\" and .new_sport >= 40000 and .new_sport <= 40100 and .old_src == \"$NAT_OUT\")" \
	"$T_TMP/monitor"
newport=$(jq -s -r '[.[] | select(.event == "mapping")][0].data.new_sport' "$T_TMP/monitor")
check "charon B received the mapping (NAT mappings of CHILD_SA ... changed to $NAT_OUT[$newport])" \
	charon_log_has b "NAT mappings of CHILD_SA ESP/0x[0-9a-f]+/$B_ADDR changed to $NAT_OUT\[$newport\]"
check "charon B moved the remote endpoint to $NAT_OUT[$newport]" \
	charon_log_has b "remote endpoint changed from $NAT_OUT\[${peer1#*:}\] to $NAT_OUT\[$newport\]"
check "charon B migrated its SAs (kernel-uipsec: migrated SA)" charon_log_has b "kernel-uipsec: migrated SA"
grep -E "NAT mappings|remote endpoint changed|migrated SA|migrate-sa" "$T_TMP/b-charon.log" | sed 's/^/# charon B: /'
check "B's uipsecd: inbound SA now from $NAT_OUT:$newport" test "$(b_peer)" = "$NAT_OUT:$newport"
check "B's uipsecd: outbound SA now to $NAT_OUT:$newport" test "$(b_out)" = "$NAT_OUT:$newport"
check "B's IKE_SA: A now at $NAT_OUT[$newport]" \
	eval "[ '$(raw_ike b remote-host)' = $NAT_OUT ] && [ '$(raw_ike b remote-port)' = '$newport' ]"
check "SPIs unchanged, no rekey (charon A, charon B, B's uipsecd)" \
	eval "[ '$(child_spis a net)' = '$spis_a' ] && [ '$(child_spis b net)' = '$spis_b' ] && [ '$(u_spis b)' = '$uspis_b' ]"
check "no CHILD_SA rekey in charon B's log" test "$(charon_log_count b 'rekeying CHILD_SA|CHILD_SA .* rekeyed')" = 0
check "ping A -> B after the change" ping_from "$NS_A" 10.1.0.1 10.2.0.1
check "ping B -> A after the change" ping_from "$NS_B" 10.2.0.1 10.1.0.1
diag "B's uipsecd error counters during the change: before $(jq -c "$UERRS" <<<"$before") after $(jq -c "$UERRS" <<<"$after")"

check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
check "uipsecd A and B stop cleanly" stop_daemons
finish
