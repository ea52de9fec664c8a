#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: the tunnel benchmark. Same topology and measurement as the
# anchors in ../shared/anchors/perf (two namespaces, veth, iperf3 client in
# A, server in B, everything on the same CPUs), same run:
#   baseline (plain veth), uipsec AES-128-GCM and AES-128-CBC/HMAC-SHA-256
#   with crypto-openssl and crypto-gcrypt, threads 1 and 2, and strongSwan
#   kernel-libipsec (when installed) via the anchors' own script.
# Columns: single TCP stream (median), 4 streams, UDP flood, daemon CPU,
# RSS, peak RSS (includes the UDP flood).
#
# Environment: ANCHORS=dir of the anchor scripts (default ../shared/anchors/perf
# from the source tree), IPERF_T, RUNS, DO_UDP (as the anchors), ROWS to pick
# rows (e.g. ROWS="uipsec-gcm-openssl-t2 baseline"). A row ending in
# -norelay runs with the IKE relay off (ike.socket = none): the ESP cost of
# the relay is the difference to the same row without the suffix. A row
# ending in -raw runs the tunnel in raw ESP (encap = no, IP protocol 50)
# beside its ESP-in-UDP twin.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
ANCHORS=${ANCHORS:-$top_srcdir/../shared/anchors/perf}
[ -f "$ANCHORS/lib.sh" ] || ANCHORS=/work/shared/anchors/perf
[ -f "$ANCHORS/lib.sh" ] || { echo "bench-tunnel: anchors not found (set ANCHORS=)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "bench-tunnel: needs root (namespaces); skipped"; exit 0; }
export OUT_DIR=${OUT_DIR:-$top_builddir/tests/bench/out}
export RESULTS_TSV=$OUT_DIR/results.tsv
export NS_A=uipt-dp-bench-a NS_B=uipt-dp-bench-b
. "$ANCHORS/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
UIPSECD=$top_builddir/core/daemon/uipsecd
export UIPSEC_PLUGIN_PATH=${UIPSEC_PLUGIN_PATH:-$top_builddir/plugins/.libs}
rm -rf "$OUT_DIR"; mkdir -p "$OUT_DIR"

hexkey() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# uipsec_conf SIDE LOCAL REMOTE LTS RTS SPI_IN SPI_OUT ESP KEY_IN KEY_OUT IKEY_IN IKEY_OUT CRYPTO THREADS
# (RELAY=no: without the IKE relay socket; ENCAP=no: raw ESP)
uipsec_conf() {
	cat <<CONF
uipsecd {
    load = ${13} io-tun net-netlink
    user = root
    threads = ${14}
    pidfile = $OUT_DIR/$1.pid
    control { socket = $OUT_DIR/$1.sock }
    ike { socket = $([ "${RELAY:-yes}" = no ] && echo none || echo "$OUT_DIR/$1-ike.sock") }
    plugins { io-tun { offload = ${OFFLOAD:-yes} } }
}
tunnels {
    bench {
        local = $2
        remote = $3
        local_ts = $4
        remote_ts = $5
        esp = $8
        encap = ${ENCAP:-yes}
        in { spi = $6
             key = 0x$9
             ${11:+integ_key = 0x${11}} }
        out { spi = $7
              key = 0x${10}
              ${12:+integ_key = 0x${12}} }
    }
}
CONF
}

# uipsec_row LABEL ESP CRYPTO THREADS
uipsec_row() {
	local label=$1 esp=$2 crypto=$3 threads=$4 k1 k2 i1= i2= pa pb
	case $esp in
	aes128gcm16) k1=$(hexkey 20); k2=$(hexkey 20) ;;
	aes128-sha256) k1=$(hexkey 16); k2=$(hexkey 16); i1=$(hexkey 32); i2=$(hexkey 32) ;;
	esac
	ns_setup
	add_inner "$NS_A" 10.1.0.1/32
	add_inner "$NS_B" 10.2.0.1/32
	uipsec_conf a "$IP_A" "$IP_B" 10.1.0.0/24 10.2.0.0/24 0x1000 0x2000 "$esp" "$k1" "$k2" "$i1" "$i2" "$crypto" "$threads" >"$OUT_DIR/$label-a.conf"
	uipsec_conf b "$IP_B" "$IP_A" 10.2.0.0/24 10.1.0.0/24 0x2000 0x1000 "$esp" "$k2" "$k1" "$i2" "$i1" "$crypto" "$threads" >"$OUT_DIR/$label-b.conf"
	chmod 600 "$OUT_DIR/$label-a.conf" "$OUT_DIR/$label-b.conf"   # inline keys
	ip netns exec "$NS_A" "$UIPSECD" --foreground --config "$OUT_DIR/$label-a.conf" >"$OUT_DIR/$label-a.log" 2>&1 &
	pa=$!; PIDS+=("$pa")
	ip netns exec "$NS_B" "$UIPSECD" --foreground --config "$OUT_DIR/$label-b.conf" >"$OUT_DIR/$label-b.log" 2>&1 &
	pb=$!; PIDS+=("$pb")
	if ! wait_for 10 ip netns exec "$NS_A" ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1; then
		log "$label: no connectivity through the tunnel"; tail -5 "$OUT_DIR/$label-a.log" >&2
		cleanup; return 1
	fi
	measure "$label" "$NS_A" "$NS_B" 10.2.0.1 10.1.0.1 "$pa $pb" \
		"uipsecd $esp $crypto threads=$threads, TUN MTU $(ip -n "$NS_A" -o link show uipsec0 | sed 's/.* mtu \([0-9]*\).*/\1/')"
	cleanup
}

