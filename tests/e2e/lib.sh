# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the data-path end-to-end tests (sourced, bash).
#
# Each test builds its own network namespaces (names uipt-dp-<test>-*),
# runs one uipsecd per gateway namespace with a generated config, prints
# TAP, and removes everything on exit, also on failure.
# Outer addresses: 192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32; inner 10.x.

set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
UIPSECD=${UIPSECD:-$top_builddir/core/daemon/uipsecd}
UIPSECCTL=${UIPSECCTL:-$top_builddir/core/ctl/uipsecctl}
export UIPSEC_PLUGIN_PATH=${UIPSEC_PLUGIN_PATH:-$top_builddir/plugins/.libs}

# namespace names carry the test's PID: several checkouts may run the
# same tests at the same time on one machine
U=$$
T_NUM=0
T_FAILED=0
T_NS=()
T_PIDS=()
T_TMP=$(mktemp -d /tmp/uipt-dp.XXXXXX)

ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $*"; }
not_ok() { T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_NUM - $*"; }
# check "description" command...: ok when the command succeeds
check() { local d=$1; shift; if "$@" >"$T_TMP/check.out" 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/# /' "$T_TMP/check.out" | tail -20; fi; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { echo "# $*"; }

cleanup() {
	local p ns
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for ns in "${T_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	release_daemon_user
	if [ "$T_FAILED" != 0 ] || [ -n "${UIPT_KEEP_LOGS:-}" ]; then
		for f in "$T_TMP"/*.log; do [ -f "$f" ] && { echo "# --- $f"; tail -30 "$f" | sed 's/^/# /'; }; done
	fi
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

require_root_tools() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, TUN)"
	command -v ip >/dev/null || skip_all "iproute2 not installed"
	[ -c /dev/net/tun ] || skip_all "/dev/net/tun missing"
	[ -x "$UIPSECD" ] || skip_all "uipsecd not built ($UIPSECD)"
	local t
	for t in "$@"; do command -v "$t" >/dev/null || skip_all "$t not installed"; done
}

has_plugin() { [ -e "$(echo "$UIPSEC_PLUGIN_PATH" | cut -d: -f1)/uipsec-$1.so" ]; }

# tunnel_plugins: skip unless io-tun and net-netlink are built; sets
# $crypto to a built crypto plugin (openssl preferred)
tunnel_plugins() {
	has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
	crypto=crypto-openssl
	has_plugin $crypto || crypto=crypto-gcrypt
}

ns_add() {
	# a leftover of an aborted run of this very test: end what runs in it
	if ip netns list | awk '{print $1}' | grep -qx "$1"; then
		local p
		for p in $(ip netns pids "$1" 2>/dev/null); do kill "$p" 2>/dev/null; done
		sleep 0.5
		for p in $(ip netns pids "$1" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$1"
	fi
	ip netns add "$1" || { echo "Bail out! cannot create namespace $1"; exit 1; }
	T_NS+=("$1")
	ip -n "$1" link set lo up
}
# (a function: `nsx NS cmd &` backgrounds a subshell and $! is the
# subshell's, so killing it leaves cmd running; a capture that is stopped
# and then read is started with `ip netns exec NS tcpdump ... &` instead,
# with -U --immediate-mode: without it libpcap hands packets over in blocks
# up to a second late, and the last ones are lost when tcpdump is stopped)
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# veth NS1 IF1 NS2 IF2: a pair between two namespaces, both up
veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# two_gateways NS_A NS_B: two namespaces joined by eth0 (192.0.2.1 <->
# 192.0.2.2), inner addresses 10.1.0.1 (A) and 10.2.0.1 (B) on lo
two_gateways() {
	ns_add "$1"; ns_add "$2"
	veth "$1" eth0 "$2" eth0
	ip -n "$1" addr add 192.0.2.1/24 dev eth0
	ip -n "$2" addr add 192.0.2.2/24 dev eth0
	ip -n "$1" addr add 10.1.0.1/32 dev lo
	ip -n "$2" addr add 10.2.0.1/32 dev lo
}

# ---- the daemon user: uipsecd.user of the daemons daemon_conf writes.
# Default root (uipsecd keeps its privileges, as before the option); a test
# that calls use_daemon_user (or UIPT_DAEMON_USER=uipsec in the
# environment) runs its daemons dropped to user uipsec with CAP_NET_ADMIN
# only. The user is created when missing and removed again by the last test
# using it (one file per test PID under T_DUSER_DIR, under a lock), so tests
# running at the same time share it.
T_DUSER_DIR=/run/uipsec-test-user
T_DUSER_USED=
# use_daemon_user: this test's daemons run as uipsec: its configs are
# group uipsec, mode 0640, and T_TMP is group uipsec, mode 0750, so the
# daemon can read them again at reload (docs/security.md)
use_daemon_user() {
	command -v useradd >/dev/null && command -v flock >/dev/null || skip_all "useradd or flock missing"
	mkdir -p "$T_DUSER_DIR" || { echo "Bail out! cannot create $T_DUSER_DIR"; exit 1; }
	(
		flock 9
		if ! getent passwd uipsec >/dev/null; then
			useradd --system --user-group --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin uipsec || exit 1
			touch "$T_DUSER_DIR/created"
		fi
		touch "$T_DUSER_DIR/$$"
	) 9>"$T_DUSER_DIR/lock" || { echo "Bail out! cannot create the system user uipsec"; exit 1; }
	T_DUSER_USED=1
	UIPT_DAEMON_USER=uipsec
	chgrp uipsec "$T_TMP" && chmod 750 "$T_TMP"
}
# in cleanup: remove the user if the tests created it and none uses it now
release_daemon_user() {
	[ -n "$T_DUSER_USED" ] || return 0
	(
		flock 9
		rm -f "$T_DUSER_DIR/$$"
		local f
		for f in "$T_DUSER_DIR"/[0-9]*; do
			[ -e "$f" ] && ! kill -0 "${f##*/}" 2>/dev/null && rm -f "$f"
		done
		if [ -e "$T_DUSER_DIR/created" ] && ! compgen -G "$T_DUSER_DIR/[0-9]*" >/dev/null; then
			userdel uipsec 2>/dev/null && rm -f "$T_DUSER_DIR/created"
		fi
	) 9>"$T_DUSER_DIR/lock"
	T_DUSER_USED=
}

