#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# strongSwan's charon with kernel-uipsec, host-to-host (issue 14): the
# traffic selectors are the gateways' own addresses (A 192.0.2.1 <-> B
# 192.0.2.2 on one link, local_ts/remote_ts = 192.0.2.1/32, 192.0.2.2/32).
#  - uipsecd without allow_peer_ts: the policy whose remote selector is the
#    peer is refused (invalid-argument naming allow_peer_ts), charon logs
#    the failure and no CHILD_SA is installed (the IKE_SA itself comes up)
#  - uipsecd with allow_peer_ts = yes and the fwmark pair (socket.fwmark =
#    0x42, plugins.net-netlink.fwmark = !0x42): uipsecd marks its own
#    packets (ESP and the relayed IKE on 4500), the plugin marks charon's
#    UDP 500 sockets (bypass_socket); the CHILD_SA is installed, table 220
#    routes the peer into uipsec0, pings both ways pass through the tunnel
#    and a capture on the link shows only ESP and IKE on UDP 4500 and 500
#    (no ICMP or anything else in the clear) while they run. Twice: with
#    the default encapsulation (no NAT: plain ESP, IP protocol 50, issue 15)
#    and with swanctl's encap = yes (ESP in UDP 4500); each time the capture
#    holds only the expected kind of ESP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping tcpdump ss
[ "$CHARON_MODE" = uipsec ] || skip_all "host-to-host needs uipsecd's allow_peer_ts (UIPT_CHARON_MODE=$CHARON_MODE)"
ctl_unwrap

A_ADDR=192.0.2.1 B_ADDR=192.0.2.2
# NS_GA / NS_GB: the names charon-lib.sh's gw_ns (routed, unrouted) uses
NS_GA=uipt-csh$U-a NS_GB=uipt-csh$U-b NS_A=uipt-csh$U-a NS_B=uipt-csh$U-b
ns_add "$NS_A"; ns_add "$NS_B"
veth "$NS_A" out0 "$NS_B" out0
ip -n "$NS_A" addr add $A_ADDR/24 dev out0
ip -n "$NS_B" addr add $B_ADDR/24 dev out0

# h2h_child LOCAL REMOTE: the children section, selectors = the two hosts
h2h_child() {
	cat <<CONF
            host {
                local_ts = $1/32
                remote_ts = $2/32
                esp_proposals = aes128gcm16
                mode = tunnel
                start_action = none
            }
CONF
}
sw_confs psk "" "$(h2h_child $A_ADDR $B_ADDR)" "$(h2h_child $B_ADDR $A_ADDR)"

# gateways ALLOW: uipsecd (allow_peer_ts = ALLOW, the fwmark pair) and
# charon on A and B
gateways() {
	local gw ns
	for gw in a b; do
		if [ $gw = a ]; then ns=$NS_A; else ns=$NS_B; fi
		daemon_conf "$T_TMP/$gw.conf" $gw "load = crypto-openssl io-tun net-netlink
    allow_peer_ts = $1
    socket { fwmark = 0x42 }
    plugins { net-netlink { fwmark = !0x42 } }"
		charon_conf $gw uipsec
		start_daemon $gw "$ns" "$T_TMP/$gw.conf" || return 1
		charon_start $gw "$ns" || return 1
	done
	sw_load a && sw_load b
}
# stop_all: both charons, then both uipsecd, all cleanly
stop_all() { charon_stop a && charon_stop b && stop_daemons; }
# ping_peer FROM_NS DST [COUNT]: every echo request answered
ping_peer() {
	nsx "$1" ping -c "${3:-5}" -i 0.1 -W 2 "$2" >"$T_TMP/ping.out" 2>&1
	grep -q "^${3:-5} packets transmitted, ${3:-5} received" "$T_TMP/ping.out" || { tail -3 "$T_TMP/ping.out"; false; }
}
# marked_500 NS: every UDP socket of charon on port 500 in NS carries fwmark 0x42
marked_500() {
	local out
	out=$(nsx "$1" ss -uanpe 'sport = :500' 2>&1)
	echo "$out"
	grep -q charon <<<"$out" && ! grep charon <<<"$out" | grep -vq 'fwmark:0x42'
}

