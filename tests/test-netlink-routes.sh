#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Route decisions + net-netlink against the real kernel, in a network
# namespace this test creates (and removes on exit): tunnel routes and the
# rule, VIPs, exception routes iff the peer is inside a remote selector,
# the allow_peer_ts refusal, host-to-host with fwmark !0x42, reference
# counts, clean stop and crash recovery (kill -9, restart). Everything is
# checked from ip(8)'s JSON output, not from our own reads. Prints TAP.
set -u
builddir=${top_builddir:-.}
tool="$builddir/tests/net-tool"
ns="uipt-net-$$"
tmp=$(mktemp -d)
holder=

cleanup() {
	[ -n "$holder" ] && kill -9 "$holder" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || ! ip netns add "$ns" 2>/dev/null; then
	echo "1..0 # SKIP needs root and ip netns"
	exit 0
fi

nsx() { ip netns exec "$ns" "$@"; }

nsx ip link set lo up
nsx ip tuntap add dev uipt0 mode tun
nsx ip link add uipt-v0 type veth peer name uipt-v1
# no IPv6 link-local addresses: they appear a second or two after "up"
# (DAD), and their events would make the route manager look again in the
# middle of a check that wants the tables to hold still
for dev in uipt0 uipt-v0 uipt-v1; do
	nsx ip link set "$dev" addrgenmode none
	nsx ip link set "$dev" up
done
nsx ip addr add 198.51.100.1/24 dev uipt-v0
nsx ip route add default via 198.51.100.254
nsx ip addr add 2001:db8::1/64 dev uipt-v0 nodad
nsx ip -6 route add default via 2001:db8::fe

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# expect DESCRIPTION EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected: $(echo "$2" | tr '\n' '|')" "got:      $(echo "$3" | tr '\n' '|')"; fi
}

# routes of table 220 (both families) as "dst dev D [via G] [src S]", sorted
table220() {
	{ nsx ip -4 -j route show table 220 2>/dev/null || echo '[]'; nsx ip -6 -j route show table 220 2>/dev/null || echo '[]'; } |
		jq -r '.[] | "\(.dst) dev \(.dev)\(if .gateway then " via " + .gateway else "" end)\(if .prefsrc then " src " + .prefsrc else "" end)"' | sort
}
# rules with priority 220 as "[not ][fwmark M ]table T", one per line
rules220() {
	nsx ip "-$1" -j rule show | jq -r '.[] | select(.priority == 220) |
		"\(if has("not") then "not " else "" end)\(if .fwmark then "fwmark " + .fwmark + " " else "" end)table \(.table)"'
}
vips() { nsx ip -j addr show dev uipt0 | jq -r '.[].addr_info[] | "\(.local)/\(.prefixlen)"' | grep -v '^fe80' | sort; }
# wait (up to 5 s) until FUNCTION's output contains LINE
wait_for() {
	for _ in $(seq 50); do
		"$2" | grep -qxF "$1" && return 0
		sleep 0.1
	done
	return 1
}
route_dev() { nsx ip -j route get "$@" | jq -r '.[0].dev'; }

# wait (up to 5 s) until table 220 holds still and has no probe route: the
# route notifications of what net-tool just installed reach the route
# manager after "ready", and re-checking an exception route puts a throw
# route (metric 0x7fffffff) beneath it for a moment (route_mgr.c,
# refresh_exception); a snapshot then would catch both
settle() {
	local prev="" cur
	for _ in $(seq 25); do
		cur=$({ nsx ip -4 route show table 220; nsx ip -6 route show table 220; } 2>/dev/null)
		[ "$cur" = "$prev" ] && ! grep -q 'metric 2147483647' <<<"$cur" && return 0
		prev=$cur
		sleep 0.2
	done
}

# start net-tool ARGS... with "hold" appended in the background; wait for "ready"
hold() {
	# not through nsx(): $! must be net-tool itself (ip netns exec and the
	# libtool wrapper both exec), so signals reach it
	rm -f "$tmp/out"   # else the last run's "ready" may be read before the shell truncates it
	ip netns exec "$ns" "$tool" "$@" hold > "$tmp/out" 2> "$tmp/err" &
	holder=$!
	for _ in $(seq 100); do
		grep -q '^ready$' "$tmp/out" 2>/dev/null && { settle; return 0; }
		kill -0 "$holder" 2>/dev/null || break
		sleep 0.05
	done
	echo "# net-tool did not get ready: $(cat "$tmp/err")"
	return 1
}
stop_holder() { kill "-$1" "$holder"; wait "$holder" 2>/dev/null; holder=; }

S2S="a uipt0 198.51.100.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24,10.4.0.0/16,2001:db8:2::/48 10.3.0.1/32,2001:db8:3::1/128"

