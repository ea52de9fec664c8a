#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the build system (needs autoconf, automake, libtool, pkg-config).
set -e
cd "$(dirname "$0")"
autoreconf -fi 2>&1 | grep -v "cannot remove 'core'" || true
# automake's TAP driver is used by every test
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/
