#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo body: two network namespaces joined by a veth pair, one uipsecd
# in each with the shipped example configs (conf/examples/gw-a.conf and
# gw-b.conf: AES-128-GCM, 10.1.0.0/24 <-> 10.2.0.0/24 over 192.0.2.1 <->
# 192.0.2.2), ping and a short iperf3 through the tunnel, proof from the
# wire that only ESP-in-UDP travels, then the counters. Everything it
# created is removed at the end, also on failure or Ctrl-C.
#
# usage: scripts/demo-run.sh [PREFIX]   (PREFIX: where uipsec is installed;
#        without it, the binaries of the build tree are used)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-}
if [ -n "$prefix" ]; then
	UIPSECD=$prefix/sbin/uipsecd
	UIPSECCTL=$prefix/sbin/uipsecctl
	examples=$prefix/share/doc/uipsec/examples
else
	build=${UIPSEC_BUILD:-$top}
	UIPSECD=$build/core/daemon/uipsecd
	UIPSECCTL=$build/core/ctl/uipsecctl
	export UIPSEC_PLUGIN_PATH=${UIPSEC_PLUGIN_PATH:-$build/plugins/.libs}
	examples=$top/conf/examples
fi
[ -f "$examples/gw-a.conf" ] || examples=$top/conf/examples
[ "$(id -u)" = 0 ] || { echo "run as root: the demo creates network namespaces and a TUN device in each" >&2; exit 2; }
[ -x "$UIPSECD" ] || { echo "uipsecd not found at $UIPSECD (build first, or pass the install prefix)" >&2; exit 2; }

NA=uipt-dp-demo-a NB=uipt-dp-demo-b
work=$(mktemp -d /tmp/uipsec-demo.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	ip netns del $NA 2>/dev/null
	ip netns del $NB 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_a() { ip netns exec $NA "$@"; }
in_b() { ip netns exec $NB "$@"; }
ctl() { local s=$1; shift; if [ -x "$UIPSECCTL" ]; then "$UIPSECCTL" --socket "/run/uipsec/$s.sock" "$@"; fi; }

step "two namespaces: $NA (192.0.2.1, inner 10.1.0.1) and $NB (192.0.2.2, inner 10.2.0.1)"
ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null
ip netns add $NA && ip netns add $NB || exit 1
ip link add eth0 netns $NA type veth peer name eth0 netns $NB
for n in $NA $NB; do ip -n $n link set lo up; ip -n $n link set eth0 up; done
ip -n $NA addr add 192.0.2.1/24 dev eth0
ip -n $NB addr add 192.0.2.2/24 dev eth0
ip -n $NA addr add 10.1.0.1/32 dev lo
ip -n $NB addr add 10.2.0.1/32 dev lo

step "uipsecd in each, with $examples/gw-a.conf and gw-b.conf"
# started directly (not through a shell function): $! is then the daemon
# itself (ip netns exec execs it), which cleanup() stops
# the examples hold (published) keys inline, and uipsecd refuses a config
# with keys that group or others may read: run private copies
install -m 600 "$examples/gw-a.conf" "$examples/gw-b.conf" "$work/"
ip netns exec $NA "$UIPSECD" --foreground --config "$work/gw-a.conf" >"$work/a.log" 2>&1 &
pids+=($!)
ip netns exec $NB "$UIPSECD" --foreground --config "$work/gw-b.conf" >"$work/b.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	ip -n $NA link show uipsec0 2>/dev/null | grep -q UP && ip -n $NB link show uipsec0 2>/dev/null | grep -q UP && break
	sleep 0.1
done
sleep 0.3
sed 's/^/  a| /' "$work/a.log"
sed 's/^/  b| /' "$work/b.log"
echo "  routes in $NA (table 220):"; ip -n $NA route show table 220 | sed 's/^/    /'

step "ping 10.1.0.1 -> 10.2.0.1 through the tunnel, watching the wire"
ip netns exec $NA timeout 10 tcpdump -n -i eth0 -c 6 -l 'ip' >"$work/wire.txt" 2>/dev/null &
td=$!
pids+=($td)
sleep 0.5
if ! in_a ping -c 4 -i 0.3 -I 10.1.0.1 10.2.0.1; then
	echo "demo: no connectivity through the tunnel" >&2
	sed 's/^/  a| /' "$work/a.log" >&2
	exit 1
fi
wait $td 2>/dev/null
echo "  on the wire (tcpdump -i eth0): only ESP in UDP port 4500"
sed 's/^/    /' "$work/wire.txt"

if command -v iperf3 >/dev/null; then
	step "iperf3, 3 seconds, 10.1.0.1 -> 10.2.0.1 through the tunnel"
	ip netns exec $NB iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 &
	pids+=($!)
	sleep 0.5
	in_a iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 3 -f m | grep -E 'sender|receiver'
fi

step "counters"
if [ -x "$UIPSECCTL" ]; then
	echo "  uipsecctl --socket /run/uipsec/gw-a.sock stats"
	ctl gw-a stats | sed 's/^/    /'
	echo "  uipsecctl --socket /run/uipsec/gw-a.sock list-sas"
	ctl gw-a list-sas | sed 's/^/    /'
else
	ip -s -n $NA link show uipsec0
fi
step "stopping: TUN devices, routes and namespaces are removed"
