#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SA lifetimes do not depend on the control socket: a daemon started with
# uipsecd.control.socket = none (no control socket at all) still
# hard-expires a tunnel with life_time: its SAs, routes and traffic are
# gone after the lifetime, and the log says why.
. "$(dirname "$0")/lib.sh"
require_root_tools ss
tunnel_plugins

A=uipt-dp-nctl-$U-a B=uipt-dp-nctl-$U-b
two_gateways $A $B
# A: the lifetimes and no control socket; B: neither (it outlives A's SAs)
gw_pair_confs aes128gcm16 "$crypto io-tun net-netlink" "$crypto io-tun net-netlink" "" "rekey_time = 1s
        life_time = 2s"
sed -i "s|control { socket = .* }|control { socket = none }|" "$T_TMP/a.conf"
# and no IKE relay socket either: A listens on no UNIX socket at all
sed -i "s|ike { socket = .* }|ike { socket = none }|" "$T_TMP/a.conf"
sed -i "/rekey_time = 1s/d; /life_time = 2s/d" "$T_TMP/b.conf"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts without a control socket"
check "A has no control socket: no listening unix socket in its namespace" \
	bash -c "[ -z \"\$(ip netns exec $A ss -xlH)\" ]"
check "A logs that it runs without a control socket" grep -q "no control socket" "$T_TMP/a.log"
check "within the lifetime: the tunnel's route is in table 220" bash -c "ip -n $A route show table 220 | grep -q 10.2.0.0"
check "within the lifetime: ping through the tunnel" nsx $A ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1
# hard lifetime 2 s after the SAs were added (at least 0.3 s ago, see
# start_daemon); the SAD checks once a second
sleep 3
check "the daemon logs that the tunnel reached its hard lifetime" \
	grep -q "tunnel site-b down: SA 0x[0-9a-f]* reached its hard lifetime" "$T_TMP/a.log"
check "after the hard lifetime: the tunnel's routes are gone" bash -c "! ip -n $A route show table 220 | grep -q 10.2.0.0"
check "after the hard lifetime: no traffic" bash -c "! ip netns exec $A ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null"
check "A is still running" kill -0 "$PID_a"
check "A stops cleanly" stop_daemon a
stop_daemon b
finish
