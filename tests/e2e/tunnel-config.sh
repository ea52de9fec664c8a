#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Manually keyed tunnels, the configuration side: keys from a key_file
# (refused when group/world readable), errors with file:line (key length,
# reserved SPI), start = no with 'uipsecctl up/down', and lifetimes that
# raise expire-soft/expire-hard events and remove the SAs.
. "$(dirname "$0")/lib.sh"
require_root_tools jq
has_plugin io-tun && has_plugin net-netlink || skip_all "io-tun or net-netlink plugin not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
crypto=crypto-openssl; has_plugin $crypto || crypto=crypto-gcrypt

A=uipt-dp-cfg-$U-a B=uipt-dp-cfg-$U-b
two_gateways $A $B
k1=$(gen_key 20) k2=$(gen_key 20)
ctl() { local n=$1; shift; "$UIPSECCTL" --socket "$T_TMP/$n.sock" "$@"; }

# --- configuration errors name file:line and refuse to start
daemon_conf "$T_TMP/bad.conf" bad "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/bad.conf" t 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x1000 0x2000 "$k1" "0x0011223344"
nsx $A "$UIPSECD" --foreground --config "$T_TMP/bad.conf" >"$T_TMP/bad.log" 2>&1
rc=$?
check "wrong key length refused at start (exit status $rc)" test $rc -ne 0
check "the error names file:line, the tunnel and the expected length" \
	grep -Eq "bad.conf:[0-9]+: tunnel t: esp = aes128gcm16: .*20" "$T_TMP/bad.log"
daemon_conf "$T_TMP/bad2.conf" bad2 "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/bad2.conf" t 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 0x10 0x2000 "$k1" "$k2"
nsx $A "$UIPSECD" --foreground --config "$T_TMP/bad2.conf" >"$T_TMP/bad2.log" 2>&1
check "reserved SPI refused with file:line" grep -Eq "bad2.conf:[0-9]+: tunnel t: in.spi .*reserved" "$T_TMP/bad2.log"

# --- keys from a key_file
cat >"$T_TMP/a.keys" <<KEYS
in { spi = 0x1000
     key = $k2 }
out { spi = 0x2000
      key = $k1 }
KEYS
chmod 644 "$T_TMP/a.keys"
write_a() {
	rm -f "$T_TMP/a.conf"
	daemon_conf "$T_TMP/a.conf" a "load = $crypto io-tun net-netlink"
	cat >>"$T_TMP/a.conf" <<CONF
tunnels {
    b {
        local = 192.0.2.1
        remote = 192.0.2.2
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
        esp = aes128gcm16
        start = $1
        key_file = a.keys
        $2
    }
}
CONF
}
write_a yes ""
nsx $A "$UIPSECD" --foreground --config "$T_TMP/a.conf" >"$T_TMP/kf.log" 2>&1
check "key_file readable by others refused (names chmod 600)" grep -q "readable by group or others.*chmod 600" "$T_TMP/kf.log"
chmod 600 "$T_TMP/a.keys"

# --- start = no, then up/down through the control socket
write_a no ""
daemon_conf "$T_TMP/b.conf" b "load = $crypto io-tun net-netlink"
tunnel_conf "$T_TMP/b.conf" a 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes128gcm16 0x2000 0x1000 "$k1" "$k2"
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts (key_file, start = no)"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts"
check "start = no: no SA installed" test "$(ctl a --json list-sas | jq 'if type == "array" then length else (.sas | length) end')" = 0
check "uipsecctl up b" ctl a up b
check "keys from the key_file work: ping through the tunnel" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "uipsecctl down b" ctl a down b
check "after down: no SA, no route" bash -c "[ \"\$('$UIPSECCTL' --socket $T_TMP/a.sock --json list-sas | jq 'if type == \"array\" then length else (.sas | length) end')\" = 0 ] && ! ip -n $A route show table 220 | grep -q 10.2.0.0"
check "up again works" ctl a up b
check "ping after up again" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
stop_daemon a
# manual keys: a restarted daemon starts its sequence numbers again, which
# the peer's replay window rejects; both ends restart together
stop_daemon b

# --- lifetimes: soft after 1 s (event only), hard after 3 s (SAs removed)
# (start = no, then 'up' once the monitor listens: the soft event comes
# 1 s after the SAs, which a monitor started after the daemon can miss)
write_a no "rekey_time = 1s
        life_time = 3s"
start_daemon a $A "$T_TMP/a.conf" || not_ok "daemon A starts (lifetimes)"
start_daemon b $B "$T_TMP/b.conf" || not_ok "daemon B starts again"
"$UIPSECCTL" --socket "$T_TMP/a.sock" --json monitor >"$T_TMP/events.json" 2>&1 &
mon=$!
T_PIDS+=("$mon")
# connected: the status request itself is the other client
for _ in $(seq 50); do [ "$(ctl a --json status | jq .control_clients)" -ge 2 ] && break; sleep 0.1; done
sleep 0.2   # its subscribe request, sent right after connecting
ctl a up b >/dev/null || not_ok "up b (lifetimes)"
check "ping within the lifetime" nsx $A ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
sleep 4.5
kill $mon 2>/dev/null
check "expire-soft event raised" grep -q 'expire-soft' "$T_TMP/events.json"
check "expire-hard event raised" grep -q 'expire-hard' "$T_TMP/events.json"
check "hard-expired SAs removed" test "$(ctl a --json list-sas | jq 'if type == "array" then length else (.sas | length) end')" = 0
check "no traffic after the hard lifetime" bash -c "! ip netns exec $A ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null"
check "the tunnel is down: its routes are gone" bash -c "! ip -n $A route show table 220 | grep -q 10.2.0.0"
ctl a up b >"$T_TMP/up.out" 2>&1
rc=$?
check "expired keys are not used again: up refused (exit status $rc)" test $rc = 1
check "the refusal says why" grep -q "hard lifetime" "$T_TMP/up.out"
finish
