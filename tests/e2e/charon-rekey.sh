#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Rekeying under load through charon + kernel-uipsec + uipsecd (issue 14):
# two gateways as in charon-basic.sh (PSK), CHILD_SA net with rekey_time
# 9 s (rand_time 2 s, life_time 20 s: charon rekeys when uipsecd raises
# the soft expire), IKE_SA rekey_time 25 s on A (B does not rekey it). For $UIPT_REKEY_SECONDS
# (default 65) host A pings host B every 20 ms while iperf3 runs TCP both
# ways (--bidir, paced at $UIPT_REKEY_RATE each way, default 20M: loss by
# congestion is not what this test looks for):
#  - not one ping lost, iperf3 completes
#  - >= 5 CHILD_SA rekeys and >= 2 IKE_SA rekeys (charon logs), the CHILD_SA
#    and IKE SPIs changed
#  - uipsecd's no_sa, bad_spi, replay_dropped, auth_failed did not grow
#  - uipsecd ends up holding the newest CHILD_SA's SAs (old ones deleted)
# Then swanctl --rekey --child net and --rekey --ike gw by hand under a
# 20 ms ping: nothing lost either.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping iperf3 ss
ctl_unwrap
SECS=${UIPT_REKEY_SECONDS:-65}
RATE=${UIPT_REKEY_RATE:-20M}

