#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uipsecd under valgrind (run by "make check-valgrind", which sets VALGRIND
# to the valgrind command line with its options): --check-config on a good
# and a bad file, --list-plugins, then two gateways in network namespaces of
# their own (the data-path e2e topology of tests/e2e/lib.sh) with ping and
# TCP through the tunnel both ways, SIGHUP reloads (refused and good), every
# kind of control request through uipsecctl (also under valgrind) when it is
# built, and SIGTERM. Every uipsecd and uipsecctl process must exit as
# expected with no valgrind error and no definite leak. Prints TAP.
: "${top_builddir:?}" "${VALGRIND:?run by make check-valgrind}"
. "$top_srcdir/tests/e2e/lib.sh"

# uipsecd through libtool (it is a libtool wrapper), one valgrind log per
# process, named by the step ($VG_STEP) so a failure names what ran.
UIPSECD=$T_TMP/uipsecd-valgrind
cat > "$UIPSECD" <<EOF
#!/bin/sh
exec "$top_builddir/libtool" --mode=execute $VALGRIND \\
	--log-file="$T_TMP/vg-\${VG_STEP:-run}.%p.log" "$top_builddir/core/daemon/uipsecd" "\$@"
EOF
chmod +x "$UIPSECD"
# uipsecctl likewise, when built
UIPSECCTL=
if [ -x "$top_builddir/core/ctl/uipsecctl" ]; then
	UIPSECCTL=$T_TMP/uipsecctl-valgrind
	cat > "$UIPSECCTL" <<EOF
#!/bin/sh
exec "$top_builddir/libtool" --mode=execute $VALGRIND \\
	--log-file="$T_TMP/vg-\${VG_STEP:-ctl}.%p.log" "$top_builddir/core/ctl/uipsecctl" "\$@"
EOF
	chmod +x "$UIPSECCTL"
fi

require_root_tools
[ -x "$top_builddir/core/daemon/uipsecd" ] || skip_all "uipsecd not built"
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
prov_a=crypto-openssl prov_b=crypto-gcrypt
has_plugin crypto-openssl || prov_a=crypto-gcrypt
has_plugin crypto-gcrypt || prov_b=$prov_a
has_plugin "$prov_a" || skip_all "no crypto plugin built"

# valgrind_clean STEP: every valgrind log of STEP exists and reports no error
valgrind_clean() {
	local f keep found=
	for f in "$T_TMP"/vg-"$1".*.log; do
		[ -f "$f" ] || continue
		found=1
		if ! grep -q 'ERROR SUMMARY: 0 errors' "$f"; then
			# kept in the build tree (make clean removes it)
			keep=$top_builddir/tests/valgrind-daemon.$(basename "$f" .log).valgrind.log
			cp "$f" "$keep"
			echo "valgrind errors in $1, full log: $keep"
			return 1
		fi
	done
	[ -n "$found" ] || { echo "no valgrind log for $1"; return 1; }
}
# vg_run STEP WANT_RC ARGS...: one uipsecd run to completion
vg_run() {
	local step=$1 want=$2 rc; shift 2
	VG_STEP=$step "$UIPSECD" "$@" >"$T_TMP/$step.out" 2>&1; rc=$?
	if [ "$want" = nonzero ] && [ $rc != 0 ] || [ "$rc" = "$want" ]; then
		valgrind_clean "$step"
	else
		echo "uipsecd $* exited $rc, expected $want"; tail -20 "$T_TMP/$step.out"; return 1
	fi
}

net2net_topo uipt-vg
gw_pair_confs aes128gcm16 "$prov_a io-tun net-netlink" "$prov_b io-tun net-netlink"
printf 'uipsecd {\n  load = %s io-tun net-netlink\n  user = root\n  threads = two\n}\ntunnels { x { esp = nosuch } }\n' \
	"$prov_a" > "$T_TMP/bad.conf"

check "--check-config on a good file: exit 0, valgrind clean" vg_run check-good 0 --check-config --config "$T_TMP/a.conf"
check "--check-config on a bad file: fails, valgrind clean" vg_run check-bad nonzero --check-config --config "$T_TMP/bad.conf"
check "--list-plugins: valgrind clean" vg_run list-plugins 0 --list-plugins --config "$T_TMP/a.conf"

