#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# charon + kernel-uipsec + uipsecd when things start late, crash or
# restart (issue 14), two gateways as in charon-basic.sh (PSK):
#  a. start_action = trap on both sides: uipsecd holds charon's trap
#     policies and no SA; the first packet from host A raises an acquire,
#     charon negotiates, the ping gets through
#  b. charon A is killed (SIGKILL): A's uipsecd keeps the stale SAs and the
#     traffic goes on; a new charon A flushes owner charon at its start
#     (nothing of the dead one is left), negotiates again (B replaces its
#     IKE_SA on INITIAL_CONTACT and keeps one pair of SAs), traffic flows
#  c. uipsecd A restarts (losing every SA): the plugin notices, installs
#     the policies again and has charon rekey the CHILD_SA; traffic flows
#     again within seconds and B's uipsecd counts no authentication failure
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping
[ "$CHARON_MODE" = stock ] && skip_all "tests kernel-uipsec and uipsecd only"
ctl_unwrap

charon_gateways uipsec uipsec || { echo "Bail out! gateways did not start"; exit 1; }
sw_confs psk "" "$(child_conf net aes128gcm16 "start_action = trap")"
check "swanctl --load-all on A and B (start_action = trap)" eval 'sw_load a && sw_load b'

# --- a. trap and acquire
for gw in a b; do
	check "$gw's uipsecd holds charon's trap policy out and no SA" \
		ujq $gw policies "any(.[]; .dir == \"out\" and .action == \"trap\" and .src == \"$(gw_net $gw)\")"
	check "$gw's uipsecd holds no charon SA before any traffic" ujq $gw sas 'length == 0'
done
# at_least N COUNT INTERVAL FROM_NS DST: N of COUNT pings answered
at_least() {
	nsx "$4" ping -c "$2" -i "$3" -W 1 "$5" >"$T_TMP/ping.out" 2>&1
	local got
	got=$(awk '/packets transmitted/ {print $4}' "$T_TMP/ping.out")
	[ "${got:-0}" -ge "$1" ] || { tail -3 "$T_TMP/ping.out"; false; }
}
check "trap: host A's pings raise an acquire, charon negotiates, 5 of 10 pings answered" \
	at_least 5 10 0.3 "$NS_HA" 10.2.0.2
check "trap: the CHILD_SA is INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
check "trap: A's charon got the acquire from uipsecd" charon_log_has a "creating acquire job for policy 10.1.0.2/32.* === 10.2.0.2/32"
check "ping host B -> host A" ping_hosts b

# --- b. charon A crashes
ujq a sas 'length == 2' >/dev/null && stale=$(u_spis a)
check "charon A killed (SIGKILL)" charon_kill a
check "A's uipsecd still holds the dead charon's two SAs" ujq a sas 'length == 2'
check "traffic goes on without charon A" ping_hosts a 3
check "a new charon A starts" charon_start a "$NS_GA"
check "the new charon A flushed owner charon in uipsecd: no SA, no policy" \
	eval "ujq a sas 'length == 0' && ujq a policies 'length == 0'"
check "A's table $CHARON_TABLE route went with the policies" unrouted a 10.2.0.0/24
check "swanctl --load-all on the new charon A" sw_load a
check "A initiates again" sw a --initiate --child net --timeout 30
check "CHILD_SA INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
check "ping host A -> host B" ping_hosts a
check "ping host B -> host A" ping_hosts b
sleep 1
check "B's uipsecd holds one pair of charon SAs (B dropped the old IKE_SA)" ujq b sas 'length == 2'
check "A's uipsecd holds new SAs (not the stale ones: $stale)" test "$(u_spis a)" != "$stale"

# --- c. uipsecd A restarts
uerrs b >"$T_TMP/errs-b-0"
check "uipsecd A stops" stop_daemon a
check "uipsecd A starts again" start_daemon a "$NS_GA" "$T_TMP/a.conf"
# back_up: within 20 s, A's uipsecd holds charon's SAs and policies and a
# ping gets through
back_up() {
	for _ in $(seq 40); do
		if ujq a sas 'length >= 2' >/dev/null 2>&1 && ujq a policies 'length >= 2' >/dev/null 2>&1 &&
			nsx "$NS_HA" ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	u_sas a; u_policies a
	grep -E "KNL|uipsecd" "$T_TMP/a-charon.log" | tail -15
	false
}
check "within 20 s, the plugin re-installed the policies and charon rekeyed: traffic flows" back_up
check "A's table $CHARON_TABLE routes 10.2.0.0/24 again" routed a 10.2.0.0/24
check "ping host A -> host B" ping_hosts a
check "ping host B -> host A" ping_hosts b
check "B's uipsecd counted no auth_failed or replay_dropped" \
	eval "uerrs b | jq -e --slurpfile o '$T_TMP/errs-b-0' '.auth_failed == \$o[0].auth_failed and .replay_dropped == \$o[0].replay_dropped' >/dev/null"

check "swanctl --terminate --ike gw" sw a --terminate --ike gw --timeout 20
check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
check "uipsecd A and B stop cleanly" stop_daemons
finish
