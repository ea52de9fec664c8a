#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uipsecctl stats --prometheus against two gateways with a tunnel and
# traffic: the global counters, uipsec_tunnel_up per tunnel and the per-SA
# series (labels tunnel, spi, direction, owner, peer) pass promtool check
# metrics (Prometheus' own parser and linter), each family's HELP/TYPE comes
# once and its samples together, the values are list-sas', a label value
# with a quote, a backslash and a newline is escaped, and a tunnel taken
# down shows 0 and loses its SA series.
. "$(dirname "$0")/lib.sh"
require_tunnel_pair promtool jq

A=uipt-dp-prom-$U-a B=uipt-dp-prom-$U-b
tunnel_pair $A $B
prom() { ctl a stats --prometheus >"$T_TMP/$1.prom" 2>"$T_TMP/$1.err"; }
# sample FILE NAME LABELS: the value of one series (exact label set)
sample() { awk -v s="$2$3" 'index($0, s " ") == 1 { print $NF }' "$1"; }

check "traffic through the tunnel (10 pings 10.1.0.1 -> 10.2.0.1)" \
	nsx $A ping -c 10 -i 0.05 -W 2 -I 10.1.0.1 10.2.0.1
# a hand-made SA whose label needs escaping: " \ and a newline
check "an SA labelled 'we\"ird\\<newline>x' (uipsecctl add-sa)" \
	ctl a add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3000 dir out esp aes128gcm16 key "$(gen_key 20)" \
	tunnel "$(printf 'we"ird\\\nx')" owner ike
check "stats --prometheus exits 0" prom up
check "promtool check metrics: no error, no lint problem" \
	bash -c "promtool check metrics < '$T_TMP/up.prom'"

owner=$(ctl a --json list-sas | jq -r '.[] | select(.spi == 8192) | .owner')
lbl_out="{tunnel=\"b\",spi=\"0x00002000\",direction=\"out\",owner=\"$owner\",peer=\"192.0.2.2\"}"
lbl_in="{tunnel=\"b\",spi=\"0x00001000\",direction=\"in\",owner=\"$owner\",peer=\"192.0.2.2\"}"
check "uipsec_tunnel_up{tunnel=\"b\"} 1" [ "$(sample "$T_TMP/up.prom" uipsec_tunnel_up '{tunnel="b"}')" = 1 ]
pkts_out=$(sample "$T_TMP/up.prom" uipsec_sa_packets_total "$lbl_out")
pkts_in=$(sample "$T_TMP/up.prom" uipsec_sa_packets_total "$lbl_in")
check "per-SA packets: >= 10 out ($pkts_out) and in ($pkts_in), owner $owner" \
	test "${pkts_out:-0}" -ge 10 -a "${pkts_in:-0}" -ge 10
sas=$(ctl a --json list-sas)
check "per-SA bytes and packets equal list-sas' (traffic has stopped)" \
	test "$(jq '.[] | select(.spi == 8192) | .bytes' <<<"$sas")" = "$(sample "$T_TMP/up.prom" uipsec_sa_bytes_total "$lbl_out")" \
	-a "$(jq '.[] | select(.spi == 4096) | .packets' <<<"$sas")" = "$pkts_in"
check "per-SA error counters and timestamps are there (auth_failed 0, last use set)" \
	bash -c "[ '$(sample "$T_TMP/up.prom" uipsec_sa_auth_failed_total "$lbl_in")' = 0 ] &&
		[ '$(sample "$T_TMP/up.prom" uipsec_sa_replay_dropped_total "$lbl_in")' = 0 ] &&
		[ '$(sample "$T_TMP/up.prom" uipsec_sa_last_use_timestamp_seconds "$lbl_out")' -gt 1700000000 ] &&
		[ '$(sample "$T_TMP/up.prom" uipsec_sa_added_timestamp_seconds "$lbl_out")' -gt 1700000000 ]"
check "an SA without a hard lifetime has no uipsec_sa_lifetime_remaining_seconds sample" \
	bash -c "! grep -q '^uipsec_sa_lifetime_remaining_seconds{tunnel=\"b\"' '$T_TMP/up.prom'"
check "global counters still there: uipsec_tx_packets_total >= 10" \
	bash -c "[ \$(awk '\$1 == \"uipsec_tx_packets_total\" { print \$2 }' '$T_TMP/up.prom') -ge 10 ]"
check "label value escaped: tunnel=\"we\\\"ird\\\\\\nx\", owner ike" \
	grep -qF 'uipsec_sa_packets_total{tunnel="we\"ird\\\nx",spi="0x00003000",direction="out",owner="ike",peer="192.0.2.3"} 0' "$T_TMP/up.prom"
check "HELP and TYPE once per family, TYPE right after HELP" \
	bash -c "[ -z \"\$(grep '^# TYPE' '$T_TMP/up.prom' | awk '{print \$3}' | sort | uniq -d)\" ] &&
		[ \$(grep -c '^# HELP' '$T_TMP/up.prom') = \$(grep -c '^# TYPE' '$T_TMP/up.prom') ] &&
		awk '/^# HELP/ { h = \$3; next } /^# TYPE/ { if (\$3 != h) exit 1 }' '$T_TMP/up.prom'"
check "each family's samples are together (no family interleaved with another)" \
	bash -c "grep -v '^#' '$T_TMP/up.prom' | sed 's/[{ ].*//' | uniq | sort | uniq -d | grep . && exit 1 || exit 0"
check "naming: uipsec_ prefix, counters end in _total, gauges do not" \
	bash -c "awk '/^# TYPE/ { if (\$3 !~ /^uipsec_/) exit 1; if (\$4 == \"counter\" && \$3 !~ /_total\$/) exit 1; if (\$4 == \"gauge\" && \$3 ~ /_total\$/) exit 1 }' '$T_TMP/up.prom'"

check "uipsecctl down b" ctl a down b
check "stats --prometheus after down: exit 0, promtool clean" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' stats --prometheus > '$T_TMP/down.prom' && promtool check metrics < '$T_TMP/down.prom'"
check "after down: uipsec_tunnel_up{tunnel=\"b\"} 0, no SA series of tunnel b" \
	bash -c "grep -qx 'uipsec_tunnel_up{tunnel=\"b\"} 0' '$T_TMP/down.prom' && ! grep -q '^uipsec_sa_[a-z_]*{tunnel=\"b\"' '$T_TMP/down.prom'"
check "daemon A stops cleanly" stop_daemon a
check "daemon B stops cleanly" stop_daemon b
finish