# ---- without allow_peer_ts
gateways no || { echo "Bail out! gateways (allow_peer_ts = no) did not start"; exit 1; }
sw a --initiate --child host --timeout 20 >"$T_TMP/initiate.out" 2>&1
rc=$?
sed 's/^/# initiate: /' "$T_TMP/initiate.out" | grep -E "failed|error|TS_UNACC|NO_PROP|establish" | head -5
check "allow_peer_ts = no: swanctl --initiate fails" test $rc != 0
check "allow_peer_ts = no: B's uipsecd refused charon's add-policy (invalid-argument naming allow_peer_ts)" \
	charon_log_has b "kernel-uipsec: add-policy $B_ADDR/32 === $A_ADDR/32 out failed: invalid-argument: .*allow_peer_ts = yes"
check "allow_peer_ts = no: charon B could not install the policies, the CHILD_SA failed, the IKE_SA stays" \
	eval "charon_log_has b 'unable to install IPsec policies' && charon_log_has b 'failed to establish CHILD_SA, keeping IKE_SA'"
check "allow_peer_ts = no: charon A got TS_UNACCEPTABLE, no CHILD_SA built" \
	charon_log_has a "received TS_UNACCEPTABLE notify, no CHILD_SA built"
check "allow_peer_ts = no: the IKE_SA is ESTABLISHED on A and B" eval '[ -n "$(ike_spis a)" ] && [ -n "$(ike_spis b)" ]'
grep -E "allow_peer_ts|unable to install|failed to establish|CHILD_SA" "$T_TMP/b-charon.log" | head -6 | sed 's/^/# charon B: /'
grep -E "allow_peer_ts|TS_UNACCEPTABLE|NO_PROPOSAL|failed to establish" "$T_TMP/a-charon.log" | head -4 | sed 's/^/# charon A: /'
for gw in a b; do
	check "allow_peer_ts = no: $gw lists no CHILD_SA" no_child $gw
	check "allow_peer_ts = no: $gw's uipsecd holds no charon policy" ujq $gw policies 'length == 0'
	check "allow_peer_ts = no: $gw's table $CHARON_TABLE has no route to the peer" unrouted $gw "$(gw_addr "$(other $gw)")"
done
check "allow_peer_ts = no: charons and uipsecd stop cleanly" stop_all

# ---- with allow_peer_ts = yes
gateways yes || { echo "Bail out! gateways (allow_peer_ts = yes) did not start"; exit 1; }
for gw in a b; do
	check "$gw: rule 'not fwmark 0x42 -> table 220'" \
		eval "ip -n $(eval echo \$NS_${gw^^}) rule | grep -q 'not from all fwmark 0x42 lookup 220'"
