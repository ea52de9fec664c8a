#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench-charon: what strongSwan's charon on top of uipsecd costs (issue
# 14). Same topology and measurement as bench-tunnel.sh and the anchors in
# ../shared/anchors/perf (two namespaces, veth 192.0.2.1 <-> 192.0.2.2, inner
# 10.1.0.1 / 10.2.0.1 on lo, iperf3 client in A, server in B, all on the
# same CPUs), AES-128-GCM, in one run:
#   charon-uipsec   (a) charon + kernel-uipsec (IKEv2 PSK) + uipsecd
#                       (crypto-openssl, 2 threads, no configured tunnels)
#   uipsec-manual   (b) uipsecd alone with manual keys: bench-tunnel.sh's
#                       row uipsec-gcm-openssl-t2, run by that script
#   charon-libipsec (c) charon + kernel-libipsec: the anchors' 02-strongswan.sh gcm
# Columns: single TCP stream (median of RUNS), 4 streams, UDP flood
# received, and the peak RSS (VmHWM, includes the UDP flood) of the data
# plane (uipsecd in a and b, charon in c) and of everything IPsec on gateway
# A (a: uipsecd + charon). Then the ratios (a)/(b) and (a)/(c).
#
# Environment: ANCHORS (default ../shared/anchors/perf from the source
# tree), IPERF_T, RUNS (as the anchors), ROWS to pick rows (e.g.
# ROWS="charon-uipsec charon-libipsec"), KERNEL_UIPSEC_PLUGIN (default the
# build tree's), CHARON (default /usr/lib/ipsec/charon), CHARON_TUN_MTU
# (uipsecd's TUN MTU in (a), default 1438 as in (b); "auto": uipsecd's own
# default without tunnels, 1400).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
ANCHORS=${ANCHORS:-$top_srcdir/../shared/anchors/perf}
[ -f "$ANCHORS/lib.sh" ] || ANCHORS=/work/shared/anchors/perf
[ -f "$ANCHORS/lib.sh" ] || { echo "bench-charon: anchors not found (set ANCHORS=)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "bench-charon: needs root (namespaces); skipped"; exit 0; }
export OUT_DIR=${OUT_DIR:-$top_builddir/tests/bench/out-charon}
export RESULTS_TSV=$OUT_DIR/results.tsv
export NS_A=uipt-dp-bchar-a NS_B=uipt-dp-bchar-b
# the peak RSS column is measured during the UDP flood: always run it
export DO_UDP=1
. "$ANCHORS/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
UIPSECD=$top_builddir/core/daemon/uipsecd
export UIPSEC_PLUGIN_PATH=${UIPSEC_PLUGIN_PATH:-$top_builddir/plugins/.libs}
PLUGIN=${KERNEL_UIPSEC_PLUGIN:-$top_builddir/integrations/strongswan/.libs/libstrongswan-kernel-uipsec.so}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
rm -rf "$OUT_DIR"; mkdir -p "$OUT_DIR"
ESP=aes128gcm16
# uipsecd's TUN MTU in (a): with no tunnel configured uipsecd cannot derive
# it from the algorithms and takes 1400; 1438 is what (b) computes for
# AES-GCM over IPv4, so (a)/(b) compares the same data plane. auto: unset
TUN_MTU=${CHARON_TUN_MTU:-1438}

# (a): uipsecd without tunnels + charon with kernel-uipsec on each side
charon_uipsec_row() {
	local label=charon-uipsec d=$OUT_DIR/charon-uipsec s ns me peer lts rts ua ub ca cb
	if [ ! -x "$CHARON" ] || ! command -v swanctl >/dev/null; then
		log "$label: strongSwan not installed (strongswan-charon strongswan-swanctl libstrongswan-standard-plugins); row skipped"; return 0
	fi
	[ -f "$PLUGIN" ] || { log "$label: kernel-uipsec plugin not built ($PLUGIN); row skipped"; return 0; }
	[ -x "$UIPSECD" ] || { log "$label: uipsecd not built ($UIPSECD); row skipped"; return 0; }
	ns_setup
	add_inner "$NS_A" 10.1.0.1/32
	add_inner "$NS_B" 10.2.0.1/32
	mkdir -p "$d"
	for s in a b; do
		if [ $s = a ]; then me=$IP_A peer=$IP_B lts=10.1.0.0/24 rts=10.2.0.0/24
		else me=$IP_B peer=$IP_A lts=10.2.0.0/24 rts=10.1.0.0/24; fi
		mkdir -p "$d/$s/swanctl"
		# as bench-tunnel.sh's uipsec rows, without the tunnel
		cat >"$d/$s/uipsecd.conf" <<CONF
uipsecd {
    load = crypto-openssl io-tun net-netlink
    user = root
    threads = 2
    pidfile = $d/$s/uipsecd.pid
    state_dir = $d/$s/state
    control { socket = $d/$s/uipsecd.sock }
    ike { socket = $d/$s/ike.sock }
    plugins { io-tun {
        offload = ${OFFLOAD:-yes}
        $([ "$TUN_MTU" = auto ] || echo "mtu = $TUN_MTU")
    } }
}
CONF
		# as the anchors' 02-strongswan.sh, with kernel-uipsec (preloaded)
		# in place of kernel-libipsec and socket-default (docs/strongswan.md)
		cat >"$d/$s/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce openssl aes sha1 sha2 hmac gcm pem pkcs1 x509 pubkey curve25519 kdf kernel-uipsec kernel-netlink vici
    routing_table = 0
    ignore_routing_tables = 220
    plugins {
        vici {
            socket = unix://$d/$s/charon.vici
        }
        kernel-uipsec {
            socket = unix://$d/$s/uipsecd.sock
            ike_socket = $d/$s/ike.sock
        }
    }
    filelog {
        charonlog {
            path = $d/$s/charon.log
            append = no
            flush_line = yes
            time_format = %T
            default = 1
            knl = 1
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
}
CONF
		cat >"$d/$s/swanctl/swanctl.conf" <<CONF
connections {
    bench {
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
                mode = tunnel
                local_ts = $lts
                remote_ts = $rts
                esp_proposals = $ESP
                start_action = none
            }
        }
    }
}
secrets {
    ike-bench {
        id-a = $IP_A
        id-b = $IP_B
        secret = "uipsec-bench-charon-psk-not-secret-0123456789"
    }
}
CONF
	done
	ip netns exec "$NS_A" "$UIPSECD" --foreground --config "$d/a/uipsecd.conf" >"$d/a/uipsecd.log" 2>&1 &
	ua=$!; PIDS+=("$ua")
	ip netns exec "$NS_B" "$UIPSECD" --foreground --config "$d/b/uipsecd.conf" >"$d/b/uipsecd.log" 2>&1 &
	ub=$!; PIDS+=("$ub")
	wait_for 10 test -S "$d/a/ike.sock" -a -S "$d/b/ike.sock" || { log "$label: uipsecd did not start"; tail -5 "$d"/?/uipsecd.log >&2; cleanup; return 1; }
	# as 02-strongswan.sh: a private tmpfs on /run per charon (its PID file);
	# ip netns exec -> unshare -m -> sh -> exec charon: $! is charon
	for s in a b; do
		if [ $s = a ]; then ns=$NS_A; else ns=$NS_B; fi
		ip netns exec "$ns" unshare -m --propagation private \
			sh -c 'mount -t tmpfs -o size=4m,mode=0755 bench-run /run && exec env LD_PRELOAD="$3" STRONGSWAN_CONF="$1" "$2" --use-syslog' \
			charon-wrap "$d/$s/strongswan.conf" "$CHARON" "$PLUGIN" >"$d/$s/charon.stdout" 2>&1 &
		if [ $s = a ]; then ca=$!; else cb=$!; fi
		PIDS+=("$!")
	done
	wait_for 10 test -S "$d/a/charon.vici" -a -S "$d/b/charon.vici" ||
		{ log "$label: charon did not start"; cat "$d"/?/charon.stdout >&2; tail -5 "$d"/?/charon.log >&2; cleanup; return 1; }
	for s in a b; do
		if [ $s = a ]; then ns=$NS_A; else ns=$NS_B; fi
		ip netns exec "$ns" env STRONGSWAN_CONF="$d/$s/strongswan.conf" swanctl --load-all --uri "unix://$d/$s/charon.vici" \
			--file "$d/$s/swanctl/swanctl.conf" >"$d/$s/swanctl-load.log" 2>&1 ||
			{ log "$label: swanctl --load-all on $s failed"; cat "$d/$s/swanctl-load.log" >&2; cleanup; return 1; }
	done
	if ! ip netns exec "$NS_A" env STRONGSWAN_CONF="$d/a/strongswan.conf" swanctl --initiate --uri "unix://$d/a/charon.vici" \
		--child net --timeout 15 >"$d/a/initiate.log" 2>&1; then
		log "$label: IKE/CHILD SA not established"; tail -10 "$d/a/initiate.log" >&2; cleanup; return 1
	fi
	grep -q "loaded plugins: .*kernel-uipsec" "$d/a/charon.log" || { log "$label: charon did not load kernel-uipsec"; cleanup; return 1; }
	if ! wait_for 10 ip netns exec "$NS_A" ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1; then
		log "$label: no connectivity through the tunnel"; tail -5 "$d/a/uipsecd.log" >&2; cleanup; return 1
	fi
	# monitored: uipsecd a, uipsecd b, charon a, charon b
	measure "$label" "$NS_A" "$NS_B" 10.2.0.1 10.1.0.1 "$ua $ub $ca $cb" \
		"charon+kernel-uipsec+uipsecd $ESP crypto-openssl threads=2, TUN MTU $(ip -n "$NS_A" -o link show uipsec0 | sed 's/.* mtu \([0-9]*\).*/\1/'); CPU/RSS: uipsecd a/b, charon a/b"
	cleanup
}

