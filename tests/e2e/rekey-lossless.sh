#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lossless rekeying over the control socket (issue "Control protocol v2"):
# SAs and policies added with uipsecctl carry a ping (-i 0.01) and an
# iperf3 UDP stream (2 Mbit/s) from host A to host B for ~35 s while both gateways
# replace their SAs every second, 30 times, in the order an IKE daemon
# uses (docs/control-protocol.md, "Rekeying without loss"): the new inbound
# SAs on both sides, then the new outbound SAs (the newest outbound SA of a
# reqid takes the traffic at once), then, after an overlap for packets in
# flight under the old SPIs, the old outbound and the old inbound SAs are
# deleted. Every echo request must be answered, iperf3 must lose nothing,
# and replay_dropped, auth_failed, no_sa and bad_spi must not grow on
# either gateway; at the end only the last generation's SAs are left.
# (Adding the outbound SAs before the inbound ones loses ~5% of the pings
# here, counted as bad_spi at the peer: the order is what is checked.)
. "$(dirname "$0")/lib.sh"
require_root_tools jq ping iperf3
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
ctl_unwrap   # 240 calls in 30 s

REKEYS=30
LOAD_SECS=45        # the load outlasts the rekeys (one a second from t = 1 s; under
                    # ASan on a busy machine a rekey's eight uipsecctl calls and the
                    # overlap take up to 1.2 s, so 30 of them end near t = 36 s)
OVERLAP=0.3         # old SAs live on this long after the switch
COUNTERS='{replay_dropped, auth_failed, no_sa, bad_spi}'

net2net_topo uipt-dp-rk$$   # PID: parallel runs (other worktrees, CI) must not collide
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

# generation G: SPI 0x2000+G from A to B, 0x1000+G from B to A, fresh keys
spi_ab() { printf '0x%x' $((0x2000 + $1)); }
spi_ba() { printf '0x%x' $((0x1000 + $1)); }
KAB=() KBA=()
for g in $(seq 0 $REKEYS); do KAB[g]=$(gen_key 20) KBA[g]=$(gen_key 20); done

check "gateway A: SAs (generation 0), policies and route" ctl_gateway a "$NS_GA" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 \
	"$(spi_ba 0)" "$(spi_ab 0)" "${KBA[0]}" "${KAB[0]}"
check "gateway B: SAs (generation 0), policies and route" ctl_gateway b "$NS_GB" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 \
	"$(spi_ab 0)" "$(spi_ba 0)" "${KAB[0]}" "${KBA[0]}"
# ping -i 0.01 runs at 10 to 16 ms per request depending on the kernel's
# timers: its pace here sets how many requests make LOAD_SECS
nsx "$NS_HA" ping -c 101 -i 0.01 -W 2 -q 10.2.0.2 >"$T_TMP/ping0" 2>&1
check "101 pings host A -> host B through generation 0" grep -q '^101 packets transmitted, 101 received' "$T_TMP/ping0"
pace=$(sed -n 's/.*, time \([0-9]*\)ms$/\1/p' "$T_TMP/ping0")   # ms for 100 intervals
[ "${pace:-0}" -ge 1000 ] || pace=1000
PINGS=$((LOAD_SECS * 100000 / pace))
ctl a --json stats | jq -c "$COUNTERS" >"$T_TMP/a.before"
ctl b --json stats | jq -c "$COUNTERS" >"$T_TMP/b.before"

# rekey_step GW STEP G: one step of gateway GW's rekeying from generation
# G-1 to G; a del-sa that succeeds prints a line
rekey_step() {
	local gw=$1 g=$3 o=$(($3 - 1))
	local l=192.0.2.1 r=192.0.2.2 ln=10.1.0.0/24 rn=10.2.0.0/24 spi_in=spi_ba spi_out=spi_ab kin=KBA kout=KAB
	[ "$gw" = b ] && { l=192.0.2.2 r=192.0.2.1 ln=10.2.0.0/24 rn=10.1.0.0/24 spi_in=spi_ab spi_out=spi_ba kin=KAB kout=KBA; }
	local -n key_in=$kin key_out=$kout
	case $2 in
	add-in) ctl_add_sa "$gw" in $l $r "$($spi_in "$g")" "${key_in[g]}" $ln $rn ;;
	add-out) ctl_add_sa "$gw" out $l $r "$($spi_out "$g")" "${key_out[g]}" ;;
	del-out) ctl "$gw" del-sa spi "$($spi_out $o)" dir out && echo "$gw out $o" ;;
	del-in) ctl "$gw" del-sa spi "$($spi_in $o)" dir in && echo "$gw in $o" ;;
	esac
}
# on_both STEP G: the step on both gateways at once (two IKE daemons)
on_both() { rekey_step a "$@" & local p=$! rc; rekey_step b "$@"; rc=$?; wait $p && return $rc; }
# rekey G: as an IKE daemon does, each step done on both sides before the next
rekey() {
	# 1. inbound first: each side decrypts the new SPI before its peer sends with it
	# 2. then outbound: reqid 1000's traffic moves to the newest outbound SA at once
	on_both add-in "$1" && on_both add-out "$1" || return 1
	# 3. packets in flight under the old SPIs arrive; then the old SAs go, all
	#    outbound ones before any inbound one
	sleep $OVERLAP
	on_both del-out "$1"
	on_both del-in "$1"
}
sleep_until() {   # sleep_until NANOSECONDS since the epoch
	local d=$(($1 - $(date +%s%N)))
	[ $d -le 0 ] || sleep "$((d / 1000000000)).$(printf '%09d' $((d % 1000000000)))"
}