done
# h2h_round ENCAP: one CHILD_SA's life with swanctl's encap = ENCAP: no
# (the default: plain ESP, IP protocol 50, as no NAT is between A and B) or
# yes (ESP in UDP 4500 forced)
h2h_round() {
	local e=$1 w f_esp f_other gw spis total esp ike clear icmp other
	if [ "$e" = yes ]; then
		w="encap = yes (ESP in UDP)"
		f_esp='udp port 4500 and udp[8:4] != 0' f_other='ip proto 50'
	else
		w="default encap (plain ESP)"
		f_esp='ip proto 50' f_other='udp port 4500 and udp[8:4] != 0'
	fi
	sw_confs psk "encap = $e" "$(h2h_child $A_ADDR $B_ADDR)" "$(h2h_child $B_ADDR $A_ADDR)"
	check "$w: swanctl --load-all on A and B" eval 'sw_load a && sw_load b'
	ip netns exec "$NS_A" tcpdump -U --immediate-mode -n -i out0 -w "$T_TMP/wire.pcap" ip 2>"$T_TMP/tcpdump.out" &
	TD=$!
	T_PIDS+=("$TD")
	for _ in $(seq 50); do grep -q "listening on" "$T_TMP/tcpdump.out" && break; sleep 0.1; done
	check "$w: swanctl --initiate --child host on A" sw a --initiate --child host --timeout 30
	for gw in a b; do
		check "$w: $gw lists CHILD_SA host INSTALLED" child_installed $gw host
		check "$w: $gw: charon's UDP 500 sockets carry fwmark 0x42 (bypass_socket)" marked_500 "$(eval echo \$NS_${gw^^})"
		check "$w: $gw's uipsecd: charon's outbound policy $(gw_addr $gw)/32 -> $(gw_addr "$(other $gw)")/32" \
			ujq $gw policies "any(.[]; .dir == \"out\" and .src == \"$(gw_addr $gw)/32\" and .dst == \"$(gw_addr "$(other $gw)")/32\")"
		check "$w: $gw's table $CHARON_TABLE routes the peer $(gw_addr "$(other $gw)") into uipsec0" routed $gw "$(gw_addr "$(other $gw)")"
	done
	spis=$(child_spis a host)
	check "$w: ping A -> B ($B_ADDR) through the tunnel" ping_peer "$NS_A" $B_ADDR 10
	check "$w: ping B -> A ($A_ADDR) through the tunnel" ping_peer "$NS_B" $A_ADDR 10
	check "$w: A's uipsecd: both SAs counted the pings (>= 20 packets each)" ujq a sas 'length == 2 and all(.[]; .packets >= 20)'
	sleep 0.5
	kill $TD; wait $TD 2>/dev/null
	total=$(tcpdump -n -r "$T_TMP/wire.pcap" 2>/dev/null | wc -l)
	esp=$(tcpdump -n -r "$T_TMP/wire.pcap" "$f_esp" 2>/dev/null | wc -l)
	other=$(tcpdump -n -r "$T_TMP/wire.pcap" "$f_other" 2>/dev/null | wc -l)
	ike=$(tcpdump -n -r "$T_TMP/wire.pcap" '(udp port 500) or (udp port 4500 and udp[8:4] = 0)' 2>/dev/null | wc -l)
	# link-local multicast (IGMP reports of the fresh links) is no traffic of the hosts
	clear=$(tcpdump -n -r "$T_TMP/wire.pcap" 'not (udp port 4500 or udp port 500 or ip proto 50) and not ip multicast' 2>/dev/null | wc -l)
	icmp=$(tcpdump -n -r "$T_TMP/wire.pcap" icmp 2>/dev/null | wc -l)
	tcpdump -n -r "$T_TMP/wire.pcap" 'not (udp port 4500 or udp port 500 or ip proto 50)' 2>/dev/null | head -5 | sed 's/^/# other: /'
	# UIPT_DEBUG_PCAP=1: the whole capture in the output
	[ -n "${UIPT_DEBUG_PCAP:-}" ] && tcpdump -n -r "$T_TMP/wire.pcap" 2>/dev/null | sed "s/^/# pcap: /"
	diag "$w: captured $total packets on the link: $esp ESP as expected, $other ESP the other way, $ike IKE (500, 4500), $clear other, $icmp ICMP"
	check "$w: the pings crossed the link as $([ "$e" = yes ] && echo "ESP in UDP 4500" || echo "IP protocol 50") (>= 40 packets)" test "$esp" -ge 40
	check "$w: no ESP $([ "$e" = yes ] && echo "as IP protocol 50" || echo "in UDP 4500") on the link" test "$other" = 0
	check "$w: IKE seen on the link (UDP 500 and 4500)" test "$ike" -ge 4
	check "$w: nothing but ESP and IKE between A and B on the link (no ICMP in the clear)" test "$clear" = 0 -a "$icmp" = 0
	# shellcheck disable=SC2086
	check "$w: the ESP packets on the link carry the CHILD_SA's two SPIs ($spis)" wire_spis_are "$f_esp" $spis
	check "$w: swanctl --terminate --ike gw on A" sw a --terminate --ike gw --timeout 30
	sleep 0.3
	for gw in a b; do
		check "$w: $gw's uipsecd has no charon SA or policy left" eval "ujq $gw sas 'length == 0' && ujq $gw policies 'length == 0'"
		check "$w: $gw's table $CHARON_TABLE route to the peer is gone" unrouted $gw "$(gw_addr "$(other $gw)")"
	done
	check "$w: plain ping A -> B after the terminate (the main table)" ping_peer "$NS_A" $B_ADDR 3
}
# wire_spis_are FILTER SPI...: the ESP packets captured (FILTER) carry exactly these SPIs (hex, no 0x)
wire_spis_are() {
	local want got f=$1
	shift
	want=$(printf '0x%s\n' "$@" | sort -u | tr '\n' ' ')
	got=$(tcpdump -n -r "$T_TMP/wire.pcap" "$f" 2>/dev/null |
		grep -o 'spi=0x[0-9a-f]*' | cut -d= -f2 | sort -u | tr '\n' ' ')
	[ "$got" = "$want" ] || { echo "captured SPIs: $got, the CHILD_SA's: $want"; false; }
}
h2h_round no
h2h_round yes
check "charons and uipsecd stop cleanly" stop_all
finish
