#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# charon + kernel-uipsec + uipsecd when a daemon crashes (issue 14, item 7),
# two gateways as in charon-basic.sh (PSK), host A pinging host B all along
# and tcpdump on the link between the gateways over the whole test:
#  a. charon A is killed (SIGKILL) and started again (as in
#     charon-restart.sh): it flushes owner charon, negotiates again
#  b. uipsecd A is killed (SIGKILL) while the pings run and started again:
#     the plugin notices, installs the policies again, charon rekeys the
#     CHILD_SA; the pings get through again within $RESUME_BOUND s and no
#     stale SA, policy, route or rule is left on either side (seen: about
#     4 s: uipsecd up, the plugin reconnects, installs the policies, charon
#     rekeys the CHILD_SA)
#  c. charon A is started BEFORE uipsecd A: charon comes up, the plugin
#     connects when uipsecd does, an initiate works
#  d. the capture (ESP in UDP and plain ESP, IP protocol 50: without a NAT
#     the CHILD_SAs are plain ESP): under every SPI the ESP sequence
#     numbers only grow (an SPI used again after a crash with its sequence
#     numbers starting over would repeat a nonce under one key)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping tcpdump python3
[ "$CHARON_MODE" = stock ] && skip_all "tests kernel-uipsec and uipsecd only"
ctl_unwrap
# seconds from uipsecd's restart until the pings get through again
RESUME_BOUND=${RESUME_BOUND:-15}

charon_gateways uipsec uipsec || { echo "Bail out! gateways did not start"; exit 1; }
sw_confs psk "" "$(child_conf net aes128gcm16)"
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'

ip netns exec "$NS_GA" tcpdump -U --immediate-mode -n -i out0 -w "$T_TMP/wire.pcap" "udp or ip proto 50" 2>"$T_TMP/tcpdump.out" &
TD=$!
T_PIDS+=("$TD")
for _ in $(seq 50); do grep -q "listening on" "$T_TMP/tcpdump.out" && break; sleep 0.1; done

check "A initiates" sw a --initiate --child net --timeout 30
check "ping host A -> host B" ping_hosts a
# what a healthy gateway holds: two SAs, its policies, one route, its rules
for gw in a b; do
	eval "npol_$gw=\$(u_policies $gw | jq length)"
	eval "rules_$gw=\$(ip -n $(gw_ns $gw) rule | grep -c 'lookup $CHARON_TABLE')"
done
diag "policies of charon: A $npol_a, B $npol_b; rules to table $CHARON_TABLE: A $rules_a, B $rules_b"

