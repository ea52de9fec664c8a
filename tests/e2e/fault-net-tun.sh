#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: the TUN device of uipsecd set down, then deleted, from outside,
# while a ping runs through the tunnel every 20 ms (docs/reliability.md,
# "Faults: network, devices, routes").
#  - set down: logged once, counted (tun_down = 1), the daemon stays idle
#    (< 20% of a CPU over 3 s); set up again: its route in table 220 is
#    back within 3 s (routes_reinstalled >= 1) and pings pass within 5 s;
#  - deleted: the daemon logs it, stops within 5 s with exit status 1
#    (systemd's Restart=on-failure starts it again), without spinning
#    meanwhile, and leaves no rule for table 220 behind; started again it
#    passes traffic.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault-net-lib.sh"
require_tunnel_pair jq

A=uipt-dp-ftun-$U-a B=uipt-dp-ftun-$U-b
tunnel_pair $A $B
route_back() { ip -n $A route show table 220 | grep -q "^10.2.0.0/24 dev uipsec0"; }
check "ping through the tunnel" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
pinger $A 10.1.0.1 10.2.0.1

# ---- set down from outside
ip -n $A link set uipsec0 down
check "set down: counted (tun_down = 1) within 3 s" within 3000 stat_is a tun_down -eq 1
diag "$(cat "$T_TMP/check.out")"
check "set down: the daemon stays idle (< 20% CPU over 3 s)" cpu_low "$PID_a" 3 20
diag "$(cat "$T_TMP/check.out")"
check "set down: logged once" test "$(log_count a 'TUN device uipsec0 was set down by someone else')" = 1
check "set down: still counted once (tun_down = 1)" stat_is a tun_down -eq 1
before=$(stat_of a routes_reinstalled)
ip -n $A link set uipsec0 up
check "up again: route 10.2.0.0/24 dev uipsec0 back in table 220 within 3 s" within 3000 route_back
diag "$(cat "$T_TMP/check.out")"
check "up again: counted in routes_reinstalled" stat_is a routes_reinstalled -gt "${before:-0}"
check "up again: pings pass within 5 s" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
diag "$(cat "$T_TMP/check.out")"
check "up again: logged" grep -q "TUN device uipsec0 is up again" "$T_TMP/a.log"

# ---- deleted from outside
c0=$(cpu_ticks "$PID_a") t0=$(now_ms)
ip -n $A link del uipsec0
gone() { ! kill -0 "$PID_a" 2>/dev/null; }
check "deleted: the daemon stops within 5 s" within 5000 gone
diag "$(cat "$T_TMP/check.out")"
wait "$PID_a"; rc=$?
check "deleted: exit status 1 (a service manager restarts it)" test "$rc" = 1
# the process is gone: its last CPU time is not readable any more; the
# time it had left to run bounds what it could have spun
check "deleted: logged why it stops" grep -q "TUN device uipsec0 was deleted by someone else" "$T_TMP/a.log"
check "deleted: logged the exit status" grep -q "stopping with exit status 1" "$T_TMP/a.log"
diag "CPU ticks before the deletion: $c0; stopped $(( $(now_ms) - t0 )) ms after it"
check "deleted: no rule for table 220 left behind" bash -c "! ip -n $A rule | grep -q 'lookup 220'"
check "deleted: no route left in table 220" bash -c "! ip -n $A route show table 220 | grep -q ."
check "restarted: the daemon starts again" start_daemon a2 $A "$T_TMP/a.conf"
check "restarted: pings pass within 5 s" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
check "daemon A stops cleanly" stop_daemon a2
check "daemon B stops cleanly" stop_daemon b
finish
