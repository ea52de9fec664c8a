#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Raw ESP (IP protocol 50, RFC 4303 without RFC 3948): net-to-net tunnels
# with `encap = no`, IPv4 and IPv6 outer, AES-GCM and AES-CBC + HMAC; ping
# and TCP both ways; on the wire only protocol 50, no UDP at all; list-sas,
# list-tunnels, uipsecctl and stats show the encapsulation. Then migrate-sa
# switches the SAs udp <-> none under traffic (ping keeps going), and ESP
# of the wrong encapsulation is dropped in encap_mismatch.
. "$(dirname "$0")/lib.sh"
require_root_tools tcpdump iperf3 jq
tunnel_plugins
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"

net2net_topo uipt-dp-raw-$U

# capture OUTER FILE: tcpdump on gateway A's outer link (IP only: no ARP)
capture_start() {
	# not through nsx (a function: '&' would fork a subshell, and killing
	# that leaves tcpdump writing into the next capture): ip netns exec
	# execs tcpdump, so $! is tcpdump itself
	ip netns exec "$NS_GA" tcpdump -U --immediate-mode -n -i out0 -w "$2" "$1" 2>"$T_TMP/tcpdump.log" &
	TD=$!; T_PIDS+=("$TD")
	for _ in $(seq 50); do grep -q "listening on" "$T_TMP/tcpdump.log" && break; sleep 0.1; done
}
capture_stop() { sleep 0.3; kill "$TD" 2>/dev/null; wait "$TD" 2>/dev/null; }
count() { tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l; }

run_case() {
	local esp=$1 outer=$2 full=${3:-} ip=ip fam=4 peer_in=10.2.0.2
	[ "$outer" = v6 ] && { ip=ip6; fam=6; }
	gw_pair_confs "$esp" "$crypto io-tun net-netlink" "$crypto io-tun net-netlink" "" "encap = no" "$outer"
	if ! start_daemon a "$NS_GA" "$T_TMP/a.conf" || ! start_daemon b "$NS_GB" "$T_TMP/b.conf"; then
		not_ok "$esp/$outer: both daemons start"
		stop_daemon a; stop_daemon b
		return
	fi
	local before after
	before=$(stats_json a)
	capture_start "$ip" "$T_TMP/raw.pcap"
	check "$esp/$outer raw: ping host A -> host B" nsx "$NS_HA" ping -c 3 -i 0.2 -W 2 $peer_in
	check "$esp/$outer raw: ping host B -> host A" nsx "$NS_HB" ping -c 3 -i 0.2 -W 2 10.1.0.2
	if [ -n "$full" ]; then
		check "$esp/$outer raw: TCP both ways (iperf3, 2 MB each way)" tcp_transfer "$NS_HA" "$NS_HB" $peer_in 2M
		check "$esp/$outer raw: large ping (1400 bytes: 8 more than in UDP fit the path)" \
			nsx "$NS_HA" ping -c 2 -i 0.2 -W 2 -s 1400 $peer_in
	fi
	capture_stop
	after=$(stats_json a)
	local esp_n udp_n other
	esp_n=$(count "$T_TMP/raw.pcap" "$ip proto 50")
	udp_n=$(count "$T_TMP/raw.pcap" "udp")
	# ND is ICMPv6; MLD reports (after address set-up) sit behind a
	# hop-by-hop header (next header 0), which "icmp6" does not match
	# an IPv6 fragment (next header 44) of ESP (its next header 50) is ESP too
	local esp6_frag="(ip6 and ip6[6] == 44 and ip6[40] == 50)"
	other=$(count "$T_TMP/raw.pcap" "not $ip proto 50 and not icmp6 and not (ip6 and ip6[6] == 0) and not $esp6_frag")
	diag "$esp/$outer: $esp_n protocol 50 packets, $udp_n UDP, $other other"
	[ "$other" = 0 ] || tcpdump -n -v -r "$T_TMP/raw.pcap" -c 5 \
		"not $ip proto 50 and not icmp6 and not (ip6 and ip6[6] == 0) and not $esp6_frag" 2>/dev/null | sed 's/^/# other: /'
	check "$esp/$outer raw: protocol 50 on the wire" test "$esp_n" -ge 12
	check "$esp/$outer raw: no UDP on the wire" test "$udp_n" = 0
	check "$esp/$outer raw: nothing else but ND and MLD (no cleartext)" test "$other" = 0
	check "$esp/$outer raw: tcpdump decodes ESP with our SPIs" bash -c \
		"tcpdump -n -r '$T_TMP/raw.pcap' -c 10 2>/dev/null | grep -v UDP-encap | grep -q 'ESP(spi=0x0000[12]000'"
	check "$esp/$outer raw: stats raw_esp_tx and raw_esp_rx counted" \
		test "$(stat_delta "$before" "$after" raw_esp_tx)" -ge 6 -a "$(stat_delta "$before" "$after" raw_esp_rx)" -ge 6
	check "$esp/$outer raw: no drops (malformed, bad_spi, encap_mismatch)" \
		test "$(stat_delta "$before" "$after" malformed)$(stat_delta "$before" "$after" bad_spi)$(stat_delta "$before" "$after" encap_mismatch)" = 000
	check "$esp/$outer raw: list-sas says encap none for both SAs" bash -c \
		"[ \"\$('$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -r '[.[].encap] | join(\",\")')\" = none,none ]"
	check "$esp/$outer raw: list-tunnels says encap none" bash -c \
		"'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-tunnels | jq -e '.[0].encap == \"none\"'"
	check "$esp/$outer raw: uipsecctl list-sas has an ENCAP column saying none" bash -c \
		"'$UIPSECCTL' --socket '$T_TMP/a.sock' list-sas | awk 'NR == 1 { for (i = 1; i <= NF; i++) if (\$i == \"ENCAP\") c = i; next } \$c != \"none\" { exit 1 } END { exit !c }'"
	check "$esp/$outer: daemon A stops cleanly" stop_daemon a
	check "$esp/$outer: daemon B stops cleanly" stop_daemon b
}

