#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The mapping event: SAs added over the control socket; B's ESP packets
# start leaving from UDP port 4501 (a stateless nftables rewrite on B, as
# a NAT that changed its mapping would do). A raises `mapping` once for
# the change (SPI, old and new endpoint) however many packets follow, and
# does not move its outbound SA: the IKE daemon decides. A later change
# (back to 4500 and on to 4502) is reported once more, as is a migrate-sa
# that moves the outbound SA away from where the peer is. Configured tunnels
# still rebind themselves (tests/e2e/nat.sh).
. "$(dirname "$0")/lib.sh"
require_root_tools jq ping nft
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"

net2net_topo uipt-ctl-map$$
K1=$(gen_key 20) K2=$(gen_key 20)
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

check "gateway A: SAs, policies and route" ctl_gateway a "$NS_GA" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 0x1000 0x2000 "$K2" "$K1"
check "gateway B: SAs, policies and route" ctl_gateway b "$NS_GB" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 0x2000 0x1000 "$K1" "$K2"
check "ping before the change" nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2

"$UIPSECCTL" --socket "$T_TMP/a.sock" --json monitor mapping >"$T_TMP/monitor" 2>&1 &
MON=$!
T_PIDS+=("$MON")
sleep 0.3
# sport_rewrite PORT: B's ESP to A leaves from PORT (no conntrack: every packet)
sport_rewrite() {
	nsx "$NS_GB" nft delete table ip uipt_map 2>/dev/null
	[ "$1" = 4500 ] && return 0
	nsx "$NS_GB" nft -f - <<NFT
table ip uipt_map {
	chain out {
		type filter hook output priority 0;
		ip daddr 192.0.2.1 udp sport 4500 udp sport set $1
	}
}
NFT
}
check "B's ESP now leaves from port 4501" sport_rewrite 4501
check "20 pings still pass (A still sends to 4500)" nsx "$NS_HA" ping -c 20 -i 0.05 -W 2 10.2.0.2
sleep 0.5
check "monitor: one mapping event for 20 packets" bash -c "[ \$(jq -s '[.[] | select(.event == \"mapping\")] | length' '$T_TMP/monitor') = 1 ] || cat '$T_TMP/monitor'"
check "mapping: SPI 0x1000 (in), our 192.0.2.1, from 192.0.2.2:4500 to 192.0.2.2:4501" \
	jq -s -e '.[0].data | .spi == 4096 and .direction == "in" and .reqid == 1000 and .dst == "192.0.2.1"
	          and .old_src == "192.0.2.2" and .old_sport == 4500 and .new_src == "192.0.2.2" and .new_sport == 4501' "$T_TMP/monitor"
check "A did not move its outbound SA (still 192.0.2.2:4500)" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-sas | jq -e '.[] | select(.spi == 8192 and .direction == \"out\") | .dst == \"192.0.2.2\" and .dst_port == 4500'"

sleep 1.1   # past the rate limit
sport_rewrite 4500
nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2 >/dev/null
check "B's ESP now from port 4502" sport_rewrite 4502
check "pings pass" nsx "$NS_HA" ping -c 5 -i 0.1 -W 2 10.2.0.2
sleep 0.5
check "monitor: a second mapping event, to 4502 (back to 4500 is where A sends: none)" \
	jq -s -e '[.[] | select(.event == "mapping") | .data.new_sport] == [4501, 4502]' "$T_TMP/monitor"
# the IKE daemon follows the peer: no event after the migration
check "migrate-sa of A's outbound SA to port 4502" ctl a migrate-sa spi 0x2000 dir out dst 192.0.2.2 new-dport 4502
ip netns exec "$NS_GB" nft -f - <<'NFT'
table ip uipt_map_in {
	chain pre {
		type filter hook prerouting priority -300;
		udp dport 4502 udp dport set 4500
	}
}
NFT
check "pings pass after the migration" nsx "$NS_HA" ping -c 5 -i 0.1 -W 2 10.2.0.2
sleep 1.1
kill -INT $MON 2>/dev/null; wait $MON 2>/dev/null
check "monitor: no further mapping event" jq -s -e '[.[] | select(.event == "mapping")] | length == 2' "$T_TMP/monitor"
# moving the outbound SA away from where the peer is: reported again
nsx "$NS_GB" nft add rule ip uipt_map_in pre udp dport 4503 udp dport set 4500
"$UIPSECCTL" --socket "$T_TMP/a.sock" --json monitor mapping >"$T_TMP/monitor2" 2>&1 &
MON=$!
T_PIDS+=("$MON")
sleep 0.3
check "migrate-sa of A's outbound SA to port 4503 (B still sends from 4502)" ctl a migrate-sa spi 0x2000 dir out dst 192.0.2.2 new-dport 4503
check "pings pass" nsx "$NS_HA" ping -c 5 -i 0.1 -W 2 10.2.0.2
sleep 0.5
kill -INT $MON 2>/dev/null; wait $MON 2>/dev/null
check "monitor: one mapping event, 4503 -> 4502" \
	jq -s -e '[.[] | select(.event == "mapping") | [.data.old_sport, .data.new_sport]] == [[4503, 4502]]' "$T_TMP/monitor2"
check "daemons stop cleanly" stop_daemons
finish