ALL_ROWS="baseline uipsec-gcm-openssl-t1 uipsec-gcm-openssl-t1-raw uipsec-gcm-openssl-t2 uipsec-gcm-openssl-t2-raw uipsec-gcm-openssl-t2-norelay uipsec-gcm-gcrypt-t2 uipsec-cbc-openssl-t2 uipsec-cbc-openssl-t2-raw uipsec-cbc-gcrypt-t2 strongswan-gcm strongswan-cbc"
for row in ${ROWS:-$ALL_ROWS}; do
	case $row in
	baseline) ns_setup; measure baseline "$NS_A" "$NS_B" "$IP_B" "$IP_A" "" "plain veth, MTU 1500, no tunnel"; cleanup ;;
	uipsec-*)
		IFS=- read -r _ mode crypto t relay <<<"$row"
		esp=aes128gcm16; [ "$mode" = cbc ] && esp=aes128-sha256
		RELAY=yes; [ "$relay" = norelay ] && RELAY=no
		ENCAP=yes; [ "$relay" = raw ] && ENCAP=no
		ENCAP=$ENCAP RELAY=$RELAY uipsec_row "uipsec-$esp-$crypto-${t#t}thr${relay:+-$relay}" "$esp" "crypto-$crypto" "${t#t}" ;;
	strongswan-*)
		if [ -x /usr/lib/ipsec/charon ]; then
			NS_A=uipt-dp-bench-a NS_B=uipt-dp-bench-b bash "$ANCHORS/02-strongswan.sh" "${row#strongswan-}" || log "$row failed"
		else
			log "$row: strongSwan not installed (apt-get install strongswan-charon libcharon-extra-plugins strongswan-swanctl); row skipped"
		fi ;;
	esac
done

echo
echo "## uipsec tunnel benchmark ($(date -u '+%F %T') UTC, $(nproc) CPUs, IPERF_T=$IPERF_T RUNS=$RUNS)"
printf '%-38s %7s  %-18s %7s  %-15s %-8s %-8s %-9s %s\n' ROW TCP1 "TCP1 runs" P4 "UDP rx (loss)" "CPU% a/b" "RSS a/b" "peak a/b" "host busy"
while IFS=$'\t' read -r label t1 runs p4 udp loss cpu rss hwm busy note; do
	printf '%-38s %7s  %-18s %7s  %-15s %-8s %-8s %-9s %s\n' "$label" "$t1" "$runs" "$p4" "$udp ($loss%)" "$cpu" "$rss" "$hwm" "$busy%"
done <"$RESULTS_TSV"
echo
echo "notes:"
cut -f1,11 "$RESULTS_TSV" | sed 's/\t/: /; s/^/  /'
