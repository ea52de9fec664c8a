#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What uipsecd tells systemd, without systemd: a datagram socket stands in
# for $NOTIFY_SOCKET. READY=1 comes once the data path runs (the tunnel's
# route is in place by then), WATCHDOG=1 at half of $WATCHDOG_USEC from the
# main loop, RELOADING=1 with MONOTONIC_USEC then READY=1 around a SIGHUP
# reload, STOPPING=1 at SIGTERM -- from a daemon dropped to user uipsec.
# Its stderr is a file named by $JOURNAL_STREAM: lines carry "<N>" syslog
# priorities. Skips when uipsecd was built without libsystemd.
. "$(dirname "$0")/lib.sh"
require_tunnel_pair python3
grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/config.h" 2>/dev/null || skip_all "uipsecd built without libsystemd"
use_daemon_user

tunnel_pair uipt-dp-sdn$U-a uipt-dp-sdn$U-b 2>/dev/null   # builds the namespaces and confs; B runs
stop_daemon a
NS_A=uipt-dp-sdn$U-a

# the stand-in for systemd's notify socket: one line per datagram, "|" for newlines
cat >"$T_TMP/notify.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
import os; os.chmod(sys.argv[1], 0o777)
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
EOF
python3 "$T_TMP/notify.py" "$T_TMP/notify.sock" "$T_TMP/notify.log" &
T_PIDS+=("$!")
for _ in $(seq 50); do [ -S "$T_TMP/notify.sock" ] && break; sleep 0.1; done
: >"$T_TMP/a.log"
JS=$(stat -c '%d:%i' "$T_TMP/a.log")
ip netns exec "$NS_A" env NOTIFY_SOCKET="$T_TMP/notify.sock" WATCHDOG_USEC=400000 JOURNAL_STREAM="$JS" \
	"$UIPSECD" --foreground --config "$T_TMP/a.conf" >>"$T_TMP/a.log" 2>&1 &
PA=$!
T_PIDS+=("$PA")
wait_for() { for _ in $(seq 100); do grep -Eq "$1" "$T_TMP/notify.log" 2>/dev/null && return 0; sleep 0.1; done; cat "$T_TMP/notify.log"; return 1; }

check "READY=1 (with MAINPID) once started" wait_for "^READY=1\|.*MAINPID=$PA"
check "at READY=1 the tunnel's route is installed and the daemon is dropped" \
	bash -c "ip -n '$NS_A' route show table 220 | grep -q '^10\.2\.0\.0/24' && grep -q 'running as user uipsec' '$T_TMP/a.log'"
check "WATCHDOG=1 pings (every 200 ms for WATCHDOG_USEC=400000)" \
	bash -c "sleep 1; [ \$(grep -c '^WATCHDOG=1' '$T_TMP/notify.log') -ge 3 ]"
kill -HUP "$PA"
check "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again" \
	wait_for "^RELOADING=1\|STATUS=reloading\|MONOTONIC_USEC=[0-9]+$"
check "... READY=1 follows RELOADING=1" bash -c "awk '/^RELOADING=1/ { r = 1 } r && /^READY=1/ { ok = 1 } END { exit !ok }' '$T_TMP/notify.log'"
check "stderr is the journal stream: lines start with their priority, no time stamp" \
	bash -c "grep -q '^<6>\[daemon\] INFO uipsecd running\$' '$T_TMP/a.log' && ! grep -Eq '^[0-9]{4}-' '$T_TMP/a.log'"
kill "$PA"
check "SIGTERM: STOPPING=1" wait_for "^STOPPING=1"
for _ in $(seq 100); do kill -0 "$PA" 2>/dev/null || break; sleep 0.1; done
check "the daemon exited 0" wait "$PA"
finish
