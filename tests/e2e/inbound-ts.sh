#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Inbound checks for every SA: authenticated ESP packets (encrypted by
# scapy with the SA's keys, sent from the peer's address and port 4500)
# whose inner source lies inside the SA's selectors reach the TUN device;
# those outside are dropped and counted in policy_dropped, exactly once
# each, globally and on the SA. For a configured tunnel and for SAs added
# over the control socket: with local_ts/remote_ts, with selectors taken
# from dir in policies, and with "any" (where dir in policies still apply).
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
require_root_tools tcpdump jq
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
"$PY" -c 'import scapy.layers.ipsec' 2>/dev/null || skip_all "python3-scapy not installed"

A=uipt-dp-its-$U-a B=uipt-dp-its-$U-b
two_gateways $A $B
ctl() { "$UIPSECCTL" --socket "$T_TMP/a.sock" "$@"; }
KT=$(gen_key 20) K1=$(gen_key 20) K2=$(gen_key 20) K3=$(gen_key 20)   # one key per SA: no GCM nonce reuse

# Only A runs uipsecd; B is the peer holding the keys, played by scapy.
daemon_conf "$T_TMP/a.conf" a "load = crypto-openssl io-tun net-netlink"
tunnel_conf "$T_TMP/a.conf" b 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$KT" "$(gen_key 20)"
start_daemon a $A "$T_TMP/a.conf" || { echo "Bail out! uipsecd did not start"; exit 1; }
# no IPv6 router solicitations from the TUN device: they have no policy and
# would count in policy_dropped beside the injected packets
nsx $A sysctl -qw net.ipv6.conf.uipsec0.disable_ipv6=1

# inject SPI KEY SRC COUNT [SRC COUNT...]: COUNT ICMP echo requests SRC ->
# 10.1.0.1 through SA SPI, sequence numbers continuing per SPI
inject() {
	local spi=$1 key=$2; shift 2
	local seqf="$T_TMP/seq-$spi"
	nsx $B "$PY" - "$spi" "$key" "$(cat "$seqf" 2>/dev/null || echo 0)" "$@" >"$seqf" <<'PYEOF'
import sys
from scapy.all import ICMP, IP, UDP, Raw, raw, send
from scapy.layers.ipsec import ESP, SecurityAssociation
spi, key, seq = int(sys.argv[1], 0), bytes.fromhex(sys.argv[2][2:]), int(sys.argv[3])
sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=key,
                         tunnel_header=IP(src="192.0.2.2", dst="192.0.2.1"),
                         nat_t_header=UDP(sport=4500, dport=4500))
sa.seq_num = seq + 1
args = sys.argv[4:]
for src, n in zip(args[::2], args[1::2]):
    for i in range(int(n)):
        e = sa.encrypt(IP(src=src, dst="10.1.0.1") / ICMP(id=0x5151, seq=i) / (b"inbound" * 4))
        # scapy leaves the NAT-T UDP length at 8: rebuild the outer headers
        esp = raw(e)[e[IP].ihl * 4 + 8:]
        send(IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500) / Raw(esp), verbose=0)
print(sa.seq_num - 1)
PYEOF
}

# on_tun SRC: ICMP echo requests from SRC written to A's TUN device
on_tun() { grep -c "IP $1 > 10.1.0.1: ICMP echo request" "$T_TMP/tun.txt"; }
# the SA's policy_dropped (0 when the SA or the counter is missing)
sa_dropped() { ctl --json list-sas | jq "[.[] | select(.spi == $(($1)) and .direction == \"in\") | .policy_dropped // 0] | add // 0"; }

# run CASE SPI KEY IN_SRC IN_N OUT_SRC OUT_N: inject both, check delivery and counters
run() {
	local name=$1 spi=$2 key=$3 in_src=$4 in_n=$5 out_src=$6 out_n=$7
	local g0 s0 g1 s1
	g0=$(stat_of a policy_dropped); s0=$(sa_dropped "$spi")
	ctl --json stats >"$T_TMP/stats0"
	# not through nsx (a function: $! would be a subshell, not tcpdump)
	ip netns exec $A tcpdump -l -n -i uipsec0 icmp >"$T_TMP/tun.txt" 2>/dev/null &
	local td=$!
	sleep 0.7
	inject "$spi" "$key" "$in_src" "$in_n" "$out_src" "$out_n" || not_ok "$name: scapy injection"
	sleep 0.5
	kill $td; wait $td 2>/dev/null
	g1=$(stat_of a policy_dropped); s1=$(sa_dropped "$spi")
	ctl --json stats >"$T_TMP/stats1"
	diag "$name: counters that moved: $(jq -c -n --slurpfile a "$T_TMP/stats0" --slurpfile b "$T_TMP/stats1" '$b[0] | to_entries | map(select(.value != $a[0][.key])) | map({(.key): (.value - $a[0][.key])}) | add')"
	local n_in n_out
	n_in=$(on_tun "$in_src"); n_out=$(on_tun "$out_src")
	check "$name: $in_n packets from $in_src (inside) reach the TUN device ($n_in)" test "$n_in" = "$in_n"
	check "$name: none of $out_n packets from $out_src (outside) reaches it ($n_out)" test "$n_out" = 0
	check "$name: policy_dropped +$out_n ($g0 -> $g1)" test "$((g1 - g0))" = "$out_n"
	check "$name: the SA's policy_dropped +$out_n ($s0 -> $s1)" test "$((s1 - s0))" = "$out_n"
}

run "configured tunnel" 0x1000 "$KT" 10.2.0.1 4 10.9.0.1 5

# control-added, selectors given as an IKE daemon does (SA before policies)
check "add-sa dir in with local-ts/remote-ts" ctl add-sa src 192.0.2.2 dst 192.0.2.1 spi 0x3000 dir in reqid 7 \
	esp aes128gcm16 key "$K1" local-ts 10.1.0.0/24 remote-ts 10.4.0.0/24,10.44.0.0/24
run "add-sa local_ts/remote_ts" 0x3000 "$K1" 10.4.0.1 3 10.5.0.1 6

# control-added without selectors: refused until a dir in policy names its reqid
check "add-sa dir in without selectors or policies: refused" \
	bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' add-sa src 192.0.2.2 dst 192.0.2.1 spi 0x3001 dir in reqid 8 esp aes128gcm16 key $K2"
check "add-policy dir in 10.6.0.0/24 -> 10.1.0.0/24 reqid 8" ctl add-policy src 10.6.0.0/24 dst 10.1.0.0/24 dir in reqid 8
check "add-sa dir in, selectors from the in-policies" ctl add-sa src 192.0.2.2 dst 192.0.2.1 spi 0x3001 dir in reqid 8 \
	esp aes128gcm16 key "$K2"
run "add-sa, in-policies" 0x3001 "$K2" 10.6.0.1 2 10.4.0.1 3

# "any": no selectors of its own, but a dir in policy of another reqid still wins
check "add-sa dir in any" ctl add-sa src 192.0.2.2 dst 192.0.2.1 spi 0x3002 dir in reqid 9 esp aes128gcm16 key "$K3" any
run "add-sa any (tunnel's in-policy, reqid 1)" 0x3002 "$K3" 10.7.0.1 2 10.2.0.1 4

check "uipsecd still runs" kill -0 "$PID_a"
stop_daemon a
finish