charon_gateways uipsec uipsec || { echo "Bail out! gateways did not start"; exit 1; }
# only A rekeys the IKE_SA: charon 5.9.8 can lose both IKE_SAs (and every
# CHILD_SA) when both sides rekey the IKE_SA in the same second (seen here:
# "ignoring request with ID 6, already processing", then "peer did not
# notice IKE_SA rekey collision, abort active rekeying" and the new IKE_SA
# deleted too); CHILD_SA rekey collisions are part of the test
child=$(child_conf net aes128gcm16 "rekey_time = 9s
                rand_time = 2s
                life_time = 20s")
sw_confs psk "rekey_time = 25s" "$child" "$child" "rekey_time = 0s"
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'
check "swanctl --initiate --child net on A" sw a --initiate --child net --timeout 30
check "CHILD_SA net INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
check "ping host A -> host B" ping_hosts a 3

spis0=$(child_spis a net) ike0=$(ike_spis a)
diag "before: CHILD_SA SPIs $spis0, IKE SPIs $ike0"
for gw in a b; do is_uipsec $gw && uerrs $gw >"$T_TMP/errs-$gw-0"; done
# child_sas: how many CHILD_SAs A's charon established so far
child_sas() { grep -oE "CHILD_SA net\{[0-9]+\} established" "$T_TMP/a-charon.log" | sort -u | wc -l; }
# errs_same GW: GW's uipsecd error counters are those of $T_TMP/errs-GW-0
errs_same() { uerrs "$1" | diff "$T_TMP/errs-$1-0" -; }
est0=$(child_sas)
ikerk0=$(charon_log_count a "IKE_SA gw\[[0-9]+\] rekeyed")

# the load: a 20 ms ping and iperf3 both ways, for SECS
count=$((SECS * 50))
nsx "$NS_HB" iperf3 -s -1 >"$T_TMP/iperf-srv.out" 2>&1 &
srv=$!
T_PIDS+=("$srv")
for _ in $(seq 30); do nsx "$NS_HB" ss -ltn 2>/dev/null | grep -q ':5201 ' && break; sleep 0.1; done
nsx "$NS_HA" ping -D -c "$count" -i 0.02 -W 2 10.2.0.2 >"$T_TMP/ping-rekey.out" 2>&1 &
ping=$!
nsx "$NS_HA" timeout $((SECS + 20)) iperf3 -c 10.2.0.2 -t "$((SECS - 3))" --bidir -b "$RATE" >"$T_TMP/iperf-rekey.out" 2>&1 &
iperf=$!
T_PIDS+=("$ping" "$iperf")
# progress: SPIs every 10 s
for _ in $(seq $((SECS / 10))); do
	sleep 10
	diag "$(date +%T) CHILD_SA SPIs $(child_spis a net), IKE $(ike_spis a)"
done
wait "$iperf"; irc=$?
wait "$ping"
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null

diag "$(grep 'packets transmitted' "$T_TMP/ping-rekey.out")"
grep -q "^$count packets transmitted, $count received" "$T_TMP/ping-rekey.out" ||
	diag "unanswered pings: $(ping_gaps "$T_TMP/ping-rekey.out" "$count")"
check "not one of $count pings lost across the rekeys" grep -q "^$count packets transmitted, $count received" "$T_TMP/ping-rekey.out"
check "iperf3 --bidir ran through" eval "[ $irc = 0 ] || { tail -5 '$T_TMP/iperf-rekey.out'; false; }"
diag "iperf3: $(grep -E '(sender|receiver)$' "$T_TMP/iperf-rekey.out" | awk '{print $1, $2, $(NF-3), $(NF-2), $NF}' | tr '\n' ';')"
crk=$(( $(child_sas) - est0 ))
ikrk=$(( $(charon_log_count a "IKE_SA gw\[[0-9]+\] rekeyed") - ikerk0 ))
diag "CHILD_SA rekeys: $crk, IKE_SA rekeys: $ikrk"
check "at least 5 CHILD_SA rekeys (A's log: $crk new CHILD_SAs)" test "$crk" -ge 5
check "at least 2 IKE_SA rekeys (A's log: $ikrk)" test "$ikrk" -ge 2
check "CHILD_SA net still INSTALLED on A and B" eval 'wait_child_installed a net && wait_child_installed b net'
spis1=$(child_spis a net) ike1=$(ike_spis a)
diag "after: CHILD_SA SPIs $spis1, IKE SPIs $ike1"
check "the CHILD_SA's SPIs changed" test "$spis1" != "$spis0" -a -n "${spis1// /}"
check "the IKE_SA's SPIs changed" test "$ike1" != "$ike0" -a -n "${ike1// /}"
for gw in a b; do
	ucheck $gw "$gw's uipsecd: no_sa, bad_spi, replay_dropped, auth_failed did not grow" \
		errs_same $gw
done
check "no CHILD_SA rekey failed (charon logs)" eval '! grep -hE "failed to (establish|rekey|install)|unable to install" '"$T_TMP"'/a-charon.log '"$T_TMP"'/b-charon.log'

# uipsecd holds the newest SAs, and the rekeyed ones go: charon keeps an
# old inbound SA for delete_rekeyed_delay (5 s), and with rand_time both
# sides' inbound and outbound SAs raise soft expires, so rekey collisions
# leave a redundant CHILD_SA now and then; no more than 3 pairs at a time,
# not the 2 per rekey so far. Rekeys go on meanwhile: retried.
# current_held GW: GW's uipsecd holds the SPIs of GW's current CHILD_SA and
# at most 6 charon SAs
current_held() {
	local s out
	for _ in 1 2 3 4 5; do
		s=$(child_spis "$1" net)
		out=$(ujq "$1" sas "length <= 6 and any(.[]; .direction == \"in\" and .spi == $(hexnum "${s% *}"))
			and any(.[]; .direction == \"out\" and .spi == $(hexnum "${s#* }"))") && return 0
		sleep 1
	done
	echo "CHILD_SA net SPIs: $s"
	echo "$out" | jq -c '.[] | {direction, spi, added, state, bytes}' 2>/dev/null || echo "$out"
	false
}
for gw in a b; do
	ucheck $gw "$gw's uipsecd holds the current CHILD_SA's SAs and at most 2 older pairs, not all $((crk * 2)) rekeyed" \
		current_held $gw
done

# by hand, under a 20 ms ping
for what in "--child net" "--ike gw"; do
	if [ "$what" = "--ike gw" ]; then
		# A's timed IKE_SA rekey must not meet this one: charon 5.9.8
		# aborts both rekeyings when they collide (see above), and the
		# IKE SPIs stay. Due within 10 s: let it happen first.
		due=$(ike_rekey_in a)
		diag "A's IKE_SA rekeys in ${due:-?}s"
		if [ -n "$due" ] && [ "$due" -lt 10 ]; then
			diag "waiting for it first"
			i0=$(ike_spis a)
			for _ in $(seq $(( (due + 10) * 5 ))); do
				i=$(ike_spis a)
				[ -n "$i" ] && [ "$i" != "$i0" ] && break
				sleep 0.2
			done
		fi
	fi
	for gw in a b; do is_uipsec $gw && uerrs $gw >"$T_TMP/errs-$gw-0"; done
	before=$(child_spis a net) ibefore=$(ike_spis a) n0=$(child_sas)
	nsx "$NS_HA" ping -D -c 150 -i 0.02 -W 2 10.2.0.2 >"$T_TMP/ping-rekey.out" 2>&1 &
	ping=$!
	T_PIDS+=("$ping")
	sleep 1
	check "swanctl --rekey $what on B under a 20 ms ping" sw b --rekey $what
	# the SPIs right after the rekey (a timed CHILD_SA rekey may follow soon;
	# up to 10 s on a loaded machine)
	for _ in $(seq 100); do
		if [ "$what" = "--child net" ]; then
			[ "$(child_spis a net)" != "$before" ] && break
		else
			[ "$(ike_spis a)" != "$ibefore" ] && break
		fi
		sleep 0.1
	done
	after=$(child_spis a net) iafter=$(ike_spis a) n1=$(child_sas)
	wait "$ping"
	check "rekey $what: not one of 150 pings lost" eval "grep -q '^150 packets transmitted, 150 received' '$T_TMP/ping-rekey.out' ||
		{ echo \"unanswered: \$(ping_gaps '$T_TMP/ping-rekey.out' 150)\"; false; }"
	if [ "$what" = "--child net" ]; then
		check "rekey $what: the CHILD_SA's SPIs changed" test "$after" != "$before"
	else
		check "rekey $what: the IKE SPIs changed" test "$iafter" != "$ibefore"
		if [ "$n1" = "$n0" ]; then
			check "rekey $what: the CHILD_SA's SPIs did not" test "$after" = "$before"
		else
			skip_check "rekey $what: the CHILD_SA's SPIs did not" "a CHILD_SA rekey (rekey_time) came in between"
		fi
	fi
	for gw in a b; do
		ucheck $gw "rekey $what: $gw's uipsecd error counters did not grow" errs_same $gw
	done
done

check "swanctl --terminate --ike gw" sw a --terminate --ike gw --timeout 20
for gw in a b; do
	ucheck $gw "$gw's uipsecd holds no charon SA or policy" eval "ujq $gw sas 'length == 0' && ujq $gw policies 'length == 0'"
done
check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
is_uipsec a && check "uipsecd A and B stop cleanly" stop_daemons
finish
