#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# strongSwan's charon drives uipsecd through the kernel-uipsec plugin
# (issue 14): two gateways (net2net_topo: 10.1.0.0/24 behind 192.0.2.1,
# 10.2.0.0/24 behind 192.0.2.2), each with uipsecd (no tunnels) and a
# charon with kernel-uipsec, swanctl over per-gateway vici sockets.
# Twice, with PSK (A initiates) and with X.509 certificates made here with
# pki (B initiates):
#  - swanctl --initiate: the CHILD_SA is INSTALLED on both sides, uipsecd
#    holds its two SAs (owner charon, the same SPIs) and policies, and
#    routes the remote subnet in table 220
#  - ping and iperf3 both ways; swanctl's and uipsecd's byte counters grew
#  - swanctl --terminate: no CHILD_SA, no charon SA or policy in uipsecd,
#    the table 220 route is gone
# UIPT_CHARON_MODE=stock runs the same with kernel-libipsec on both sides.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping iperf3 ss
ctl_unwrap

charon_gateways uipsec uipsec || { echo "Bail out! gateways did not start"; exit 1; }
check "certificates: a CA, one per gateway (pki)" make_certs
for gw in a b; do
	ucheck $gw "charon $gw loaded kernel-uipsec, not socket-default, not kernel-libipsec" uses_kernel_uipsec $gw
done

# round AUTH INITIATOR: one connection's life
round() {
	local auth=$1 i=$2 r gw spis si so
	r=$(other "$i")
	sw_confs "$auth" "" "$(child_conf net aes128gcm16)"
	check "$auth: swanctl --load-all on A and B" eval 'sw_load a && sw_load b'
	check "$auth: swanctl --initiate --child net on $i" sw "$i" --initiate --child net --timeout 30
	for gw in a b; do
		check "$auth: $gw lists CHILD_SA net INSTALLED" child_installed $gw net
	done
	if [ "$auth" = pubkey ]; then
		check "$auth: $i authenticated $r with its certificate (ECDSA)" \
			charon_log_has "$i" "authentication of '$(gw_id "$r")' with ECDSA.* successful"
	fi
	for gw in a b; do
		ucheck $gw "$auth: IKE on port 4500 went through $gw's uipsecd (ike_rx > 0)" test "$(stat_of $gw ike_rx)" -gt 0
		spis=$(child_spis $gw net); si=${spis% *} so=${spis#* }
		diag "$gw: CHILD_SA net SPIs in $si out $so"
		ucheck $gw "$auth: $gw's uipsecd holds the two SAs (owner $CHARON_OWNER, in 0x$si, out 0x$so)" \
			ujq $gw sas "length == 2 and all(.[]; .owner == \"$CHARON_OWNER\")
				and any(.[]; .direction == \"in\" and .spi == $(hexnum "$si"))
				and any(.[]; .direction == \"out\" and .spi == $(hexnum "$so") and .dst == \"$(gw_addr "$(other $gw)")\")"
		ucheck $gw "$auth: $gw's uipsecd has charon's policies, out $(gw_net $gw) -> $(gw_net "$(other $gw)")" \
			ujq $gw policies "any(.[]; .dir == \"out\" and .src == \"$(gw_net $gw)\" and .dst == \"$(gw_net "$(other $gw)")\")
				and any(.[]; .dir == \"in\")"
		check "$auth: $gw's table $CHARON_TABLE routes $(gw_net "$(other $gw)")" routed $gw "$(gw_net "$(other $gw)")"
	done
	check "$auth: ping host A -> host B" ping_hosts a
	check "$auth: ping host B -> host A" ping_hosts b
	check "$auth: iperf3 A -> B, 3 s" iperf_hosts a 3
	check "$auth: iperf3 B -> A, 3 s" iperf_hosts a 3 -R
	for gw in a b; do
		check "$auth: $gw's swanctl --list-sas counts bytes in and out" child_counted $gw net
		ucheck $gw "$auth: $gw's uipsecd counted bytes on both SAs" ujq $gw sas 'all(.[]; .bytes > 0)'
	done
	check "$auth: swanctl --terminate --ike gw on $i" sw "$i" --terminate --ike gw --timeout 30
	sleep 0.5
	for gw in a b; do
		check "$auth: $gw lists no CHILD_SA" no_child $gw
		ucheck $gw "$auth: $gw's uipsecd has no charon SA left" ujq $gw sas 'length == 0'
		ucheck $gw "$auth: $gw's uipsecd has no charon policy left" ujq $gw policies 'length == 0'
		check "$auth: $gw's table $CHARON_TABLE route for $(gw_net "$(other $gw)") is gone" \
			unrouted $gw "$(gw_net "$(other $gw)")"
	done
	check "$auth: no traffic after the terminate" bash -c "! ip netns exec '$NS_HA' ping -c 2 -i 0.2 -W 1 10.2.0.2"
}

round psk a
round pubkey b

check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
if is_uipsec a; then
	check "uipsecd A and B outlived their charons" kill -0 "$PID_a" "$PID_b"
	check "uipsecd A and B stop cleanly" stop_daemons
fi
finish
