#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Routes for policies added over the control socket (add-policy "route"):
# the route into the TUN device appears in table 220 with the preferred
# source from the local selector and carries traffic without a manual
# `ip route add`; a peer inside the remote selector gets its exception
# route; a selector equal to the peer is refused (allow_peer_ts); bypass
# gets its throw route; routes are shared between policies and leave with
# the last one (del-policy).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
UIPSECCTL=${UIPSECCTL_UNDER_TEST:-$top_builddir/core/ctl/uipsecctl}
require_root_tools jq ping
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
# the daemons run dropped to user uipsec with CAP_NET_ADMIN only (docs/security.md)
use_daemon_user

net2net_topo uipt-ctl-rt$$
K1=$(gen_key 20) K2=$(gen_key 20)
ctl_daemons "crypto-openssl io-tun net-netlink" || { echo "Bail out! daemons did not start"; exit 1; }

table() { ip -n "$NS_GA" route show table 220; }
# has_route PATTERN / no_route PATTERN: in A's table 220 (shown on failure)
has_route() { table | grep -Eq "$1" || { table; false; }; }
no_route() { ! table | grep -Eq "$1" || { table; false; }; }

# SAs on both gateways; B routes by hand as v1 clients do, A through "route"
sas() {
	ctl_add_sa a in 192.0.2.1 192.0.2.2 0x1000 "$K2" 10.1.0.0/24 10.2.0.0/24 &&
	ctl_add_sa a out 192.0.2.1 192.0.2.2 0x2000 "$K1" &&
	ctl_add_sa b in 192.0.2.2 192.0.2.1 0x2000 "$K1" 10.2.0.0/24 10.1.0.0/24 &&
	ctl_add_sa b out 192.0.2.2 192.0.2.1 0x1000 "$K2"
}
check "SAs on A and B" sas
ctl b add-policy src 10.2.0.0/24 dst 10.1.0.0/24 dir out reqid 1000 >/dev/null
ctl b add-policy src 10.1.0.0/24 dst 10.2.0.0/24 dir in reqid 1000 >/dev/null
ip -n "$NS_GB" route add 10.1.0.0/24 dev uipsec0
ctl a add-policy src 10.2.0.0/24 dst 10.1.0.0/24 dir in reqid 1000 >/dev/null

check "add-policy dir out ... route peer 192.0.2.2" ctl a add-policy src 10.1.0.0/24 dst 10.2.0.0/24 dir out reqid 1000 route peer 192.0.2.2
check "table 220: 10.2.0.0/24 dev uipsec0 src 10.1.0.1" has_route '^10\.2\.0\.0/24 dev uipsec0 .*src 10\.1\.0\.1'
check "no exception route: the peer is outside 10.2.0.0/24" no_route '^192\.0\.2\.2 '
check "ping host A -> host B with no manual route" nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2

# a second policy needing the same route: shared, removed with the last
check "a second routed policy for 10.2.0.0/24 (tcp)" ctl a add-policy src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp dir out reqid 1000 route
check "still one route for 10.2.0.0/24" bash -c "[ \$(ip -n '$NS_GA' route show table 220 | grep -c '^10\.2\.0\.0/24') = 1 ]"
check "del-policy of the first: the route stays (second holds it)" ctl a del-policy src 10.1.0.0/24 dst 10.2.0.0/24 dir out
check "table 220 still routes 10.2.0.0/24" has_route '^10\.2\.0\.0/24 dev uipsec0'
check "del-policy of the second: the route is gone" ctl a del-policy src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp dir out
check "table 220 has no route for 10.2.0.0/24" no_route '^10\.2\.0\.0/24'

# the peer inside the remote selector: exception route to it via out0
check "routed policy for 192.0.2.0/24 with peer 192.0.2.2" ctl a add-policy src 10.1.0.0/24 dst 192.0.2.0/24 dir out reqid 1000 route peer 192.0.2.2
check "exception route 192.0.2.2 dev out0" has_route '^192\.0\.2\.2 dev out0'
check "route 192.0.2.0/24 into uipsec0" has_route '^192\.0\.2\.0/24 dev uipsec0 .*src 10\.1\.0\.1'
ctl a add-policy src 10.1.0.0/24 dst 10.2.0.0/24 dir out reqid 1000 route peer 192.0.2.2 >/dev/null
check "ESP to the peer still leaves through out0: ping passes" nsx "$NS_HA" ping -c 3 -i 0.1 -W 2 10.2.0.2
check "del-policy 192.0.2.0/24: route and exception route gone" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' del-policy src 10.1.0.0/24 dst 192.0.2.0/24 dir out && ! ip -n '$NS_GA' route show table 220 | grep -q '^192\.0\.2\.'"

# the selector equal to the peer: refused (allow_peer_ts = no), nothing left
"$UIPSECCTL" --socket "$T_TMP/a.sock" --json add-policy src 192.0.2.1/32 dst 192.0.2.2/32 dir out reqid 1000 route \
	peer 192.0.2.2 >"$T_TMP/peer-ts" 2>&1
check "dst = peer refused, naming allow_peer_ts" grep -q allow_peer_ts "$T_TMP/peer-ts"
check "... and the policy was not added" bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' --json list-policies | jq -e 'any(.[]; .dst == \"192.0.2.2/32\")'"
check "route on a dir in policy: invalid-argument" bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' add-policy src 10.2.0.0/24 dst 10.1.0.0/24 proto udp dir in reqid 1000 route"
check "peer without route: invalid-argument" bash -c "! '$UIPSECCTL' --socket '$T_TMP/a.sock' add-policy src 10.1.0.0/24 dst 10.3.0.0/24 dir out reqid 1000 peer 192.0.2.2"

# bypass: throw route
check "bypass policy for 10.2.0.7/32" ctl a add-policy src 10.1.0.0/24 dst 10.2.0.7/32 dir out action bypass route
check "throw route 10.2.0.7 in table 220" has_route '^throw 10\.2\.0\.7 '
check "del-policy of the bypass: throw route gone" ctl a del-policy src 10.1.0.0/24 dst 10.2.0.7/32 dir out
check "no throw route left" no_route '^throw 10\.2\.0\.7'

check "del-policy of the last routed policy: table 220 empty" \
	bash -c "'$UIPSECCTL' --socket '$T_TMP/a.sock' del-policy src 10.1.0.0/24 dst 10.2.0.0/24 dir out && [ -z \"\$(ip -n '$NS_GA' route show table 220)\" ]"
check "daemons stop cleanly" stop_daemons
finish
