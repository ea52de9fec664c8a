#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make soak [SOAK_MINUTES=10]: a tunnel between two gateway namespaces
# (tests/e2e/lib.sh net2net_topo, SAs and policies over the control
# socket) carries, for SOAK_MINUTES, an iperf3 TCP stream (SOAK_RATE,
# 20 Mbit/s: load without filling the queues a ping shares) and a ping
# every 20 ms, while both gateways replace their CHILD_SAs every
# SOAK_REKEY seconds (10) as an IKE daemon does: new inbound SAs, new
# outbound SAs, then after an overlap the old outbound and the old inbound
# ones deleted (new SPIs and keys each time). Printed and asserted at the
# end: every replacement succeeded, 0 pings lost, iperf3 ran throughout,
# per daemon the RSS at start (after the first replacement) and at the
# end within SOAK_RSS_KIB (4096 KiB) of each other, the open fd count at
# start and end equal, only the last generation's SAs left, clean exit.
# Not part of make check (it takes minutes); TAP output like the e2e tests.
. "$(dirname "$0")/e2e/lib.sh"
require_root_tools jq ping iperf3
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
ctl_unwrap

SECS=$(( ${SOAK_MINUTES:-10} * 60 ))
EVERY=${SOAK_REKEY:-10}
RATE=${SOAK_RATE:-20M}
RSS_BOUND=${SOAK_RSS_KIB:-4096}
OVERLAP=0.5

net2net_topo uipt-soak$$
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

# generation G of gateway GW: its inbound SPI (the peer's outbound) and a
# fresh key per SA and generation
spi_of() { local base=0x4000; [ "$1" = a ] && base=0x3000; printf '0x%x' $((base + $2)); }   # SPI into gateway $1
# (made up front: key_of runs in subshells)
NGEN=$((SECS / EVERY + 30))
declare -A KEY
for g in $(seq 0 $NGEN); do KEY[a.$g]=$(gen_key 20) KEY[b.$g]=$(gen_key 20); done
key_of() { echo "${KEY[$1.$2]}"; }
peer_of() { [ "$1" = a ] && echo b || echo a; }
declare -A LOCAL=([a]=192.0.2.1 [b]=192.0.2.2) NET=([a]=10.1.0.0/24 [b]=10.2.0.0/24)

# sa GW add-in|add-out|del-in|del-out G
sa() {
	local gw=$1 p; p=$(peer_of "$1")
	case $2 in
	add-in) ctl_add_sa "$gw" in "${LOCAL[$gw]}" "${LOCAL[$p]}" "$(spi_of "$gw" "$3")" "$(key_of "$gw" "$3")" "${NET[$gw]}" "${NET[$p]}" ;;
	add-out) ctl_add_sa "$gw" out "${LOCAL[$gw]}" "${LOCAL[$p]}" "$(spi_of "$p" "$3")" "$(key_of "$p" "$3")" ;;
	del-in) ctl "$gw" del-sa spi "$(spi_of "$gw" "$3")" dir in ;;
	del-out) ctl "$gw" del-sa spi "$(spi_of "$p" "$3")" dir out ;;
	esac
}
# both STEP G: the step on both gateways at once
both() { sa a "$@" & local pa=$! rc; sa b "$@"; rc=$?; wait $pa && return $rc; }
# replace G: generation G-1 -> G in the order that loses nothing
replace() {
	both add-in "$1" && both add-out "$1" && sleep $OVERLAP && both del-out $(($1 - 1)) && both del-in $(($1 - 1))
}

declare -A NS=([a]=$NS_GA [b]=$NS_GB)
for gw in a b; do
	p=$(peer_of $gw)
	check "gateway $gw: SAs (generation 0), policies and route" ctl_gateway $gw "${NS[$gw]}" "${LOCAL[$gw]}" "${LOCAL[$p]}" \
		"${NET[$gw]}" "${NET[$p]}" "$(spi_of $gw 0)" "$(spi_of $p 0)" "$(key_of $gw 0)" "$(key_of $p 0)"
done
# a ping every 20 ms takes longer on a loaded machine: the pace of 50
# sets how many make SECS (the ping may outlast iperf3 a little)
nsx "$NS_HA" ping -c 51 -i 0.02 -W 2 -q 10.2.0.2 >"$T_TMP/ping0" 2>&1
check "51 pings host A -> host B through generation 0" grep -q '^51 packets transmitted, 51 received' "$T_TMP/ping0"
ms50=$(sed -n 's/.*, time \([0-9]*\)ms$/\1/p' "$T_TMP/ping0")
PINGS=$((SECS * 50000 / (${ms50:-0} > 1000 ? ms50 : 1000)))