# site-to-site tunnel: routes, one rule per family, VIPs; clean stop
hold start add $S2S
expect "tunnel routes in table 220 with the VIP as source" \
"10.2.0.0/24 dev uipt0 src 10.3.0.1
10.4.0.0/16 dev uipt0 src 10.3.0.1
2001:db8:2::/48 dev uipt0 src 2001:db8:3::1" "$(table220)"
expect "one rule per family selects table 220" "table 220 table 220" "$(rules220 4) $(rules220 6)"
expect "VIPs on the TUN device" "10.3.0.1/32
2001:db8:3::1/128" "$(vips)"
stop_holder TERM
expect "stop removes routes, rules and VIPs" "||" "$(table220)|$(rules220 4)$(rules220 6)|$(vips)"

# exception route iff the peer lies inside a remote selector
hold start add in uipt0 198.51.100.1 192.0.2.2 10.1.0.0/24 192.0.2.0/24 - add out uipt0 198.51.100.1 203.0.113.5 10.1.0.0/24 10.9.0.0/16
expect "exception route to the peer inside 192.0.2.0/24, none for the peer outside" \
"10.9.0.0/16 dev uipt0
192.0.2.0/24 dev uipt0
192.0.2.2 dev uipt-v0 via 198.51.100.254 src 198.51.100.1" "$(table220)"
expect "packets to the peer leave on the wire, the rest of its subnet into the TUN" \
"uipt-v0 uipt0" "$(route_dev 192.0.2.2) $(route_dev 192.0.2.3)"
# a route change elsewhere makes the route manager re-check the exception
# route, which changes table 220; those events must not start another
# re-check (they did: a loop of ~20,000 route changes a second)
nsx ip route add 203.0.113.0/24 via 198.51.100.254
sleep 0.5
expect "after a route change elsewhere table 220 settles: no route changes in the next 1 s" \
"" "$(nsx timeout 1 ip monitor route | head -8)"
nsx ip route del 203.0.113.0/24 via 198.51.100.254
settle
stop_holder TERM
expect "exception route removed with its tunnel" "" "$(table220)"

# IPv6: the peer inside ::/0
hold start add v6 uipt0 2001:db8::1 2001:db8:9::2 2001:db8:1::/48 ::/0
expect "IPv6: exception route to the peer inside ::/0" \
"2001:db8:9::2 dev uipt-v0 via 2001:db8::fe src 2001:db8::1
default dev uipt0" "$(table220)"
expect "IPv6: the peer on the wire, everything else into the TUN" \
"uipt-v0 uipt0" "$(route_dev 2001:db8:9::2) $(route_dev 2001:db8:9::3)"
stop_holder TERM
expect "IPv6: clean stop" "" "$(table220)"

# remote selector equal to the peer is refused without allow_peer_ts
if nsx "$tool" start add h2h uipt0 198.51.100.1 198.51.100.2 198.51.100.1/32 198.51.100.2/32 > /dev/null 2> "$tmp/err"; then
	fail "remote_ts = peer refused without allow_peer_ts" "net-tool succeeded"
else
	if grep -q "tunnel h2h: remote_ts 198.51.100.2/32 equals the peer's address 198.51.100.2; set allow_peer_ts = yes" "$tmp/err"; then
		ok "remote_ts = peer refused, naming allow_peer_ts"
	else
		fail "remote_ts = peer refused, naming allow_peer_ts" "$(cat "$tmp/err")"
	fi
fi
expect "nothing left after the refusal" "|" "$(table220)|$(rules220 4)"

# host-to-host with allow_peer_ts, fwmark !0x42 and socket mark 0x42, from
# the configuration docs/routing.md shows
cat > "$tmp/h2h.conf" <<'CONF'
uipsecd {
    load = net-netlink
    allow_peer_ts = yes
    socket { fwmark = 0x42 }                 # SO_MARK on every ESP/UDP packet we send
    plugins { net-netlink { fwmark = !0x42 } }   # table 220 only for unmarked packets
}
CONF
hold --config "$tmp/h2h.conf" start add h2h uipt0 198.51.100.1 198.51.100.2 198.51.100.1/32 198.51.100.2/32
expect "host-to-host: rule (both families) applies only to packets not marked 0x42" \
	"not fwmark 0x42 table 220|not fwmark 0x42 table 220" "$(rules220 4)|$(rules220 6)"
expect "host-to-host: route to the peer into the TUN, no exception route" \
"198.51.100.2 dev uipt0 src 198.51.100.1" "$(table220)"
expect "cleartext to the peer enters the TUN, ESP (mark 0x42) leaves on the wire" \
"uipt0 uipt-v0" "$(route_dev 198.51.100.2) $(route_dev 198.51.100.2 mark 0x42)"
stop_holder TERM
expect "host-to-host: clean stop" "|" "$(table220)|$(rules220 4)"