ALL_ROWS="charon-uipsec uipsec-manual charon-libipsec"
for row in ${ROWS:-$ALL_ROWS}; do
	case $row in
	charon-uipsec) charon_uipsec_row || log "$row failed" ;;
	uipsec-manual)
		# bench-tunnel.sh's own row, into a directory of its own; its result line is ours
		OUT_DIR=$OUT_DIR/bench-tunnel ROWS=uipsec-gcm-openssl-t2 bash "$top_srcdir/tests/bench/bench-tunnel.sh" >"$OUT_DIR/bench-tunnel.log" 2>&1
		if [ -s "$OUT_DIR/bench-tunnel/results.tsv" ]; then
			sed 's/^[^\t]*\t/uipsec-manual\t/' "$OUT_DIR/bench-tunnel/results.tsv" >>"$RESULTS_TSV"
		else
			log "$row failed:"; tail -5 "$OUT_DIR/bench-tunnel.log" >&2
		fi ;;
	charon-libipsec)
		if [ -x /usr/lib/ipsec/charon ] && [ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ]; then
			if bash "$ANCHORS/02-strongswan.sh" gcm; then
				sed -i 's/^strongswan-aes128gcm16\t/charon-libipsec\t/' "$RESULTS_TSV"
			else
				log "$row failed"
			fi
		else
			log "$row: strongSwan's kernel-libipsec not installed (libcharon-extra-plugins); row skipped"
		fi ;;
	*) log "unknown row $row (rows: $ALL_ROWS)" ;;
	esac
	cleanup
