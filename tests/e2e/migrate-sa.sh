#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# migrate-sa under traffic: SAs added with uipsecctl carry pings every
# 20 ms; A's outbound SA moves to a second address of B (192.0.2.12) and
# port 4501, which B's nftables translate to 192.0.2.2:4500. On the wire
# (capture on A's outer link) the sequence numbers of the SA continue
# across the move (no reset to 1, no repeat), the packets after it go to
# the new endpoint, and no ping is lost. Then the error cases: not-found,
# nothing to change, an inbound (SPI, dst) that exists already.
. "$(dirname "$0")/lib.sh"
require_root_tools jq ping tcpdump nft python3
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"

net2net_topo uipt-ctl-mig$$
K1=$(gen_key 20) K2=$(gen_key 20)
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

check "gateway A: SAs, policies and route" ctl_gateway a "$NS_GA" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 0x1000 0x2000 "$K2" "$K1"
check "gateway B: SAs, policies and route" ctl_gateway b "$NS_GB" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 0x2000 0x1000 "$K1" "$K2"
# B's second address, where A moves to: ESP on 192.0.2.12:4501 reaches B's 4500
ip -n "$NS_GB" addr add 192.0.2.12/24 dev out0
nsx "$NS_GB" nft -f - <<'NFT'
table ip uipt_mig {
	chain pre {
		type nat hook prerouting priority -100;
		ip daddr 192.0.2.12 udp dport 4501 dnat to 192.0.2.2:4500
	}
}
NFT
check "ping before the migration" nsx "$NS_HA" ping -c 2 -i 0.1 -W 2 10.2.0.2

"$UIPSECCTL" --socket "$T_TMP/a.sock" --json monitor sa-up sa-down sa-updated >"$T_TMP/monitor" 2>&1 &
MON=$!
T_PIDS+=("$MON")
ip netns exec "$NS_GA" tcpdump -n -U --immediate-mode -i out0 -w "$T_TMP/wire.pcap" 'udp and src host 192.0.2.1' >"$T_TMP/tcpdump.log" 2>&1 &
DUMP=$!
T_PIDS+=("$DUMP")
for _ in $(seq 50); do grep -q listening "$T_TMP/tcpdump.log" && break; sleep 0.1; done

nsx "$NS_HA" ping -c 150 -i 0.02 -W 2 10.2.0.2 >"$T_TMP/ping" 2>&1 &
PING=$!
sleep 1
check "migrate-sa of A's outbound SA to 192.0.2.12 port 4501" \
	ctl a migrate-sa spi 0x2000 dir out dst 192.0.2.2 new-dst 192.0.2.12 new-dport 4501
wait $PING
check "no ping lost across the migration (150 sent, 150 received)" grep -q '150 packets transmitted, 150 received' "$T_TMP/ping"

# wire_seqs: ESP-in-UDP packets of SPI 0x2000 in the capture, in order: "dst:port seq"
wire_seqs() { python3 "$(dirname "$0")/esp_wire.py" "$T_TMP/wire.pcap" 0x2000 | awk '{ print $1 ":" $2, $3 }'; }
for _ in $(seq 50); do [ "$(wire_seqs | wc -l)" -ge 150 ] && break; sleep 0.1; done
kill -TERM $DUMP 2>/dev/null; wait $DUMP 2>/dev/null
kill -INT $MON 2>/dev/null; wait $MON 2>/dev/null
wire_seqs >"$T_TMP/seqs"
diag "on the wire: $(wc -l <"$T_TMP/seqs") ESP packets; first $(head -1 "$T_TMP/seqs"), last $(tail -1 "$T_TMP/seqs")"
diag "gaps: $(awk 'NR > 1 && $2 != last + 1 { printf "%s..%s ", last, $2 } { last = $2 }' "$T_TMP/seqs")"
# what the capture missed, tcpdump counts (a loaded machine); the rest must be there
drops=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$T_TMP/tcpdump.log")
check "capture holds the 150 echo requests (with the ${drops:-0} tcpdump says it dropped)" \
	bash -c "[ \$(( \$(wc -l <'$T_TMP/seqs') + ${drops:-0} )) -ge 150 ]"
check "ESP sequence numbers strictly increase across the migration (no reset, no repeat)" \
	awk 'NR > 1 && $2 <= last { print "seq " $2 " after " last; bad = 1 } { last = $2 } END { exit bad }' "$T_TMP/seqs"
check "packets go to 192.0.2.2:4500, then only to 192.0.2.12:4501" \
	awk '$1 == "192.0.2.12:4501" { moved = 1; n++ } $1 == "192.0.2.2:4500" && moved { print "old endpoint after the move: seq " $2; bad = 1 }
	     $1 != "192.0.2.2:4500" && $1 != "192.0.2.12:4501" { bad = 1 } $1 == "192.0.2.2:4500" { before++ }
	     END { if (before < 10 || n < 50) { print before " before, " n " after"; bad = 1 } exit bad }' "$T_TMP/seqs"
check "list-sas: the SA sends to 192.0.2.12:4501, keys and counters kept (>= 152 packets)" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -e '.[] | select(.spi == 8192 and .direction == \"out\") | .dst == \"192.0.2.12\" and .dst_port == 4501 and .packets >= 152 and .reqid == 1000'"
check "monitor: one sa-updated for SPI 0x2000, no sa-down / sa-up" \
	jq -s -e '([.[] | select(.event == "sa-updated" and .data.spi == 8192 and .data.direction == "out")] | length == 1)
	          and all(.[]; .event != "sa-down" and .event != "sa-up")' "$T_TMP/monitor"

# errors
err_code() {   # err_code CODE ARGS...: uipsecctl --json fails and names CODE
	"$UIPSECCTL" --socket "$T_TMP/a.sock" --json "${@:2}" >"$T_TMP/err.out" 2>&1 && return 1
	grep -q "$1" "$T_TMP/err.out" || { cat "$T_TMP/err.out"; false; }
}
check "migrate-sa of a missing SA: not-found" err_code not-found migrate-sa spi 0x7777 dir out dst 192.0.2.2 new-dport 4501
check "migrate-sa by the old dst after the move: not-found" err_code not-found migrate-sa spi 0x2000 dir out dst 192.0.2.2 new-dport 4500
check "migrate-sa with nothing to change: invalid-argument" err_code invalid-argument migrate-sa spi 0x2000 dir out dst 192.0.2.12
check "migrate-sa to another family: invalid-argument" err_code invalid-argument migrate-sa spi 0x2000 dir out dst 192.0.2.12 new-dst 2001:db8::2
ctl a add-sa src 192.0.2.2 dst 192.0.2.9 proto esp spi 0x1000 dir in reqid 1000 esp aes128gcm16 key "$K2" any >/dev/null
check "migrate-sa onto an existing inbound (SPI, dst): exists" err_code exists migrate-sa spi 0x1000 dir in dst 192.0.2.1 new-dst 192.0.2.9
check "inbound migration of A's SA 0x1000 (reqid only) keeps it working" ctl a migrate-sa spi 0x1000 dir in dst 192.0.2.1 new-reqid 1000
check "ping after the migrations" nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2
check "daemons stop cleanly" stop_daemons
finish