# start_daemon NAME NS CONF: runs uipsecd in NS, waits until its TUN device is up
start_daemon() {
	local name=$1 ns=$2 conf=$3 tun=${4:-uipsec0}
	ip netns exec "$ns" "$UIPSECD" --foreground --config "$conf" >"$T_TMP/$name.log" 2>&1 &
	local pid=$!
	T_PIDS+=("$pid")
	eval "PID_$name=$pid"
	for _ in $(seq 100); do
		if ip -n "$ns" link show "$tun" 2>/dev/null | grep -q "UP"; then
			# tunnels are installed right after the device comes up
			sleep 0.3
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	diag "uipsecd $name did not come up:"
	sed 's/^/#   /' "$T_TMP/$name.log" | tail -20
	return 1
}

stop_daemon() {
	local name=$1 pid
	pid=$(eval echo "\${PID_$name:-}")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	# 10 s: a sanitizer build's leak check at exit takes a while; its
	# exit status tells whether it found anything (127: already collected)
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null && { sleep 0.1; continue; }
		wait "$pid" 2>/dev/null
		local rc=$?
		[ $rc = 0 ] || [ $rc = 127 ] || { echo "uipsecd $name exited with status $rc"; tail -40 "$T_TMP/$name.log"; return 1; }
		return 0
	done
	return 1
}

# gen_key BYTES: hex key 0x...
gen_key() { echo "0x$(od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n')"; }

