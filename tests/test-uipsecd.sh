#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uipsecd: --check-config with a missing plugin, a bad-ABI plugin, no
# network backend / packet I/O (non-zero exit and the exact messages), a
# good configuration, --list-plugins, --version (test plugins of
# tests/plugins, found through UIPSEC_PLUGIN_PATH); then real runs with the
# real io-tun and net-netlink plugins in a network namespace of its own:
# pidfile, second instance refused, SIGHUP reload, SIGTERM stop, background
# start (skipped when those plugins are not built).
set -u
: "${top_builddir:?}" "${UIPSEC_PLUGIN_PATH:?}"
uipsecd="$top_builddir/core/daemon/uipsecd"
tmp=$(mktemp -d /tmp/uipt-loader.XXXXXX)
daemon_pid=
ns=uipt-loader-$$
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp/out" "$tmp/err" 2>/dev/null; }

# check NAME EXPECTED_RC CONFIG_TEXT [ARGS...]: run, compare the exit status
# uipsecd.user = root: these daemons keep their privileges (appended, so
# the line numbers the checks expect stay)
conf() { printf '%s\nuipsecd.user = root\n' "$1" > "$tmp/uipsec.conf"; }
run() { "$uipsecd" --config "$tmp/uipsec.conf" "$@" > "$tmp/out" 2> "$tmp/err"; }
# has FILE TEXT: fixed-string search
has() { grep -qF -- "$2" "$tmp/$1"; }
# logged LEVEL SUBSYS TEXT: a log line of that level and subsystem on stderr
logged() { grep -F -- "[$2] " "$tmp/err" | grep -F -- "$3" | grep -qi -- "\] $1 "; }

plugdir="$top_builddir/tests/plugins/.libs"
IFS=: read -r -a dirs <<< "$UIPSEC_PLUGIN_PATH"
searched=$(printf '%s, ' "${dirs[@]}")

echo 1..16

conf 'uipsecd.load = test-net test-pktio no-such'
run --check-config; rc=$?
if [ $rc -ne 0 ] && logged warn loader "plugin 'no-such' (uipsec-no-such.so): failed to load - not found in $searched" \
   && has out "1 plugin(s) failed, ERRORS"; then ok "--check-config: missing plugin"; else not_ok "--check-config: missing plugin (rc $rc)"; fi

conf 'uipsecd.load = test-net test-pktio abi-major'
run --check-config; rc=$?
# tests/plugins/abi_major.c is built for the core's major + 1
abi=$(sed -n 's/^#define UIPSEC_ABI_MAJOR \([0-9]*\)$/\1/p' "${top_srcdir:?}/core/uipsec/plugin.h")
if [ $rc -ne 0 ] && has err "plugin 'abi-major' ($plugdir/uipsec-abi-major.so): failed to load - ABI mismatch: plugin built for ABI $((abi + 1)).0, core has $abi.0"; then
	ok "--check-config: bad ABI"; else not_ok "--check-config: bad ABI (rc $rc)"; fi

conf 'uipsecd.load = test-pktio'
run --check-config; rc=$?
if [ $rc -ne 0 ] && logged error loader "no network backend: load net-netlink (Linux) or net-pfroute (BSD/macOS)"; then
	ok "--check-config: no network backend"; else not_ok "--check-config: no network backend (rc $rc)"; fi

conf 'uipsecd.load = test-net'
run --check-config; rc=$?
if [ $rc -ne 0 ] && has err "no packet I/O: load io-tun"; then
	ok "--check-config: no packet I/O"; else not_ok "--check-config: no packet I/O (rc $rc)"; fi

conf 'uipsecd.load = test-net abi-major! test-pktio'
run --check-config; rc=$?
if [ $rc -ne 0 ] && logged error loader "plugin 'abi-major'" && has err "critical plugin(s) failed to load: abi-major"; then
	ok "--check-config: critical plugin"; else not_ok "--check-config: critical plugin (rc $rc)"; fi

conf 'uipsecd { load = test-net test-pktio
  plugins.test-net.greting = x
}'
run --check-config; rc=$?
if [ $rc -eq 0 ] && has out "loaded plugins: test-net test-pktio" && has out "configuration OK" \
   && has err "unknown option 'uipsecd.plugins.test-net.greting', did you mean 'uipsecd.plugins.test-net.greeting'?"; then
	ok "--check-config: good config, plugin option typo warned"; else not_ok "--check-config: good config (rc $rc)"; fi

conf 'uipsecd { load = test-net
  oops
}'
run --check-config; rc=$?
if [ $rc -ne 0 ] && has err "$tmp/uipsec.conf:2"; then ok "--check-config: syntax error names file:line"; else not_ok "--check-config: syntax error (rc $rc)"; fi

# inline keys: the config file is key material, refused like a key_file
# when group or others may read it (file:line of the key)
key_conf() {
	conf "uipsecd.load = test-net test-pktio crypto-openssl
tunnels.t {
  local = 192.0.2.1
  remote = 192.0.2.2
  local_ts = 10.1.0.0/24
  remote_ts = 10.2.0.0/24
  esp = aes128gcm16
  in { spi = 0x1000
       key = 0x00112233445566778899aabbccddeeff00112233 }
  out { spi = 0x2000
        key = 0x00112233445566778899aabbccddeeff00112233 }
}"
	chmod "$1" "$tmp/uipsec.conf"
}
key_conf 0644
run --check-config; rc=$?
if [ $rc -ne 0 ] && has err "$tmp/uipsec.conf:9: tunnel t: in.key: config file $tmp/uipsec.conf is readable by group or others (mode 0644); refusing it (chmod 600)"; then
	ok "--check-config: inline keys in a 0644 config refused with file:line"; else not_ok "--check-config: inline keys in a 0644 config (rc $rc)"; fi
