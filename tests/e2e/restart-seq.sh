#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sequence numbers survive a crash: gateway A (manual keys, aes128gcm16) is
# killed with SIGKILL and started again with the same keys. Its outbound
# SA must not start at 1 again (that would repeat GCM nonces, and B would
# drop the packets as replays): it starts above the reservation kept in
# uipsecd.state_dir. Checked on the wire at B (first ESP sequence number
# after the restart > last one before), by pings that work at once and by
# B's replay_dropped staying 0.
. "$(dirname "$0")/lib.sh"
require_root_tools tcpdump python3
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
crypto=crypto-openssl; has_plugin $crypto || crypto=crypto-gcrypt

A=uipt-dp-rs-$U-a B=uipt-dp-rs-$U-b
two_gateways $A $B

k1=$(gen_key 20) k2=$(gen_key 20)
daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/a.conf" b 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$k1" "$k2" "" "" "replay_window = 64"
tunnel_conf "$T_TMP/b.conf" a 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$k2" "$k1" "" "" "replay_window = 64"

# esp_seqs PCAP SPI: the sequence numbers of that SPI's ESP-in-UDP packets, in order
esp_seqs() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
want = int(sys.argv[2], 0)
endian = '<' if data[:4] == b'\xd4\xc3\xb2\xa1' else '>'
off = 24
while off + 16 <= len(data):
    incl = struct.unpack(endian + 'IIII', data[off:off + 16])[2]
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(pkt) < 14 + 20 + 8 + 8 or pkt[12:14] != b'\x08\x00' or pkt[14 + 9] != 17:
        continue
    ihl = (pkt[14] & 15) * 4
    udp = pkt[14 + ihl:]
    if struct.unpack('!H', udp[2:4])[0] != 4500:
        continue
    spi, seq = struct.unpack('!II', udp[8:16])
    if spi == want:
        print(seq)
PY
}

# capture NAME: tcpdump of ESP-in-UDP on B's eth0 until stop_capture
capture() {
	ip netns exec $B tcpdump -n -U --immediate-mode -i eth0 -w "$T_TMP/$1.pcap" 'udp port 4500' >"$T_TMP/tcpdump-$1.log" 2>&1 &
	CAP_PID=$!
	T_PIDS+=("$CAP_PID")
	for _ in $(seq 30); do grep -q listening "$T_TMP/tcpdump-$1.log" && break; sleep 0.1; done
}
stop_capture() {
	sleep 0.3
	kill -INT "$CAP_PID"
	for _ in $(seq 30); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
}

start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"

capture before
check "ping A -> B through the tunnel" nsx $A ping -c 5 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
stop_capture
last_before=$(esp_seqs "$T_TMP/before.pcap" 0x2000 | tail -1)
diag "last ESP sequence number from A before the restart: ${last_before:-none}"
[ -n "$last_before" ] && ok "ESP from A seen on the wire" || not_ok "ESP from A seen on the wire"

state_file=$(ls "$T_TMP"/a-state/b.00002000.*.seq 2>/dev/null | head -1)
check "A keeps a reservation file for its outbound SA (0600, no key)" bash -c \
	"[ -f '$state_file' ] && [ \"\$(stat -c %a '$state_file')\" = 600 ] && grep -q '^end [0-9]' '$state_file' && ! grep -qi '${k2#0x}' '$state_file'"
diag "$(tr '\n' ' ' <"$state_file" 2>/dev/null)"

# crash: no chance to write anything on the way out
kill -9 "$PID_a"
wait "$PID_a" 2>/dev/null
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts again"

capture after
check "ping A -> B at once after the restart (same keys)" nsx $A ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "ping B -> A after the restart" nsx $B ping -c 3 -i 0.2 -W 2 -I 10.2.0.1 10.1.0.1
stop_capture
first_after=$(esp_seqs "$T_TMP/after.pcap" 0x2000 | sed -n 1p)
diag "first ESP sequence number from A after the restart: ${first_after:-none}"
if [ -n "$first_after" ] && [ -n "$last_before" ] && [ "$first_after" -gt "$last_before" ]; then
	ok "first sequence number after the restart ($first_after) > last before ($last_before)"
else
	not_ok "first sequence number after the restart (${first_after:-none}) > last before (${last_before:-none})"
fi
rd=$(stat_of b replay_dropped)
[ "$rd" = 0 ] && ok "B dropped no replays (replay_dropped = 0)" || not_ok "B dropped no replays (replay_dropped = ${rd:-?})"
af=$(stat_of b auth_failed)
[ "$af" = 0 ] && ok "B: auth_failed = 0" || not_ok "B: auth_failed = ${af:-?}"
finish