# write_conf FILE NAME: the daemon section; the tunnel section is appended by the caller
daemon_conf() {
	local file=$1 name=$2 extra=${3:-}
	cat >"$file" <<CONF
uipsecd {
    pidfile = $T_TMP/$name.pid
    threads = ${UIPT_THREADS:-2}
    control { socket = $T_TMP/$name.sock }
    ike { socket = $T_TMP/$name-ike.sock }
    state_dir = $T_TMP/$name-state
    user = ${UIPT_DAEMON_USER:-root}
    log { default = info }
    $extra
}
CONF
	# tunnels appended to it carry inline keys: uipsecd refuses such a
	# file when group or others may read it; a dropped daemon reads it
	# again at reload through its group
	if [ "${UIPT_DAEMON_USER:-root}" != root ]; then
		chgrp "$UIPT_DAEMON_USER" "$file" && chmod 640 "$file"
	else
		chmod 600 "$file"
	fi
}

# stat_of NAME COUNTER: a counter from uipsecctl stats --json (empty if unavailable)
stat_of() {
	[ -x "$UIPSECCTL" ] || return 1
	"$UIPSECCTL" --socket "$T_TMP/$1.sock" --json stats 2>/dev/null | jq -r ".$2 // .stats.$2 // empty"
}

# stats_json NAME: all counters of daemon NAME (uipsecctl stats --json)
stats_json() { "$UIPSECCTL" --socket "$T_TMP/$1.sock" --json stats; }
# stat_delta BEFORE AFTER COUNTER: how much COUNTER grew between two stats_json
stat_delta() { echo $(( $(jq -r ".$3 // .stats.$3 // 0" <<<"$2") - $(jq -r ".$3 // .stats.$3 // 0" <<<"$1") )); }

# rss_kib PID
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

finish() {
	echo "1..$T_NUM"
	[ "$T_FAILED" = 0 ]
}

# net2net_topo PREFIX: hosts and gateways
#   PREFIX-ha (10.1.0.2) - PREFIX-ga (10.1.0.1 | 192.0.2.1 / 2001:db8::1)
#   - PREFIX-gb (192.0.2.2 / 2001:db8::2 | 10.2.0.1) - PREFIX-hb (10.2.0.2)
# Inner IPv6 as well: 2001:db8:1::/64 behind ga, 2001:db8:2::/64 behind gb.
net2net_topo() {
	local p=$1
	NS_HA=$p-ha NS_GA=$p-ga NS_GB=$p-gb NS_HB=$p-hb
	for n in $NS_HA $NS_GA $NS_GB $NS_HB; do ns_add "$n"; done
	veth "$NS_HA" eth0 "$NS_GA" in0
	veth "$NS_GA" out0 "$NS_GB" out0
	veth "$NS_GB" in0 "$NS_HB" eth0
	for n in $NS_GA $NS_GB; do
		nsx "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	done
	ip -n "$NS_HA" addr add 10.1.0.2/24 dev eth0
	ip -n "$NS_HA" addr add 2001:db8:1::2/64 dev eth0 nodad
	ip -n "$NS_HA" route add default via 10.1.0.1
	ip -n "$NS_HA" -6 route add default via 2001:db8:1::1
	ip -n "$NS_GA" addr add 10.1.0.1/24 dev in0
	ip -n "$NS_GA" addr add 2001:db8:1::1/64 dev in0 nodad
	ip -n "$NS_GA" addr add 192.0.2.1/24 dev out0
	ip -n "$NS_GA" addr add 2001:db8::1/64 dev out0 nodad
	ip -n "$NS_GB" addr add 192.0.2.2/24 dev out0
	ip -n "$NS_GB" addr add 2001:db8::2/64 dev out0 nodad
	ip -n "$NS_GB" addr add 10.2.0.1/24 dev in0
	ip -n "$NS_GB" addr add 2001:db8:2::1/64 dev in0 nodad
	ip -n "$NS_HB" addr add 10.2.0.2/24 dev eth0
	ip -n "$NS_HB" addr add 2001:db8:2::2/64 dev eth0 nodad
	ip -n "$NS_HB" route add default via 10.2.0.1
	ip -n "$NS_HB" -6 route add default via 2001:db8:2::1
}

