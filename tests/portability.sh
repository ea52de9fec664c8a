#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/portability.sh: 'make check-portability' (tests/portability.am).
# Compiles EVERY core and plugin source for FreeBSD 13 and macOS 11
# (x86_64, aarch64) with zig cc and the project's warnings + -Werror, then
# links what can be linked against zig's stubs of each system's libc.
# docs/bsd.md says what this proves and what not.
#
# Environment (set by the make rule):
#   ZIG           the zig binary
#   SRCDIR        the source tree
#   CONFIG_H      the build's config.h (the target's is derived from it)
#   AM_SOURCES    the automake source variables' files (core + plugins)
#   WARN_CFLAGS   the project's warnings
#   LINK_FILES    tests/portability_link.c + the BSD plugin code, linked whole
#   JOBS          parallel compiles (default 2)
set -u

: "${ZIG:?}" "${SRCDIR:?}" "${CONFIG_H:?}" "${AM_SOURCES:?}"
JOBS=${JOBS:-2}
targets="x86_64-freebsd.13.0 aarch64-freebsd x86_64-macos.11.0 aarch64-macos.11.0"
# x86_64-freebsd.13.0 cannot link in zig 0.16 (its crt1 wants FreeBSD 14's
# __libc_start1): FreeBSD x86_64 links with zig's default FreeBSD version
link_targets="x86_64-freebsd aarch64-freebsd x86_64-macos.11.0 aarch64-macos.11.0"

# Linux only by nature, left out for every target (the BSD counterparts
# are compiled): "file: reason"
excluded_all="
plugins/net-netlink/net_netlink_plugin.c: rtnetlink through libnl (Linux); the BSD backend is net-pfroute
plugins/net-netlink/netlink_backend.c: rtnetlink through libnl (Linux); the BSD backend is net-pfroute
core/os/peercred_linux.c: SO_PEERCRED (Linux); BSD: peercred_bsd.c
core/os/proc_info_linux.c: /proc (Linux); BSD: proc_info_bsd.c
core/os/rwlock_linux.c: pthread_rwlockattr_setkind_np (glibc); BSD: rwlock_default.c
core/os/privilege_linux.c: libcap-ng + prctl (Linux); BSD: privilege_bsd.c
core/os/event_loop_epoll.c: epoll (Linux); BSD: event_loop_kqueue.c
core/os/wake_eventfd.c: eventfd (Linux); BSD: wake_pipe.c
core/os/dgram_mmsg.c: recvmmsg/sendmmsg + UDP GSO/GRO (Linux); BSD: dgram_plain.c
core/os/sockopt_linux.c: SO_MARK, IP_MTU_DISCOVER (Linux); BSD: sockopt_freebsd.c, sockopt_none.c
core/os/thread_name_pthread.c: pthread_setname_np(thread, name) of glibc; FreeBSD: thread_name_freebsd.c, macOS: thread_name_darwin.c
plugins/io-tun/tun_linux.c: /dev/net/tun + virtio-net header (Linux); BSD: tun_bsd.c
"
# what configure does not pick on macOS (it has neither explicit_bzero,
# accept4 nor SO_USER_COOKIE; the alternatives are compiled)
excluded_macos="
core/os/wipe_explicit_bzero.c: macOS has no explicit_bzero; wipe_memset_s.c
core/os/sockfd_atomic.c: macOS has no accept4/SOCK_CLOEXEC; sockfd_fcntl.c
core/os/sockopt_freebsd.c: SO_USER_COOKIE is FreeBSD's; macOS: sockopt_none.c
core/os/sockopt_local_recvdstaddr.c: IP_RECVDSTADDR/IP_SENDSRCADDR are FreeBSD's; macOS: sockopt_local_pktinfo.c
core/os/thread_name_freebsd.c: FreeBSD's pthread_setname_np(thread, name); macOS: thread_name_darwin.c
"
# and on FreeBSD the macOS (and Linux) forms
excluded_freebsd="
core/os/sockopt_local_pktinfo.c: IP_PKTINFO is Linux's and macOS's; FreeBSD: sockopt_local_recvdstaddr.c
core/os/thread_name_darwin.c: macOS's pthread_setname_np(name); FreeBSD: thread_name_freebsd.c
"
# compiled above but not linked into uipsecd: the alternatives configure
# does not pick on that system (one implementation per seam in a binary)
link_skip_freebsd="core/os/wipe_memset_s.c core/os/sockfd_fcntl.c core/os/sockopt_none.c core/os/event_loop_poll.c
	core/plugin/module_gmodule.c"