done
[ -s "$RESULTS_TSV" ] || { echo "bench-charon: no row ran"; exit 1; }

# field NAME COLUMN: column COLUMN (1-based, results.tsv) of row NAME
field() { awk -F'\t' -v r="$1" -v c="$2" '$1 == r {print $c}' "$RESULTS_TSV"; }
# peak RSS (MiB): dp = the data plane on gateway A, all = everything IPsec on A
peak_dp() { field "$1" 9 | cut -d/ -f1; }
peak_all() {
	case $1 in
	charon-uipsec) field "$1" 9 | awk -F/ '{print $1 + $3}' ;;
	*) peak_dp "$1" ;;
	esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b}'; }

echo
echo "## charon + kernel-uipsec benchmark ($(date -u '+%F %T') UTC, $(nproc) CPUs, IPERF_T=$IPERF_T RUNS=$RUNS, $ESP)"
printf '%-17s %7s  %-16s %7s  %-14s %-12s %-9s %-11s %s\n' ROW "TCP1" "TCP1 runs" "TCP P4" "UDP rx (loss)" "peak MiB A" "peak all" "CPU%" "host busy"
while IFS=$'\t' read -r label t1 runs p4 udp loss cpu _ _ busy _; do
	printf '%-17s %7s  %-16s %7s  %-14s %-12s %-9s %-11s %s\n' "$label" "$t1" "$runs" "$p4" "$udp ($loss%)" \
		"$(peak_dp "$label")" "$(peak_all "$label")" "$cpu" "$busy%"
done <"$RESULTS_TSV"
echo "(Mbit/s; peak MiB A: VmHWM of gateway A's data plane after the UDP flood (uipsecd, or charon for"
echo " kernel-libipsec); peak all: uipsecd + charon on A for charon-uipsec; CPU%: per monitored process,"
echo " charon-uipsec: uipsecd a/b, charon a/b)"
echo
printf '%-40s %6s %8s %11s %9s\n' ratios TCP1 "TCP P4" "peak MiB A" "peak all"
for pair in "charon-uipsec uipsec-manual (a)/(b)" "charon-uipsec charon-libipsec (a)/(c)"; do
	read -r x y name <<<"$pair"
	if [ -n "$(field "$x" 1)" ] && [ -n "$(field "$y" 1)" ]; then
		printf '%-40s %6s %8s %11s %9s\n' "$name $x/$y" "$(ratio "$(field "$x" 2)" "$(field "$y" 2)")" \
			"$(ratio "$(field "$x" 4)" "$(field "$y" 4)")" "$(ratio "$(peak_dp "$x")" "$(peak_dp "$y")")" \
			"$(ratio "$(peak_all "$x")" "$(peak_all "$y")")"
	fi
done
echo
echo "notes:"
cut -f1,11 "$RESULTS_TSV" | sed 's/\t/: /; s/^/  /'