# nat_topo NS_A NS_N NS_B: gateway A (eth0 198.51.100.2, default via N;
# 10.1.0.1 on lo) behind router N (in0 198.51.100.1 | out0 203.0.113.1,
# forwarding; the NAT rules are the test's) and gateway B (eth0
# 203.0.113.2; 10.2.0.1 on lo)
nat_topo() {
	ns_add "$1"; ns_add "$2"; ns_add "$3"
	veth "$1" eth0 "$2" in0
	veth "$2" out0 "$3" eth0
	ip -n "$1" addr add 198.51.100.2/24 dev eth0
	ip -n "$1" route add default via 198.51.100.1
	ip -n "$1" addr add 10.1.0.1/32 dev lo
	ip -n "$2" addr add 198.51.100.1/24 dev in0
	ip -n "$2" addr add 203.0.113.1/24 dev out0
	ip -n "$3" addr add 203.0.113.2/24 dev eth0
	ip -n "$3" addr add 10.2.0.1/32 dev lo
	nsx "$2" sysctl -qw net.ipv4.ip_forward=1
}

# tunnel_conf FILE NAME LOCAL REMOTE LOCAL_TS REMOTE_TS ESP SPI_IN SPI_OUT KEY_IN KEY_OUT [IKEY_IN IKEY_OUT] [EXTRA]
tunnel_conf() {
	local file=$1 name=$2 local=$3 remote=$4 lts=$5 rts=$6 esp=$7 si=$8 so=$9 ki=${10} ko=${11}
	local iki=${12:-} iko=${13:-} extra=${14:-}
	cat >>"$file" <<CONF
tunnels {
    $name {
        local = $local
        remote = $remote
        local_ts = $lts
        remote_ts = $rts
        esp = $esp
        $extra
        in { spi = $si
             ${ki:+key = $ki}
             ${iki:+integ_key = $iki} }
        out { spi = $so
              ${ko:+key = $ko}
              ${iko:+integ_key = $iko} }
    }
}
CONF
}

# key sizes (bytes) of a proposal: "KEY INTEG" (AEAD keys include the salt)
esp_key_sizes() {
	case $1 in
	aes128gcm*|aes128gmac) echo "20 0" ;;
	aes192gcm*|aes192gmac) echo "28 0" ;;
	aes256gcm*|aes256gmac|chacha20poly1305) echo "36 0" ;;
	aes128ccm*) echo "19 0" ;;
	aes192ccm*) echo "27 0" ;;
	aes256ccm*) echo "35 0" ;;
	null-*) echo "0 ${1#null-}" ;;
	aes128ctr-*) echo "20 ${1#*-}" ;;
	aes192ctr-*) echo "28 ${1#*-}" ;;
	aes256ctr-*) echo "36 ${1#*-}" ;;
	aes128-*) echo "16 ${1#*-}" ;;
	aes192-*) echo "24 ${1#*-}" ;;
	aes256-*) echo "32 ${1#*-}" ;;
	esac | awk '{ i = $2; if (i == "sha1") i = 20; else if (i == "sha256") i = 32; else if (i == "sha384") i = 48;
	              else if (i == "sha512") i = 64; print $1, i }'
}

