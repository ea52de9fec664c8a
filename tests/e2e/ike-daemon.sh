#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An IKE daemon's life on top of uipsecd (issue "Control protocol v2"),
# played by tests/e2e/ike_client.py (Python 3, standard library only) on
# two gateways A and B, each running uipsecd without tunnels but with its
# control socket and IKE relay socket; hosts behind them ping each other.
# Each step is one run of the client ("IKE daemon" of A or B, owner pyike);
# the script passes SPIs and keys between the two, as IKE would:
#  a. an IKE exchange through the relays on port 4500, both directions:
#     addresses, ports, interface and payload as sent, the answer returns
#  b. alloc-spi on each side for its inbound SA, then add-sa in/out and
#     add-policy out (route true: the route in table 220 comes from
#     uipsecd, no `ip route add`) and in
#  c. ping host A <-> host B; query-sa counts it
#  d. rekey in the documented order (new inbound, new outbound, delete old
#     outbound, then old inbound) under a 20 ms ping: nothing lost
#  e. migrate-sa of both sides' SAs to a second address of B and back:
#     traffic flows, counters go on, B's replay window accepts what A sends
#     (A's sequence numbers did not restart)
#  f. a "crashed" IKE daemon's successor runs flush owner pyike first: SAs,
#     policies and the routes are gone, the daemons live on; it installs
#     again and traffic flows again
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
IKEC=$top_srcdir/tests/e2e/ike_client.py
require_root_tools jq ping "$PY"
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"

net2net_topo uipt-ike$$
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

# ike GW ARGS...: one step of gateway GW's IKE daemon (a or b)
ike() { local gw=$1; shift; "$PY" "$IKEC" --ctl "$T_TMP/$gw.sock" --relay "$T_TMP/$gw-ike.sock" "$@"; }
# child GW: the CHILD_SA as GW's IKE daemon sees it (reqid 1 on both sides)
child() {
	case $1 in
	a) echo --local 192.0.2.1 --remote 192.0.2.2 --local-ts 10.1.0.0/24 --remote-ts 10.2.0.0/24 ;;
	b) echo --local 192.0.2.2 --remote 192.0.2.1 --local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24 ;;
	esac
}
# jqx FILE FILTER: FILTER holds for the JSON in FILE (shown on failure)
jqx() { jq -e "$2" "$1" >/dev/null || { cat "$1"; false; }; }
# sa_packets GW DIR SPI: the SA's packet counter (query-sa)
sa_packets() { ike "$1" query-sa --dir "$2" --spi "$3" | jq -r .packets; }
# routed NS PREFIX / unrouted NS PREFIX: NS's table 220 routes PREFIX into
# uipsec0 / has no route for PREFIX (the table is shown on failure)
routed() { ip -n "$1" route show table 220 | grep -q "^$2 dev uipsec0" || { ip -n "$1" route show table 220; false; }; }
unrouted() { ! ip -n "$1" route show table 220 | grep -q "^$2 " || { ip -n "$1" route show table 220; false; }; }
# gone GW SPI_OUT SPI_IN: query-sa finds neither SA (not-found)
gone() {
	ike "$1" query-sa --dir out --spi "$2" 2>&1 | grep -q not-found &&
	ike "$1" query-sa --dir in --spi "$3" 2>&1 | grep -q not-found
}
# none_left: no pyike SA or policy on either gateway
none_left() {
	local g l
	for g in a b; do for l in list-sas list-policies; do
		ike $g $l | jq -e 'length == 0' >/dev/null || { echo "$g $l:"; ike $g $l; return 1; }
	done; done
}
# pings COUNT INTERVAL FROM_NS DST: every echo request answered
pings() {
	nsx "$3" ping -c "$1" -i "$2" -W 2 "$4" >"$T_TMP/ping.out" 2>&1
	grep -q "^$1 packets transmitted, $1 received" "$T_TMP/ping.out" || { tail -3 "$T_TMP/ping.out"; false; }
}
COUNTERS='{replay_dropped, auth_failed, no_sa, bad_spi}'
# errs GW: the error counters of GW
errs() { stats_json "$1" | jq -c "$COUNTERS"; }

ike a status >"$T_TMP/status"
check "status over the client: protocol 2" jqx "$T_TMP/status" '.protocol == 2'

