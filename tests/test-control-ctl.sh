#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uipsecctl against a real uipsecd (one namespace, io-tun + net-netlink):
# every command, --json shapes, --prometheus, exit codes (0/1/2/3), an
# unprivileged user refused, monitor events, reload (added / changed /
# unchanged / config error keeps state / plugin list needs a restart), SIGHUP.
. "${top_srcdir:-$(dirname "$0")/..}/tests/e2e/lib.sh"
UIPSECCTL=${UIPSECCTL_UNDER_TEST:-$top_builddir/core/ctl/uipsecctl}   # e.g. a sanitizer build
require_root_tools jq setpriv
has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl || skip_all "io-tun, net-netlink or crypto-openssl not built"
[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
# the daemons run dropped to user uipsec with CAP_NET_ADMIN only (docs/security.md)
use_daemon_user

NS=uipt-ctl-c$$   # PID: parallel runs must not collide
ns_add $NS
ip -n $NS link add out0 type veth peer name out1
ip -n $NS link set out0 up; ip -n $NS link set out1 up
ip -n $NS addr add 192.0.2.1/24 dev out0

SOCK=$T_TMP/c.sock
ctl() { "$UIPSECCTL" --socket "$SOCK" "$@"; }
# rc_is N CMD...: the command exits with status N
rc_is() { local want=$1; shift; "$@" >"$T_TMP/rc.out" 2>&1; local rc=$?; [ $rc = "$want" ] || { echo "exit $rc, wanted $want"; cat "$T_TMP/rc.out"; return 1; }; }
K20=0x00112233445566778899aabbccddeeff00112233
K20B=0x0f1e2d3c4b5a69788796a5b4c3d2e1f000112233

write_conf() {   # write_conf SPI_IN SPI_OUT KEY_IN [EXTRA-TUNNELS] [LOAD]
	daemon_conf "$T_TMP/c.conf" c "load = ${5:-crypto-openssl io-tun net-netlink}
    plugins.io-tun.name = uipc0"
	tunnel_conf "$T_TMP/c.conf" site-b 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16 "$1" "$2" "$3" "$K20"
	[ -n "${4:-}" ] && echo "$4" >>"$T_TMP/c.conf"
	return 0
}
write_conf 0x1000 0x2000 "$K20"
start_daemon c $NS "$T_TMP/c.conf" uipc0 || { echo "Bail out! uipsecd did not start"; exit 1; }

# --- status, plugins, listings
check "status --json: version, TUN device, plugins" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json status | jq -e '.version and .tun == \"uipc0\" and (.plugins | index(\"io-tun\")) and .sas == 2 and .tunnels == 1'"
check "status (table)" bash -c "'$UIPSECCTL' --socket '$SOCK' status | grep -q '^tun  *uipc0'"
check "plugins --json: features with their provider, AES-GCM served by crypto-openssl" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' plugins --json | jq -e '.features | map(select(.feature == \"AEAD:AES_GCM_16-128\" and .selected)) | .[0].plugin == \"crypto-openssl\"'"
check "list-tunnels --json: site-b up" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-tunnels | jq -e '.[0].name == \"site-b\" and .[0].state == \"up\" and .[0].spi_in == 4096'"
check "list-sas --json: SPEC fields (spi number, direction, tunnel, esp, bytes, packets)" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e 'length == 2 and all(.[]; (.spi|type) == \"number\" and (.direction == \"in\" or .direction == \"out\") and .tunnel == \"site-b\" and .esp == \"aes128gcm16\" and (.bytes|type) == \"number\" and (.packets|type) == \"number\")'"
check "list-policies --json: two protect policies of the tunnel" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-policies | jq -e 'length == 2 and all(.[]; .action == \"protect\" and .reqid == 1)'"
check "stats --json: every SPEC counter is a number" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' stats --json | jq -e '[.rx_packets, .tx_packets, .rx_bytes, .tx_bytes, .auth_failed, .replay_dropped, .bad_spi, .malformed, .policy_dropped, .no_sa, .keepalive_rx, .ike_rx, .queue_dropped] | all(type == \"number\")'"
ctl stats --prometheus >"$T_TMP/prom" 2>&1
check "stats --prometheus: HELP/TYPE/sample per counter, uipsec_ prefix, labelled tunnel/SA series" \
	bash -c "grep -q '^# HELP uipsec_rx_packets_total ' '$T_TMP/prom' && grep -q '^# TYPE uipsec_rx_packets_total counter$' '$T_TMP/prom' && grep -Eq '^uipsec_queue_dropped_total [0-9]+$' '$T_TMP/prom' && grep -qx 'uipsec_tunnel_up{tunnel=\"site-b\"} 1' '$T_TMP/prom' && grep -q '^uipsec_sa_packets_total{tunnel=\"site-b\",spi=\"0x00001000\",direction=\"in\",' '$T_TMP/prom' && ! grep -Ev '^(# (HELP|TYPE) uipsec_[a-z_]+ .*|uipsec_[a-z_]+(\{[^}]*\})? [0-9]+)$' '$T_TMP/prom'"
# the bash completion asks the daemon for tunnel names (tests/test-ctl-help.sh: the rest)
check "bash completion: 'uipsecctl --socket SOCK up s' -> site-b (list-tunnels of that daemon)" \
	bash -c ". '$top_srcdir/conf/completion/uipsecctl' && COMP_WORDS=('$UIPSECCTL' --socket '$SOCK' up s) COMP_CWORD=4 && _uipsecctl && [ \"\${COMPREPLY[*]}\" = site-b ]"

# --- ad-hoc SAs and policies (ip xfrm syntax)
check "add-sa (aead rfc4106 as ip xfrm) exits 0" ctl add-sa src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 dir out reqid 1000 \
	mode tunnel aead 'rfc4106(gcm(aes))' $K20B 128 encap espinudp 4500 4500 0.0.0.0
check "add-sa (esp keyword + integ-key, limits) exits 0" ctl add-sa src 192.0.2.3 dst 192.0.2.1 spi 0x3001 dir in \
	esp aes128-sha256 key 0x00112233445566778899aabbccddeeff \
	integ-key 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff reqid 1000 replay-window 64 \
	limit byte-hard 1000000 packet-soft 100 packet-hard 200 local-ts 10.1.0.0/24,10.5.0.0/24[tcp/443] remote-ts 10.2.0.0/24
check "add-sa keyword from enc/auth-trunc (aes128-sha256)" bash -c "'$UIPSECCTL' --socket '$SOCK' add-sa src 192.0.2.3 dst 192.0.2.1 spi 0x3002 dir in any enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff auth-trunc 'hmac(sha256)' 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128 && '$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '.[] | select(.spi == 12290) | .esp == \"aes128-sha256\"'"
check "list-sas --json shows the new SAs, no key material" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-sas > '$T_TMP/sas' && jq -e 'length == 5' '$T_TMP/sas' && ! grep -qi 'aabbccdd\|0f1e2d3c' '$T_TMP/sas'"
check "list-sas: packet and byte limits left" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '.[] | select(.spi == 12289) | .packets_left == 200 and .bytes_left == 1000000 and .time_left == -1'"
check "the key is not in the daemon's log" bash -c "! grep -qi 'aabbccddeeff\|0f1e2d3c' '$T_TMP/c.log'"
check "add-sa: duplicate SPI refused (exit 1)" rc_is 1 ctl add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3000 dir out esp aes128gcm16 key $K20B
check "add-sa: wrong key length refused (exit 1)" rc_is 1 ctl add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3010 dir out esp aes128gcm16 key 0x0011
check "add-sa dir in without selectors or in-policies for its reqid: refused (exit 1)" \
	rc_is 1 ctl add-sa src 192.0.2.3 dst 192.0.2.1 spi 0x3011 dir in reqid 1077 esp aes128gcm16 key $K20B
check "list-sas --json: the inbound SA's selectors (remote -> local) and check" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '(.[] | select(.spi == 12289) | .inbound_check == \"selectors\" and (.selectors | map(.src + \">\" + .dst + \"/\" + .proto) == [\"10.2.0.0/24>10.1.0.0/24/any\", \"10.2.0.0/24>10.5.0.0/24/tcp\"])) and (.[] | select(.spi == 12290) | .inbound_check == \"any\")'"
check "list-sas (table): INBOUND CHECK column" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' list-sas | grep -q '10.2.0.0/24>10.5.0.0/24\\[tcp/any/443\\]'"
check "add-sa: unknown proposal refused (exit 1)" rc_is 1 ctl add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3010 dir out esp aes999 key $K20B
# --- keys from a file or stdin (--key-file), never on the command line
printf '# keys of SA 0x3100\nkey = %s\n' "$K20B" >"$T_TMP/sa.keys"
chmod 600 "$T_TMP/sa.keys"
check "add-sa --key-file FILE (mode 0600) installs the SA" bash -c "'$UIPSECCTL' --socket '$SOCK' add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3100 dir out esp aes128gcm16 --key-file '$T_TMP/sa.keys' && '$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '.[] | select(.spi == 12544) | .esp == \"aes128gcm16\"'"
check "add-sa --key-file - reads the keys from stdin (key and integ_key)" bash -c "printf 'key = 0x00112233445566778899aabbccddeeff\nintegKEY\n' | sed 's/integKEY/integ_key = 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff/' | '$UIPSECCTL' --socket '$SOCK' add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3101 dir out esp aes128-sha256 --key-file - && '$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '.[] | select(.spi == 12545) | .esp == \"aes128-sha256\"'"
check "update-sa --key-file works too" ctl update-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3100 dir out esp aes128gcm16 --key-file "$T_TMP/sa.keys"
chmod 644 "$T_TMP/sa.keys"
check "add-sa --key-file readable by others: refused (exit 2), names chmod 600" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3102 dir out esp aes128gcm16 --key-file '$T_TMP/sa.keys' 2>'$T_TMP/kf.err'; [ \$? = 2 ] && grep -q 'readable by group or others.*chmod 600' '$T_TMP/kf.err'"
check "... and from stdin redirected from such a file, too (exit 2)" \
	rc_is 2 bash -c "'$UIPSECCTL' --socket '$SOCK' add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3102 dir out esp aes128gcm16 --key-file - <'$T_TMP/sa.keys'"
chmod 600 "$T_TMP/sa.keys"
check "add-sa: a key both in argv and in --key-file is a usage error (exit 2)" rc_is 2 ctl add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3102 dir out esp aes128gcm16 key $K20B --key-file "$T_TMP/sa.keys"
printf 'key = 0x0011223\n' >"$T_TMP/odd.keys"; chmod 600 "$T_TMP/odd.keys"
check "add-sa --key-file with a bad key: file:line and reason (exit 2)" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3102 dir out esp aes128gcm16 --key-file '$T_TMP/odd.keys' 2>'$T_TMP/kf.err'; [ \$? = 2 ] && grep -q 'odd.keys:1: key has an odd number of hex digits' '$T_TMP/kf.err'"
check "SAs 0x3100/0x3101 removed again" bash -c "'$UIPSECCTL' --socket '$SOCK' del-sa spi 0x3100 dir out && '$UIPSECCTL' --socket '$SOCK' del-sa spi 0x3101 dir out"

check "update-sa: replaces the outbound SA" ctl update-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3000 dir out reqid 1000 esp aes128gcm16 key $K20
check "update-sa: unknown SPI (exit 1)" rc_is 1 ctl update-sa src 192.0.2.1 dst 192.0.2.3 spi 0x3999 dir out esp aes128gcm16 key $K20
check "migrate-sa: new port, keys kept" bash -c "'$UIPSECCTL' --socket '$SOCK' migrate-sa spi 0x3000 dir out dst 192.0.2.3 new-dport 4501 &&
	'$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '.[] | select(.spi == 12288 and .direction == \"out\") | .dst_port == 4501'"
check "migrate-sa: unknown SPI (exit 1)" rc_is 1 ctl migrate-sa spi 0x3999 dir out dst 192.0.2.3 new-dport 4501
check "migrate-sa: a keyword of add-sa is a usage error (exit 2)" rc_is 2 ctl migrate-sa spi 0x3000 dir out dst 192.0.2.3 esp aes128gcm16
check "add-policy route peer, then del-policy" bash -c "'$UIPSECCTL' --socket '$SOCK' add-policy src 10.1.0.0/24 dst 10.8.0.0/24 dir out reqid 1000 route peer 192.0.2.3 &&
	ip -n $NS route show table 220 | grep -q '^10.8.0.0/24 dev uipc0' && '$UIPSECCTL' --socket '$SOCK' del-policy src 10.1.0.0/24 dst 10.8.0.0/24 dir out &&
	! ip -n $NS route show table 220 | grep -q '^10.8.0.0/24'"
check "add-policy route on dir in (exit 1)" rc_is 1 ctl add-policy src 10.8.0.0/24 dst 10.1.0.0/24 dir in reqid 1000 route
check "add-policy with tmpl (ip xfrm policy syntax)" ctl add-policy src 10.1.0.0/24 dst 10.3.0.0/24 dir out \
	tmpl src 192.0.2.1 dst 192.0.2.3 proto esp reqid 1000 mode tunnel
check "add-policy linked by spi, tcp port, priority" ctl add-policy src 10.1.0.0/24 dst 10.3.0.0/24 proto tcp dport 443 dir out priority 10 spi 0x3000
check "add-policy trap" ctl add-policy src 10.1.0.0/24 dst 10.6.0.0/24 dir out action trap
check "list-policies --json shows them" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-policies | jq -e 'length == 5 and any(.[]; .dport == 443 and .proto == \"tcp\" and .priority == 10 and .reqid == 1000) and any(.[]; .action == \"trap\")'"
check "add-policy: identical policy refused (exit 1)" rc_is 1 ctl add-policy src 10.1.0.0/24 dst 10.6.0.0/24 dir out action trap
check "add-policy: dir fwd not supported (exit 1)" rc_is 1 ctl add-policy src 10.1.0.0/24 dst 10.6.0.0/24 dir fwd action drop
check "add-policy: spi of no SA (exit 1)" rc_is 1 ctl add-policy src 10.1.0.0/24 dst 10.7.0.0/24 dir out spi 0x7777
id=$(ctl --json list-policies | jq '.[] | select(.action == "trap") | .id')
check "del-policy by id" ctl del-policy id "$id"
check "del-policy by selector" ctl del-policy src 10.1.0.0/24 dst 10.3.0.0/24 dir out
check "del-policy: gone now (exit 1)" rc_is 1 ctl del-policy src 10.1.0.0/24 dst 10.3.0.0/24 dir out
check "del-sa" ctl del-sa spi 0x3001 dir in dst 192.0.2.1
check "del-sa: gone now (exit 1)" rc_is 1 ctl del-sa spi 0x3001 dir in
check "three policies and four SAs left" bash -c "[ \$('$UIPSECCTL' --socket '$SOCK' --json list-policies | jq length) = 3 ] && [ \$('$UIPSECCTL' --socket '$SOCK' --json list-sas | jq length) = 4 ]"

# --- tunnels up/down
check "down site-b" ctl down site-b
check "site-b down: its SAs are gone" bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-tunnels | jq -e '.[0].state == \"down\"' && ! '$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '.[] | select(.tunnel == \"site-b\")'"
check "up site-b" ctl up site-b
check "up: unknown tunnel (exit 1)" rc_is 1 ctl up no-such-tunnel

# --- log level
check "log-level debug esp" ctl log-level debug esp
check "log-level info" ctl log-level info
check "log-level: bad level (exit 1)" rc_is 1 ctl log-level loud

# --- protocol 2: owners, alloc-spi, query-sa, flush (tests/e2e/control-v2.sh: with traffic)
check "list-sas owner config: site-b's two SAs" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-sas owner config | jq -e 'length == 2 and all(.[]; .tunnel == \"site-b\" and .owner == \"config\")'"
check "list-sas --owner nobody: empty" bash -c "'$UIPSECCTL' --socket '$SOCK' --json --owner nobody list-sas | jq -e 'length == 0'"
check "alloc-spi: a one-SPI range gives that SPI (hex), then is exhausted (exit 1)" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' alloc-spi min 0x7000 max 0x7000 timeout 60 | grep -qx 0x00007000 && ! '$UIPSECCTL' --socket '$SOCK' alloc-spi min 0x7000 max 0x7000 2>'$T_TMP/ex.err' && grep -q exhausted '$T_TMP/ex.err'"
check "del-sa releases the reservation" ctl del-sa spi 0x7000 dir in
check "alloc-spi: min below 256 refused (exit 1)" rc_is 1 ctl alloc-spi min 255
check "alloc-spi: stray word (exit 2)" rc_is 2 ctl alloc-spi bogus 1
check "query-sa: site-b's inbound SA, owner config" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --json query-sa spi 0x1000 dir in | jq -e '.owner == \"config\" and .tunnel == \"site-b\" and (.packets | type) == \"number\" and (.last_use_mono | type) == \"number\"'"
check "query-sa: no such SA (exit 1)" rc_is 1 ctl query-sa spi 0x7777 dir out
check "flush without owner: refused (exit 1)" rc_is 1 ctl flush
check "flush owner config: refused (exit 1)" rc_is 1 ctl flush owner config
check "add-sa --owner ike, then flush --owner ike removes it" \
	bash -c "'$UIPSECCTL' --socket '$SOCK' --owner ike add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x7100 dir out reqid 1 esp aes128gcm16 key $K20 && '$UIPSECCTL' --socket '$SOCK' --json flush --owner ike | jq -e '.sas == 1' && ! '$UIPSECCTL' --socket '$SOCK' query-sa spi 0x7100 dir out"
check "--owner with a command that has none: exit 2" rc_is 2 ctl --owner ike status

# --- usage errors (2) and unreachable daemon (3)
check "no command: exit 2" rc_is 2 "$UIPSECCTL"
check "unknown command: exit 2" rc_is 2 ctl frobnicate
check "up without a name: exit 2" rc_is 2 ctl up
check "add-sa with a stray word: exit 2" rc_is 2 ctl add-sa spi 0x1 bogus
check "--prometheus with list-sas: exit 2" rc_is 2 ctl list-sas --prometheus
check "no daemon at the socket: exit 3" rc_is 3 "$UIPSECCTL" --socket "$T_TMP/none.sock" status
check "UIPSEC_SOCKET is used" bash -c "UIPSEC_SOCKET='$SOCK' '$UIPSECCTL' status >/dev/null"

# --- unprivileged users
# nobody must reach uipsecctl wherever the checkout is (CI clones into a 0700
# directory): CAP_DAC_READ_SEARCH lets it read and search, never write, so
# connecting to the 0600 socket is still refused
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_read_search --ambient-caps=+dac_read_search "$@"; }
chmod 755 "$T_TMP"
check "nobody cannot reach the 0600 socket (exit 3)" rc_is 3 as_nobody "$UIPSECCTL" --socket "$SOCK" status
chmod 666 "$SOCK"
check "nobody on a world-writable socket is refused by SO_PEERCRED (exit 1)" \
	bash -c "$(declare -f as_nobody); as_nobody '$UIPSECCTL' --socket '$SOCK' status 2>'$T_TMP/nobody.err'; [ \$? = 1 ]"
check "... and the refusal names the reason (permission-denied)" grep -q permission-denied "$T_TMP/nobody.err"
chmod 600 "$SOCK"

# --- monitor: sa-up, expire-soft, expire-hard, sa-down
"$UIPSECCTL" --socket "$SOCK" --json monitor >"$T_TMP/monitor" 2>&1 &
MON=$!
T_PIDS+=("$MON")
sleep 0.3
ctl add-sa src 192.0.2.1 dst 192.0.2.3 spi 0x4000 dir out reqid 1001 esp aes128gcm16 key $K20B limit time-soft 1 time-hard 2 >/dev/null
for _ in $(seq 50); do grep -q '"sa-down"' "$T_TMP/monitor" && break; sleep 0.1; done
kill -INT $MON 2>/dev/null; wait $MON 2>/dev/null
check "monitor: sa-up, expire-soft (time), expire-hard, sa-down for SPI 0x4000, in order" \
	jq -s -e '[.[] | select(.data.spi == 16384) | .event] == ["sa-up", "expire-soft", "expire-hard", "sa-down"]
	          and any(.[]; .event == "expire-soft" and .data.reason == "time" and .id == "monitor")' "$T_TMP/monitor"
check "monitor: the hard-expired SA was removed" bash -c "! '$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '.[] | select(.spi == 16384)'"

# --- reload
before=$(ctl --json list-sas | jq -c '[.[] | select(.tunnel == "site-b") | .added] | sort')
write_conf 0x1000 0x2000 "$K20" "tunnels { site-c { local = 192.0.2.1
  remote = 192.0.2.4
  local_ts = 10.1.0.0/24
  remote_ts = 10.5.0.0/24
  esp = aes256gcm16
  in { spi = 0x5000
       key = 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233 }
  out { spi = 0x5001
        key = 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233 } } }"
sleep 1.1
check "reload: site-c added, site-b unchanged" bash -c "'$UIPSECCTL' --socket '$SOCK' --json reload | jq -e '.added == [\"site-c\"] and .unchanged == [\"site-b\"] and .changed == [] and .restart_required == []'"
check "reload: site-b's SAs were not touched" bash -c "[ '$before' = \"\$('$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -c '[.[] | select(.tunnel == \"site-b\") | .added] | sort')\" ]"
check "reload: site-c is up" bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-tunnels | jq -e '.[] | select(.name == \"site-c\") | .state == \"up\"'"
write_conf 0x1100 0x2100 "$K20B"
check "reload: site-b changed (new SPIs: new SAs first), site-c removed" bash -c "'$UIPSECCTL' --socket '$SOCK' --json reload | jq -e '.changed == [\"site-b\"] and .removed == [\"site-c\"] and (.notes[0] | test(\"new SAs\"))'"
check "reload: site-b uses the new SPIs, site-c's SAs are gone" bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-sas | jq -e '([.[] | select(.tunnel == \"site-b\") | .spi] | sort) == [4352, 8448] and ([.[] | select(.tunnel == \"site-c\")] | length) == 0'"
cp "$T_TMP/c.conf" "$T_TMP/good.conf"
echo 'tunnels { broken { esp = aes128gcm16 } }' >>"$T_TMP/c.conf"
check "reload: config error refused (exit 1) and reported" bash -c "'$UIPSECCTL' --socket '$SOCK' reload 2>&1 | grep -q 'config-error'"
check "reload: running state kept after the error" bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-tunnels | jq -e 'length == 1 and .[0].state == \"up\" and .[0].spi_in == 4352'"
write_conf 0x1100 0x2100 "$K20B" "" "crypto-gcrypt crypto-openssl io-tun net-netlink"
check "reload: a new plugin list needs a restart, and says so" bash -c "'$UIPSECCTL' --socket '$SOCK' --json reload | jq -e '.restart_required == [\"uipsecd.load\"] and .unchanged == [\"site-b\"]'"
write_conf 0x1200 0x2200 "$K20"
kill -HUP "$PID_c"
for _ in $(seq 30); do ctl --json list-tunnels | jq -e '.[0].spi_in == 4608' >/dev/null 2>&1 && break; sleep 0.1; done
check "SIGHUP reloads the same way" bash -c "'$UIPSECCTL' --socket '$SOCK' --json list-tunnels | jq -e '.[0].spi_in == 4608'"

# dropped to uipsec, the daemon cannot remove the socket file from a
# directory of root (docs/security.md): it stays, answering nobody (exit 3)
check "daemon stops cleanly; socket removed (or, dropped, left refusing connections)" bash -c "kill $PID_c; for i in \$(seq 50); do kill -0 $PID_c 2>/dev/null || break; sleep 0.1; done; ! kill -0 $PID_c 2>/dev/null && { [ ! -e '$SOCK' ] || { [ '${UIPT_DAEMON_USER:-root}' != root ] && ! '$UIPSECCTL' --socket '$SOCK' status >/dev/null 2>&1; }; }"
finish