# gw_pair_confs ESP LOAD_A LOAD_B [EXTRA_DAEMON] [EXTRA_TUNNEL] [OUTER v4|v6] [INNER v4|v6|both]:
# writes $T_TMP/a.conf and b.conf for a tunnel between ga and gb with fresh keys
gw_pair_confs() {
	local esp=$1 load_a=$2 load_b=$3 xd=${4:-} xt=${5:-} outer=${6:-v4} inner=${7:-v4}
	local sizes ks is k1 k2 i1 i2 la lb lts rts
	sizes=$(esp_key_sizes "$esp"); ks=${sizes% *}; is=${sizes#* }
	k1=; k2=; i1=; i2=
	[ "$ks" != 0 ] && { k1=$(gen_key "$ks"); k2=$(gen_key "$ks"); }
	[ "$is" != 0 ] && { i1=$(gen_key "$is"); i2=$(gen_key "$is"); }
	if [ "$outer" = v6 ]; then la=2001:db8::1 lb=2001:db8::2; else la=192.0.2.1 lb=192.0.2.2; fi
	case $inner in
	v4) lts=10.1.0.0/24 rts=10.2.0.0/24 ;;
	v6) lts=2001:db8:1::/64 rts=2001:db8:2::/64 ;;
	both) lts="10.1.0.0/24, 2001:db8:1::/64" rts="10.2.0.0/24, 2001:db8:2::/64" ;;
	esac
	daemon_conf "$T_TMP/a.conf" a "load = $load_a
    $xd"
	daemon_conf "$T_TMP/b.conf" b "load = $load_b
    $xd"
	tunnel_conf "$T_TMP/a.conf" site-b $la $lb "$lts" "$rts" "$esp" 0x1000 0x2000 "$k1" "$k2" "$i1" "$i2" "$xt"
	tunnel_conf "$T_TMP/b.conf" site-a $lb $la "$rts" "$lts" "$esp" 0x2000 0x1000 "$k2" "$k1" "$i2" "$i1" "$xt"
}

# tcp_transfer CLIENT_NS SERVER_NS SERVER_IP BYTES: iperf3 both ways
tcp_transfer() {
	local c=$1 s=$2 ip=$3 n=${4:-1M}
	nsx "$s" iperf3 -s -1 -D -I "$T_TMP/iperf-$s.pid" >/dev/null 2>&1 || return 1
	sleep 0.3
	nsx "$c" timeout 20 iperf3 -c "$ip" -n "$n" >"$T_TMP/iperf.out" 2>&1
	local rc=$?
	kill "$(cat "$T_TMP/iperf-$s.pid" 2>/dev/null)" 2>/dev/null
	[ $rc = 0 ] || { cat "$T_TMP/iperf.out"; return 1; }
	nsx "$s" iperf3 -s -1 -D -I "$T_TMP/iperf-$s.pid" >/dev/null 2>&1 || return 1
	sleep 0.3
	nsx "$c" timeout 20 iperf3 -c "$ip" -n "$n" -R >"$T_TMP/iperf.out" 2>&1
	rc=$?
	kill "$(cat "$T_TMP/iperf-$s.pid" 2>/dev/null)" 2>/dev/null
	[ $rc = 0 ] || cat "$T_TMP/iperf.out"
	return $rc
}

