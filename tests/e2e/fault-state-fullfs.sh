#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: uipsecd.state_dir on a full file system (docs/reliability.md,
# "Faults: process, state, reload, charon"). Gateway A's state_dir is a
# 64 KiB tmpfs mounted in A's own mount namespace (gone with the daemon).
# Once the tunnel runs, the tmpfs is filled up and host A sends through
# the tunnel (iperf3) until A's reservation of outbound sequence numbers is
# used up. Asserted:
#  - A counts seq_reserve_wait (packets held back) and logs the failed
#    reservation once, with the path, while the disk stays full;
#  - no ESP packet of A's outbound SA on the wire has a sequence number
#    above the end reserved on disk (tcpdump on B's link), and none is
#    sent twice;
#  - when space returns, A reserves again (within $RECOVER_BOUND s: the
#    reservation is retried every second), logs that once, and the pings
#    and an iperf3 transfer get through again.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/fault-state-lib.sh"
require_tunnel_pair iperf3 tcpdump python3 jq ss nsenter
ctl_unwrap
RECOVER_BOUND=${RECOVER_BOUND:-5}

net2net_topo "uipt-ff$U"
gw_pair_confs aes128gcm16 "$crypto io-tun net-netlink" "$crypto io-tun net-netlink"
# A's uipsecd: a tmpfs over its state_dir first, in the mount namespace
# `ip netns exec` gives it
STATE=$T_TMP/a-state
mkdir -m 0700 "$STATE"
cat >"$T_TMP/uipsecd-tmpfs" <<SH
#!/bin/sh
mount -t tmpfs -o size=64k,mode=0700 uipt-state "$STATE" || exit 99
exec "$UIPSECD" "\$@"
SH
chmod 755 "$T_TMP/uipsecd-tmpfs"
UIPSECD=$T_TMP/uipsecd-tmpfs start_daemon a "$NS_GA" "$T_TMP/a.conf" || { echo "Bail out! daemon A did not start"; exit 1; }
start_daemon b "$NS_GB" "$T_TMP/b.conf" || { echo "Bail out! daemon B did not start"; exit 1; }
# in_a CMD: a shell command in A's mount namespace (its tmpfs)
in_a() { nsenter -t "$PID_a" -m sh -c "$1"; }
check "A's state_dir is a tmpfs of its own (not seen outside)" \
	eval "in_a 'grep -q \" $STATE tmpfs \" /proc/mounts' && ! grep -q ' $STATE tmpfs ' /proc/mounts"
check "ping host A -> host B through the tunnel" nsx "$NS_HA" ping -c 3 -i 0.2 -W 2 10.2.0.2
# resv_end: the end reserved on disk for A's outbound SA
resv_end() { in_a "cat $STATE/site-b.00002000.*.seq" | awk '$1 == "end" {print $2}'; }
end0=$(resv_end)
check "A's reservation file is on the tmpfs (end $end0)" test -n "$end0"

# --- the disk fills up
in_a "cat /dev/zero >$STATE/fill" 2>/dev/null
check "A's state_dir is full" eval "in_a 'df -k $STATE' | awk 'NR == 2 { exit \$4 != 0 }'"
stats0=$(stats_json a)
capture_start full
bg_iperf 60
# held: within 60 s A holds packets back (its reservation is used up)
held() {
	local end=$(( $(date +%s) + 60 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(stat_delta "$stats0" "$(stats_json a)" seq_reserve_wait)" -gt 0 ] && return 0
		sleep 0.2
	done
	false
}
check "A counts seq_reserve_wait once its reservation is used up" held
end_full=$(resv_end)
diag "reserved on disk: $end0 at the start, $end_full with the disk full"
check "nothing more was reserved while the disk is full" test "$end_full" = "$end0"
w1=$(stat_of a seq_reserve_wait)
# the transfer stalls; the pings of a stalled tunnel go unanswered
check "no ping gets through while the reservation is used up" \
	bash -c "! ip netns exec $NS_HA ping -c 3 -i 0.3 -W 1 10.2.0.2"
w2=$(stat_of a seq_reserve_wait)
diag "seq_reserve_wait: $w1, then $w2"
check "seq_reserve_wait grows while the disk stays full" test "$w2" -gt "$w1"
iperf_stop
capture_stop
capture_seqs full >"$T_TMP/seqs-full"
max_full=$(awk '$1 == "00002000" && $2 > m { m = $2 } END { print m + 0 }' "$T_TMP/seqs-full")
diag "A's highest sequence number on the wire with the disk full: $max_full (reserved: $end_full)"
check "A sent while the disk was full (> 1000 packets)" test "$(grep -c '^00002000 ' "$T_TMP/seqs-full")" -gt 1000
check "no ESP packet of A above the end reserved on disk ($end_full)" test "$max_full" -le "$end_full"
pk_full=$(sa_field a 0x2000 out packets)
check "A's outbound SA encrypted at most the $end_full reserved numbers ($pk_full packets)" test "$pk_full" -le "$end_full"
check "no (SPI, sequence number) pair twice on the wire" test -z "$(sort "$T_TMP/seqs-full" | uniq -d | head -3)"
# one_line REGEX: exactly one line of A's log matches
one_line() {
	local n
	n=$(grep -Ec "$1" "$T_TMP/a.log")
	[ "$n" = 1 ] || { echo "$n lines match '$1'"; grep -E "$1" "$T_TMP/a.log" | head -5; false; }
}
check "A logged the failed reservation once (path, no space, seq_reserve_wait)" \
	one_line "tunnel site-b: .*$STATE.*No space left on device.*free space.*seq_reserve_wait"
diag "$(grep -E "tunnel site-b: .*seq_reserve_wait" "$T_TMP/a.log")"
check "no other error in A's log" test "$(grep -c "ERROR\|error" "$T_TMP/a.log")" = 1

# --- space returns
in_a "rm $STATE/fill"
t0=$(date +%s.%N)
# reserved: within RECOVER_BOUND s A reserves again and a ping gets through
reserved() {
	local end=$(( $(date +%s) + RECOVER_BOUND ))
	while [ "$(date +%s)" -lt "$end" ]; do
		if [ "$(resv_end)" -gt "$end_full" ] && nsx "$NS_HA" ping -c 1 -W 1 10.2.0.2 >/dev/null; then
			diag "traffic again $(echo "$(date +%s.%N) - $t0" | bc) s after the space returned"
			return 0
		fi
		sleep 0.2
	done
	false
}
check "within $RECOVER_BOUND s of the space returning, A reserves again and a ping gets through" reserved
check "A logged the recovery once" one_line "tunnel site-b: sequence numbers reserved again"
check "pings host A -> host B, none lost" nsx "$NS_HA" ping -c 10 -i 0.1 -W 2 10.2.0.2
bg_iperf 2
check "an iperf3 transfer completes" iperf_done
check "uipsecd A and B stop cleanly" stop_daemons
finish