# only_live GW: GW's uipsecd holds exactly the SAs of the INSTALLED CHILD_SA
# net, as many policies and table 220 rules as before the crashes, and one
# route (10.x/24 of the other side) in table 220
only_live() {
	local gw=$1 spis want n
	spis=$(child_spis "$gw" net)
	want="in:$(hexnum "${spis% *}") out:$(hexnum "${spis#* }") "
	[ "$(u_spis "$gw")" = "$want" ] || { echo "uipsecd $gw: $(u_spis "$gw"), CHILD_SA: $want"; return 1; }
	n=$(u_policies "$gw" | jq length)
	[ "$n" = "$(eval echo \$npol_$gw)" ] || { echo "$n policies"; u_policies "$gw" | jq -c '.[]'; return 1; }
	n=$(ip -n "$(gw_ns "$gw")" rule | grep -c "lookup $CHARON_TABLE")
	[ "$n" = "$(eval echo \$rules_$gw)" ] || { ip -n "$(gw_ns "$gw")" rule; return 1; }
	n=$(ip -n "$(gw_ns "$gw")" route show table $CHARON_TABLE | wc -l)
	[ "$n" = 1 ] && routed "$gw" "$(gw_net "$(other "$gw")")" ||
		{ ip -n "$(gw_ns "$gw")" route show table $CHARON_TABLE; return 1; }
}
# settled GW: only_live within 10 s (after a rekey, charon keeps the old
# inbound SA for charon.delete_rekeyed_delay, 5 s)
settled() {
	for _ in $(seq 20); do only_live "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done
	only_live "$1"
}
check "A holds only the live CHILD_SA's state" settled a
check "B holds only the live CHILD_SA's state" settled b

# --- a. charon A crashes, pings running
nsx "$NS_HA" ping -D -i 0.1 -c 600 -W 1 10.2.0.2 >"$T_TMP/ping-a.out" 2>&1 &
PING=$!
T_PIDS+=("$PING")
sleep 1
check "charon A killed (SIGKILL)" charon_kill a
check "a new charon A starts" charon_start a "$NS_GA"
check "swanctl --load-all on the new charon A" sw_load a
check "A initiates again" sw a --initiate --child net --timeout 30
check "CHILD_SA INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
check "after charon's restart, A holds only the live CHILD_SA's state" settled a
check "after charon's restart, B holds only the live CHILD_SA's state" settled b

# --- b. uipsecd A crashes, pings running
# last_answer: the icmp_seq of the last answered ping so far
last_answer() { awk '/bytes from/ { for (i = 1; i <= NF; i++) if ($i ~ /^icmp_seq=/) s = substr($i, 10) } END { print s + 0 }' "$T_TMP/ping-a.out"; }
uerrs b >"$T_TMP/errs-b-0"
check "uipsecd A still running" kill -0 "$PID_a"
kill -9 "$PID_a"
wait "$PID_a" 2>/dev/null
t0=$(date +%s.%N)
check "uipsecd A killed (SIGKILL) and started again" start_daemon a "$NS_GA" "$T_TMP/a.conf"
before=$(last_answer)
resumed=
for _ in $(seq $((RESUME_BOUND * 5))); do
	sleep 0.2
	if [ "$(last_answer)" -gt "$before" ]; then resumed=$(echo "$(date +%s.%N) - $t0" | bc); break; fi
done
diag "pings answered again ${resumed:-never} s after uipsecd A's restart"
check "the pings get through again within $RESUME_BOUND s" test -n "$resumed"
check "A's charon noticed uipsecd's restart" charon_log_has a "kernel-uipsec: uipsecd restarted"
check "CHILD_SA INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
check "after uipsecd's restart, A holds only the live CHILD_SA's state" settled a
check "after uipsecd's restart, B holds only the live CHILD_SA's state" settled b
check "B's uipsecd counted no auth_failed or replay_dropped" \
	eval "uerrs b | jq -e --slurpfile o '$T_TMP/errs-b-0' '.auth_failed == \$o[0].auth_failed and .replay_dropped == \$o[0].replay_dropped' >/dev/null"
kill "$PING" 2>/dev/null
wait "$PING" 2>/dev/null
diag "pings of host A unanswered during the crashes: $(ping_gaps "$T_TMP/ping-a.out" "$(last_answer)")"
check "ping host A -> host B" ping_hosts a
check "ping host B -> host A" ping_hosts b

# --- c. charon A before uipsecd A
check "swanctl --terminate --ike gw" sw a --terminate --ike gw --timeout 20
check "charon A stops cleanly" charon_stop a
check "uipsecd A stops cleanly" stop_daemon a
check "charon A starts without uipsecd" charon_start a "$NS_GA"
check "swanctl --load-all on A (no uipsecd)" sw_load a
sleep 1
check "charon A still runs" charon_alive a
check "A's plugin waits for uipsecd" charon_log_has a "uipsecd is not running yet|uipsecd not reachable"
check "uipsecd A starts after charon" start_daemon a "$NS_GA" "$T_TMP/a.conf"
# connected: charon logs uipsecd's version once the plugin is connected
connected() {
	for _ in $(seq 50); do charon_log_has a "uipsecd [0-9].*protocol" >/dev/null && return 0; sleep 0.2; done
	tail -5 "$T_TMP/a-charon.log"; false
}
check "A's plugin connects to uipsecd within 10 s" connected
check "A initiates" sw a --initiate --child net --timeout 30
check "CHILD_SA INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
check "ping host A -> host B" ping_hosts a
check "ping host B -> host A" ping_hosts b
check "A holds only the live CHILD_SA's state" settled a
check "B holds only the live CHILD_SA's state" settled b

# --- d. the capture
sleep 0.5
kill "$TD"
wait "$TD" 2>/dev/null
python3 "$top_srcdir/tests/e2e/esp_seqs.py" "$T_TMP/wire.pcap" >"$T_TMP/seqs" 2>"$T_TMP/seqs.err"
diag "capture: $(wc -l <"$T_TMP/seqs") ESP packets under $(cut -d' ' -f1 "$T_TMP/seqs" | sort -u | wc -l) SPIs"
check "the capture holds ESP packets of at least 6 SPIs (3 CHILD_SAs)" \
	test "$(cut -d' ' -f1 "$T_TMP/seqs" | sort -u | wc -l)" -ge 6
# seqs_grow: under every SPI each sequence number is greater than every one before
seqs_grow() {
	awk '{ if (($1 in max) && $2 <= max[$1]) { bad++; if (bad <= 10) print "SPI " $1 ": seq " $2 " after " max[$1] }
	       if (!($1 in max) || $2 > max[$1]) max[$1] = $2 }
	     END { exit bad > 0 }' "$T_TMP/seqs"
}
check "under every SPI, the ESP sequence numbers only increase" seqs_grow

check "swanctl --terminate --ike gw" sw a --terminate --ike gw --timeout 20
check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
check "uipsecd A and B stop cleanly" stop_daemons
finish