# vg_start NAME NS CONF: a daemon in NS; waits (valgrind is slow) for its TUN device
vg_start() {
	local name=$1 ns=$2 pid
	VG_STEP=daemon-$name ip netns exec "$ns" "$UIPSECD" --foreground --config "$3" >"$T_TMP/$name.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	eval "PID_$name=$pid"
	for _ in $(seq 600); do
		grep -q "uipsecd running" "$T_TMP/$name.log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$T_TMP/$name.log"
	return 1
}
# vg_stop NAME: SIGTERM, exit status 0 within 60 s
vg_stop() {
	local pid rc
	pid=$(eval echo "\$PID_$1")
	kill "$pid" || return 1
	for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid"; rc=$?
	[ $rc = 0 ] || { echo "uipsecd $1 exited $rc"; tail -20 "$T_TMP/$1.log"; return 1; }
}
# wait_log NAME TEXT: the daemon logged TEXT within 30 s
wait_log() {
	for _ in $(seq 300); do grep -qF -- "$2" "$T_TMP/$1.log" && return 0; sleep 0.1; done
	tail -20 "$T_TMP/$1.log"
	return 1
}
# ctl WANT_RC ARGS...: one uipsecctl request to gateway A (under valgrind)
ctl() {
	local want=$1 rc; shift
	VG_STEP=ctl "$UIPSECCTL" --socket "$T_TMP/a.sock" "$@" >"$T_TMP/ctl.out" 2>&1; rc=$?
	[ $rc = "$want" ] || { echo "uipsecctl $* exited $rc, expected $want:"; tail -5 "$T_TMP/ctl.out"; return 1; }
}
# every kind of request, good and refused, while a monitor client listens
ctl_requests() {
	local key mon
	key=$(gen_key 20)
	VG_STEP=ctl-monitor "$UIPSECCTL" --socket "$T_TMP/a.sock" monitor >"$T_TMP/monitor.out" 2>&1 &
	mon=$!
	ctl 2 add-sa spi && ctl 2 no-such-command &&
	{ VG_STEP=ctl "$UIPSECCTL" --socket "$T_TMP/no-such.sock" status >/dev/null 2>&1; [ $? = 3 ]; } &&
	ctl 0 status && ctl 0 plugins && ctl 0 list-sas && ctl 0 list-policies &&
	ctl 0 list-tunnels && ctl 0 --json stats && ctl 0 stats --prometheus &&
	ctl 0 add-sa src 192.0.2.1 dst 192.0.2.9 spi 0x3000 dir out esp aes128gcm16 key "$key" &&
	ctl 1 add-sa src 192.0.2.1 dst 192.0.2.9 spi 0x3000 dir out esp aes128gcm16 key "$key" &&
	ctl 0 --json list-sas &&
	ctl 0 del-sa spi 0x3000 dir out dst 192.0.2.9 &&
	ctl 1 del-sa spi 0x3000 dir out dst 192.0.2.9 &&
	ctl 0 add-policy src 10.1.5.0/24 dst 10.9.0.0/24 dir out action drop priority 50 &&
	ctl 0 --json list-policies &&
	ctl 0 del-policy src 10.1.5.0/24 dst 10.9.0.0/24 dir out &&
	ctl 1 up no-such-tunnel &&
	ctl 0 down site-b && ctl 0 up site-b &&
	ctl 0 log-level debug esp && ctl 0 log-level info esp &&
	ctl 0 reload
	local rc=$?
	sleep 1
	kill -INT "$mon" 2>/dev/null; wait "$mon" 2>/dev/null
	[ $rc = 0 ] || return $rc
	grep -q "sa-down.*tunnel=site-b" "$T_TMP/monitor.out" || { echo "monitor saw no event:"; cat "$T_TMP/monitor.out"; return 1; }
}
# uipsecctl_clean: every uipsecctl run above was valgrind clean
uipsecctl_clean() { valgrind_clean ctl && valgrind_clean ctl-monitor; }
# a malformed request and a client that disconnects mid-line: error object
# or closed connection, the daemon goes on
ctl_garbage() {
	python3 - "$T_TMP/a.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"not json\n[1,2]\n{"v":1,"cmd":"no-such"}\n')
f = s.makefile("rb")
for _ in range(3):
    line = f.readline()
    assert line and "error" in json.loads(line), line
s.close()
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'{"v":1,"cm'); s.close()
PY
}

if check "gateway A starts under valgrind" vg_start a "$NS_GA" "$T_TMP/a.conf" &&
   check "gateway B starts under valgrind" vg_start b "$NS_GB" "$T_TMP/b.conf"; then
	sleep 1   # tunnels are installed right after start-up
	check "ping host A -> host B" nsx "$NS_HA" ping -c 3 -i 0.3 -W 5 10.2.0.2
	check "ping host B -> host A" nsx "$NS_HB" ping -c 3 -i 0.3 -W 5 10.1.0.2
	check "large ping (1300 bytes) A -> B" nsx "$NS_HA" ping -c 2 -i 0.3 -W 5 -s 1300 10.2.0.2
	if command -v iperf3 >/dev/null; then
		check "TCP A -> B and B -> A (iperf3, 256 KB each way)" tcp_transfer "$NS_HA" "$NS_HB" 10.2.0.2 256K
	fi
	cp "$T_TMP/a.conf" "$T_TMP/a.conf.good"
	echo 'uipsecd { threads = oops' >> "$T_TMP/a.conf"
	kill -HUP "$PID_a"
	check "SIGHUP with a bad file: refused, running config kept" \
		wait_log a "reload failed, keeping the running configuration"
	sed 's/default = info/default = debug/' "$T_TMP/a.conf.good" > "$T_TMP/a.conf"
	kill -HUP "$PID_a"
	check "SIGHUP reloads gateway A" wait_log a "reload: uipsecd.log.default changed"
	check "ping after the reload" nsx "$NS_HA" ping -c 2 -i 0.3 -W 5 10.2.0.2
	if [ -n "$UIPSECCTL" ] && [ -S "$T_TMP/a.sock" ]; then
		check "control socket: every request kind, good and refused, with a monitor client" ctl_requests
		check "uipsecctl (every run above): valgrind clean" uipsecctl_clean
		command -v python3 >/dev/null && check "control socket: malformed requests get error objects" ctl_garbage
		check "ping after the control requests (tunnel down/up)" nsx "$NS_HA" ping -c 2 -i 0.3 -W 5 10.2.0.2
	else
		diag "no control socket: control requests not exercised"
	fi
fi
check "gateway A stops with exit status 0" vg_stop a
check "gateway B stops with exit status 0" vg_stop b
check "gateway A: valgrind clean (no errors, no definite leaks)" valgrind_clean daemon-a
check "gateway B: valgrind clean (no errors, no definite leaks)" valgrind_clean daemon-b
finish
