#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Test launcher for automake's TAP driver: GTest programs are asked for TAP,
# shell tests print TAP themselves. Every test runs under a time limit so a
# hang fails the test instead of the whole CI run.
t=$1; shift
limit=${UIPSEC_TEST_TIMEOUT:-600}
case "$t" in
  *.sh) exec timeout -k 10 "$limit" /bin/bash "$t" "$@" ;;
  *)    exec timeout -k 10 "$limit" "$t" --tap "$@" ;;
esac
