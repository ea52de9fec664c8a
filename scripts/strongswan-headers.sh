#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# strongswan-headers.sh [DIR]: the strongSwan headers the kernel-uipsec charon
# plugin (integrations/strongswan/) is built against, for the charon that is
# installed. Debian ships no strongSwan headers, so this fetches the source
# package of the *installed* strongswan-libcharon version (apt-get source,
# adding deb-src entries for the Debian archive and its security suite when
# there are none) and runs its configure with Debian's header-relevant
# options to produce the matching config.h (no make: the release tarball's
# generated headers are already there).
#
# Result: DIR/<version>/src (the source tree), DIR/<version>/config.h, and
# DIR/current -> <version>. Then: ./configure --with-strongswan-source=DIR/current
# (scripts/build.sh does that when DIR/current exists). Default DIR:
# /usr/local/src/uipsec-strongswan. Idempotent: a version already prepared
# is kept. Run as root (apt-get).
set -euo pipefail
DIR=${1:-/usr/local/src/uipsec-strongswan}
V=$(dpkg-query -W -f='${Version}' strongswan-libcharon 2>/dev/null || true)
if [ -z "$V" ]; then
	echo "strongswan-headers: strongswan-libcharon is not installed (apt-get install strongswan-charon)" >&2
	exit 1
fi
OUT=$DIR/$V
if [ -f "$OUT/config.h" ] && [ -f "$OUT/src/src/libcharon/daemon.h" ]; then
	ln -sfn "$V" "$DIR/current"
	echo "== strongSwan $V headers ready in $OUT"
	exit 0
fi

# deb-src for the archive and the security suite (the installed version may
# come from either); only what is missing is added
if ! apt-get source --print-uris "strongswan=$V" >/dev/null 2>&1; then
	. /etc/os-release
	cat >/etc/apt/sources.list.d/uipsec-deb-src.sources <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $VERSION_CODENAME-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt-get update -qq
fi
# dpkg-source unpacks and applies debian/patches
command -v dpkg-source >/dev/null || apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
mkdir -p "$OUT"
work=$(mktemp -d "$DIR/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# the installed version's source; when the archive cannot serve it (a
# security update whose source this mirror lacks), the newest source of the
# same upstream version: Debian revisions of one upstream release patch
# code, not the headers' layout. Which one was used is recorded (SOURCE).
upstream=${V%-*}
got= tried=
for sv in "$V" $(apt-cache showsrc strongswan 2>/dev/null | sed -n 's/^Version: //p' | sort -urV); do
	[ "${sv%-*}" = "$upstream" ] && [ "$sv" != "$tried" ] || continue
	tried=$sv
	(cd "$work" && apt-get source -qq "strongswan=$sv" >"$work/source.log" 2>&1) && { got=$sv; break; }
	echo "strongswan-headers: source of strongswan $sv not available, trying the next of $upstream" >&2
done
[ -n "$got" ] || { cat "$work/source.log" >&2; echo "strongswan-headers: no source package of strongSwan $upstream" >&2; exit 1; }
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'strongswan-*' | head -1)
[ -n "$src" ] || { echo "strongswan-headers: apt-get source strongswan=$V unpacked nothing" >&2; exit 1; }
rm -rf "$OUT/src"
mv "$src" "$OUT/src"

# config.h as Debian's build makes it, as far as headers care: struct
# layouts (ME adds daemon_t fields: --enable-mediation) and which helpers
# are inline (HAVE_EXPLICIT_BZERO decides whether memwipe() calls an
# unexported function). gmp and capabilities do not change headers.
mkdir -p "$work/build"
(cd "$work/build" && "$OUT/src/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
	--libdir=/usr/lib --libexecdir=/usr/lib --enable-mediation --disable-gmp \
	--with-capabilities=native >"$work/configure.log" 2>&1) ||
	{ tail -20 "$work/configure.log" >&2; echo "strongswan-headers: configure failed" >&2; exit 1; }
cp "$work/build/config.h" "$OUT/config.h"
printf 'INSTALLED=%s\nSOURCE=%s\n' "$V" "$got" >"$OUT/version"
ln -sfn "$V" "$DIR/current"
echo "== strongSwan $V headers ready in $OUT"
