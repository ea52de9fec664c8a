#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Configure and build uipsec in a build directory (default: _build).
#   scripts/build.sh [BUILDDIR] [configure args...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-_build}; shift || true
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh
mkdir -p "$b"
cd "$b"
# the strongSwan source + config.h of scripts/strongswan-headers.sh: build the
# kernel-uipsec charon plugin (integrations/strongswan) unless told otherwise
sw=/usr/local/src/uipsec-strongswan/current
swargs=()
case " $* " in
  *" --with-strongswan-source"*|*" --without-strongswan-source "*|*" --disable-strongswan-plugin "*) ;;
  *) [ -f "$sw/config.h" ] && swargs=(--with-strongswan-source="$sw") ;;
esac
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
  "$top/configure" --enable-werror "${swargs[@]}" "$@" 2> >(grep -v "cannot remove 'core'" >&2)
fi
make -j"$(nproc)"