fds() { ls "/proc/$1/fd" | wc -l; }
nsx "$NS_HB" iperf3 -s -1 -D -I "$T_TMP/iperf-s.pid" >/dev/null 2>&1
sleep 0.3
nsx "$NS_HA" iperf3 -c 10.2.0.2 -b "$RATE" -t "$SECS" --json >"$T_TMP/iperf.json" 2>"$T_TMP/iperf.err" &
IPERF=$!
T_PIDS+=("$IPERF")
nsx "$NS_HA" ping -c "$PINGS" -i 0.02 -W 2 -q 10.2.0.2 >"$T_TMP/ping" 2>&1 &
PING=$!
T_PIDS+=("$PING")
t0=$(date +%s)
g=0 fails=0
# replacements every EVERY s while the load runs; the start figures once
# the first replacement has allocated what a replacement allocates
while kill -0 $PING 2>/dev/null || kill -0 $IPERF 2>/dev/null; do
	if [ $(( $(date +%s) - t0 )) -ge $(( (g + 1) * EVERY )) ] && [ $g -lt $NGEN ]; then
		g=$((g + 1))
		replace $g >>"$T_TMP/replace.out" 2>&1 || { fails=$((fails + 1)); echo "generation $g failed" >>"$T_TMP/replace.err"; }
		if [ $g = 1 ]; then
			for gw in a b; do
				pid=$(eval echo "\$PID_$gw")
				eval "RSS0_$gw=$(rss_kib "$pid") FD0_$gw=$(fds "$pid")"
			done
		fi
	fi
	sleep 0.2
done
wait $PING $IPERF
t1=$(date +%s)
kill "$(cat "$T_TMP/iperf-s.pid" 2>/dev/null)" 2>/dev/null

diag "soak: $((t1 - t0)) s, $g CHILD_SA replacements on each gateway (one per $EVERY s), ping pace $((${ms50:-1000} / 50)) ms"
check "$g replacements (>= $((SECS / EVERY - 1))), all succeeded" \
	bash -c "[ $fails = 0 ] && [ $g -ge $((SECS / EVERY - 1)) ] || cat '$T_TMP/replace.err'"
diag "$(grep 'packet loss' "$T_TMP/ping")"
check "no ping lost: $PINGS sent every 20 ms, $PINGS received" grep -q "^$PINGS packets transmitted, $PINGS received" "$T_TMP/ping"
diag "iperf3 TCP: $(jq -c '.end.sum_received | {seconds, bytes, bits_per_second}' "$T_TMP/iperf.json" 2>/dev/null), retransmits $(jq '.end.sum_sent.retransmits' "$T_TMP/iperf.json" 2>/dev/null)"
check "iperf3 ran throughout ($SECS s) and received data" \
	jq -e --argjson s "$SECS" '.end.sum_received.seconds >= $s - 1 and .end.sum_received.bytes > 0' "$T_TMP/iperf.json"
for gw in a b; do
	pid=$(eval echo "\$PID_$gw")
	rss0=$(eval echo "\$RSS0_$gw") fd0=$(eval echo "\$FD0_$gw")
	rss1=$(rss_kib "$pid") fd1=$(fds "$pid")
	diag "gateway $gw: RSS $rss0 KiB at start, $rss1 KiB at the end ($((rss1 - rss0)) KiB); fds $fd0 at start, $fd1 at the end"
	diag "gateway $gw: $(ctl $gw --json stats | jq -c '{replay_dropped, auth_failed, no_sa, bad_spi, queue_dropped}')"
	check "gateway $gw: RSS at the end within $RSS_BOUND KiB of the start" test $((rss1 - rss0)) -le "$RSS_BOUND"
	check "gateway $gw: fd count at the end equal to the start ($fd0)" test "$fd1" = "$fd0"
done
last_sas() {   # last_sas GW: only generation g's two SAs left
	ctl "$1" --json list-sas | jq -e --argjson i $(($(spi_of "$1" $g))) --argjson o $(($(spi_of "$(peer_of "$1")" $g))) \
		'([.[] | [.direction, .spi]] | sort) == [["in", $i], ["out", $o]]'
}
check "list-sas on A: only generation $g's SAs" last_sas a
check "list-sas on B: only generation $g's SAs" last_sas b
check "daemons stop cleanly" stop_daemons
finish