# reference counts: two tunnels share 10.2.0.0/24; removing one keeps it
hold start add a uipt0 198.51.100.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 - add b uipt0 198.51.100.1 192.0.2.3 10.1.0.0/24 10.2.0.0/24,10.5.0.0/24 - del a
expect "shared route stays while another tunnel needs it" \
"10.2.0.0/24 dev uipt0
10.5.0.0/24 dev uipt0" "$(table220)"
stop_holder TERM
expect "last user gone: route removed" "" "$(table220)"

# kernel errors name tunnel, operation and the kernel's message
nsx "$tool" start add x uipsec0 198.51.100.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 > /dev/null 2> "$tmp/err"
expect "missing device reported per tunnel and operation" \
"net-tool: tunnel x: add route 10.2.0.0/24 dev uipsec0 table 220: No such device" "$(grep '^net-tool:' "$tmp/err")"

# install_routes = no: VIPs only
hold --no-routes start add a uipt0 198.51.100.1 192.0.2.2 10.1.0.0/24 0.0.0.0/0 10.3.0.1/32
expect "install_routes = no: no routes, no rule, VIP still added" "||10.3.0.1/32" "$(table220)|$(rules220 4)|$(vips)"
stop_holder TERM

# a bad option of the plugin: file:line, the key and why; nothing installed
printf 'uipsecd {\n    load = net-netlink\n    plugins {\n        net-netlink {\n            table = 254\n        }\n    }\n}\n' > "$tmp/bad.conf"
nsx "$tool" --config "$tmp/bad.conf" start > /dev/null 2> "$tmp/err"
if grep -q "$tmp/bad.conf:5: uipsecd.plugins.net-netlink.table = 254: must be 1..4294967295 and not 253 (default), 254 (main) or 255 (local)" "$tmp/err" &&
   grep -q "^net-tool: no network backend" "$tmp/err"; then
	ok "bad table option refused with file:line"
else
	fail "bad table option refused with file:line" "$(cat "$tmp/err")"
fi

# address changes reach the route manager: the preferred source follows
hold start add a uipt0 198.51.100.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24
expect "no address inside local_ts yet: no preferred source" "10.2.0.0/24 dev uipt0" "$(table220)"
nsx ip addr add 10.1.0.1/24 dev uipt-v1
wait_for "10.2.0.0/24 dev uipt0 src 10.1.0.1" table220
expect "an address inside local_ts appears: it becomes the preferred source" "10.2.0.0/24 dev uipt0 src 10.1.0.1" "$(table220)"
nsx ip addr del 10.1.0.1/24 dev uipt-v1
wait_for "10.2.0.0/24 dev uipt0" table220
expect "the address goes (the kernel drops the route): re-installed without it" "10.2.0.0/24 dev uipt0" "$(table220)"
stop_holder TERM

# the exception route follows the peer's new next hop (lookups with the socket mark)
hold --fwmark '!0x42' --socket-fwmark 0x42 start add in uipt0 198.51.100.1 192.0.2.2 10.1.0.0/24 192.0.2.0/24
nsx ip route replace default via 198.51.100.253
nsx ip addr add 10.77.0.1/32 dev uipt-v1     # any address/link event triggers the check
wait_for "192.0.2.2 dev uipt-v0 via 198.51.100.253 src 198.51.100.1" table220
expect "exception route moved to the new gateway" \
"192.0.2.0/24 dev uipt0
192.0.2.2 dev uipt-v0 via 198.51.100.253 src 198.51.100.1" "$(table220)"
stop_holder TERM
nsx ip addr del 10.77.0.1/32 dev uipt-v1
nsx ip route replace default via 198.51.100.254

# crash recovery: kill -9 leaves state behind, the restart flushes it
hold --fwmark '!0x42' start add $S2S add in uipt0 198.51.100.1 192.0.2.2 10.1.0.0/24 192.0.2.0/24
stop_holder 9
expect "after kill -9 the leftovers are still there" "not fwmark 0x42 table 220|5|10.3.0.1/32" \
	"$(rules220 4)|$(table220 | wc -l)|$(vips | head -1)"
# also a stray route of a tunnel that will not come back
nsx ip route add 10.66.0.0/16 dev uipt0 table 220
hold start add $S2S
expect "restart: exactly one rule per family (the new one), no duplicates" "table 220|table 220" "$(rules220 4)|$(rules220 6)"
expect "restart: exactly the routes of the configured tunnel" \
"10.2.0.0/24 dev uipt0 src 10.3.0.1
10.4.0.0/16 dev uipt0 src 10.3.0.1
2001:db8:2::/48 dev uipt0 src 2001:db8:3::1" "$(table220)"
stop_holder TERM
expect "clean stop after recovery (VIPs left on the persistent device adopted and removed)" "||" "$(table220)|$(rules220 4)$(rules220 6)|$(vips)"

echo "1..$n"
exit $failed
