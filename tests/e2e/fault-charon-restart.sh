#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: charon killed and restarted 10 times during a transfer, then
# uipsecd killed once (docs/reliability.md, "Faults: process, state,
# reload, charon"). Two gateways with charon + kernel-uipsec + uipsecd
# (charon-lib.sh, PSK, CHILD_SA net aes128gcm16); host A sends to host B
# (iperf3) all along. Ten times: charon A is killed (SIGKILL), a new one
# starts (it flushes owner charon in uipsecd: the dead charon's SAs and
# policies go), loads its configuration and initiates. Then uipsecd A is
# killed (SIGKILL) and started again (the plugin re-installs the policies,
# charon rekeys). Asserted after every crash:
#  - a ping from host A gets through within $RESUME_BOUND s;
#  - A's and B's uipsecd hold exactly the SAs of the live CHILD_SA (no SA
#    of a dead charon, under any owner) and one table 220 route;
# and at the end: the iperf3 transfer across all crashes completes, and B's
# uipsecd counted no authentication failure.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
. "$top_srcdir/tests/e2e/fault-state-lib.sh"
require_charon ping iperf3 ss
[ "$CHARON_MODE" = stock ] && skip_all "tests kernel-uipsec and uipsecd only"
ctl_unwrap
RESUME_BOUND=${RESUME_BOUND:-15}
CRASHES=${CRASHES:-10}

charon_gateways uipsec uipsec || { echo "Bail out! gateways did not start"; exit 1; }
sw_confs psk "" "$(child_conf net aes128gcm16)"
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'
check "A initiates" sw a --initiate --child net --timeout 30
check "ping host A -> host B" ping_hosts a

# live_only GW: within 10 s GW's uipsecd holds exactly the two SAs of GW's
# INSTALLED CHILD_SA net, whatever their owner, and one table 220 route
live_only() {
	local end=$(( $(date +%s) + 10 )) spis want have routes
	while :; do
		spis=$(child_spis "$1" net)
		want="in:$(hexnum "${spis% *}") out:$(hexnum "${spis#* }") "
		have=$(ctl "$1" --json list-sas | jq -r '(if type == "array" then . else .sas end)[] | "\(.direction):\(.spi)"' |
			sort | tr '\n' ' ')
		routes=$(ip -n "$(gw_ns "$1")" route show table $CHARON_TABLE | wc -l)
		[ "$have" = "$want" ] && [ "$routes" = 1 ] && return 0
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.5
	done
	echo "uipsecd $1 holds: $have; the live CHILD_SA: $want; table $CHARON_TABLE routes: $routes"
	false
}
# resumed: within RESUME_BOUND s a ping from host A gets through
resumed() {
	local end=$(( $(date +%s) + RESUME_BOUND ))
	until nsx "$NS_HA" ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || { echo "no ping through within $RESUME_BOUND s"; return 1; }
	done
}
# charon_crash: charon A killed, a new one started, configured, initiating
charon_crash() {
	charon_kill a && charon_start a "$NS_GA" && sw_load a >/dev/null &&
		sw a --initiate --child net --timeout 30 >"$T_TMP/initiate.out" ||
		{ tail -5 "$T_TMP/initiate.out"; return 1; }
}

errs0=$(uerrs b)
bg_iperf $((CRASHES * 2 + 20)) -b 50M
t_start=$(date +%s)
for i in $(seq "$CRASHES"); do
	check "crash $i: charon A killed, restarted, CHILD_SA negotiated again" charon_crash
	check "crash $i: traffic resumes" resumed
	check "crash $i: A's uipsecd holds only the live CHILD_SA's SAs" live_only a
	check "crash $i: B's uipsecd holds only the live CHILD_SA's SAs" live_only b
done
diag "$CRASHES charon crashes took $(( $(date +%s) - t_start )) s"

kill -9 "$PID_a"
wait "$PID_a" 2>/dev/null
t0=$(date +%s.%N)
check "uipsecd A killed (SIGKILL) and started again" start_daemon a "$NS_GA" "$T_TMP/a.conf"
check "after uipsecd's crash: traffic resumes" resumed
diag "pings through again $(echo "$(date +%s.%N) - $t0" | bc) s after uipsecd A's restart"
check "after uipsecd's crash: A's uipsecd holds only the live CHILD_SA's SAs" live_only a
check "after uipsecd's crash: B's uipsecd holds only the live CHILD_SA's SAs" live_only b
check "the iperf3 transfer across all crashes completes" iperf_done
check "B's uipsecd counted no auth_failed" \
	test "$(jq .auth_failed <<<"$errs0")" = "$(uerrs b | jq .auth_failed)"
check "swanctl --terminate --ike gw" sw a --terminate --ike gw --timeout 20
check "charon A and B stop cleanly" eval 'charon_stop a && charon_stop b'
check "uipsecd A and B stop cleanly" stop_daemons
finish
