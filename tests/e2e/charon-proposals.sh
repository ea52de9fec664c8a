#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every ESP proposal through charon + kernel-uipsec + uipsecd (issue 14):
# two gateways as in charon-basic.sh (PSK), one IKE_SA; per proposal P in
#   aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256 aes256-sha384
#   aes256-sha512 aes128ctr-sha256 aes128ccm16 aes128gmac
# with and without ESN (P-esn, P-noesn; both sides offer only that one):
#  - uipsecd is asked first whether it takes P at all (uipsecctl add-sa
#    with that keyword, as owner "probe", then flush); a proposal it
#    refuses is reported as unsupported by uipsecd (skipped), not failed
#  - swanctl --initiate --child p-P on A (B's child "net" takes any of the
#    proposals): INSTALLED on both sides, uipsecd holds
#    two charon SAs with esp P and the negotiated esn flag
#  - ping both ways through it
#  - swanctl --terminate --child p-P: uipsecd holds no charon SA
# UIPT_PROPOSALS="..." runs a subset; UIPT_CHARON_MODE=stock runs it with
# kernel-libipsec (which knows neither ESN nor GMAC: those are skipped).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/charon-lib.sh"
require_charon ping
ctl_unwrap

PROPOSALS=${UIPT_PROPOSALS:-aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256 aes256-sha384 aes256-sha512 aes128ctr-sha256 aes128ccm16 aes128gmac}

charon_gateways uipsec uipsec || { echo "Bail out! gateways did not start"; exit 1; }

# A (the initiator) has one child per proposal, offering only that one; B
# one child "net" taking any of them (a responder picks the child by the
# traffic selectors, the same for all)
children= all=
for p in $PROPOSALS; do
	for e in esn noesn; do
		children+=$(child_conf "p-$p-$e" "$p-$e")$'\n'
		all+="${all:+, }$p-$e"
	done
done
sw_confs psk "" "$children" "$(child_conf net "$all")"
check "swanctl --load-all on A and B" eval 'sw_load a && sw_load b'

# uipsecd_takes GW KEYWORD [esn]: GW's uipsecd accepts an SA with ESP
# KEYWORD (keys of the right size) from owner "probe"; removed again
uipsecd_takes() {
	local gw=$1 kw=$2 esn=${3:-} sizes k i rc
	sizes=$(esp_key_sizes "$kw")
	[ -n "$sizes" ] || { echo "no key sizes known for $kw"; return 1; }
	k=$(gen_key "${sizes% *}")
	[ "${sizes#* }" != 0 ] && i=$(gen_key "${sizes#* }") || i=
	ctl "$gw" --owner probe add-sa src "$(gw_addr "$(other "$gw")")" dst "$(gw_addr "$gw")" proto esp \
		spi 0x4242 dir in reqid 4242 esp "$kw" key "$k" ${i:+integ-key "$i"} $esn \
		local-ts "$(gw_net "$gw")" remote-ts "$(gw_net "$(other "$gw")")"
	rc=$?
	ctl "$gw" --owner probe flush >/dev/null
	return $rc
}

# stock_lacks P E: why kernel-libipsec cannot run proposal P with E (esn,
# noesn); empty when it can
stock_lacks() {
	[ "$2" = esn ] && { echo "libipsec has no ESN"; return; }
	case $1 in *gmac*) echo "libipsec has no AES-GMAC" ;; esac
}

# sa_esp_ok GW P ESN: GW's uipsecd holds two charon SAs, both with esp P and esn ESN
sa_esp_ok() { ujq "$1" sas "length == 2 and all(.[]; .esp == \"$2\" and .esn == $3)"; }

# the probe itself works (the one proposal every build has)
is_uipsec a && check "uipsecd takes an aes128gcm16 SA (the probe works)" uipsecd_takes a aes128gcm16

for p in $PROPOSALS; do
	for e in esn noesn; do
		c=p-$p-$e
		if [ $e = esn ]; then esn=true pesn=esn; else esn=false pesn=; fi
		if [ "$CHARON_MODE" = stock ] && [ -n "$(stock_lacks "$p" $e)" ]; then
			skip_check "$p-$e: CHILD_SA up, ping both ways" "$(stock_lacks "$p" $e)"
			continue
		fi
		if is_uipsec a && ! uipsecd_takes a "$p" $pesn >"$T_TMP/probe.out" 2>&1; then
			skip_check "$p-$e: CHILD_SA up, ping both ways" \
				"uipsecd does not support ESP $p${pesn:+ with ESN}: $(tr '\n' ' ' <"$T_TMP/probe.out")"
			continue
		fi
		ok_before=$T_FAILED
		check "$p-$e: swanctl --initiate --child $c" sw a --initiate --child "$c" --timeout 20
		check "$p-$e: INSTALLED on A ($c) and B (net)" eval "child_installed a $c && child_installed b net"
		for gw in a b; do
			ucheck $gw "$p-$e: $gw's uipsecd holds two charon SAs, esp $p, esn $esn" sa_esp_ok $gw "$p" $esn
		done
		check "$p-$e: ping host A -> host B" ping_hosts a 3
		check "$p-$e: ping host B -> host A" ping_hosts b 3
		[ "$ok_before" = "$T_FAILED" ] || diag "$p-$e: $(grep -h "selected proposal: ESP\|failed\|unsupported\|not supported" "$T_TMP/a-charon.log" | tail -3)"
		check "$p-$e: swanctl --terminate --child $c" sw a --terminate --child "$c" --timeout 20
		sleep 0.3
		for gw in a b; do
			ucheck $gw "$p-$e: $gw's uipsecd holds no charon SA" ujq $gw sas 'length == 0'
		done
	done
done

check "IKE_SA terminated" sw a --terminate --ike gw --timeout 20
check "charon A stops cleanly" charon_stop a
check "charon B stops cleanly" charon_stop b
is_uipsec a && check "uipsecd A and B stop cleanly" stop_daemons
finish
