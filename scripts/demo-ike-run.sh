#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo with strongSwan negotiating the keys (bash scripts/demo.sh --ike):
# two network namespaces joined by a veth pair (192.0.2.1 <-> 192.0.2.2,
# inner 10.1.0.1 and 10.2.0.1 on each namespace's loopback, as in
# demo-run.sh). In each: uipsecd with no tunnels, and Debian's charon with
# the kernel-uipsec plugin of this project (docs/strongswan.md) and a
# swanctl PSK connection 10.1.0.0/24 <-> 10.2.0.0/24 (AES-128-GCM).
# Shows the CHILD_SA as charon (swanctl --list-sas) and uipsecd (uipsecctl
# list-sas) see it, ping and a short iperf3 through it, a CHILD_SA rekey by
# hand and the new SPIs, then uipsecd's counters. Everything it created is
# removed at the end, also on failure or Ctrl-C.
#
# usage: scripts/demo-ike-run.sh [PREFIX]   (PREFIX: where uipsec is
#        installed, with the plugin in PREFIX/lib/ipsec/plugins; without it,
#        the build tree's binaries: UIPSEC_BUILD, default the source tree)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-}
if [ -n "$prefix" ]; then
	UIPSECD=$prefix/sbin/uipsecd
	UIPSECCTL=$prefix/sbin/uipsecctl
	PLUGIN=$prefix/lib/ipsec/plugins/libstrongswan-kernel-uipsec.so
else
	build=${UIPSEC_BUILD:-$top}
	UIPSECD=$build/core/daemon/uipsecd
	UIPSECCTL=$build/core/ctl/uipsecctl
	PLUGIN=$build/integrations/strongswan/.libs/libstrongswan-kernel-uipsec.so
	export UIPSEC_PLUGIN_PATH=${UIPSEC_PLUGIN_PATH:-$build/plugins/.libs}
