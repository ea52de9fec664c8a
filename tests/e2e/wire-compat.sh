#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Wire compatibility with code we did not write: ESP-in-UDP, and raw ESP
# (IP protocol 50, tunnels with encap = no; IPv4 and IPv6 outer), captured
# on the wire is decrypted by tshark's ESP dissector (esp_sa table) and by
# scapy (SecurityAssociation with nat_t_header, and without it for raw
# ESP); a packet encrypted by scapy is accepted by uipsecd. Tampered,
# replayed, wrong-SPI and malformed packets injected from the peer's side
# are dropped and counted (raw ESP exactly as its UDP twin) while traffic
# continues.
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
require_root_tools tcpdump jq
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
crypto=crypto-openssl; has_plugin $crypto || crypto=crypto-gcrypt
have_tshark=; command -v tshark >/dev/null && have_tshark=1
have_scapy=; "$PY" -c 'import scapy.layers.ipsec' 2>/dev/null && have_scapy=1
[ -n "$have_tshark$have_scapy" ] || skip_all "neither tshark nor python3-scapy installed"

A=uipt-dp-wire-$U-a B=uipt-dp-wire-$U-b
two_gateways $A $B
ip -n $A addr add 2001:db8::1/64 dev eth0 nodad
ip -n $B addr add 2001:db8::2/64 dev eth0 nodad