# --- a. IKE through the relays
# relay_exchange FROM TO FROM_ADDR TO_ADDR: TO's IKE daemon listens on its
# relay, FROM's sends an IKE_SA_INIT request to TO_ADDR:4500 through its
# own relay (retransmitting) and waits for the answer
relay_exchange() {
	local from=$1 to=$2 rp rc
	ike "$to" recv --answer "response from $to" >"$T_TMP/recv-$to" 2>"$T_TMP/recv-$to.err" &
	rp=$!
	for _ in $(seq 50); do grep -q '^ready' "$T_TMP/recv-$to" && break; sleep 0.1; done
	ike "$from" exchange --src "$3" --dst "$4" --text "request from $from" >"$T_TMP/exch-$from"
	rc=$?
	wait $rp || { cat "$T_TMP/recv-$to.err"; rc=1; }
	grep -v '^ready' "$T_TMP/recv-$to" >"$T_TMP/got-$to"
	return $rc
}
ifa=$(nsx "$NS_GA" cat /sys/class/net/out0/ifindex) ifb=$(nsx "$NS_GB" cat /sys/class/net/out0/ifindex)
check "IKE exchange A -> B through both relays" relay_exchange a b 192.0.2.1 192.0.2.2
check "B's IKE daemon got A's request: 192.0.2.1:4500 -> 192.0.2.2:4500 on out0, marker and message intact" \
	jqx "$T_TMP/got-b" ".family == 4 and .src == \"192.0.2.1\" and .sport == 4500 and .dst == \"192.0.2.2\"
	     and .dport == 4500 and .ifindex == $ifb and .ike.text == \"request from a\" and .ike.flags == 8
	     and .ike.exchange == 34 and (.payload | startswith(\"00000000\"))"
check "A's IKE daemon got B's answer from 192.0.2.2:4500, for its IKE SA" \
	jq -e --slurpfile req "$T_TMP/got-b" ".src == \"192.0.2.2\" and .sport == 4500 and .dst == \"192.0.2.1\"
	     and .dport == 4500 and .ifindex == $ifa and .ike.text == \"response from b\" and .ike.flags == 32
	     and .ike.spi_i == \$req[0].ike.spi_i" "$T_TMP/exch-a"
check "IKE exchange B -> A through both relays" relay_exchange b a 192.0.2.2 192.0.2.1
check "A's IKE daemon got B's request: 192.0.2.2:4500 -> 192.0.2.1:4500 on out0" \
	jqx "$T_TMP/got-a" ".src == \"192.0.2.2\" and .sport == 4500 and .dst == \"192.0.2.1\" and .dport == 4500
	     and .ifindex == $ifa and .ike.text == \"request from b\""
check "B's IKE daemon got A's answer from 192.0.2.1:4500" \
	jqx "$T_TMP/exch-b" '.src == "192.0.2.1" and .sport == 4500 and .ike.text == "response from a" and .ike.flags == 32'

# --- b. SPIs, SAs, routed policies
# install_child GW SPI_IN SPI_OUT KEY_IN KEY_OUT
install_child() { local gw=$1; ike "$gw" install $(child "$gw") --spi-in "$2" --spi-out "$3" --key-in "$4" --key-out "$5"; }
# negotiate: a new CHILD_SA: each side allocates its inbound SPI, they
# exchange SPIs (here: shell variables) and keys, both install
negotiate() {
	K_AB=$(gen_key 20) K_BA=$(gen_key 20)
	SPI_A=$(ike a alloc-spi --dst 192.0.2.1) && SPI_B=$(ike b alloc-spi --dst 192.0.2.2) || return 1
	[[ $SPI_A =~ ^0xc[0-9a-f]{7}$ && $SPI_B =~ ^0xc[0-9a-f]{7}$ ]] || { echo "SPIs: $SPI_A $SPI_B"; return 1; }
	install_child a "$SPI_A" "$SPI_B" "$K_BA" "$K_AB" && install_child b "$SPI_B" "$SPI_A" "$K_AB" "$K_BA"
}
check "alloc-spi on each side (strongSwan's range), both install SAs and policies" negotiate
diag "SPIs: A in $SPI_A, B in $SPI_B"
ike a list-sas >"$T_TMP/sas-a"
check "A: two pyike SAs with reqid 1, inbound $SPI_A with its selectors" \
	jqx "$T_TMP/sas-a" "length == 2 and all(.[]; .owner == \"pyike\" and .reqid == 1)
	    and any(.[]; .direction == \"in\" and .spi == $((SPI_A)) and .inbound_check == \"selectors\")
	    and any(.[]; .direction == \"out\" and .spi == $((SPI_B)) and .dst == \"192.0.2.2\")"
ike b list-policies >"$T_TMP/pol-b"
check "B: two pyike policies (out, in), reqid 1" \
	jqx "$T_TMP/pol-b" 'length == 2 and all(.[]; .owner == "pyike" and .reqid == 1) and ([.[].dir] | sort == ["in", "out"])'
ike a status >"$T_TMP/status"
check "the reservation was consumed by add-sa" jqx "$T_TMP/status" '.spis_reserved == 0'
check "A's table 220 routes 10.2.0.0/24 into uipsec0 (from uipsecd)" routed "$NS_GA" 10.2.0.0/24
check "B's table 220 routes 10.1.0.0/24 into uipsec0 (from uipsecd)" routed "$NS_GB" 10.1.0.0/24

# --- c. traffic
check "ping host A -> host B" pings 5 0.1 "$NS_HA" 10.2.0.2
check "ping host B -> host A" pings 5 0.1 "$NS_HB" 10.1.0.2
check "query-sa: A's outbound and inbound SA counted both pings (>= 10 packets each)" \
	test "$(sa_packets a out "$SPI_B")" -ge 10 -a "$(sa_packets a in "$SPI_A")" -ge 10
check "query-sa: B's inbound SA too" test "$(sa_packets b in "$SPI_B")" -ge 10

# --- d. rekeying as an IKE daemon does, under traffic
errs a >"$T_TMP/errs-a0"; errs b >"$T_TMP/errs-b0"
rekey() {
	local na nb kab kba
	kab=$(gen_key 20) kba=$(gen_key 20)
	na=$(ike a alloc-spi --dst 192.0.2.1) && nb=$(ike b alloc-spi --dst 192.0.2.2) || return 1
	# 1. the new inbound SAs on both sides, before anyone sends with them
	ike a add-sa $(child a) --dir in --spi "$na" --key "$kba" &&
	ike b add-sa $(child b) --dir in --spi "$nb" --key "$kab" &&
	# 2. the new outbound SAs (CREATE_CHILD_SA done): they take reqid 1's traffic at once
	ike a add-sa $(child a) --dir out --spi "$nb" --key "$kab" &&
	ike b add-sa $(child b) --dir out --spi "$na" --key "$kba" || return 1
	# 3. after an overlap for packets in flight, the old outbound SAs, then the old inbound ones
	sleep 0.5
	ike a del-sa --dir out --spi "$SPI_B" && ike b del-sa --dir out --spi "$SPI_A" &&
	ike a del-sa --dir in --spi "$SPI_A" --dst 192.0.2.1 && ike b del-sa --dir in --spi "$SPI_B" --dst 192.0.2.2 ||
		return 1
	OLD_A=$SPI_A OLD_B=$SPI_B SPI_A=$na SPI_B=$nb K_AB=$kab K_BA=$kba
}
nsx "$NS_HA" ping -c 300 -i 0.02 -W 2 10.2.0.2 >"$T_TMP/ping-rekey" 2>&1 &
PING=$!
sleep 1
check "rekey: alloc-spi, new inbound SAs, new outbound SAs, old outbound then old inbound deleted" rekey
wait $PING
diag "rekey: $(grep 'packets transmitted' "$T_TMP/ping-rekey")"
check "no ping lost across the rekey (300 of 300)" grep -q '^300 packets transmitted, 300 received' "$T_TMP/ping-rekey"
check "replay_dropped, auth_failed, no_sa, bad_spi did not grow on A" diff "$T_TMP/errs-a0" <(errs a)
check "... nor on B" diff "$T_TMP/errs-b0" <(errs b)
check "A's old SAs are gone (query-sa: not-found)" gone a "$OLD_B" "$OLD_A"
check "B's old SAs are gone" gone b "$OLD_A" "$OLD_B"
check "A's new outbound SA $SPI_B carries the traffic" test "$(sa_packets a out "$SPI_B")" -gt 0
ike a list-sas >"$T_TMP/sas-a"
check "A has two pyike SAs left, the new ones" \
	jqx "$T_TMP/sas-a" "[.[].spi] | sort == ([$((SPI_A)), $((SPI_B))] | sort)"

# --- e. migrate-sa: the peer B moves to a second address and back
ip -n "$NS_GB" addr add 192.0.2.12/24 dev out0
# move B_OLD B_NEW: both IKE daemons move the CHILD_SA's SAs (B first: its
# inbound SA answers at the new address before A sends there)
move() {
	ike b migrate --local "$1" --remote 192.0.2.1 --spi-in "$SPI_B" --spi-out "$SPI_A" --new-local "$2" &&
	ike a migrate --local 192.0.2.1 --remote "$1" --spi-in "$SPI_A" --spi-out "$SPI_B" --new-remote "$2"
}
# counted_on GW DIR SPI BEFORE: the SA's packets grew by 5 (one way of 5 pings) at least
counted_on() { local n; n=$(sa_packets "$1" "$2" "$3"); [ "$n" -ge $(($4 + 5)) ] || { echo "packets $4 -> $n"; false; }; }
st_b=$(stats_json b)
p_out=$(sa_packets a out "$SPI_B") p_in=$(sa_packets b in "$SPI_B")
check "migrate-sa: both gateways move the SAs to B's 192.0.2.12" move 192.0.2.2 192.0.2.12
ike a query-sa --dir out --spi "$SPI_B" >"$T_TMP/q-out"
check "A's outbound SA sends to 192.0.2.12, owner and reqid kept" \
	jqx "$T_TMP/q-out" '.dst == "192.0.2.12" and .src == "192.0.2.1" and .owner == "pyike" and .reqid == 1'
check "ping host A -> host B after the move" pings 5 0.1 "$NS_HA" 10.2.0.2
check "A's outbound SA counts on (no reset)" counted_on a out "$SPI_B" "$p_out"
check "B's inbound SA, now at 192.0.2.12, counts on" counted_on b in "$SPI_B" "$p_in"
p_out=$(sa_packets a out "$SPI_B")
check "migrate-sa back to 192.0.2.2" move 192.0.2.12 192.0.2.2
check "ping host A -> host B after the move back" pings 5 0.1 "$NS_HA" 10.2.0.2
check "A's outbound SA counts on" counted_on a out "$SPI_B" "$p_out"
st_b2=$(stats_json b)
check "B dropped nothing as a replay and authenticated all: A's sequence numbers went on" \
	test "$(stat_delta "$st_b" "$st_b2" replay_dropped)" = 0 -a "$(stat_delta "$st_b" "$st_b2" auth_failed)" = 0

# --- f. the IKE daemon "crashes" (every step above was a process of its
# own, now gone: forget the SPIs) and its successor starts with a flush
unset SPI_A SPI_B K_AB K_BA
ike a flush >"$T_TMP/flush-a"; ike b flush >"$T_TMP/flush-b"
check "flush owner pyike on A: 2 SAs, 2 policies" jqx "$T_TMP/flush-a" '.owner == "pyike" and .sas == 2 and .policies == 2'
check "flush owner pyike on B: 2 SAs, 2 policies" jqx "$T_TMP/flush-b" '.sas == 2 and .policies == 2'
check "no pyike SA or policy left on either side (list-sas, list-policies owner pyike)" none_left
check "A's table 220 route for 10.2.0.0/24 is gone" unrouted "$NS_GA" 10.2.0.0/24
check "B's table 220 route for 10.1.0.0/24 is gone" unrouted "$NS_GB" 10.1.0.0/24
check "both daemons are still running" kill -0 "$PID_a" "$PID_b"
check "no traffic without SAs" bash -c "! ip netns exec '$NS_HA' ping -c 2 -i 0.2 -W 1 10.2.0.2"
check "the new IKE daemons negotiate and install again" negotiate
check "A's route is back" routed "$NS_GA" 10.2.0.0/24
check "ping host A -> host B again" pings 5 0.1 "$NS_HA" 10.2.0.2
check "ping host B -> host A again" pings 5 0.1 "$NS_HB" 10.1.0.2

check "daemons stop cleanly" stop_daemons
finish