key_conf 0600
run --check-config; rc=$?
if [ $rc -eq 0 ] && has out "configuration OK"; then
	ok "--check-config: inline keys in a 0600 config accepted"; else not_ok "--check-config: inline keys in a 0600 config (rc $rc)"; fi
rm -f "$tmp/uipsec.conf"

conf 'uipsecd.load = prio-low prio-high test-pktio'
run --list-plugins; rc=$?
if [ $rc -eq 0 ] && grep -Eq '^  NET +prio-high \(priority 5\) \[in use\], prio-low \(priority 1\)$' "$tmp/out" \
   && has out "provides CUSTOM:prio (priority 1)"; then
	ok "--list-plugins: providers and winners"; else not_ok "--list-plugins (rc $rc)"; fi

run --version; rc=$?
if [ $rc -eq 0 ] && grep -q '^uipsecd [0-9]' "$tmp/out"; then ok "--version"; else not_ok "--version"; fi

# ---- real runs: io-tun and net-netlink in a namespace of our own
real_conf() {
	conf "uipsecd { load = io-tun net-netlink
  pidfile = $tmp/uipsecd.pid
  control.socket = $tmp/uipsecd.sock
  plugins.io-tun.name = uipt-ld0
$1
}"
}
skip_real() {
	for t in "pidfile holds the daemon's pid" "second instance refused" "SIGHUP reload (a bad file is refused), SIGTERM stop" \
	         "background start reports a start-up error" "background start, SIGTERM stop"; do
		n=$((n + 1)); echo "ok $n - $t # SKIP $1"
	done
}
if [ ! -f "$top_builddir/plugins/.libs/uipsec-io-tun.so" ] || [ ! -f "$top_builddir/plugins/.libs/uipsec-net-netlink.so" ]; then
	skip_real "io-tun or net-netlink not built"
elif ! ip netns add "$ns" 2>/dev/null; then
	skip_real "cannot create a network namespace"
else
nsrun() { ip netns exec "$ns" "$@"; }
real_conf ""
nsrun "$uipsecd" --config "$tmp/uipsec.conf" --foreground > "$tmp/daemon.out" 2> "$tmp/daemon.err" &
daemon_pid=$!
for _ in $(seq 50); do grep -q "uipsecd running" "$tmp/daemon.err" && break; sleep 0.1; done
pid=$(cat "$tmp/uipsecd.pid" 2>/dev/null)
cp "$tmp/daemon.err" "$tmp/err"
if [ -n "$pid" ] && { [ "$pid" = "$daemon_pid" ] || [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$daemon_pid" ]; }; then
	ok "pidfile holds the daemon's pid"; else not_ok "pidfile"; fi

nsrun "$uipsecd" --config "$tmp/uipsec.conf" --foreground > "$tmp/out" 2> "$tmp/err"; rc=$?
if [ $rc -ne 0 ] && has err "another uipsecd is running (pid $pid, pidfile $tmp/uipsecd.pid)"; then
	ok "second instance refused"; else not_ok "second instance (rc $rc)"; fi

real_conf "  threads = oops"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "reload failed, keeping the running configuration" "$tmp/daemon.err" && break; sleep 0.1; done
real_conf "  threads = 3"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "reload: uipsecd.threads added: 3" "$tmp/daemon.err" && break; sleep 0.1; done
kill -TERM "$pid"; wait "$daemon_pid"; rc=$?; daemon_pid=
cp "$tmp/daemon.err" "$tmp/err"
if [ $rc -eq 0 ] && has err "reload failed, keeping the running configuration: $tmp/uipsec.conf:5:" \
   && has err "reload: uipsecd.threads added: 3" && has err "uipsecd stopped" && [ ! -e "$tmp/uipsecd.pid" ]; then
	ok "SIGHUP reload (a bad file is refused), SIGTERM stop"; else not_ok "SIGHUP reload, SIGTERM stop (rc $rc)"; fi

# background start: the parent exits only when the daemon runs, or with its error
conf "uipsecd { load = io-tun
  pidfile = $tmp/uipsecd.pid
}"
nsrun "$uipsecd" --config "$tmp/uipsec.conf" > "$tmp/out" 2> "$tmp/err"; rc=$?
if [ $rc -ne 0 ] && has err "uipsecd: plugins: no network backend: load net-netlink (Linux) or net-pfroute (BSD/macOS)" \
   && [ ! -e "$tmp/uipsecd.pid" ]; then ok "background start reports a start-up error"; else not_ok "background start error (rc $rc)"; fi

real_conf ""
nsrun "$uipsecd" --config "$tmp/uipsec.conf" > "$tmp/out" 2> "$tmp/err"; rc=$?
pid=$(cat "$tmp/uipsecd.pid" 2>/dev/null)
if [ $rc -eq 0 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	for _ in $(seq 50); do [ -e "$tmp/uipsecd.pid" ] || break; sleep 0.1; done
	if [ ! -e "$tmp/uipsecd.pid" ]; then ok "background start, SIGTERM stop"; else not_ok "background stop left the pidfile"; fi
else
	not_ok "background start (rc $rc)"
fi
fi

[ $failed -eq 0 ]