run_case aes128gcm16 v4 full
run_case aes128gcm16 v6 full
run_case aes128-sha256 v4
run_case aes256-sha256 v6

# ------------------------------------------------------------ migrate-sa udp <-> none
# Both gateways in UDP; a ping runs while migrate-sa switches every SA to
# raw ESP and back. Before both ends agree, ESP of the other encapsulation
# is dropped in encap_mismatch (as Linux XFRM: XfrmInStateMismatch).
gw_pair_confs aes128gcm16 "$crypto io-tun net-netlink" "$crypto io-tun net-netlink"
start_daemon a "$NS_GA" "$T_TMP/a.conf" && start_daemon b "$NS_GB" "$T_TMP/b.conf" || not_ok "migrate: daemons start"
check "migrate: ping through the UDP tunnel" nsx "$NS_HA" ping -c 2 -i 0.2 -W 2 10.2.0.2

# switch gateway A's outbound SA only: B's inbound SA is still UDP
before=$(stats_json b)
check "migrate: A's outbound SA to encap none" ctl a migrate-sa spi 0x2000 dir out dst 192.0.2.2 encap none
check "migrate: A's outbound SA lists encap none" bash -c \
	"'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -e '.[] | select(.direction == \"out\") | .encap == \"none\"'"
nsx "$NS_HA" ping -c 3 -i 0.2 -W 1 10.2.0.2 >/dev/null 2>&1
after=$(stats_json b)
check "migrate: raw ESP to B's UDP SA dropped as encap_mismatch" test "$(stat_delta "$before" "$after" encap_mismatch)" -ge 3
check "migrate: ... and not as rx_packets" test "$(stat_delta "$before" "$after" rx_packets)" = 0

# the rest of the switch, while a ping runs
nsx "$NS_HA" ping -i 0.05 -c 200 -W 1 10.2.0.2 >"$T_TMP/ping.out" 2>&1 &
pp=$!; T_PIDS+=("$pp")
sleep 1
check "migrate: B's SAs to encap none" bash -c "'$UIPSECCTL' --socket '$T_TMP/b.sock' migrate-sa spi 0x1000 dir out dst 192.0.2.1 encap none &&
	'$UIPSECCTL' --socket '$T_TMP/b.sock' migrate-sa spi 0x2000 dir in dst 192.0.2.2 encap none"
check "migrate: A's inbound SA to encap none" ctl a migrate-sa spi 0x1000 dir in dst 192.0.2.1 encap none
sleep 2
capture_start ip "$T_TMP/mig.pcap"
sleep 1
capture_stop
check "migrate: after the switch only protocol 50 on the wire" \
	test "$(count "$T_TMP/mig.pcap" "ip proto 50")" -ge 10 -a "$(count "$T_TMP/mig.pcap" udp)" = 0
check "migrate: every SA back to udp" bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' migrate-sa spi 0x2000 dir out dst 192.0.2.2 encap udp &&
	'$UIPSECCTL' --socket '$T_TMP/a.sock' migrate-sa spi 0x1000 dir in dst 192.0.2.1 encap udp &&
	'$UIPSECCTL' --socket '$T_TMP/b.sock' migrate-sa spi 0x1000 dir out dst 192.0.2.1 encap udp &&
	'$UIPSECCTL' --socket '$T_TMP/b.sock' migrate-sa spi 0x2000 dir in dst 192.0.2.2 encap udp"
sleep 1
capture_start ip "$T_TMP/back.pcap"
sleep 1
capture_stop
check "migrate: back in UDP 4500, no protocol 50" \
	test "$(count "$T_TMP/back.pcap" "udp port 4500")" -ge 10 -a "$(count "$T_TMP/back.pcap" "ip proto 50")" = 0
wait $pp
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_TMP/ping.out")
diag "ping during the switches: ${received:-?} of 200 replies"
check "migrate: the ping during the switches got through (>= 150 of 200)" test "${received:-0}" -ge 150
check "migrate: keys and sequence numbers kept (no auth_failed, no replay drops)" \
	test "$(stat_of a auth_failed)$(stat_of b auth_failed)$(stat_of a replay_dropped)$(stat_of b replay_dropped)" = 0000
check "migrate: encap other than true/false refused" bash -c \
	"! '$UIPSECCTL' --socket '$T_TMP/a.sock' migrate-sa spi 0x2000 dir out dst 192.0.2.2 encap bogus"
stop_daemon a; stop_daemon b

# ------------------------------------------------------------ socket.raw_esp = no
gw_pair_confs aes128gcm16 "$crypto io-tun net-netlink" "$crypto io-tun net-netlink" "socket { raw_esp = no }"
start_daemon a "$NS_GA" "$T_TMP/a.conf" || not_ok "raw_esp = no: daemon starts"
check "raw_esp = no: add-sa with encap none refused, naming the setting" bash -c \
	"'$UIPSECCTL' --socket '$T_TMP/a.sock' add-sa src 192.0.2.1 dst 192.0.2.2 spi 0x3000 dir out esp aes128gcm16 key $(gen_key 20) encap none 2>&1 | grep -q raw_esp"
check "raw_esp = no: no raw socket open" bash -c "! grep -q 'raw ESP on' '$T_TMP/a.log'"
stop_daemon a
finish