link_skip_macos="core/os/event_loop_poll.c core/plugin/module_gmodule.c"
# names of functions of the libraries that have no FreeBSD/macOS build
# here (GLib, GIO, GObject, json-glib, libltdl, OpenSSL, libgcrypt):
# uipsecd's link may leave exactly these undefined
dep_symbols='^_?(g_|_g_|glib_|gio_|json_|lt_dl|lt__|lt_|gcry_|gpg_|EVP_|OPENSSL_|ERR_|CRYPTO_|RAND_)'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# ---------------------------------------------------------------- headers
# Debian's GLib, json-glib, OpenSSL, libgcrypt, libltdl headers (an
# approximation: glibconfig.h and opensslconf.h are Debian's x86_64 Linux
# ones); only the libraries' own directories, never /usr/include itself
deps=$tmp/deps
mkdir -p "$deps/openssl"
ln -s "$SRCDIR/core/uipsec" "$deps/uipsec"
for h in /usr/include/openssl/* /usr/include/*/openssl/*; do
	[ -e "$h" ] && ln -sf "$h" "$deps/openssl/"
done
for h in gcrypt.h gpg-error.h gpgrt.h ltdl.h libltdl; do
	src=$(ls -d /usr/include/$h /usr/include/*/$h 2>/dev/null | head -n 1)
	[ -n "$src" ] || { echo "check-portability: /usr/include/$h missing (scripts/deps.sh)"; exit 1; }
	ln -s "$src" "$deps/$h"
done
incs="-I$deps $(pkg-config --cflags-only-I glib-2.0 gio-2.0 json-glib-1.0 | tr ' ' '\n' | grep -v -e '^$' -e libmount -e blkid | tr '\n' ' ')"

# ---------------------------------------------------------------- config.h
# what a FreeBSD/macOS configure defines: the Linux-only checks gone, the
# portable data path, a device per virtual IP, net-pfroute instead of
# net-netlink
make_config() { # target dir
	mkdir -p "$2"
	grep -v -E 'HAVE_LIBCAP_NG|HAVE_LIBSYSTEMD|HAVE_LINUX_IF_TUN_H|UIPSEC_BUILT_PLUGINS|UIPSEC_PORTABLE_DATAPATH|UIPSEC_DATAPATH_FLAVOUR|UIPSEC_PER_VIP_DEFAULT' \
		"$CONFIG_H" > "$2/config.h"
	{
		echo '#define UIPSEC_BUILT_PLUGINS "crypto-openssl crypto-gcrypt io-tun net-pfroute"'
		echo '#define UIPSEC_PORTABLE_DATAPATH 1'
		echo '#define UIPSEC_DATAPATH_FLAVOUR "portable"'
		echo '#define UIPSEC_PER_VIP_DEFAULT true'
		case $1 in
		*freebsd*) echo '#define HAVE_NET_IF_TUN_H 1' ;;
		*macos*) echo '#define HAVE_NET_IF_UTUN_H 1' ;;
		esac
	} >> "$2/config.h"
}

# ---------------------------------------------------------------- the files
# every .c of the automake source lists, and every .c of core/ and the
# plugins' folders: one that is in no list fails (it would be forgotten)
names() { echo "$1" | sed -n 's/^\([^:]*\):.*/\1/p'; }
am_c=$(for f in $AM_SOURCES; do echo "$f"; done | grep '\.c$' | sort -u)
tree_c=$(cd "$SRCDIR" && find core plugins -name '*.c' -not -path '*/tests/*' | sort -u)
for f in $tree_c; do
	echo "$am_c" | grep -qx "$f" || bad "$f is in no automake source list (add it to its local.am)"
done
all_c=$(printf '%s\n%s\n' "$am_c" "$tree_c" | sort -u | grep -v '^$')
compiled=0
excluded_n=$(names "$excluded_all" | wc -l)

wflags=$(echo "${WARN_CFLAGS:-} -Wall -Wextra -Werror" | tr ' ' '\n' | grep -v -e '^-Wshadow=' -e '^$' | sort -u | tr '\n' ' ')
cflags="-std=gnu11 $wflags -fvisibility=hidden -iquote $SRCDIR/core -idirafter $SRCDIR/core"
cflags="$cflags -DUIPSEC_PLUGINDIR=\\\"/usr/local/lib/uipsec/plugins\\\" -DUIPSEC_SYSCONFDIR=\\\"/usr/local/etc/uipsec\\\""
cflags="$cflags -DUIPSEC_RUNSTATEDIR=\\\"/var/run\\\""

