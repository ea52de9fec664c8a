#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite on a fresh Debian 12 machine, as root:
# install dependencies, build, run `make check` (unit, loader, crypto
# vector, ESP, netlink and end-to-end namespace tests).
#   bash scripts/test.sh            # default build in _build
#   BUILDDIR=_b CONFIGURE_ARGS="--with-module-loader=gmodule" bash scripts/test.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
b=${BUILDDIR:-_build}
[ "$(id -u)" = 0 ] || { echo "run as root: the tests create network namespaces and TUN devices" >&2; exit 2; }
bash scripts/deps.sh || { echo "installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC2086
bash scripts/build.sh "$b" ${CONFIGURE_ARGS:-} || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
cd "$b"
make -j"$(nproc)" check ${TESTS:+TESTS="$TESTS"} >make-check.out 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|XFAIL):' make-check.out | grep -v '^PASS:' || true
grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' make-check.out || true
if [ $rc -ne 0 ]; then
  tail -50 make-check.out
  for f in $(grep -lE '^:test-result: (FAIL|ERROR|XPASS)' $(find . -name '*.trs') 2>/dev/null); do
    echo "---- ${f%.trs}.log"; tail -40 "${f%.trs}.log"
  done
  # last, where a reader of only the end of the output sees them
  echo "failed:"; grep -E '^(FAIL|ERROR|XPASS):' make-check.out | sed 's/^/  /'
fi
bash "$top/scripts/tap-summary.sh" make-check.out
exit $rc
