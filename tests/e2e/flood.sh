#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Robustness: while a TCP transfer runs through the tunnel, a flood of
# garbage and wrong-SPI datagrams hits the receiver's port 4500. The
# transfer completes, the counters show the drops, and the daemon's memory
# stays flat (bounded queues, no per-packet allocation). Then the same with
# the tunnel in raw ESP (encap = no) and a flood of garbage IP protocol 50
# packets (the raw sockets get every one of them).
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}
require_tunnel_pair iperf3 jq

A=uipt-dp-flood-$U-a B=uipt-dp-flood-$U-b
tunnel_pair $A $B

# flood_case udp|raw: the transfer under the flood, on the running pair
flood_case() {
local mode=$1 t="" b0 a0 c
[ "$mode" = raw ] && t="raw ESP: "
check "${t}tunnel works" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1

# warm up (buffers, crypto contexts), then take the baseline
tcp_transfer $A $B 10.2.0.1 5M >/dev/null 2>&1
rss0=$(rss_kib "$PID_b")
before=$("$UIPSECCTL" --socket "$T_TMP/b.sock" --json stats)

nsx $B iperf3 -s -1 -D -I "$T_TMP/iperf.pid" >/dev/null 2>&1
sleep 0.3
# the flood: random garbage, wrong SPIs with random bodies, truncated headers
nsx $A "$PY" - 6 "$mode" <<'PYEOF' &
import os, random, socket, struct, sys, time
end = time.time() + float(sys.argv[1])
if sys.argv[2] == "raw":
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ESP)   # the kernel adds the IP header
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
blobs = [os.urandom(random.randint(1, 1400)) for _ in range(64)]
wrong = [struct.pack('>II', random.randint(0x10000, 0xffffffff), i) + os.urandom(random.randint(16, 1400))
         for i in range(64)]
short = [os.urandom(n) for n in range(1, 8)]
n = 0
while time.time() < end:
    for pool in (blobs, wrong, short):
        for b in pool:
            try:
                s.sendto(b, ('192.0.2.2', 4500))
                n += 1
            except BlockingIOError:
                pass
print("flood sent", n, file=sys.stderr)
PYEOF
flood=$!
nsx $A timeout 30 iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 5 -J >"$T_TMP/iperf.json" 2>&1
rc=$?
wait $flood
kill "$(cat "$T_TMP/iperf.pid" 2>/dev/null)" 2>/dev/null
mbit=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' "$T_TMP/iperf.json" 2>/dev/null)
diag "${t}transfer under flood: ${mbit:-?} Mbit/s"
check "${t}TCP transfer completes under the flood" test "$rc" = 0 -a "${mbit:-0}" -gt 0
after=$("$UIPSECCTL" --socket "$T_TMP/b.sock" --json stats)
for c in bad_spi malformed; do
	b0=$(jq -r ".$c // .stats.$c" <<<"$before"); a0=$(jq -r ".$c // .stats.$c" <<<"$after")
	diag "$c: $b0 -> $a0"
	check "${t}flood counted as $c" test "$((a0 - b0))" -gt 1000
done
if [ "$mode" = raw ]; then
	b0=$(jq -r .raw_esp_rx <<<"$before"); a0=$(jq -r .raw_esp_rx <<<"$after")
	check "raw ESP: the flood went through the raw sockets (raw_esp_rx $b0 -> $a0)" test "$((a0 - b0))" -gt 3000
fi
qd=$(jq -r '.queue_dropped // .stats.queue_dropped' <<<"$after")
diag "queue_dropped (kernel socket queue overflows): $qd"
rss1=$(rss_kib "$PID_b")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$PID_b/status")
diag "daemon B RSS before ${rss0} KiB, after ${rss1} KiB, peak ${hwm} KiB"
check "${t}RSS stays flat under the flood (grew < 4 MiB)" test $((rss1 - rss0)) -lt 4096
check "${t}peak RSS below 64 MiB" test "$hwm" -lt 65536
check "${t}tunnel still works after the flood" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
}

flood_case udp
# the same tunnel in raw ESP
stop_daemon a; stop_daemon b
sed -i 's/^\( *\)esp = aes128gcm16$/&\n\1encap = no/' "$T_TMP/a.conf" "$T_TMP/b.conf"
start_daemon a $A "$T_TMP/a.conf" || not_ok "raw ESP: daemon A starts"
start_daemon b $B "$T_TMP/b.conf" || not_ok "raw ESP: daemon B starts"
check "raw ESP: the tunnel is in raw ESP" bash -c "'$UIPSECCTL' --socket '$T_TMP/b.sock' --json list-tunnels | jq -e '.[0].encap == \"none\"'"
flood_case raw
finish
