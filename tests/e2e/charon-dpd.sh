#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# charon + kernel-uipsec + uipsecd: dead peer detection (issue 14, item 5),
# two gateways as in charon-basic.sh (PSK), dpd_delay = 2 s on A (and
# retransmissions shortened to a few seconds):
#  - while host B pings host A, A's charon sends no DPD: it learns the
#    inbound SA's last use from uipsecd (query_sa)
#  - idle, A sends DPDs every 2 s and B answers
#  - B's charon stops (SIGSTOP): A's DPD goes unanswered, A declares B
#    dead and clears everything: no SA, no policy of owner charon in A's
#    uipsecd, no route in table 220
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping
[ "$CHARON_MODE" = stock ] && skip_all "tests kernel-uipsec and uipsecd only"
ctl_unwrap

charon_gateways uipsec uipsec "retransmit_timeout = 1
    retransmit_base = 1
    retransmit_tries = 2" || { echo "Bail out! gateways did not start"; exit 1; }
sw_confs psk "dpd_delay = 2s" "$(child_conf net aes128gcm16 "dpd_action = clear")" "" ""
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'
check "A initiates" sw a --initiate --child net --timeout 30
check "CHILD_SA INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
check "ping host A -> host B" ping_hosts a

# DPD requests A sent so far
dpds() { charon_log_count a "sending DPD request"; }
n0=$(dpds)
check "traffic from host B for 8 s" pings 80 0.1 "$NS_HB" 10.1.0.2
n1=$(dpds)
diag "DPD requests of A: $n0 before, $n1 after 8 s of inbound ESP"
check "no DPD while ESP comes in (charon sees the SA's last use, query_sa)" test "$n1" -le "$((n0 + 1))"
sleep 7
n2=$(dpds)
diag "DPD requests of A after 7 s idle: $n2"
check "idle, A sends DPDs (at least 2 in 7 s)" test "$n2" -ge "$((n1 + 2))"
check "the IKE_SA is still ESTABLISHED (B answers)" test -n "$(ike_spis a)"

# --- B disappears
check "charon B stopped (SIGSTOP)" kill -STOP "$(charon_pid b)"
dead() {
	for _ in $(seq 40); do
		grep -q "giving up after" "$T_TMP/a-charon.log" && [ -z "$(ike_spis a)" ] && return 0
		sleep 0.5
	done
	tail -15 "$T_TMP/a-charon.log"; false
}
check "within 20 s, A declares B dead (retransmits, gives up, IKE_SA gone)" dead
grep -E "retransmit|giving up|DPD|deleting|closing" "$T_TMP/a-charon.log" | tail -8 | sed 's/^/# /'
sleep 1
check "A lists no CHILD_SA" no_child a
check "A's uipsecd holds no SA of owner charon" ujq a sas 'length == 0'
check "A's uipsecd holds no policy of owner charon" ujq a policies 'length == 0'
check "A's table $CHARON_TABLE holds no route to 10.2.0.0/24" unrouted a 10.2.0.0/24
kill -CONT "$(charon_pid b)"

check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
check "uipsecd A and B stop cleanly" stop_daemons
finish
