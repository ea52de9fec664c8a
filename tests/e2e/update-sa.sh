#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# update-sa under traffic (issue 11 item 2): SAs added with uipsecctl carry
# pings every 20 ms; A's outbound SA is updated with the same keys and a
# new peer port (B redirects that port to 4500 with nftables). On the wire
# (capture on A's outer link) the ESP sequence numbers of A's SA keep
# increasing across the update (no restart, no repeat: a repeat with the
# same key reuses an AES-GCM nonce), the packets after it go to the new
# port, and no ping is lost. Subscribers see sa-updated, not a delete and
# an add; a failed update leaves the SA working.
. "$(dirname "$0")/lib.sh"
require_root_tools jq ping tcpdump nft python3
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"

net2net_topo uipt-dp-upd$$
K1=$(gen_key 20) K2=$(gen_key 20)
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

check "gateway A: SAs, policies and route" ctl_gateway a "$NS_GA" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 0x1000 0x2000 "$K2" "$K1"
check "gateway B: SAs, policies and route" ctl_gateway b "$NS_GB" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 0x2000 0x1000 "$K1" "$K2"
# B also takes ESP on UDP 4501: the peer port A moves to
nsx "$NS_GB" nft -f - <<'NFT'
table ip uipt_upd {
	chain pre {
		type nat hook prerouting priority -100;
		udp dport 4501 redirect to :4500
	}
}
NFT
check "ping before the update" nsx "$NS_HA" ping -c 2 -i 0.1 -W 2 10.2.0.2

"$UIPSECCTL" --socket "$T_TMP/a.sock" --json monitor >"$T_TMP/monitor" 2>&1 &
MON=$!
T_PIDS+=("$MON")
ip netns exec "$NS_GA" tcpdump -n -U --immediate-mode -i out0 -w "$T_TMP/wire.pcap" 'udp and src host 192.0.2.1' >"$T_TMP/tcpdump.log" 2>&1 &
DUMP=$!
T_PIDS+=("$DUMP")
for _ in $(seq 50); do grep -q listening "$T_TMP/tcpdump.log" && break; sleep 0.1; done

nsx "$NS_HA" ping -c 150 -i 0.02 -W 2 10.2.0.2 >"$T_TMP/ping" 2>&1 &
PING=$!
sleep 1
check "update-sa of A's outbound SA: same key, peer port 4501" \
	ctl a update-sa src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2000 dir out reqid 1000 esp aes128gcm16 key "$K1" \
	tunnel adhoc encap espinudp 4500 4501
sleep 0.5
bad_key=0x$(printf '%.0s00' $(seq 7))
check "update-sa with a wrong key length is refused" bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' update-sa src 192.0.2.1 \
	dst 192.0.2.2 proto esp spi 0x2000 dir out reqid 1000 esp aes128gcm16 key $bad_key encap espinudp 4500 4501 2>'$T_TMP/bad.err' \
	&& grep -qi key '$T_TMP/bad.err'"
wait $PING
check "no ping lost across the updates (150 sent, 150 received)" grep -q '150 packets transmitted, 150 received' "$T_TMP/ping"

# wire_seqs: ESP-in-UDP packets of SPI 0x2000 in the capture, in order: "port seq"
wire_seqs() { python3 "$(dirname "$0")/esp_wire.py" "$T_TMP/wire.pcap" 0x2000 | awk '{ print $2, $3 }'; }
# a loaded machine: tcpdump may still be catching up with the last packets
for _ in $(seq 50); do [ "$(wire_seqs | wc -l)" -ge 150 ] && break; sleep 0.1; done
kill -TERM $DUMP 2>/dev/null; wait $DUMP 2>/dev/null   # a background job ignores SIGINT
kill -INT $MON 2>/dev/null; wait $MON 2>/dev/null
wire_seqs >"$T_TMP/seqs"
diag "on the wire: $(wc -l <"$T_TMP/seqs") ESP packets; first $(head -1 "$T_TMP/seqs"), last $(tail -1 "$T_TMP/seqs")"
diag "gaps: $(awk 'NR > 1 && $2 != last + 1 { printf "%s..%s ", last, $2 } { last = $2 }' "$T_TMP/seqs")"
# what the capture missed, tcpdump counts (a loaded machine); the rest must be there
drops=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$T_TMP/tcpdump.log")
check "capture holds the 150 echo requests (with the ${drops:-0} tcpdump says it dropped)" \
	bash -c "[ \$(( \$(wc -l <'$T_TMP/seqs') + ${drops:-0} )) -ge 150 ]"
check "ESP sequence numbers strictly increase across the update (no restart, no repeat)" \
	awk 'NR > 1 && $2 <= last { print "seq " $2 " after " last; bad = 1 } { last = $2 } END { exit bad }' "$T_TMP/seqs"
check "packets go to port 4500, then (after the update) only to 4501" \
	awk '$1 == 4501 { moved = 1; n++ } $1 == 4500 && moved { print "4500 after 4501: seq " $2; bad = 1 }
	     $1 != 4500 && $1 != 4501 { bad = 1 } $1 == 4500 { before++ }
	     END { if (before < 10 || n < 50) { print before " before, " n " after"; bad = 1 } exit bad }' "$T_TMP/seqs"
check "list-sas: the SA sends to 4501, its counters continued (>= 152 packets)" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -e '.[] | select(.spi == 8192 and .direction == \"out\") | .dst_port == 4501 and .packets >= 152'"
check "monitor: one sa-updated for SPI 0x2000, no sa-down / sa-up" \
	jq -s -e '([.[] | select(.event == "sa-updated" and .data.spi == 8192 and .data.direction == "out")] | length == 1)
	          and all(.[]; .event != "sa-down" and .event != "sa-up")' "$T_TMP/monitor"
check "ping after the update" nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2
check "daemons stop cleanly" stop_daemons
finish
