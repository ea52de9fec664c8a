# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the network fault tests (tests/e2e/fault-net-*.sh; sourced
# after lib.sh). Everything is polled against a deadline: the tests run on
# loaded machines, no fixed sleep is an assertion.

# now_ms: a monotonic-enough clock in milliseconds
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# within MS COMMAND...: run COMMAND every 50 ms until it succeeds or MS pass;
# prints how long it took ("after N ms") and fails at the deadline
within() {
	local limit=$1 t0 t
	shift
	t0=$(now_ms)
	while :; do
		if "$@" >/dev/null 2>&1; then
			echo "after $(( $(now_ms) - t0 )) ms"
			return 0
		fi
		t=$(( $(now_ms) - t0 ))
		[ "$t" -ge "$limit" ] && { echo "not within $limit ms: $*"; "$@" 2>&1 | tail -5; return 1; }
		sleep 0.05
	done
}

# cpu_ticks PID: user + system CPU time of PID in clock ticks (/proc/PID/stat)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
TICKS=$(getconf CLK_TCK)

# cpu_low PID SECONDS MAX_PERCENT: over SECONDS of wall time PID uses at
# most MAX_PERCENT of one CPU (a daemon spinning on a dead fd uses ~100)
cpu_low() {
	local pid=$1 secs=$2 max=$3 c0 c1 t0 t1 used
	c0=$(cpu_ticks "$pid") t0=$(now_ms)
	sleep "$secs"
	c1=$(cpu_ticks "$pid") t1=$(now_ms)
	[ -n "$c0" ] && [ -n "$c1" ] || { echo "process $pid gone"; return 1; }
	used=$(( (c1 - c0) * 1000 / TICKS * 100 / (t1 - t0) ))
	echo "used ${used}% of a CPU over $(( t1 - t0 )) ms ($(( c1 - c0 )) ticks)"
	[ "$used" -le "$max" ]
}

# pinger NS SRC DST: a ping every 20 ms in the background for the whole
# test (traffic during the fault); its output in $T_TMP/pinger.out
pinger() {
	nsx "$1" ping -n -i 0.02 -W 1 -I "$2" "$3" >"$T_TMP/pinger.out" 2>&1 &
	T_PIDS+=("$!")
}

# ping_ok NS SRC DST: one echo answered within a second
ping_ok() { nsx "$1" ping -n -c 1 -W 1 -I "$2" "$3"; }

# stat_is NAME COUNTER OP VALUE: e.g. stat_is a tun_down -ge 1
stat_is() { local v; v=$(stat_of "$1" "$2"); [ -n "$v" ] && [ "$v" "$3" "$4" ]; }

# log_count NAME PATTERN: lines of daemon NAME's log matching PATTERN
log_count() { grep -c -- "$2" "$T_TMP/$1.log"; }
