#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault: someone else deletes what uipsecd installed, while a ping runs
# through the tunnel every 20 ms (docs/reliability.md, "Faults: network,
# devices, routes"):
#  - the tunnel route in table 220, the IPv4 and the IPv6 rule for table
#    220: each is back within 2 s, counted (routes_reinstalled), logged
#    once, and pings pass again;
#  - the same deletion in the middle of a storm of 6000 route changes
#    while uipsecd is stopped (SIGSTOP), with a 4 KiB notification socket
#    (plugins.net-netlink.receive_buffer_size): the socket overruns
#    (ENOBUFS), the deletion's own notification is lost; the daemon counts
#    the overrun (net_events_lost), re-checks everything and puts the
#    route back within 5 s of running again -- well before the 30 s
#    periodic check could.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault-net-lib.sh"
require_tunnel_pair jq

A=uipt-dp-frt-$U-a B=uipt-dp-frt-$U-b
tunnel_pair $A $B "plugins { net-netlink { receive_buffer_size = 4096 } }"
route_back() { ip -n $A route show table 220 | grep -q "^10.2.0.0/24 dev uipsec0"; }
rule_back() { ip -n $A $1 rule | grep -q "^220:.*lookup 220"; }
check "ping through the tunnel" within 5000 ping_ok $A 10.1.0.1 10.2.0.1
pinger $A 10.1.0.1 10.2.0.1

# ---- the tunnel route
ip -n $A route del 10.2.0.0/24 table 220
check "route deleted: back in table 220 within 2 s" within 2000 route_back
diag "$(cat "$T_TMP/check.out")"
check "route deleted: counted (routes_reinstalled = 1)" stat_is a routes_reinstalled -eq 1
check "route deleted: pings pass within 3 s" within 3000 ping_ok $A 10.1.0.1 10.2.0.1
check "route deleted: logged once" \
	test "$(log_count a 'route 10.2.0.0/24 dev uipsec0.*removed by someone else: reinstalled')" = 1

# ---- the rules
ip -n $A rule del pref 220
check "IPv4 rule deleted: back within 2 s" within 2000 rule_back -4
diag "$(cat "$T_TMP/check.out")"
check "IPv4 rule deleted: pings pass within 3 s" within 3000 ping_ok $A 10.1.0.1 10.2.0.1
ip -n $A -6 rule del pref 220
check "IPv6 rule deleted: back within 2 s" within 2000 rule_back -6
diag "$(cat "$T_TMP/check.out")"
check "rules deleted: counted (routes_reinstalled = 3)" stat_is a routes_reinstalled -eq 3
check "rules deleted: each logged once" \
	test "$(log_count a 'IPv4 rule for table 220 was removed by someone else')" = 1 -a \
	     "$(log_count a 'IPv6 rule for table 220 was removed by someone else')" = 1
check "exactly one rule for table 220 per family" \
	test "$(ip -n $A -4 rule | grep -c 'lookup 220')" = 1 -a "$(ip -n $A -6 rule | grep -c 'lookup 220')" = 1

# ---- the same during a netlink overrun
for i in $(seq 0 2999); do echo "route add 10.200.$((i / 250)).$((i % 250 + 1))/32 dev lo table 100"; done >"$T_TMP/storm1"
for i in $(seq 0 2999); do echo "route del 10.200.$((i / 250)).$((i % 250 + 1))/32 dev lo table 100"; done >"$T_TMP/storm2"
kill -STOP "$PID_a"
ip -n $A -batch "$T_TMP/storm1"
ip -n $A route del 10.2.0.0/24 table 220
ip -n $A -batch "$T_TMP/storm2"
kill -CONT "$PID_a"
check "overrun: counted (net_events_lost >= 1) within 5 s" within 5000 stat_is a net_events_lost -ge 1
diag "$(cat "$T_TMP/check.out")"
check "overrun: the route deleted during the storm is back within 5 s" within 5000 route_back
diag "$(cat "$T_TMP/check.out")"
check "overrun: counted (routes_reinstalled = 4)" stat_is a routes_reinstalled -eq 4
check "overrun: logged" grep -q "network notifications were lost" "$T_TMP/a.log"
check "overrun: pings pass within 3 s" within 3000 ping_ok $A 10.1.0.1 10.2.0.1
check "overrun: the daemon is idle again (< 20% CPU over 2 s)" cpu_low "$PID_a" 2 20
diag "$(cat "$T_TMP/check.out")"
check "one route to 10.2.0.0/24 in table 220" test "$(ip -n $A route show table 220 | grep -c '^10.2.0.0/24')" = 1

check "daemon A stops cleanly" stop_daemon a
check "stopped: table 220 empty, no rule left" \
	bash -c "! ip -n $A route show table 220 | grep -q . && ! ip -n $A rule | grep -q 'lookup 220'"
check "daemon B stops cleanly" stop_daemon b
finish
