#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Net-to-net: two gateways running uipsecd, a host behind each; ping and
# TCP both ways through a manually keyed tunnel, for every ESP proposal
# keyword, with crypto-openssl on one gateway and crypto-gcrypt on the
# other (when both are built), so the two implementations must agree.
. "$(dirname "$0")/lib.sh"
require_root_tools iperf3
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"

net2net_topo uipt-dp-n2n-$U

prov_a=crypto-openssl prov_b=crypto-gcrypt
has_plugin crypto-openssl || prov_a=crypto-gcrypt
has_plugin crypto-gcrypt || prov_b=$prov_a
has_plugin "$prov_a" || skip_all "no crypto plugin built"
diag "gateway A uses $prov_a, gateway B uses $prov_b"

run_case() {
	local esp=$1 full=${2:-}
	gw_pair_confs "$esp" "$prov_a io-tun net-netlink" "$prov_b io-tun net-netlink"
	if ! start_daemon a "$NS_GA" "$T_TMP/a.conf" || ! start_daemon b "$NS_GB" "$T_TMP/b.conf"; then
		not_ok "$esp: both daemons start"
		stop_daemon a; stop_daemon b
		return
	fi
	check "$esp: ping host A -> host B" nsx "$NS_HA" ping -c 3 -i 0.2 -W 2 10.2.0.2
	check "$esp: ping host B -> host A" nsx "$NS_HB" ping -c 3 -i 0.2 -W 2 10.1.0.2
	if [ -n "$full" ]; then
		check "$esp: TCP A -> B and B -> A (iperf3, 2 MB each way)" tcp_transfer "$NS_HA" "$NS_HB" 10.2.0.2 2M
		check "$esp: ping gateway A -> host B (locally originated, source from local_ts)" \
			nsx "$NS_GA" ping -c 2 -i 0.2 -W 2 10.2.0.2
		check "$esp: large ping (1300 bytes) both ways" nsx "$NS_HA" ping -c 2 -i 0.2 -W 2 -s 1300 10.2.0.2
	fi
	check "$esp: daemon A stops cleanly" stop_daemon a
	check "$esp: daemon B stops cleanly" stop_daemon b
	check "$esp: TUN device and routes removed on stop" \
		bash -c "! ip -n $NS_GA link show uipsec0 2>/dev/null && ! ip -n $NS_GA route show table 220 | grep -q 10.2.0.0"
}

# the first case with both daemons dropped to user uipsec (CAP_NET_ADMIN
# only, tests/e2e/privdrop.sh), the others as root
use_daemon_user
run_case aes128gcm16 full
UIPT_DAEMON_USER=root
run_case aes128-sha256 full
if [ -z "${UIPT_QUICK:-}" ]; then
	for esp in aes192gcm16 aes256gcm16 aes128gcm8 aes128gcm12 aes256gcm12 chacha20poly1305 \
	           aes128ccm16 aes256ccm8 aes128gmac aes256gmac \
	           aes256-sha256 aes128-sha1 aes256-sha384 aes256-sha512 \
	           aes128ctr-sha256 aes256ctr-sha256 null-sha256; do
		run_case "$esp"
	done
fi
finish
