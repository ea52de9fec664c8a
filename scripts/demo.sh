#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on a fresh Debian 12 machine, as root: install dependencies,
# build, install into a local prefix (./_inst), then run the demo: two
# network namespaces, one uipsecd in each with the shipped example configs,
# traffic through the tunnel, and the counters.
#   --ike: strongSwan's charon negotiates the keys instead (IKEv2 PSK): the
#          kernel-uipsec plugin installed into ./_inst/lib/ipsec/plugins,
#          scripts/demo-ike-run.sh (docs/strongswan.md)
set -euo pipefail
ike=no
for a in "$@"; do
  case $a in
  --ike) ike=yes ;;
  *) echo "usage: bash scripts/demo.sh [--ike]" >&2; exit 2 ;;
  esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "run as root: the demo creates network namespaces and TUN devices" >&2; exit 2; }
bash scripts/deps.sh
bash scripts/build.sh _build-demo --prefix="$top/_inst" --sysconfdir="$top/_inst/etc"
make -C _build-demo install >/dev/null
export PATH="$top/_inst/sbin:$PATH"
echo "== installed into $top/_inst"
uipsecd --version
echo "== uipsecd --check-config --config _inst/etc/uipsec/uipsec.conf"
uipsecd --check-config --config "$top/_inst/etc/uipsec/uipsec.conf"
echo "== uipsecd --list-plugins"
uipsecd --list-plugins --config "$top/_inst/etc/uipsec/uipsec.conf"
if [ $ike = yes ]; then
  plugin=$top/_inst/lib/ipsec/plugins/libstrongswan-kernel-uipsec.so
  [ -f "$plugin" ] || { echo "the kernel-uipsec plugin was not built (no strongSwan source: see scripts/strongswan-headers.sh)" >&2; exit 1; }
  echo "== the charon plugin: $plugin"
  exec bash scripts/demo-ike-run.sh "$top/_inst"
fi
if [ -f scripts/demo-run.sh ]; then
  bash scripts/demo-run.sh "$top/_inst"
fi
