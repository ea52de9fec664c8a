#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The receive split of coalesced datagrams (UDP_GRO): any local process
# can send UDP_SEGMENT datagrams of up to 128 segments to port 4500. While
# a ping runs through the tunnel, 16 such datagrams of 128 segments each
# (8-byte wrong-SPI and 1-byte segments) hit the receiver, once queued up
# so that one socket read returns all 16 (2048 segments), once as they
# come. The daemon survives, every segment is counted (bad_spi /
# malformed), and the tunnel keeps passing traffic.
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}
PKTGEN=$(dirname "$0")/pktgen.py
require_tunnel_pair jq "$PY"
# the portable data path (configure --with-portable-datapath: what FreeBSD
# and macOS run) reads datagrams one by one, without UDP_GRO: nothing to split
"$UIPSECD" --version | grep -q 'data path portable' &&
	skip_all "needs UDP_GRO receive coalescing; this build has the portable data path"

A=uipt-dp-gro-$U-a B=uipt-dp-gro-$U-b
tunnel_pair $A $B
check "tunnel works" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
# without coalescing on the way in the test would prove nothing
check "the kernel hands UDP_SEGMENT datagrams to a UDP_GRO socket coalesced" \
	nsx $B "$PY" "$PKTGEN" gro-probe 192.0.2.2


# traffic through the tunnel all along (6 s: longer than what follows)
nsx $A ping -c 120 -i 0.05 -W 2 -I 10.1.0.1 10.2.0.1 >"$T_TMP/ping.out" 2>&1 &
ping_pid=$!
sleep 0.5

# all 16 wait in the socket of one worker (one source port): its next
# read returns them together, 2048 segments
before=$(stats_json b)
kill -STOP "$PID_b"
nsx $B "$PY" "$PKTGEN" gso-send 192.0.2.2 4500 16 128
kill -CONT "$PID_b"
sleep 1
check "daemon survives 16 x 128 segments in one read" kill -0 "$PID_b"
after=$(stats_json b)
bs=$(stat_delta "$before" "$after" bad_spi) mf=$(stat_delta "$before" "$after" malformed)
diag "one read: bad_spi +$bs, malformed +$mf"
check "every segment counted (bad_spi + malformed >= 2048)" test $((bs + mf)) -ge 2048
check "8-byte wrong-SPI segments counted as bad_spi (>= 1024)" test "$bs" -ge 1024
check "1-byte segments counted as malformed (>= 1024)" test "$mf" -ge 1024

# the same while the daemon reads as they arrive
before=$after
nsx $B "$PY" "$PKTGEN" gso-send 192.0.2.2 4500 16 128
sleep 1
check "daemon survives 16 x 128 segments as they come" kill -0 "$PID_b"
after=$(stats_json b)
bs=$(stat_delta "$before" "$after" bad_spi) mf=$(stat_delta "$before" "$after" malformed)
qd=$(stat_delta "$before" "$after" queue_dropped)
diag "as they come: bad_spi +$bs, malformed +$mf, queue_dropped +$qd"
check "every segment counted again (>= 2048)" test $((bs + mf)) -ge 2048

wait $ping_pid
tx=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' "$T_TMP/ping.out")
rx=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$T_TMP/ping.out")
diag "ping through the tunnel meanwhile: ${rx:-?} of ${tx:-?} answered"
check "the tunnel carried traffic meanwhile (>= 90% of the pings answered)" \
	test "${rx:-0}" -gt 0 -a "$((${rx:-0} * 10))" -ge "$((${tx:-1} * 9))"
check "tunnel still works afterwards" nsx $A ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "daemon B stops cleanly" stop_daemon b
stop_daemon a
finish
