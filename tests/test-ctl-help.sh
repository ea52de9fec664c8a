#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uipsecctl help [COMMAND] (no daemon needed) and the bash completion of
# conf/completion/uipsecctl: sourced into this shell, asked with COMP_WORDS /
# COMP_CWORD as bash would, its commands checked against "uipsecctl help".
# Tunnel names for up/down need a daemon: tests/test-control-ctl.sh.
. "${top_srcdir:-$(dirname "$0")/..}/tests/e2e/lib.sh"
UIPSECCTL=${UIPSECCTL_UNDER_TEST:-$top_builddir/core/ctl/uipsecctl}
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
command -v compgen >/dev/null || skip_all "bash without programmable completion"
# rc_is N CMD...: the command exits with status N
rc_is() { local want=$1; shift; "$@" >"$T_TMP/rc.out" 2>&1; local rc=$?; [ $rc = "$want" ] || { echo "exit $rc, wanted $want"; cat "$T_TMP/rc.out"; return 1; }; }

# --- help
"$UIPSECCTL" help >"$T_TMP/help" 2>&1; rc=$?
check "help: exit 0" [ $rc = 0 ]
check "help lists every command, the SA-ARGS grammar and the exit codes" \
	bash -c "for c in status plugins list-sas list-policies list-tunnels stats up down add-sa update-sa del-sa migrate-sa add-policy del-policy reload monitor log-level alloc-spi query-sa flush help; do grep -Eq \"^  (\$c|up NAME \\| \$c)( |\$)\" '$T_TMP/help' || { echo \"missing: \$c\"; exit 1; }; done; grep -q '^SA-ARGS' '$T_TMP/help' && grep -q '^exit status: 0 ok' '$T_TMP/help'"
check "--help prints the same as help" bash -c "'$UIPSECCTL' --help | cmp - '$T_TMP/help'"
check "no command: the usage on stderr, exit 2" bash -c "'$UIPSECCTL' 2>&1 >/dev/null | cmp - '$T_TMP/help'; [ \${PIPESTATUS[0]} = 2 ]"
"$UIPSECCTL" help add-sa >"$T_TMP/h-add-sa" 2>&1; rc=$?
check "help add-sa: exit 0, its line, SA-ARGS and --owner, no other command" \
	bash -c "[ $rc = 0 ] && grep -q '^  add-sa SA-ARGS' '$T_TMP/h-add-sa' && grep -q '^SA-ARGS (as ip xfrm state)' '$T_TMP/h-add-sa' &&
		grep -q '^--owner NAME' '$T_TMP/h-add-sa' && ! grep -q 'POLICY-ARGS\\|^  del-sa\\|^  status' '$T_TMP/h-add-sa'"
check "help down: the up/down line" bash -c "'$UIPSECCTL' help down | grep -q '^  up NAME | down NAME'"
check "help add-policy: POLICY-ARGS, not SA-ARGS" \
	bash -c "'$UIPSECCTL' help add-policy > '$T_TMP/h-pol' && grep -q '^POLICY-ARGS' '$T_TMP/h-pol' && ! grep -q '^SA-ARGS' '$T_TMP/h-pol'"
check "help stats: mentions --prometheus" bash -c "'$UIPSECCTL' help stats | grep -q 'stats \\[--prometheus\\]'"
check "help status: no --owner text (status has no owner)" bash -c "'$UIPSECCTL' help status > '$T_TMP/h-st' && grep -q '^  status ' '$T_TMP/h-st' && ! grep -q -- '--owner NAME (or' '$T_TMP/h-st'"
check "help of an unknown command: exit 2, says so" \
	bash -c "'$UIPSECCTL' help frobnicate 2>'$T_TMP/h-err'; [ \$? = 2 ] && grep -q \"unknown command 'frobnicate'\" '$T_TMP/h-err'"
check "help with two commands: exit 2" rc_is 2 "$UIPSECCTL" help status plugins
check "a prefix of a command is not a command (help list): exit 2" rc_is 2 "$UIPSECCTL" help list
check "an unknown command points at help: exit 2" \
	bash -c "'$UIPSECCTL' --socket /nonexistent frobnicate 2>&1 | grep -q 'uipsecctl help'; [ \${PIPESTATUS[0]} = 2 ]"
check "help needs no daemon (socket that does not exist)" rc_is 0 "$UIPSECCTL" --socket /nonexistent help reload

# --- bash completion
comp=$top_srcdir/conf/completion/uipsecctl
# complete_words WORD...: what completing the last WORD offers, sorted, one line
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_uipsecctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
# completes EXPECTED WORD...: completing the last WORD offers exactly EXPECTED
completes() {
	local want=$1; shift
	local got; got=$(complete_words "$@")
	[ "$got" = "$want" ] || { echo "completing '$*': got '$got', wanted '$want'"; return 1; }
}
# shellcheck source=/dev/null
check "the completion script sources without errors and registers _uipsecctl" \
	bash -c ". '$comp' && complete -p uipsecctl | grep -q -- '-F _uipsecctl'"
. "$comp"
check "commands: 'uipsecctl li' -> list-policies list-sas list-tunnels" completes "list-policies list-sas list-tunnels" uipsecctl li
check "global options: 'uipsecctl --j' -> --json" completes "--json" uipsecctl --j
check "a global option's value is skipped: 'uipsecctl --socket /x st' -> stats status" \
	completes "stats status" uipsecctl --socket /x st
check "the completion's commands are exactly those of 'uipsecctl help'" \
	bash -c "diff <(. '$comp'; printf '%s\n' \$_uipsecctl_commands | sort) <({ sed -n '/^commands:/,/^\$/p' '$T_TMP/help' | grep -E '^  [a-z]' | sed -E 's/^  ([a-z-]+).*/\\1/'; echo down; } | sort -u) | grep '^[<>]' && exit 1 || exit 0"
check "help's argument: 'uipsecctl help mi' -> migrate-sa" completes "migrate-sa" uipsecctl help mi
check "del-sa keywords: 'uipsecctl del-sa ' -> dir dst spi" completes "dir dst spi" uipsecctl del-sa ""
check "keywords already given are not offered again" completes "dir dst" uipsecctl del-sa spi 0x100 ""
check "SA direction: '... dir ' -> in out" completes "in out" uipsecctl add-sa spi 1 dir ""
check "policy direction: 'add-policy ... dir ' -> fwd in out" completes "fwd in out" uipsecctl add-policy dir ""
check "policy action: 'add-policy action p' -> protect" completes "protect" uipsecctl add-policy action p
check "proposal: 'add-sa esp aes128g' -> aes128gcm16" completes "aes128gcm16" uipsecctl add-sa esp aes128g
check "a value without a fixed set offers nothing: 'add-sa spi '" completes "" uipsecctl add-sa spi ""
check "log-level levels: 'log-level d' -> debug" completes "debug" uipsecctl log-level d
check "stats: --prometheus" completes "--prometheus" uipsecctl stats --p
check "up with no daemon reachable offers nothing (and does not hang)" \
	completes "" uipsecctl --socket "$T_TMP/none.sock" up ""
finish
