#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The layer rules of core/ (tests/check-layers.py): the tree keeps them, and
# the checker names file:line for each kind of breach planted in a copy.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
check="$top/tests/check-layers.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0; fails=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
nok() { n=$((n+1)); fails=$((fails+1)); echo "not ok $n - $1"; }

echo "1..6"
if out=$(python3 "$check" "$top") && grep -q '^ok 1' <<<"$out"; then
	ok "the tree keeps the layer order ($(sed -n 's/.*cycles: //p' <<<"$out"))"
else
	nok "the tree keeps the layer order"; sed 's/^/# /' <<<"$out"
fi

# plant one breach per copy; expect "not ok" and the message
expect() {   # description, file to append to, line to append, pattern of the message
	rm -rf "$tmp/t"; mkdir -p "$tmp/t"; cp -r "$top/core" "$top/plugins" "$tmp/t/"
	printf '%s\n' "$3" >> "$tmp/t/$2"
	local line; line=$(wc -l < "$tmp/t/$2")
	out=$(python3 "$check" "$tmp/t")
	if grep -q '^not ok 1' <<<"$out" && grep -qE -- "$4" <<<"$out" && grep -qF "$2:$line" <<<"$out"; then
		ok "$1"
	else
		nok "$1"; sed 's/^/# /' <<<"$out"
	fi
}
expect "upward include is named with file:line" core/util/hex.c '#include "esp/sad.h"' \
	'upward include "esp/sad.h" \(layer esp\) from layer util'
expect "upward use through an installed header" core/config/options.c '#include <uipsec/crypto.h>' \
	'upward include <uipsec/crypto.h>'
expect "an include without its layer folder" core/esp/sa.c '#include "sad.h"' \
	'does not name a header as'
expect "a plugin reaching into core internals" plugins/io-tun/io_tun.c '#include "esp/sad.h"' \
	'plugins see only'
expect "an include cycle inside one layer" core/esp/replay.h '#include "esp/sa.h"' \
	'include cycle between .*core/esp/replay.*core/esp/sa'
[ $fails -eq 0 ]
