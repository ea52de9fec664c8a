#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Interoperation (issue 14): gateway A runs uipsecd + charon with
# kernel-uipsec, gateway B a stock Debian charon with kernel-libipsec (its
# own TUN device ipsec0, its own UDP 500 and 4500 with socket-default,
# routes in table 220). PSK, ESP aes128gcm16 (libipsec knows no ESN).
# Twice, A initiating and then B:
#  - swanctl --initiate: INSTALLED on both sides, A's uipsecd holds the two
#    SAs with charon's SPIs, both table 220 route the remote subnet; the
#    CHILD_SA is UDP-encapsulated although there is no NAT (kernel-libipsec
#    forces it, issue 15: kernel-uipsec alone would take plain ESP)
#  - ping and iperf3 both ways, byte counters grew on both sides
#  - one CHILD_SA rekey (swanctl --rekey, by the responder) under a 20 ms
#    ping: nothing lost, the SPIs changed, A's uipsecd counted no error
#  - swanctl --terminate: nothing left in A's uipsecd, routes gone
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping iperf3 ss
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
	skip_all "the stock side needs kernel-libipsec (libcharon-extra-plugins)"
ctl_unwrap

charon_gateways uipsec stock || { echo "Bail out! gateways did not start"; exit 1; }
diag "gateway A: $(kind_of a), gateway B: $(kind_of b)"
check "B's stock charon runs kernel-libipsec (TUN ipsec0)" eval "ip -n '$NS_GB' link show ipsec0 >/dev/null"
sw_confs psk "" "$(child_conf net aes128gcm16)"
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'

# errs_same GW: GW's uipsecd error counters are those of $T_TMP/errs-GW-0
errs_same() { uerrs "$1" | diff "$T_TMP/errs-$1-0" -; }

# round INITIATOR: one connection's life
round() {
	local i=$1 r gw s si so before ping
	r=$(other "$i")
	check "$i initiates: swanctl --initiate --child net" sw "$i" --initiate --child net --timeout 30
	check "$i initiates: CHILD_SA net INSTALLED on A and B" eval 'child_installed a net && child_installed b net'
	if ! is_uipsec b; then
		# kernel-libipsec forces UDP encapsulation (faked NAT-D): the pair
		# speaks ESP in UDP although kernel-uipsec would take plain ESP
		check "$i initiates: UDP-encapsulated (TUNNEL-in-UDP) on A and B, kernel-libipsec forces it" \
			eval "child_installed a net && grep -q 'INSTALLED, TUNNEL-in-UDP' '$T_TMP/sas.out' &&
				child_installed b net && grep -q 'INSTALLED, TUNNEL-in-UDP' '$T_TMP/sas.out'"
		ucheck a "$i initiates: A's uipsecd lists both SAs with encap \"udp\"" ujq a sas 'length == 2 and all(.[]; .encap == "udp")'
	fi
	s=$(child_spis a net); si=${s% *} so=${s#* }
	ucheck a "$i initiates: A's uipsecd holds the two SAs (in 0x$si, out 0x$so)" \
		ujq a sas "length == 2 and any(.[]; .direction == \"in\" and .spi == $(hexnum "$si"))
			and any(.[]; .direction == \"out\" and .spi == $(hexnum "$so") and .dst == \"192.0.2.2\")"
	check "$i initiates: B's SPIs mirror A's" test "$(child_spis b net)" = "$so $si"
	check "$i initiates: A's table $CHARON_TABLE routes 10.2.0.0/24" routed a 10.2.0.0/24
	check "$i initiates: B's table $CHARON_TABLE routes 10.1.0.0/24" routed b 10.1.0.0/24
	check "$i initiates: ping host A -> host B" ping_hosts a
	check "$i initiates: ping host B -> host A" ping_hosts b
	check "$i initiates: iperf3 A -> B, 3 s" iperf_hosts a 3
	check "$i initiates: iperf3 B -> A, 3 s" iperf_hosts a 3 -R
	for gw in a b; do
		check "$i initiates: $gw's swanctl --list-sas counts bytes in and out" child_counted $gw net
	done
	ucheck a "$i initiates: A's uipsecd counted bytes on both SAs" ujq a sas 'all(.[]; .bytes > 0)'

	is_uipsec a && uerrs a >"$T_TMP/errs-a-0"
	before=$(child_spis a net)
	nsx "$NS_HA" ping -D -c 150 -i 0.02 -W 2 10.2.0.2 >"$T_TMP/ping-rekey.out" 2>&1 &
	ping=$!
	T_PIDS+=("$ping")
	sleep 1
	check "$i initiates: swanctl --rekey --child net on $r under a 20 ms ping" sw "$r" --rekey --child net
	wait "$ping"
	check "$i initiates: rekey: not one of 150 pings lost" eval "grep -q '^150 packets transmitted, 150 received' '$T_TMP/ping-rekey.out' ||
		{ echo \"unanswered: \$(ping_gaps '$T_TMP/ping-rekey.out' 150)\"; false; }"
	check "$i initiates: rekey: the SPIs changed" eval "[ \"\$(child_spis a net)\" != '$before' ] && child_installed b net"
	ucheck a "$i initiates: rekey: A's uipsecd counted no no_sa, bad_spi, replay_dropped, auth_failed" errs_same a
	check "$i initiates: ping host B -> host A after the rekey" ping_hosts b 3

	check "$i initiates: swanctl --terminate --ike gw on $i" sw "$i" --terminate --ike gw --timeout 30
	sleep 0.5
	check "$i initiates: neither lists a CHILD_SA" eval 'no_child a && no_child b'
	ucheck a "$i initiates: A's uipsecd holds no charon SA or policy" eval "ujq a sas 'length == 0' && ujq a policies 'length == 0'"
	check "$i initiates: table $CHARON_TABLE routes gone on A and B" eval 'unrouted a 10.2.0.0/24 && unrouted b 10.1.0.0/24'
}

round a
round b

check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
is_uipsec a && check "uipsecd A stops cleanly" stop_daemon a
finish
