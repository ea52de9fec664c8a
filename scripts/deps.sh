#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install everything uipsec needs to build and test on Debian 12 (run as root).
# Idempotent: apt-get skips what is already there.
set -euo pipefail
PKGS=(
  # build
  build-essential autoconf automake libtool libltdl-dev pkg-config
  libglib2.0-dev libjson-glib-dev libssl-dev libgcrypt20-dev libnl-3-dev libnl-route-3-dev
  #   libcap-ng-dev   uipsecd's privilege drop: keep CAP_NET_ADMIN over the switch to uipsecd.user
  #   libsystemd-dev  sd_notify: Type=notify readiness, reload and watchdog under systemd (optional)
  libcap-ng-dev libsystemd-dev
  # tests only (none is linked into uipsec):
  #   iproute2 iputils-ping  namespaces, veth, routes; ping through tunnels
  #   iperf3                 TCP/UDP through tunnels (e2e, demo, bench)
  #   tcpdump                proof that only ESP-in-UDP is on the wire
  #   tshark python3-scapy   wire compatibility: code we did not write decrypts our ESP
  #   nftables               the NAT-traversal test's masquerading middle namespace
  #   clang libclang-rt-14-dev  libFuzzer targets (make fuzz)
  #   valgrind               make check-valgrind
  #   jq                     reading uipsecctl --json in shell tests
  #   procps util-linux kmod ps/pgrep, setpriv (unprivileged-client test), modprobe
  #   passwd                 useradd/userdel: the privilege-drop test's system user uipsec
  #   systemd                systemd-analyze verify/security on conf/uipsecd.service (no running systemd needed)
  iproute2 iputils-ping iperf3 tcpdump tshark python3 python3-scapy nftables passwd systemd
  clang libclang-rt-14-dev valgrind jq procps util-linux kmod ca-certificates
  # make check-portability: scripts/fetch-zig.sh gets zig with 'npm pack' (.tar.xz inside)
  xz-utils
  # the charon plugin kernel-uipsec (integrations/strongswan/) and its tests:
  #   strongswan-charon strongswan-swanctl strongswan-pki  charon, swanctl, pki (test certificates)
  #   libstrongswan-standard-plugins  openssl, gcm, ... (charon's default proposals)
  #   libcharon-extra-plugins         kernel-libipsec: the interop test's other side
  #   dpkg-dev                        apt-get source (scripts/strongswan-headers.sh)
  strongswan-charon strongswan-swanctl strongswan-pki libstrongswan-standard-plugins
  libcharon-extra-plugins dpkg-dev
  # make docs: the plugin API reference from core/uipsec/*.h (CI runs it so a
  # public symbol without a doc comment fails)
  doxygen
  # the Debian packages (debian/, CI stage 7): dpkg-buildpackage with dh
  # (debhelper; dh-autoreconf comes with it), fakeroot for the binary target,
  # lintian to check the .debs
  debhelper fakeroot lintian
  # tests only: promtool (package prometheus) validates stats --prometheus
  # (tests/e2e/prometheus.sh); its server is not started (below)
  prometheus
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm may come with a nodejs package from elsewhere (e.g. nodesource), which
# Debian's npm package conflicts with: only install it when there is none.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # tshark asks whether non-root users may capture: answer no, non-interactively
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# /dev/net/tun is needed by the end-to-end tests and the demo
if [ ! -c /dev/net/tun ]; then
  mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun
fi
# strongswan-starter comes with strongswan-charon: where systemd runs, keep
# its charon (XFRM, ports 500/4500) from starting; the tests start their own
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now strongswan-starter.service >/dev/null 2>&1 || true
  # only promtool of the prometheus package is used: no server on port 9090
  systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
# Debian ships no strongSwan headers: the source of the installed charon
# (without it configure skips the plugin and its tests say so)
bash "$(dirname "$0")/strongswan-headers.sh" ||
  echo "== WARNING: no strongSwan headers: the kernel-uipsec plugin will not be built" >&2
echo "== dependencies ready"
