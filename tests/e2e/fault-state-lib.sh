# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the process / state / reload fault tests (tests/e2e/fault-state-*.sh,
# docs/reliability.md), sourced after lib.sh (bash). They run on
# net2net_topo (hosts ha, hb behind gateways ga, gb).

# bg_iperf SECONDS [IPERF3 ARGS...]: iperf3 from host A to host B
# (10.2.0.2) for SECONDS in the background ($IPERF_PID, output in
# $T_TMP/iperf.out); iperf_done waits for it and fails when it failed
bg_iperf() {
	local secs=$1
	shift
	# ip netns exec itself (not the nsx function, a subshell) in the
	# background: $! is the program, a signal reaches it
	ip netns exec "$NS_HB" iperf3 -s -1 >"$T_TMP/iperf-srv.out" 2>&1 &
	IPERF_SRV=$!
	T_PIDS+=("$IPERF_SRV")
	for _ in $(seq 50); do nsx "$NS_HB" ss -ltn 2>/dev/null | grep -q ':5201 ' && break; sleep 0.1; done
	ip netns exec "$NS_HA" timeout $((secs + 30)) iperf3 -c 10.2.0.2 -t "$secs" -i 1 --forceflush "$@" >"$T_TMP/iperf.out" 2>&1 &
	IPERF_PID=$!
	T_PIDS+=("$IPERF_PID")
}
iperf_done() {
	wait "$IPERF_PID"
	local rc=$?
	kill "$IPERF_SRV" 2>/dev/null
	wait "$IPERF_SRV" 2>/dev/null
	[ $rc = 0 ] || { tail -8 "$T_TMP/iperf.out"; return 1; }
	diag "iperf3: $(grep -E 'receiver$' "$T_TMP/iperf.out" | awk '{print $(NF-3), $(NF-2)}')"
}

# iperf_stop: ends the bg_iperf client and server
iperf_stop() {
	kill "$IPERF_PID" "$IPERF_SRV" 2>/dev/null
	wait "$IPERF_PID" "$IPERF_SRV" 2>/dev/null
}

# bg_ping INTERVAL COUNT: host A pings host B in the background ($PING_PID,
# `ping -D` output in $T_TMP/ping.out)
bg_ping() {
	ip netns exec "$NS_HA" ping -D -i "$1" -c "$2" -W 1 10.2.0.2 >"$T_TMP/ping.out" 2>&1 &
	PING_PID=$!
	T_PIDS+=("$PING_PID")
}
# last_answer: the icmp_seq of the last answered ping so far
last_answer() {
	awk '/bytes from/ { for (i = 1; i <= NF; i++) if ($i ~ /^icmp_seq=/) s = substr($i, 10) } END { print s + 0 }' "$T_TMP/ping.out"
}
# answered_after N SECONDS: within SECONDS a ping after icmp_seq N is answered
answered_after() {
	local end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(last_answer)" -gt "$1" ] && return 0
		sleep 0.1
	done
	echo "last answered icmp_seq: $(last_answer), wanted one after $1"
	false
}
# ping_lost: transmitted - received of the finished bg_ping
ping_lost() { awk '/packets transmitted/ {print $1 - $4}' "$T_TMP/ping.out"; }

# net_state NS: every route (IPv4 and IPv6, all tables) and rule of NS,
# sorted, each line prefixed with its kind; the TUN device's random IPv6 link-local address (a new one for
# every new device) is written fe80::TUN. Waits (at most 5 s) until no IPv6
# address of NS is tentative: the kernel adds the local and anycast routes
# of a link-local address only once duplicate address detection is over, a
# second or two after the link comes up, so a snapshot taken before would
# miss routes that are none of the daemon's doing
net_state() {
	local i
	for i in $(seq 50); do
		[ -z "$(ip -n "$1" -6 addr show tentative)" ] && break
		sleep 0.1
	done
	{
		ip -n "$1" -4 route show table all | sed 's/^/route4 /'
		ip -n "$1" -6 route show table all | sed 's/^/route6 /'
		ip -n "$1" -4 rule | sed 's/^/rule4 /'
		ip -n "$1" -6 rule | sed 's/^/rule6 /'
	} | sed -E 's/fe80::[0-9a-f:]+ dev uipsec0/fe80::TUN dev uipsec0/' | sort
}
# same_net_state NS FILE SECONDS: within SECONDS, net_state NS is FILE
# again (the daemon installs its routes after its start); the difference
# is shown otherwise
same_net_state() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		net_state "$1" | cmp -s - "$2" && return 0
		sleep 0.2
	done
	net_state "$1" | diff "$2" -
	false
}
# no_dup_net_state NS: no line of net_state NS twice
no_dup_net_state() { ! net_state "$1" | uniq -d | grep .; }

# ESP capture on gateway B's out0 (both directions of the tunnel):
# capture_start NAME ... capture_stop, then capture_seqs NAME prints
# "SPI SEQ" per ESP packet (tests/e2e/esp_seqs.py)
capture_start() {
	CAP_NAME=$1
	ip netns exec "$NS_GB" tcpdump -n -U --immediate-mode -s 0 -i out0 -w "$T_TMP/$1.pcap" 'udp port 4500 or ip proto 50' \
		>"$T_TMP/tcpdump-$1.log" 2>&1 &
	CAP_PID=$!
	T_PIDS+=("$CAP_PID")
	for _ in $(seq 50); do grep -q listening "$T_TMP/tcpdump-$1.log" && break; sleep 0.1; done
}
capture_stop() {
	kill -INT "$CAP_PID"
	wait "$CAP_PID" 2>/dev/null
	diag "capture: $(grep -E 'captured|dropped by kernel' "$T_TMP/tcpdump-$CAP_NAME.log" 2>/dev/null | tr '\n' ' ')"
}
capture_seqs() { python3 "$top_srcdir/tests/e2e/esp_seqs.py" "$T_TMP/$1.pcap"; }

# sa_field GW SPI DIR FIELD: FIELD of GW's SA (list-sas)
sa_field() {
	ctl "$1" --json list-sas | jq -r --argjson spi "$(($2))" --arg d "$3" \
		'(if type == "array" then . else .sas end)[] | select(.spi == $spi and .direction == $d) | .'"$4"
}

# fd_count PID
fd_count() { ls "/proc/$1/fd" | wc -l; }
