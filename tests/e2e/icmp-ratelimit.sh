#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ICMP "too big" replies into the TUN device are rate-limited per worker
# (1000/s, burst 50: core/datapath/mtu.h). A flood of oversized DF packets through
# a TUN whose MTU (1500) exceeds what fits after ESP (1438) gets a capped
# number of replies; the rest is counted in icmp_suppressed. After a
# pause the limit lets replies through again.
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-python3}
PKTGEN=$(dirname "$0")/pktgen.py
require_tunnel_pair jq "$PY"
threads=2 burst=50 rate=1000 count=5000

A=uipt-dp-icmp-$U-a B=uipt-dp-icmp-$U-b
UIPT_THREADS=$threads tunnel_pair $A $B "plugins { io-tun { mtu = 1500 } }"
check "tunnel works" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1

suppressed() { stat_of a icmp_suppressed; }
s0=$(suppressed)
nsx $A "$PY" "$PKTGEN" too-big 10.1.0.1 10.2.0.1 $count 1500 >"$T_TMP/flood.out" 2>&1
read -r _ sent _ replies _ secs <"$T_TMP/flood.out"
s1=$(suppressed)
diag "flood: $(cat "$T_TMP/flood.out"), icmp_suppressed ${s0:-?} -> ${s1:-?}"
# every worker may answer a burst plus the rate over the flood, and the
# packets still queued in the TUN device behind it (0.5 s is generous)
bound=$(awk -v t="${secs:-0}" -v n=$threads -v b=$burst -v r=$rate 'BEGIN { printf "%d", n * (b + r * (t + 0.5)) }')
check "the flood was sent ($count packets)" test "${sent:-0}" = $count
check "some replies get through (${replies:-?})" test "${replies:-0}" -ge 1
check "replies capped (${replies:-?} <= $bound)" test "${replies:-0}" -le "$bound"
check "held-back replies counted in icmp_suppressed (+$((${s1:-0} - ${s0:-0})) >= $((count / 2)))" \
	test $((${s1:-0} - ${s0:-0})) -ge $((count / 2))
# a full bucket again after a pause
sleep 1
nsx $A "$PY" "$PKTGEN" too-big 10.1.0.1 10.2.0.1 1 1500 >"$T_TMP/one.out" 2>&1
diag "after a pause: $(cat "$T_TMP/one.out")"
check "after a pause an oversized packet gets its reply" grep -q ' replies 1 ' "$T_TMP/one.out"
check "the tunnel still works" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "uipsecctl stats shows icmp_suppressed" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' stats | grep -q icmp_suppressed"
check "daemon A stops cleanly" stop_daemon a
stop_daemon b
finish