# require_tunnel_pair [TOOLS...]: what tunnel_pair needs (root, plugins,
# uipsecctl), else skip the whole test
require_tunnel_pair() {
	require_root_tools "$@"
	tunnel_plugins
	[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
}

# tunnel_pair NS_A NS_B [EXTRA_DAEMON_A]: two_gateways with daemons a and
# b running an AES-GCM tunnel between them (10.1.0.0/24 <-> 10.2.0.0/24,
# fresh keys); EXTRA_DAEMON_A goes into daemon a's uipsecd section,
# TUNNEL_PAIR_EXTRA into both tunnel sections
tunnel_pair() {
	local crypto k1 k2
	tunnel_plugins
	two_gateways "$1" "$2"
	k1=$(gen_key 20) k2=$(gen_key 20)
	daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink
    ${3:-}"
	daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
	tunnel_conf "$T_TMP/a.conf" b 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$k1" "$k2" "" "" "${TUNNEL_PAIR_EXTRA:-}"
	tunnel_conf "$T_TMP/b.conf" a 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$k2" "$k1" "" "" "${TUNNEL_PAIR_EXTRA:-}"
	start_daemon a "$1" "$T_TMP/a.conf" || not_ok "daemon A starts"
	start_daemon b "$2" "$T_TMP/b.conf" || not_ok "daemon B starts"
}

# ctl_gateway GW NS LOCAL REMOTE LOCAL_NET REMOTE_NET SPI_IN SPI_OUT KEY_IN KEY_OUT:
# over GW's control socket ($T_TMP/GW.sock) an inbound and an outbound
# aes128gcm16 SA (reqid 1000, label adhoc) and policies both ways, then
# the route to REMOTE_NET into NS's uipsec0 (what an IKE daemon would do)
ctl_gateway() {
	local ns=$2 l=$3 r=$4 ln=$5 rn=$6 si=$7 so=$8 ki=$9 ko=${10}
	local c=("$UIPSECCTL" --socket "$T_TMP/$1.sock")
	# as an IKE daemon does: the inbound SA comes before its policies, with its selectors
	ctl_add_sa "$1" in "$l" "$r" "$si" "$ki" "$ln" "$rn" &&
	ctl_add_sa "$1" out "$l" "$r" "$so" "$ko" &&
	"${c[@]}" add-policy src "$ln" dst "$rn" dir out tmpl src "$l" dst "$r" proto esp reqid 1000 mode tunnel &&
	"${c[@]}" add-policy src "$rn" dst "$ln" dir in tmpl src "$r" dst "$l" proto esp reqid 1000 mode tunnel &&
	ip -n "$ns" route add "$rn" dev uipsec0
}

# ctl_add_sa GW in|out LOCAL REMOTE SPI KEY [LOCAL_NET REMOTE_NET]: over
# GW's control socket an aes128gcm16 SA (reqid 1000, label adhoc) from
# REMOTE to LOCAL (in) or LOCAL to REMOTE (out); an inbound one carries the
# selectors LOCAL_NET / REMOTE_NET (needed before its policies exist)
ctl_add_sa() {
	local gw=$1 dir=$2 src=$3 dst=$4 spi=$5 key=$6 ln=${7:-} rn=${8:-}
	[ "$dir" = in ] && { src=$4 dst=$3; }
	ctl "$gw" add-sa src "$src" dst "$dst" proto esp spi "$spi" dir "$dir" reqid 1000 esp aes128gcm16 key "$key" \
		tunnel adhoc ${ln:+local-ts "$ln" remote-ts "$rn"}
}

# ctl GW ARGS...: uipsecctl on gateway GW's control socket
ctl() { local gw=$1; shift; "$UIPSECCTL" --socket "$T_TMP/$gw.sock" "$@"; }

# ctl_unwrap: $UIPSECCTL becomes the program behind libtool's wrapper
# script in a build tree (the wrapper costs a shell and a few seds per
# call: 70 ms, several hundred on a loaded machine), with the library path
# the wrapper would set; for tests that call it several times a second
ctl_unwrap() {
	local out
	[ -x "$top_builddir/libtool" ] || return 0
	out=$("$top_builddir/libtool" --mode=execute sh -c 'printf "%s\n%s\n" "$1" "${LD_LIBRARY_PATH:-}"' sh "$UIPSECCTL") || return 0
	UIPSECCTL=$(sed -n 1p <<<"$out")
	export LD_LIBRARY_PATH
	LD_LIBRARY_PATH=$(sed -n 2p <<<"$out")
}

# ctl_daemons LOAD: uipsecd without tunnels on $NS_GA (a) and $NS_GB (b),
# for SAs and policies added with uipsecctl
ctl_daemons() {
	daemon_conf "$T_TMP/a.conf" a "load = $1"
	daemon_conf "$T_TMP/b.conf" b "load = $1"
	start_daemon a "$NS_GA" "$T_TMP/a.conf" && start_daemon b "$NS_GB" "$T_TMP/b.conf"
}

# stop_daemons: stop daemons a and b (of ctl_daemons), each must exit cleanly
stop_daemons() { stop_daemon a && stop_daemon b; }

# the whole suite dropped: UIPT_DAEMON_USER=uipsec make check ...
if [ "${UIPT_DAEMON_USER:-root}" != root ] && [ "$(id -u)" = 0 ]; then use_daemon_user; fi
