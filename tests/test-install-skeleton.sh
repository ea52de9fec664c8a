#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Third-party plugins: install uipsec into a temporary prefix, build
# examples/plugin-skeleton against it with pkg-config only, and have the
# INSTALLED uipsecd load it from a plugin_dir and list its feature.
#
# --check-config needs a network backend and packet I/O: the test loads the
# in-tree test plugins test-net and test-pktio (tests/plugins/.libs, also
# via plugin_dir) for those, so it works on machines without the real
# backends' libraries and without touching the kernel.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
tmp=$(mktemp -d /tmp/uipt-loader-inst.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# DESTDIR install: libtool refuses to relink modules for another prefix, so
# stage under $tmp with the configured prefix below it.
prefix=$tmp/dest$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp/log"; }
echo 1..5

# 1. install what a plugin author needs (staged with DESTDIR: the build
# was configured for another prefix): headers, libuipsec, uipsec-plugin.pc,
# uipsecd. Not the plugins: libtool relinks them at install time by moving
# their .so away in .libs/, and tests running in parallel would then find
# a half-written file.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" DESTDIR="$tmp/dest" \
	install-uipsecincHEADERS install-libLTLIBRARIES install-pkgconfigDATA install-sbinPROGRAMS \
	> "$tmp/log" 2>&1 &&
   [ -f "$prefix/include/uipsec/plugin.h" ] && [ -f "$prefix/lib/pkgconfig/uipsec-plugin.pc" ] &&
   [ -x "$prefix/sbin/uipsecd" ] && ! grep -q "relinking" "$tmp/log"; then
	ok "install into a temporary prefix"
else
	not_ok "install into a temporary prefix"
	exit 1
fi

# 2. build the skeleton out of tree, with the installed headers only. The
# .pc file carries the configured prefix: --define-prefix derives it from
# where the file is.
cp -r "$top_srcdir/examples/plugin-skeleton" "$tmp/skeleton"
chmod -R u+w "$tmp/skeleton"
rm -f "$tmp/skeleton/"*.so
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$tmp/skeleton" PKG_CONFIG="pkg-config --define-prefix" CFLAGS="-O2 -Werror" > "$tmp/log" 2>&1 &&
   [ -f "$tmp/skeleton/uipsec-skeleton.so" ] &&
   ! grep -q -- "-I$top_srcdir" "$tmp/log"; then
	ok "skeleton builds against the installed headers"
else
	not_ok "skeleton builds against the installed headers"
	exit 1
fi

# only the descriptor is exported
if nm -D --defined-only "$tmp/skeleton/uipsec-skeleton.so" | awk '{print $3}' | grep -vx 'uipsec_plugin_skeleton' \
   | grep -v '^_' > "$tmp/log"; then
	not_ok "skeleton exports only its descriptor"
else
	ok "skeleton exports only its descriptor"
fi

# 3. the installed daemon loads it from plugin_dir
unset UIPSEC_PLUGIN_PATH
export LD_LIBRARY_PATH="$prefix/lib"      # the build's rpath is the configured libdir
cat > "$tmp/uipsec.conf" <<CONF
uipsecd {
    plugin_dir = $tmp/skeleton $top_builddir/tests/plugins/.libs
    load = skeleton test-net test-pktio
    user = root
    plugins {
        skeleton { greeting = bonjour }
    }
}
CONF
if "$prefix/sbin/uipsecd" --config "$tmp/uipsec.conf" --check-config > "$tmp/log" 2>&1 &&
   grep -q "^loaded plugins: skeleton test-net test-pktio$" "$tmp/log" &&
   grep -Eq "^  CUSTOM:skeleton-hello +skeleton \(priority 0\) \[in use\]$" "$tmp/log" &&
   grep -q "skeleton plugin ready, greeting 'bonjour'" "$tmp/log"; then
	ok "installed uipsecd --check-config loads the skeleton from plugin_dir"
else
	not_ok "installed uipsecd --check-config loads the skeleton from plugin_dir"
fi

if "$prefix/sbin/uipsecd" --config "$tmp/uipsec.conf" --help-options > "$tmp/log" 2>&1 &&
   grep -q "uipsecd.plugins.skeleton.greeting" "$tmp/log"; then
	ok "its option is listed by --help-options"
else
	not_ok "its option is listed by --help-options"
fi
[ $failed -eq 0 ]
