#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Print "N passed, N failed" (and skipped) from automake test summaries.
# Usage: tap-summary.sh FILE... (outputs of `make check`)
awk '/^# PASS:/{p+=$3} /^# XFAIL:/{p+=$3} /^# FAIL:/{f+=$3} /^# XPASS:/{f+=$3} /^# ERROR:/{f+=$3} /^# SKIP:/{s+=$3}
     END{printf "%d passed, %d failed", p, f; if (s) printf ", %d skipped", s; printf "\n"}' "$@"
