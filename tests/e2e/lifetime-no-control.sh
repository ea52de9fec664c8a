#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SA lifetimes do not depend on the control socket: a daemon started with
# uipsecd.control.socket = none (no control socket at all) still
# hard-expires a tunnel with life_time: its SAs, routes and traffic are
# gone after the lifetime, and the log says why.
. "$(dirname "$0")/lib.sh"
require_root_tools ss
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
crypto=crypto-openssl; has_plugin $crypto || crypto=crypto-gcrypt

A=uipt-dp-nctl-$U-a B=uipt-dp-nctl-$U-b
two_gateways $A $B
k1=$(gen_key 20) k2=$(gen_key 20)

daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
sed -i "s|control { socket = .* }|control { socket = none }|" "$T_TMP/a.conf"
tunnel_conf "$T_TMP/a.conf" b 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$k2" "$k1" \
	"" "" "rekey_time = 1s
        life_time = 2s"
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/b.conf" a 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$k1" "$k2"

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
	grep -q "tunnel b down: SA 0x[0-9a-f]* reached its hard lifetime" "$T_TMP/a.log"
check "after the hard lifetime: the tunnel's routes are gone" bash -c "! ip -n $A route show table 220 | grep -q 10.2.0.0"
check "after the hard lifetime: no traffic" bash -c "! ip netns exec $A ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null"
check "A is still running" kill -0 "$PID_a"
check "A stops cleanly" stop_daemon a
stop_daemon b
finish
