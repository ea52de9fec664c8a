#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make fuzz-long: every libFuzzer target for FUZZ_SECONDS (or until
# FUZZ_RUNS executions) on a working copy of its committed corpus, one
# target at a time; new inputs that add coverage are merged back
# (-merge=1, minimised) into tests/fuzz/<name>-corpus; a line per target
# with executions, exec/s, cov/ft and the findings (crash, leak, UBSan
# report, timeout, OOM: the failing input is named). With FUZZ_COVERAGE=1
# (the default when llvm-profdata/llvm-cov are found) the line coverage of
# the fuzzed sources is measured by replaying the grown corpus through a
# -fprofile-instr-generate -fcoverage-mapping build of the target.
#
#   fuzz-long.sh SRCDIR BUILDDIR BIN...        (run from the make rule)
# Environment: FUZZ_SECONDS (600; 0: only measure the coverage of the
# committed corpora), FUZZ_RUNS (0: no bound), FUZZ_ONLY
# (names to run, e.g. "tun-rx config"), FUZZ_MERGE (1), FUZZ_COVERAGE,
# FUZZ_OUT (work directory and summary, BUILDDIR/fuzz-long: give two
# concurrent runs of different targets one each), FUZZ_COV_CFLAGS (added to
# FUZZ_CC as FUZZ_EXTRA_CFLAGS for the coverage build), MAKE,
# LLVM_PROFDATA, LLVM_COV. Exit status 1 when any target found something.
set -u
srcdir=$(cd "$1" && pwd); builddir=$(cd "$2" && pwd); shift 2
secs=${FUZZ_SECONDS:-600}
runs=${FUZZ_RUNS:-0}
merge=${FUZZ_MERGE:-1}
out=${FUZZ_OUT:-$builddir/fuzz-long}
profdata=${LLVM_PROFDATA:-$(command -v llvm-profdata-14 || command -v llvm-profdata || true)}
llvmcov=${LLVM_COV:-$(command -v llvm-cov-14 || command -v llvm-cov || true)}
cov=${FUZZ_COVERAGE:-}
if [ -z "$cov" ]; then
	if command -v "$profdata" > /dev/null && command -v "$llvmcov" > /dev/null && [ -n "${FUZZ_COV_CFLAGS:-}" ]; then
		cov=1
	else
		cov=0; echo "fuzz-long: no llvm-profdata/llvm-cov (or FUZZ_COV_CFLAGS): libFuzzer's cov/ft only"
	fi
fi
mkdir -p "$out"
summary=$out/summary.txt
: > "$summary"
fail=0

line() { printf '%s\n' "$*" | tee -a "$summary"; }

# the line coverage (covered/total, %) of the target's own sources except
# the harness, from replaying dir through a coverage build
coverage() {
	local bin=$1 name=$2 dir=$3 cbin=$out/$name/fuzz-$name.cov
	rm -f "$builddir/$bin"
	if ! ${MAKE:-make} -s -C "$builddir" "$bin" FUZZ_EXTRA_CFLAGS="$FUZZ_COV_CFLAGS" > "$out/$name/cov-build.log" 2>&1; then
		echo "coverage build failed (see $out/$name/cov-build.log)"
		${MAKE:-make} -s -C "$builddir" "$bin" > /dev/null 2>&1
		return
	fi
	mv "$builddir/$bin" "$cbin"
	${MAKE:-make} -s -C "$builddir" "$bin" > /dev/null 2>&1   # the fuzzing build back
	rm -f "$out/$name"/*.profraw
	(cd "$out/$name" && LLVM_PROFILE_FILE="$out/$name/cov-%p.profraw" \
		"$cbin" -runs=0 -rss_limit_mb=4096 -timeout=60 "$dir" > cov-replay.log 2>&1)
	"$profdata" merge -sparse "$out/$name"/*.profraw -o "$out/$name/cov.profdata" 2>/dev/null || { echo "no profile"; return; }
	"$llvmcov" report "$cbin" -instr-profile="$out/$name/cov.profdata" \
		-ignore-filename-regex='(^|/)tests/|^/usr/' > "$out/$name/cov-report.txt" 2>/dev/null
	# TOTAL  regions missed cover  functions missed exec  lines missed cover ...
	# then per source file (not headers): its line coverage
	awk '$1 == "TOTAL" { t = sprintf("%d/%d lines (%s) of all compiled in", $8 - $9, $8, $10) }
	     $1 ~ /\.c$/ { f = f sprintf("%s%s %s", f == "" ? "" : ", ", $1, $10) }
	     END { printf "%s: %s", t, f }' "$out/$name/cov-report.txt"
}

for bin in "$@"; do
	name=$(basename "$bin"); name=${name#fuzz-}
	if [ -n "${FUZZ_ONLY:-}" ] && ! [[ " $FUZZ_ONLY " == *" $name "* ]]; then continue; fi
	corpus=$srcdir/tests/fuzz/$name-corpus
	w=$out/$name
	rm -rf "$w"; mkdir -p "$w/corpus" "$w/artifacts"
	[ -d "$corpus" ] && cp -r "$corpus"/. "$w/corpus"/
	before=$(ls "$w/corpus" | wc -l)
	args=(-max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
	      -artifact_prefix="$w/artifacts/" -close_fd_mask=1)
	[ "$runs" != 0 ] && args+=(-runs="$runs")
	if [ "$secs" = 0 ]; then
		line "$name: corpus $before inputs, line coverage $(coverage "$bin" "$name" "$corpus")"
		continue
	fi
	start=$(date +%s)
	(cd "$w" && "$builddir/$bin" "${args[@]}" "$w/corpus" > "$w/fuzz.log" 2>&1)
	rc=$?
	took=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/fuzz.log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/fuzz.log" | tail -1)
	covft=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$w/fuzz.log" | tail -1)
	finds=$(ls "$w/artifacts" | wc -l)
	ubsan=$(grep -c 'runtime error:' "$w/fuzz.log")
	leaks=$(grep -c 'ERROR: LeakSanitizer' "$w/fuzz.log")
	verdict="0 crashes, 0 leaks, 0 UBSan reports"
	if [ "$rc" != 0 ] || [ "$finds" != 0 ] || [ "$ubsan" != 0 ] || [ "$leaks" != 0 ]; then
		verdict="FOUND (exit $rc, $leaks leaks, $ubsan UBSan): $(ls "$w/artifacts" | sed "s|^|$w/artifacts/|" | tr '\n' ' ') log $w/fuzz.log"
		fail=1
	fi
	added=0
	if [ "$merge" = 1 ] && [ -d "$corpus" ]; then
		n0=$(ls "$corpus" | wc -l)
		(cd "$w" && "$builddir/$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 -close_fd_mask=1 \
			"$corpus" "$w/corpus" > "$w/merge.log" 2>&1)
		added=$(( $(ls "$corpus" | wc -l) - n0 ))
	fi
	covline="(coverage not measured)"
	if [ "$cov" = 1 ]; then covline=$(coverage "$bin" "$name" "$corpus"); fi
	line "$name: ${execs:-?} executions in ${took} s, ${rate:-?} exec/s, ${covft:-cov ?}, corpus $before -> $(ls "$corpus" 2>/dev/null | wc -l) (+$added merged), line coverage $covline; $verdict"
done
echo "summary: $summary"
exit $fail