# run_case ESP TSHARK_ENC TSHARK_AUTH SCAPY_ENC SCAPY_AUTH [udp|none] [v4|v6]
run_case() {
	local esp=$1 t_enc=$2 t_auth=$3 s_enc=$4 s_auth=$5 encap=${6:-udp} outer=${7:-v4} sizes ks is
	local la=192.0.2.1 lb=192.0.2.2 fam=IPv4 filter="udp port 4500" xt="replay_window = 64" name=$1
	[ "$outer" = v6 ] && { la=2001:db8::1 lb=2001:db8::2 fam=IPv6; }
	if [ "$encap" = none ]; then
		xt="$xt
        encap = no"
		filter="ip proto 50"; [ "$outer" = v6 ] && filter="ip6 proto 50"
		name="$esp raw ESP $outer"
	fi
	local esp_kw=$esp esp=$name
	sizes=$(esp_key_sizes "$esp_kw"); ks=${sizes% *}; is=${sizes#* }
	local kab kba iab= iba=
	kab=$(gen_key "$ks") kba=$(gen_key "$ks")          # A->B, B->A
	[ "$is" != 0 ] && { iab=$(gen_key "$is"); iba=$(gen_key "$is"); }
	rm -f "$T_TMP/a.conf" "$T_TMP/b.conf"
	daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
	daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
	tunnel_conf "$T_TMP/a.conf" b $la $lb 10.1.0.0/24 10.2.0.0/24 $esp_kw 0x1000 0x2000 "$kba" "$kab" "$iba" "$iab" "$xt"
	tunnel_conf "$T_TMP/b.conf" a $lb $la 10.2.0.0/24 10.1.0.0/24 $esp_kw 0x2000 0x1000 "$kab" "$kba" "$iab" "$iba" "$xt"
	start_daemon a $A "$T_TMP/a.conf" || { not_ok "$esp: daemon A starts"; return; }
	start_daemon b $B "$T_TMP/b.conf" || { not_ok "$esp: daemon B starts"; return; }

	local pcap="$T_TMP/${esp// /-}.pcap"
	nsx $A tcpdump -U --immediate-mode -n -i eth0 -w "$pcap" $filter 2>/dev/null &
	local td=$!
	sleep 0.7
	check "$esp: ping through the tunnel" nsx $A ping -c 3 -i 0.2 -W 2 -p 5a5a5a5a -I 10.1.0.1 10.2.0.1
	sleep 0.3
	kill $td; wait $td 2>/dev/null

	if [ -n "$have_tshark" ]; then
		local sa_ab="\"$fam\",\"$la\",\"$lb\",\"0x00002000\",\"$t_enc\",\"$kab\",\"$t_auth\",\"$iab\""
		local sa_ba="\"$fam\",\"$lb\",\"$la\",\"0x00001000\",\"$t_enc\",\"$kba\",\"$t_auth\",\"$iba\""
		tshark -n -r "$pcap" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
			-o "uat:esp_sa:$sa_ab" -o "uat:esp_sa:$sa_ba" -V 2>/dev/null >"$T_TMP/${esp// /-}.tshark"
		local req rep good
		req=$(grep -c 'Echo (ping) request' "$T_TMP/${esp// /-}.tshark")
		rep=$(grep -c 'Echo (ping) reply' "$T_TMP/${esp// /-}.tshark")
		good=$(grep -Ec '\[Good: True\]|Authentication Data \[correct\]' "$T_TMP/${esp// /-}.tshark")
		diag "tshark: $req echo requests, $rep echo replies decrypted; $good ICVs checked good"
		check "$esp: tshark decrypts our ESP both ways (10.1.0.1 <-> 10.2.0.1 ICMP)" \
			test "$req" -ge 2 -a "$rep" -ge 2
	fi
	if [ -n "$have_scapy" ]; then
		check "$esp: scapy decrypts the capture and sends a packet uipsecd accepts" \
			nsx $B "$PY" "$(dirname "$0")/esp_scapy.py" "$pcap" "$s_enc" "$s_auth" "$kab" "$iab" "$kba" "$iba" "$encap" $la $lb
	fi

	# Injection from B's side (from another port, as an attacker could)
	local before after
	before=$("$UIPSECCTL" --socket "$T_TMP/a.sock" --json stats)
	nsx $B "$PY" - "$pcap" "$encap" $la $lb <<'PYEOF'
import ipaddress, socket, sys, struct
# pcap reader (libpcap format, Ethernet): the first ESP packet B -> A
data = open(sys.argv[1], 'rb').read()
encap, a, b = sys.argv[2:5]
b_bytes = ipaddress.ip_address(b).packed
off, esp = 24, None
while off + 16 <= len(data):
    incl = struct.unpack('<I', data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = frame[14:]
    v6 = ip[0] >> 4 == 6
    ihl = 40 if v6 else (ip[0] & 15) * 4
    src = ip[8:24] if v6 else ip[12:16]
    if src == b_bytes and len(ip) > ihl + 16:
        esp = ip[ihl + (8 if encap == "udp" else 0):]
        break
assert esp, "no B->A ESP packet captured"
fam = socket.AF_INET6 if ":" in a else socket.AF_INET
if encap == "udp":
    s = socket.socket(fam, socket.SOCK_DGRAM)
    dst = (a, 4500)
else:
    # the twin of each UDP case as IP protocol 50
    s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ESP)
    dst = (a, 0)
s.sendto(esp, dst)                                    # replay: replay_dropped
# tampered: a fresh sequence number passes the replay pre-check, the ICV fails
t = bytearray(esp); t[4:8] = struct.pack('>I', 1000000); s.sendto(bytes(t), dst)   # auth_failed
t = bytearray(esp); t[3] ^= 0x77; s.sendto(bytes(t), dst)    # unknown SPI: bad_spi
s.sendto(esp[:6], dst)                               # truncated: malformed
PYEOF
	sleep 0.3
	after=$("$UIPSECCTL" --socket "$T_TMP/a.sock" --json stats)
	local c
	for c in replay_dropped auth_failed bad_spi malformed; do
		local b0 a0
		b0=$(jq -r ".$c // .stats.$c" <<<"$before"); a0=$(jq -r ".$c // .stats.$c" <<<"$after")
		check "$esp: injected packet counted as $c ($b0 -> $a0)" test "$a0" -gt "$b0"
	done
	check "$esp: traffic continues after the injections" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
	if [ "$encap" = none ]; then
		check "$esp: nothing counted as encap_mismatch" \
			test "$(jq -r .encap_mismatch <<<"$after")" = "$(jq -r .encap_mismatch <<<"$before")"
		# ESP in UDP for the raw SA: dropped in encap_mismatch, not decrypted
		before=$after
		nsx $B "$PY" -c "import socket,sys; s=socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM); s.sendto(bytes.fromhex('00001000000f4240') + bytes(64), (sys.argv[1], 4500))" $la
		sleep 0.3
		after=$("$UIPSECCTL" --socket "$T_TMP/a.sock" --json stats)
		check "$esp: ESP in UDP for the raw SA counted as encap_mismatch" \
			test "$(jq -r .encap_mismatch <<<"$after")" -gt "$(jq -r .encap_mismatch <<<"$before")"
	fi
	stop_daemon a; stop_daemon b
}

run_case aes128gcm16 "AES-GCM with 16 octet ICV [RFC4106]" "NULL" "AES-GCM" ""
run_case aes128-sha256 "AES-CBC [RFC3602]" "HMAC-SHA-256-128 [RFC4868]" "AES-CBC" "SHA2-256-128"
for outer in v4 v6; do
	run_case aes128gcm16 "AES-GCM with 16 octet ICV [RFC4106]" "NULL" "AES-GCM" "" none $outer
	run_case aes128-sha256 "AES-CBC [RFC3602]" "HMAC-SHA-256-128 [RFC4868]" "AES-CBC" "SHA2-256-128" none $outer
done
finish