nsx "$NS_HB" iperf3 -s -1 -D -I "$T_TMP/iperf-s.pid" >/dev/null 2>&1
sleep 0.3
nsx "$NS_HA" iperf3 -c 10.2.0.2 -u -b 2M -l 1000 -t $LOAD_SECS --json >"$T_TMP/iperf.json" 2>"$T_TMP/iperf.err" &
IPERF=$!
T_PIDS+=("$IPERF")
nsx "$NS_HA" ping -c $PINGS -i 0.01 -W 2 -q 10.2.0.2 >"$T_TMP/ping" 2>&1 &
PING=$!
T_PIDS+=("$PING")
t0=$(date +%s%N)
for g in $(seq 1 $REKEYS); do
	sleep_until $((t0 + g * 1000000000))
	rekey "$g" >>"$T_TMP/dels" 2>>"$T_TMP/rekey.err" || echo "rekey $g: adding the new SAs failed" >>"$T_TMP/rekey.err"
done
t1=$(date +%s%N)
check "the ping load outlasted the $REKEYS rekeys" kill -0 $PING
wait $PING $IPERF
t2=$(date +%s%N)
kill "$(cat "$T_TMP/iperf-s.pid" 2>/dev/null)" 2>/dev/null
diag "ping pace $((pace / 100)) ms, $PINGS requests; rekeys took $(((t1 - t0) / 1000000)) ms, the load $(((t2 - t0) / 1000000)) ms; $(grep 'packet loss' "$T_TMP/ping")"

check "$REKEYS rekeys, every del-sa of an old SA succeeded ($((REKEYS * 4)))" \
	bash -c "[ ! -s '$T_TMP/rekey.err' ] && [ \$(wc -l <'$T_TMP/dels') = $((REKEYS * 4)) ] || { cat '$T_TMP/rekey.err'; false; }"
check "no ping lost: $PINGS sent, $PINGS received" grep -q "^$PINGS packets transmitted, $PINGS received" "$T_TMP/ping"
diag "iperf3 UDP: $(jq -c '.end.sum | {packets, lost_packets}' "$T_TMP/iperf.json" 2>/dev/null)"
check "iperf3 UDP stream: packets received, none lost" \
	jq -e '.end.sum.packets > 1000 and .end.sum.lost_packets == 0' "$T_TMP/iperf.json"
for gw in a b; do
	ctl $gw --json stats | jq -c "$COUNTERS" >"$T_TMP/$gw.after"
	diag "gateway $gw: before $(cat "$T_TMP/$gw.before"), after $(cat "$T_TMP/$gw.after")"
	check "gateway $gw: replay_dropped, auth_failed, no_sa, bad_spi did not grow" cmp "$T_TMP/$gw.before" "$T_TMP/$gw.after"
done
last_sas() {   # last_sas GW SPI_IN SPI_OUT: exactly these two SAs, both used
	ctl "$1" --json list-sas | jq -e --argjson i $(($2)) --argjson o $(($3)) \
		'([.[] | [.direction, .spi]] | sort) == [["in", $i], ["out", $o]] and all(.[]; .packets > 0)'
}
check "list-sas on A: only generation $REKEYS's SAs, both carried traffic" last_sas a "$(spi_ba $REKEYS)" "$(spi_ab $REKEYS)"
check "list-sas on B: only generation $REKEYS's SAs, both carried traffic" last_sas b "$(spi_ab $REKEYS)" "$(spi_ba $REKEYS)"
check "daemons stop cleanly" stop_daemons
finish