echo "check-portability: $("$ZIG" version) cc $wflags"
for t in $targets; do
	tdir=$tmp/$t
	make_config "$t" "$tdir/inc"
	skip=$(names "$excluded_all")
	case $t in
	*macos*) skip="$skip $(names "$excluded_macos")" ;;
	*) skip="$skip $(names "$excluded_freebsd")" ;;
	esac
	list=
	for f in $all_c; do
		case " $(echo $skip) " in *" $f "*) continue ;; esac
		list="$list $f"
	done
	# one compile per file and target, a real object, any output fails
	printf '%s\n' $list | xargs -P "$JOBS" -I{} sh -c '
		f=$1; o=$2/obj/$(echo "$f" | tr / _).o; mkdir -p "$2/obj"
		if "$3" cc -target "$4" '"$cflags"' -I"$2/inc" '"$incs"' -I"$5/$(dirname "$f")" \
			-c "$5/$f" -o "$o" > "$o.log" 2>&1 && test -s "$o" && test ! -s "$o.log"; then
			echo "PASS $4 $f"
		else
			echo "FAIL $4 $f"; sed "s/^/    /" "$o.log"; rm -f "$o"
		fi' sh {} "$tdir" "$ZIG" "$t" "$SRCDIR" > "$tdir/results"
	cat "$tdir/results"
	p=$(grep -c '^PASS' "$tdir/results")
	f=$(grep -c '^FAIL' "$tdir/results")
	pass=$((pass + p))
	fail=$((fail + f))
	compiled=$((compiled + p))
	echo "check-portability: $t: $p files compiled, $f failed"
done

# ---------------------------------------------------------------- links
# 1. the BSD plugin code whole (tests/portability_link.c references every
#    exported function): nothing may stay undefined
srcs=
for f in ${LINK_FILES:-}; do srcs="$srcs $SRCDIR/$f"; done
for t in $link_targets; do
	[ -n "$srcs" ] || break
	if "$ZIG" cc -target "$t" -std=gnu11 -Wall -Wextra -Werror \
	     -I"$SRCDIR/plugins/net-pfroute" -I"$SRCDIR/plugins/io-tun" -I"$deps" \
	     $srcs -o "$tmp/linked" > "$tmp/log" 2>&1 && test -s "$tmp/linked" && test ! -s "$tmp/log"; then
		ok "$t link net-pfroute + tun_bsd (tests/portability_link.c)"
	else
		bad "$t link net-pfroute + tun_bsd"; sed 's/^/    /' "$tmp/log"
	fi
done
# 2. uipsecd: libuipsec's and the daemon's objects of the compile above.
#    GLib, json-glib and libltdl have no FreeBSD/macOS libraries here, so
#    the link must fail on their symbols, and on nothing else: every libc
#    function the core calls exists in the target's libc.
for t in $link_targets; do
	ct=$t
	case $t in x86_64-freebsd) ct=x86_64-freebsd.13.0 ;; esac
	objs=
	case $t in *macos*) lskip=$link_skip_macos ;; *) lskip=$link_skip_freebsd ;; esac
	lskip=" $(echo $lskip | tr / _) "
	for f in $(cd "$tmp/$ct/obj" 2>/dev/null && ls *.o); do
		src=${f%.o}
		case $src in core_ctl_*|plugins_*) continue ;; esac
		case $lskip in *" $src "*) continue ;; esac
		case $src in core_*) objs="$objs $tmp/$ct/obj/$f" ;; esac
	done
	"$ZIG" cc -target "$t" $objs -o "$tmp/uipsecd" > "$tmp/log" 2>&1
	undef=$(sed -n 's/.*undefined symbol: \([^ ]*\).*/\1/p' "$tmp/log" | sort -u)
	other=$(echo "$undef" | grep -v -E "$dep_symbols" | grep -v '^$')
	n=$(echo "$objs" | wc -w)
	nu=$(echo "$undef" | grep -c .)
	if [ "$n" -gt 0 ] && [ "$nu" -gt 0 ] && [ -z "$other" ] && ! grep -q -i -E 'error: (unable|failed|invalid)' "$tmp/log"; then
		ok "$t link uipsecd ($n objects): every libc symbol resolved; $nu symbols left to GLib/json-glib/libltdl (no target library here)"
	else
		bad "$t link uipsecd ($n objects): unresolved beyond the dependency libraries:"
		echo "$other" | sed 's/^/    /'
		grep -v 'undefined symbol' "$tmp/log" | grep -i error | head -n 5 | sed 's/^/    /'
	fi
done

echo "check-portability: $(echo "$all_c" | wc -l) source files, $compiled compiles over 4 targets ($excluded_n Linux-only files left out everywhere, the other system's variants per target: named above), $pass passed, $fail failed"
test "$fail" = 0
