#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: uipsecd killed (SIGKILL) during an iperf3 transfer and started
# again (docs/reliability.md, "Faults: process, state, reload, charon").
# Gateway A (manual keys, aes128gcm16, state_dir in $T_TMP) is killed while
# host A sends to host B through the tunnel (iperf3, 30 Mbit/s, and a
# 10/s ping), then started again with the same configuration. Asserted:
#  - the pings get through again within $RESUME_BOUND s of the restart and
#    the iperf3 transfer completes;
#  - A's routes (all tables, IPv4 and IPv6) and rules are exactly what they
#    were before the kill: none left twice, none stale, none missing;
#  - no (SPI, sequence number) pair twice on the wire (tcpdump on B's link
#    over the whole run; the keys are the same, so a pair seen twice would
#    be a nonce used twice), and A's first sequence number after the
#    restart is above every one it sent before;
#  - B counts no authentication failure and no replay.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/fault-state-lib.sh"
require_tunnel_pair iperf3 tcpdump python3 jq ss
ctl_unwrap
RESUME_BOUND=${RESUME_BOUND:-10}

net2net_topo "uipt-fk$U"
gw_pair_confs aes128gcm16 "$crypto io-tun net-netlink" "$crypto io-tun net-netlink"
start_daemon a "$NS_GA" "$T_TMP/a.conf" || { echo "Bail out! daemon A did not start"; exit 1; }
start_daemon b "$NS_GB" "$T_TMP/b.conf" || { echo "Bail out! daemon B did not start"; exit 1; }
check "ping host A -> host B through the tunnel" nsx "$NS_HA" ping -c 3 -i 0.2 -W 2 10.2.0.2
net_state "$NS_GA" >"$T_TMP/net-before"
check "A routes the remote network into uipsec0" grep -q "^route4 10.2.0.0/24 dev uipsec0" "$T_TMP/net-before"
errs0=$(stats_json b)

capture_start before
bg_ping 0.1 400
bg_iperf 14 -b 30M
# kill once the transfer is under way: 2000 packets out of A's SA
flowing() {
	local end=$(( $(date +%s) + 20 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(sa_field a 0x2000 out packets 2>/dev/null || echo 0)" -gt 2000 ] && return 0
		sleep 0.2
	done
	false
}
check "traffic through A's outbound SA before the kill" flowing
kill -9 "$PID_a"
wait "$PID_a" 2>/dev/null
capture_stop
before=$(last_answer)
capture_start after
t0=$(date +%s.%N)
check "uipsecd A starts again after SIGKILL" start_daemon a "$NS_GA" "$T_TMP/a.conf"
if answered_after "$before" "$RESUME_BOUND" >"$T_TMP/resume.out"; then
	ok "pings through the tunnel again within $RESUME_BOUND s of the restart"
	diag "pings answered again $(echo "$(date +%s.%N) - $t0" | bc) s after the restart began"
else
	not_ok "pings through the tunnel again within $RESUME_BOUND s of the restart"
	sed 's/^/# /' "$T_TMP/resume.out"
fi
check "the iperf3 transfer across the kill completes" iperf_done
wait "$PING_PID" 2>/dev/null
diag "pings lost across the kill: $(ping_lost) of 400"
check "A's routes and rules are the same as before the kill (none twice, none stale)" \
	same_net_state "$NS_GA" "$T_TMP/net-before" 10
check "no route or rule of A listed twice" no_dup_net_state "$NS_GA"
capture_stop

capture_seqs before >"$T_TMP/seqs-before"
capture_seqs after >"$T_TMP/seqs-after"
diag "ESP packets on the wire: $(wc -l <"$T_TMP/seqs-before") before the kill, $(wc -l <"$T_TMP/seqs-after") after"
check "A's outbound SA seen on the wire before (> 1000) and after (> 100) the kill" \
	test "$(grep -c '^00002000 ' "$T_TMP/seqs-before")" -gt 1000 -a "$(grep -c '^00002000 ' "$T_TMP/seqs-after")" -gt 100
dups=$(sort "$T_TMP/seqs-before" "$T_TMP/seqs-after" | uniq -d | head -5)
check "no (SPI, sequence number) pair twice on the wire across the kill" test -z "$dups"
[ -z "$dups" ] || diag "sent twice: $dups"
max_before=$(awk '$1 == "00002000" && $2 > m { m = $2 } END { print m + 0 }' "$T_TMP/seqs-before")
min_after=$(awk '$1 == "00002000" && (m == "" || $2 < m) { m = $2 } END { print m + 0 }' "$T_TMP/seqs-after")
diag "A's sequence numbers: highest before the kill $max_before, lowest after the restart $min_after"
check "A's first sequence number after the restart is above every one before" test "$min_after" -gt "$max_before"
errs1=$(stats_json b)
check "B: no auth_failed, no replay_dropped across the kill" \
	test "$(stat_delta "$errs0" "$errs1" auth_failed)/$(stat_delta "$errs0" "$errs1" replay_dropped)" = 0/0
check "uipsecd A and B stop cleanly" stop_daemons
finish