fi
CHARON=${CHARON:-/usr/lib/ipsec/charon}
die() { echo "demo: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root: the demo creates network namespaces and a TUN device in each"
[ -x "$UIPSECD" ] && [ -x "$UIPSECCTL" ] || die "uipsecd/uipsecctl not found at $UIPSECD (build first, or pass the install prefix)"
[ -f "$PLUGIN" ] || die "the kernel-uipsec plugin is not at $PLUGIN (it needs the strongSwan source: scripts/strongswan-headers.sh, then rebuild)"
[ -x "$CHARON" ] || die "strongSwan's charon is not installed ($CHARON: apt-get install strongswan-charon strongswan-swanctl libstrongswan-standard-plugins)"
command -v swanctl >/dev/null || die "swanctl is not installed (apt-get install strongswan-swanctl)"

NA=uipt-ike-demo-a NB=uipt-ike-demo-b
work=$(mktemp -d /tmp/uipsec-ike-demo.XXXXXX)
chmod 700 "$work"
pids=()      # every process started, in start order (charons last)
cleanup() {
	local p i n
	# charons first (they delete their SAs and policies in uipsecd), then
	# uipsecd, then whatever else still runs in the two namespaces
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		p=${pids[i]}
		kill "$p" 2>/dev/null || continue
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in $NA $NB; do
		for p in $(ip netns pids $n 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del $n 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
indent() { sed "s/^/${1:-  }/"; }
# ctl GW ARGS...: uipsecctl on GW's uipsecd
ctl() { local g=$1; shift; "$UIPSECCTL" --socket "$work/$g.sock" "$@"; }
# sw GW COMMAND ARGS...: swanctl on GW's charon (its vici socket)
sw() {
	local g=$1 c=$2; shift 2
	STRONGSWAN_CONF=$work/swanctl.conf swanctl "$c" --uri "unix://$work/$g-run/charon.vici" "$@"
}
# spis GW: "in SPI, out SPI" of the INSTALLED CHILD_SA net, as swanctl lists them
spis() {
	sw "$1" --list-sas 2>/dev/null | awk '
		$1 == "net:" && /INSTALLED/ { on = 1; next }
		on && $1 == "in" { si = $2 } on && $1 == "out" { so = $2; on = 0 }
		END { gsub(/,/, "", si); gsub(/,/, "", so); print si, so }'
}
fail() {
	echo "demo: $*" >&2
	for g in a b; do
		echo "-- $g: uipsecd log" >&2; tail -15 "$work/$g-uipsecd.log" 2>/dev/null | indent >&2
		echo "-- $g: charon log" >&2; tail -25 "$work/$g-charon.log" 2>/dev/null | indent >&2
	done
	exit 1
}

step "two namespaces: $NA (192.0.2.1, inner 10.1.0.1) and $NB (192.0.2.2, inner 10.2.0.1)"
for n in $NA $NB; do ip netns del $n 2>/dev/null; done
ip netns add $NA && ip netns add $NB || exit 1
ip link add eth0 netns $NA type veth peer name eth0 netns $NB || exit 1
for n in $NA $NB; do ip -n $n link set lo up; ip -n $n link set eth0 up; done
ip -n $NA addr add 192.0.2.1/24 dev eth0
ip -n $NB addr add 192.0.2.2/24 dev eth0
ip -n $NA addr add 10.1.0.1/32 dev lo
ip -n $NB addr add 10.2.0.1/32 dev lo

step "uipsecd in each: no tunnels, control socket + IKE relay socket for charon"
for g in a b; do
	# the control and relay sockets live in $work: charon gets its own /run
	# (below) and would not see /run/uipsec
	cat >"$work/$g-uipsecd.conf" <<CONF
uipsecd {
    load = crypto-openssl io-tun net-netlink
    user = root
    pidfile = $work/$g-uipsecd.pid
    state_dir = $work/$g-state
    control { socket = $work/$g.sock }
    ike { socket = $work/$g-ike.sock }
    log { default = info }
}
CONF
done
cat "$work/a-uipsecd.conf" | indent "  a| "
ip netns exec $NA "$UIPSECD" --foreground --config "$work/a-uipsecd.conf" >"$work/a-uipsecd.log" 2>&1 &
pids+=($!)
ip netns exec $NB "$UIPSECD" --foreground --config "$work/b-uipsecd.conf" >"$work/b-uipsecd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[ -S "$work/a.sock" ] && [ -S "$work/b.sock" ] && [ -S "$work/a-ike.sock" ] && [ -S "$work/b-ike.sock" ] && break
	sleep 0.1
done
ctl a status >/dev/null 2>&1 && ctl b status >/dev/null 2>&1 || fail "uipsecd did not come up"
ctl a status | indent "  a| "

step "charon in each, with the kernel-uipsec plugin ($PLUGIN)"
for g in a b; do
	mkdir -p "$work/$g-run"
	# docs/strongswan.md: kernel-uipsec { load = 2 }, socket-default and
	# kernel-libipsec off, uipsecd owns the routes in table 220
	cat >"$work/$g-strongswan.conf" <<CONF
charon {
    load_modular = yes
    routing_table = 0
    ignore_routing_tables = 220
    filelog {
        demo {
            path = $work/$g-charon.log
            time_format = %T
            ike_name = yes
            append = no
            flush_line = yes
            default = 1
            knl = 1
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
    plugins {
        include /etc/strongswan.d/charon/*.conf
        kernel-uipsec {
            load = 2
            socket = unix://$work/$g.sock
            ike_socket = $work/$g-ike.sock
            owner = charon
        }
        socket-default {
            load = no
        }
        kernel-libipsec {
            load = no
        }
        vici {
            load = yes
            socket = unix://$work/$g-run/charon.vici
        }
        stroke {
            load = no
        }
    }
}
CONF
done
printf 'swanctl {\n    load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' >"$work/swanctl.conf"
sed -n '/routing_table/,/ignore/p; /kernel-uipsec {/,/^        }/p; /socket-default/,/}/p; /kernel-libipsec/,/}/p' \
	"$work/a-strongswan.conf" | indent "  a| "
for g in a b; do
	if [ $g = a ]; then n=$NA; else n=$NB; fi
	# charon's PID file is /var/run/charon.pid: each charon gets a /run of
	# its own, bound in the mount namespace ip netns exec makes for it (it
	# goes away with the process); exec: $! is charon itself
	ip netns exec $n sh -c 'mount --bind "$1" /run || exit 99
		LD_PRELOAD=$3 STRONGSWAN_CONF=$2 exec "$4"' charon-$g "$work/$g-run" "$work/$g-strongswan.conf" \
		"$PLUGIN" "$CHARON" >"$work/$g-charon.out" 2>&1 &
	pids+=($!)
done
for g in a b; do
	for _ in $(seq 100); do
		[ -S "$work/$g-run/charon.vici" ] && sw $g --stats >/dev/null 2>&1 && break
		sleep 0.1
	done
	sw $g --stats >/dev/null 2>&1 || { cat "$work/$g-charon.out" >&2; fail "charon $g did not come up"; }
done
grep -hE "Starting IKE charon|kernel-uipsec plugin built|loaded plugins" "$work/a-charon.log" | cut -c1-200 | indent "  a| "
echo "  ports in $NA (ss -ulpn): charon owns 500, uipsecd 4500 (IKE on 4500 reaches charon through the relay)"
ip netns exec $NA ss -ulpnH | awk '$4 ~ /:(500|4500)$/ {print $4, $NF}' | sed 's/users:((\("[^"]*"\).*/\1/' | sort -u | indent "    "

step "swanctl: a PSK connection 10.1.0.0/24 <-> 10.2.0.0/24, AES-128-GCM"
psk=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
for g in a b; do
	if [ $g = a ]; then me=192.0.2.1 peer=192.0.2.2 lts=10.1.0.0/24 rts=10.2.0.0/24
	else me=192.0.2.2 peer=192.0.2.1 lts=10.2.0.0/24 rts=10.1.0.0/24; fi
	cat >"$work/$g-swanctl.conf" <<CONF
connections {
    gw {
        version = 2
        local_addrs = $me
        remote_addrs = $peer
        proposals = aes128-sha256-x25519
        local {
            auth = psk
            id = $me
        }
        remote {
            auth = psk
            id = $peer
        }
        children {
            net {
                local_ts = $lts
                remote_ts = $rts
                esp_proposals = aes128gcm16
                start_action = none
            }
        }
    }
}
secrets {
    ike-gw {
        id-a = 192.0.2.1
        id-b = 192.0.2.2
        secret = 0x$psk
    }
}
CONF
	chmod 600 "$work/$g-swanctl.conf"
done
sed '/^secrets/,$d' "$work/a-swanctl.conf" | indent "  a| "
for g in a b; do
	sw $g --load-all --file "$work/$g-swanctl.conf" >"$work/$g-load.out" 2>&1 || { cat "$work/$g-load.out" >&2; fail "swanctl --load-all on $g failed"; }
done
echo "  swanctl --initiate --child net (on $NA)"
sw a --initiate --child net --timeout 30 >"$work/initiate.out" 2>&1 || { tail -20 "$work/initiate.out" >&2; fail "the CHILD_SA did not come up"; }
grep -E "established|installed" "$work/initiate.out" | indent "    "

step "the CHILD_SA as charon sees it (swanctl --list-sas, $NA)"
sw a --list-sas | indent
step "... and as uipsecd sees it (uipsecctl list-sas / list-policies, $NA)"
ctl a list-sas | indent
ctl a list-policies | indent
echo "  routes in $NA (table 220, installed by uipsecd):"
ip -n $NA route show table 220 | indent "    "

step "ping 10.1.0.1 -> 10.2.0.1 through the tunnel, watching the wire"
ip netns exec $NA timeout 10 tcpdump -n -i eth0 -c 4 -l 'icmp or (udp port 4500 and udp[8:4] != 0)' >"$work/wire.txt" 2>/dev/null &
td=$!
pids+=("$td")
sleep 0.5
ip netns exec $NA ping -c 4 -i 0.3 -I 10.1.0.1 10.2.0.1 || fail "no connectivity through the tunnel"
wait $td 2>/dev/null
echo "  on the wire (tcpdump -i eth0 'icmp or ESP in UDP 4500'): ESP in UDP only, no clear ICMP"
indent "    " <"$work/wire.txt"
grep -q 'UDP-encap: ESP' "$work/wire.txt" || fail "no ESP in UDP seen on the wire"
! grep -q ICMP "$work/wire.txt" || fail "clear-text ICMP seen on the wire"

if command -v iperf3 >/dev/null; then
	step "iperf3, 3 seconds, 10.1.0.1 -> 10.2.0.1 through the tunnel"
	ip netns exec $NB iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 &
	pids+=($!)
	for _ in $(seq 30); do ip netns exec $NB ss -ltn | grep -q ':5201 ' && break; sleep 0.1; done
	ip netns exec $NA iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 3 -f m | grep -E 'sender|receiver' ||
		fail "iperf3 through the tunnel failed"
fi

step "rekeying the CHILD_SA: swanctl --rekey --child net (on $NA)"
old=$(spis a)
echo "  before: SPIs in/out $old"
sw a --rekey --child net >/dev/null || fail "swanctl --rekey failed"
new=$old
for _ in $(seq 100); do
	new=$(spis a)
	[ -n "${new// /}" ] && [ "$new" != "$old" ] && break
	sleep 0.1
done
[ "$new" != "$old" ] || fail "the CHILD_SA was not rekeyed"
echo "  after:  SPIs in/out $new"
ip netns exec $NA ping -c 3 -i 0.2 -I 10.1.0.1 10.2.0.1 | tail -2 | indent || fail "no connectivity after the rekey"
echo "  uipsecctl list-sas ($NA), right after: the new SAs carry the traffic; charon keeps"
echo "  the old inbound SA for charon.delete_rekeyed_delay (5 s) for packets still in flight"
ctl a list-sas | indent "    "
# then charon deletes the rest of the old CHILD_SA in uipsecd
for _ in $(seq 100); do
	[ "$(ctl a list-sas owner charon | grep -c ' charon ')" = 2 ] && break
	sleep 0.1
done
echo "  swanctl --list-sas ($NA), a few seconds later:"
sw a --list-sas | indent "    "
echo "  uipsecctl list-sas ($NA): only the new SPIs are left"
ctl a list-sas | indent "    "
grep -E "rekey|CHILD_SA .*established|closing CHILD_SA" "$work/a-charon.log" | tail -5 | cut -c1-160 | indent "  a| "

step "uipsecd's counters (uipsecctl stats, $NA)"
ctl a stats | indent

step "stopping: charons (they delete their SAs in uipsecd), uipsecd, namespaces"
