# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the strongSwan end-to-end tests (tests/e2e/charon-*.sh),
# sourced after lib.sh (bash): Debian's charon (/usr/lib/ipsec/charon) in
# the test's network namespaces, driven with swanctl over a per-gateway
# vici socket.
#
# A gateway GW (a, b) is one of two kinds:
#  uipsec: uipsecd (control socket $T_TMP/GW.sock, IKE relay socket
#          $T_TMP/GW-ike.sock, started by the test) + charon with the
#          kernel-uipsec plugin (LD_PRELOAD=$KERNEL_UIPSEC_PLUGIN,
#          charon.plugins.kernel-uipsec.load = 2), socket-default and
#          kernel-libipsec not loaded, routing_table = 0 and
#          ignore_routing_tables = 220 (uipsecd owns table 220)
#  stock:  charon alone, as Debian ships it, with kernel-libipsec (its own
#          TUN device and routes in table 220) and socket-default (its own
#          UDP 500 and 4500)
# Files of GW, all under $T_TMP:
#   GW-strongswan.conf   charon's configuration (STRONGSWAN_CONF)
#   GW-run/              bound over /run for charon (its PID file
#                        /var/run/charon.pid, and the vici socket
#                        GW-run/charon.vici)
#   GW-charon.log        charon's log (filelog), GW-charon.out its stdout/stderr
#   GW-swanctl/          swanctl.conf, x509ca/, x509/, private/ (swanctl --file)
# Cleanup (the EXIT trap of lib.sh) stops every charon (SIGTERM, then
# SIGKILL), then whatever else still runs in the test's namespaces; the
# /run bind mounts live in the mount namespaces of `ip netns exec` and go
# with the processes.
#
# Environment:
#   KERNEL_UIPSEC_PLUGIN  the plugin (default: the build tree's
#                         integrations/strongswan/.libs/libstrongswan-kernel-uipsec.so)
#   CHARON                charon binary (default /usr/lib/ipsec/charon)
#   UIPT_CHARON_MODE      "uipsec" (default) or "stock": both gateways run
#                         stock charons (kernel-libipsec); checks of uipsecd
#                         are skipped. Debugs the tests themselves against
#                         a known-good data plane.
#   UIPT_CHARON_LOGDIR    a directory: the charon and uipsecd logs are
#                         copied there at the end

KERNEL_UIPSEC_PLUGIN=${KERNEL_UIPSEC_PLUGIN:-$top_builddir/integrations/strongswan/.libs/libstrongswan-kernel-uipsec.so}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
SWANCTL=${SWANCTL:-swanctl}
PKI=${PKI:-pki}
CHARON_MODE=${UIPT_CHARON_MODE:-uipsec}
# the owner name the plugin gives uipsecd (charon.plugins.kernel-uipsec.owner)
CHARON_OWNER=${CHARON_OWNER:-charon}
# the routing table uipsecd (and kernel-libipsec's charon) route through
CHARON_TABLE=220
# charon's log levels (filelog)
CHARON_LOGLEVEL=${CHARON_LOGLEVEL:-default = 1  knl = 2  ike = 2  cfg = 1  net = 1  esp = 1  lib = 1}
C_GWS=()

# skip_check DESC REASON: a TAP check that is skipped
skip_check() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1 # SKIP $2"; }

# require_charon [TOOLS...]: root, iproute2, charon, swanctl, pki and the
# given tools; in uipsec mode also the plugin, uipsecd's plugins and
# uipsecctl. Skips the whole test otherwise.
require_charon() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, TUN)"
	command -v ip >/dev/null || skip_all "iproute2 not installed"
	[ -c /dev/net/tun ] || skip_all "/dev/net/tun missing"
	[ -x "$CHARON" ] || skip_all "strongSwan's charon not installed ($CHARON; Debian: strongswan-charon)"
	command -v "$SWANCTL" >/dev/null || skip_all "swanctl not installed (strongswan-swanctl)"
	command -v "$PKI" >/dev/null || skip_all "pki not installed (strongswan-pki)"
	local t
	for t in "$@"; do command -v "$t" >/dev/null || skip_all "$t not installed"; done
	case $CHARON_MODE in
	stock)
		[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
			skip_all "UIPT_CHARON_MODE=stock needs kernel-libipsec (libcharon-extra-plugins)"
		;;
	uipsec)
		[ -f "$KERNEL_UIPSEC_PLUGIN" ] ||
			skip_all "kernel-uipsec plugin not built ($KERNEL_UIPSEC_PLUGIN; set KERNEL_UIPSEC_PLUGIN)"
		[ -x "$UIPSECD" ] || skip_all "uipsecd not built ($UIPSECD)"
		[ -x "$UIPSECCTL" ] || skip_all "uipsecctl not built"
		has_plugin io-tun && has_plugin net-netlink && has_plugin crypto-openssl ||
			skip_all "uipsecd's io-tun, net-netlink or crypto-openssl not built"
		command -v jq >/dev/null || skip_all "jq not installed"
		;;
	*) skip_all "UIPT_CHARON_MODE must be uipsec or stock, not '$CHARON_MODE'" ;;
	esac
}

# kind_of GW: uipsec or stock (GW's kind; default: the mode)
kind_of() { local k; k=$(eval echo "\${KIND_$1:-}"); echo "${k:-$([ "$CHARON_MODE" = stock ] && echo stock || echo uipsec)}"; }
# is_uipsec GW: GW runs uipsecd + kernel-uipsec
is_uipsec() { [ "$(kind_of "$1")" = uipsec ]; }

# charon_conf GW KIND [EXTRA_CHARON]: writes $T_TMP/GW-strongswan.conf for a
# gateway of KIND (uipsec or stock); EXTRA_CHARON goes into the charon section
charon_conf() {
	local gw=$1 kind=$2 extra=${3:-} plugins
	eval "KIND_$gw=$kind"
	mkdir -p "$T_TMP/$gw-run"
	if [ "$kind" = uipsec ]; then
		plugins="kernel-uipsec {
            load = 2
            socket = unix://$T_TMP/$gw.sock
            ike_socket = $T_TMP/$gw-ike.sock
            owner = $CHARON_OWNER
        }
        socket-default {
            load = no
        }
        kernel-libipsec {
            load = no
        }"
		extra="routing_table = 0
    ignore_routing_tables = $CHARON_TABLE
    $extra"
	else
		# before kernel-netlink, whose XFRM interface would win otherwise
		plugins="kernel-libipsec {
            load = 2
        }
        socket-default {
            load = yes
        }"
	fi
	cat >"$T_TMP/$gw-strongswan.conf" <<CONF
# charon of gateway $gw ($kind), written by tests/e2e/charon-lib.sh
charon {
    load_modular = yes
    $extra
    filelog {
        $gw {
            path = $T_TMP/$gw-charon.log
            time_format = %T
            ike_name = yes
            append = no
            flush_line = yes
            $CHARON_LOGLEVEL
        }
    }
    plugins {
        include /etc/strongswan.d/charon/*.conf
        $plugins
        vici {
            load = yes
            socket = unix://$T_TMP/$gw-run/charon.vici
        }
        stroke {
            load = no
        }
    }
}
CONF
}

# charon_start GW NS: runs charon for GW in NS (its /run bound to
# $T_TMP/GW-run), waits until it answers on its vici socket
charon_start() {
	local gw=$1 ns=$2 preload=
	is_uipsec "$gw" && preload=$KERNEL_UIPSEC_PLUGIN
	rm -f "$T_TMP/$gw-run/charon.vici" "$T_TMP/$gw-run/charon.pid"
	# ip netns exec runs the command in a mount namespace of its own: the
	# bind mount is charon's alone and goes away with it
	ip netns exec "$ns" sh -c 'mount --bind "$1" /run || exit 99
		if [ -n "$3" ]; then export LD_PRELOAD="$3"; fi
		STRONGSWAN_CONF=$2 exec "$4"' charon-"$gw" "$T_TMP/$gw-run" "$T_TMP/$gw-strongswan.conf" "$preload" "$CHARON" \
		>"$T_TMP/$gw-charon.out" 2>&1 &
	local pid=$!
	T_PIDS+=("$pid")
	C_GWS+=("$gw")
	eval "CPID_$gw=$pid CNS_$gw=$ns"
	for _ in $(seq 100); do
		if [ -S "$T_TMP/$gw-run/charon.vici" ] && sw "$gw" --stats >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	diag "charon $gw did not come up:"
	cat "$T_TMP/$gw-charon.out" 2>/dev/null | sed 's/^/#   /' | tail -10
	tail -20 "$T_TMP/$gw-charon.log" 2>/dev/null | sed 's/^/#   /'
	return 1
}

# charon_pid GW: the PID of GW's charon (empty when none was started)
charon_pid() { eval echo "\${CPID_$1:-}"; }
# charon_alive GW
charon_alive() { local p; p=$(charon_pid "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# charon_stop GW [SIGNAL]: ends GW's charon with SIGTERM (or SIGNAL, e.g.
# KILL), waits for it (10 s, then SIGKILL); fails when it had to be killed
charon_stop() {
	local gw=$1 sig=${2:-TERM} pid
	pid=$(charon_pid "$gw")
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			eval "CPID_$gw="
			return 0
		fi
		sleep 0.1
	done
	echo "charon $gw did not exit within 10 s of SIG$sig: killed"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	eval "CPID_$gw="
	return 1
}
# charon_kill GW: SIGKILL, as a crash
charon_kill() { charon_stop "$1" KILL; }

# charon_cleanup: every charon (TERM, 5 s, KILL), then any other process
# left in the test's namespaces (iperf3, ping, ...) except lib.sh's own
# T_PIDS (uipsecd: cleanup ends those)
charon_cleanup() {
	local gw pid ns p
	for gw in "${C_GWS[@]}"; do
		pid=$(charon_pid "$gw")
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	for gw in "${C_GWS[@]}"; do
		pid=$(charon_pid "$gw")
		[ -n "$pid" ] || continue
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	done
	for ns in "${T_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			[[ " ${T_PIDS[*]} " == *" $p "* ]] || kill -9 "$p" 2>/dev/null
		done
	done
	# UIPT_CHARON_LOGDIR=DIR keeps every log and configuration (no keys:
	# the swanctl.conf files with PSKs and the private keys stay behind)
	if [ -n "${UIPT_CHARON_LOGDIR:-}" ]; then
		mkdir -p "$UIPT_CHARON_LOGDIR" &&
			cp "$T_TMP"/*.log "$T_TMP"/*.out "$T_TMP"/*-strongswan.conf "$UIPT_CHARON_LOGDIR"/ 2>/dev/null
	fi
}
# lib.sh's cleanup runs after charon_cleanup (the EXIT trap calls cleanup)
eval "lib_$(declare -f cleanup)"
cleanup() { charon_cleanup; lib_cleanup; }

# sw GW COMMAND [ARGS...]: swanctl COMMAND on GW's charon (vici socket);
# e.g. sw a --initiate --child net
sw() {
	local gw=$1 cmd=$2
	shift 2
	[ -f "$T_TMP/swanctl-strongswan.conf" ] ||
		printf 'swanctl {\n    load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' >"$T_TMP/swanctl-strongswan.conf"
	SWANCTL_DIR=$T_TMP/$gw-swanctl STRONGSWAN_CONF=$T_TMP/swanctl-strongswan.conf "$SWANCTL" "$cmd" --uri "unix://$T_TMP/$gw-run/charon.vici" "$@"
}
# sw_load GW: swanctl --load-all of GW's swanctl.conf and credentials
sw_load() { sw "$1" --load-all --file "$T_TMP/$1-swanctl/swanctl.conf"; }

# ---- swanctl.conf

# gw_addr GW / gw_net GW / gw_host GW / gw_id GW: outer address, protected
# subnet, a host behind it, the certificate's identity (net2net_topo)
gw_addr() { case $1 in a) echo 192.0.2.1 ;; b) echo 192.0.2.2 ;; esac; }
gw_net() { case $1 in a) echo 10.1.0.0/24 ;; b) echo 10.2.0.0/24 ;; esac; }
gw_host() { case $1 in a) echo 10.1.0.2 ;; b) echo 10.2.0.2 ;; esac; }
gw_id() { echo "$1.uipsec.test"; }
other() { case $1 in a) echo b ;; b) echo a ;; esac; }

# make_certs: a CA and one certificate (ECDSA P-256, SAN GW.uipsec.test)
# per gateway a and b, with pki, into each gateway's swanctl directory
make_certs() {
	local d=$T_TMP/pki gw
	mkdir -p "$d"
	"$PKI" --gen --type ecdsa --size 256 --outform pem >"$d/ca.key" &&
	"$PKI" --self --ca --lifetime 2 --in "$d/ca.key" --type ecdsa \
		--dn "C=CH, O=uipsec test, CN=uipsec test CA" --outform pem >"$d/ca.crt" || return 1
	for gw in a b; do
		mkdir -p "$T_TMP/$gw-swanctl/x509ca" "$T_TMP/$gw-swanctl/x509" "$T_TMP/$gw-swanctl/private"
		"$PKI" --gen --type ecdsa --size 256 --outform pem >"$T_TMP/$gw-swanctl/private/$gw.key" &&
		"$PKI" --pub --in "$T_TMP/$gw-swanctl/private/$gw.key" --type ecdsa |
			"$PKI" --issue --lifetime 2 --cacert "$d/ca.crt" --cakey "$d/ca.key" --type pub \
				--dn "C=CH, O=uipsec test, CN=$(gw_id $gw)" --san "$(gw_id $gw)" \
				--flag serverAuth --outform pem >"$T_TMP/$gw-swanctl/x509/$gw.crt" || return 1
		chmod 600 "$T_TMP/$gw-swanctl/private/$gw.key"
		cp "$d/ca.crt" "$T_TMP/$gw-swanctl/x509ca/ca.crt"
	done
}

# child_conf NAME ESP [EXTRA]: one children section for sw_confs (the
# traffic selectors are filled in per gateway: @LOCAL_TS@, @REMOTE_TS@)
child_conf() {
	cat <<CONF
            $1 {
                local_ts = @LOCAL_TS@
                remote_ts = @REMOTE_TS@
                esp_proposals = $2
                mode = tunnel
                start_action = none
                ${3:-}
            }
CONF
}

# sw_confs AUTH IKE_EXTRA CHILDREN: swanctl.conf of both gateways, one
# connection "gw" 192.0.2.1 <-> 192.0.2.2 (IKEv2, aes128-sha256-x25519),
# AUTH psk (a fresh random key) or pubkey (make_certs first), IKE_EXTRA in
# the connection (e.g. rekey_time), CHILDREN the output of child_conf
# (10.1.0.0/24 === 10.2.0.0/24); CHILDREN_B and IKE_EXTRA_B, if given,
# are B's instead
sw_confs() {
	local auth=$1 ike_extra=$2 children=$3 children_b=${4:-$3} ike_extra_b=${5-$2} gw psk la lb d ch ie
	psk=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	for gw in a b; do
		for d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
			mkdir -p "$T_TMP/$gw-swanctl/$d"
		done
		if [ "$auth" = psk ]; then
			la="auth = psk
                id = $(gw_addr $gw)"
			lb="auth = psk
                id = $(gw_addr "$(other $gw)")"
		else
			la="auth = pubkey
                certs = $gw.crt
                id = $(gw_id $gw)"
			lb="auth = pubkey
                id = $(gw_id "$(other $gw)")"
		fi
		if [ $gw = a ]; then ie=$ike_extra; else ie=$ike_extra_b; fi
		{
			cat <<CONF
# gateway $gw, written by tests/e2e/charon-lib.sh
connections {
    gw {
        version = 2
        local_addrs = $(gw_addr $gw)
        remote_addrs = $(gw_addr "$(other $gw)")
        proposals = aes128-sha256-x25519
        dpd_delay = 0
        $ie
        local {
                $la
        }
        remote {
                $lb
        }
        children {
CONF
			if [ $gw = a ]; then ch=$children; else ch=$children_b; fi
			sed -e "s|@LOCAL_TS@|$(gw_net $gw)|" -e "s|@REMOTE_TS@|$(gw_net "$(other $gw)")|" <<<"$ch"
			cat <<CONF
        }
    }
}
CONF
			if [ "$auth" = psk ]; then
				cat <<CONF
secrets {
    ike-gw {
        id-a = $(gw_addr a)
        id-b = $(gw_addr b)
        secret = 0x$psk
    }
}
CONF
			fi
		} >"$T_TMP/$gw-swanctl/swanctl.conf"
		chmod 600 "$T_TMP/$gw-swanctl/swanctl.conf"
	done
}

# fqdn_confs LOCAL_A REMOTE_A LOCAL_B REMOTE_B [IKE_EXTRA]: swanctl.conf of
# A and B (local_addrs / remote_addrs as given, e.g. %any), one connection
# gw (IKEv2, aes128-sha256-x25519, no DPD, IKE_EXTRA), PSK (a fresh random
# key) with the identities a.uipsec.test / b.uipsec.test (addresses may
# change: behind a NAT, MOBIKE), CHILD_SA net 10.1.0.0/24 === 10.2.0.0/24
# (aes128gcm16)
fqdn_confs() {
	local psk gw d la ra lts rts
	psk=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	for gw in a b; do
		for d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
			mkdir -p "$T_TMP/$gw-swanctl/$d"
		done
		if [ $gw = a ]; then
			la=$1 ra=$2 lts=10.1.0.0/24 rts=10.2.0.0/24
		else
			la=$3 ra=$4 lts=10.2.0.0/24 rts=10.1.0.0/24
		fi
		cat >"$T_TMP/$gw-swanctl/swanctl.conf" <<CONF
connections {
    gw {
        version = 2
        local_addrs = $la
        remote_addrs = $ra
        proposals = aes128-sha256-x25519
        dpd_delay = 0
        ${5:-}
        local {
            auth = psk
            id = $(gw_id $gw)
        }
        remote {
            auth = psk
            id = $(gw_id "$(other $gw)")
        }
        children {
            net {
                local_ts = $lts
                remote_ts = $rts
                esp_proposals = aes128gcm16
                mode = tunnel
                start_action = none
            }
        }
    }
}
secrets {
    ike-gw {
        id-a = $(gw_id a)
        id-b = $(gw_id b)
        secret = 0x$psk
    }
}
CONF
		chmod 600 "$T_TMP/$gw-swanctl/swanctl.conf"
	done
}

# ---- gateways

# charon_gateways KIND_A KIND_B [EXTRA_CHARON]: net2net_topo (hosts ha, hb
# behind gateways ga, gb), then per gateway uipsecd (uipsec kind) and
# charon, both up; in stock mode both kinds become stock
charon_gateways() {
	local ka=$1 kb=$2 extra=${3:-} gw kind ns
	if [ "$CHARON_MODE" = stock ]; then ka=stock kb=stock; fi
	net2net_topo "uipt-cs$U"
	for gw in a b; do
		if [ $gw = a ]; then kind=$ka ns=$NS_GA; else kind=$kb ns=$NS_GB; fi
		charon_conf $gw "$kind" "$extra"
		if [ "$kind" = uipsec ]; then
			daemon_conf "$T_TMP/$gw.conf" $gw "load = crypto-openssl io-tun net-netlink"
			start_daemon $gw "$ns" "$T_TMP/$gw.conf" || return 1
		fi
		charon_start $gw "$ns" || return 1
	done
}

# gw_ns GW: GW's namespace
gw_ns() { case $1 in a) echo "$NS_GA" ;; b) echo "$NS_GB" ;; esac; }
# host_ns GW: the namespace of the host behind GW
host_ns() { case $1 in a) echo "$NS_HA" ;; b) echo "$NS_HB" ;; esac; }

# ---- checks

# pings COUNT INTERVAL FROM_NS DST: every echo request answered
pings() {
	nsx "$3" ping -c "$1" -i "$2" -W 2 "$4" >"$T_TMP/ping.out" 2>&1
	grep -q "^$1 packets transmitted, $1 received" "$T_TMP/ping.out" || { tail -3 "$T_TMP/ping.out"; false; }
}
# ping_hosts FROM_GW [COUNT]: the host behind FROM_GW pings the host behind the other
ping_hosts() { pings "${2:-5}" 0.1 "$(host_ns "$1")" "$(gw_host "$(other "$1")")"; }

# ping_gaps FILE COUNT: the echo requests of a `ping -D` output FILE (of
# COUNT) never answered, as ranges "FIRST-LAST (after HH:MM:SS.mmm)", the
# time of the last answer before each gap (to compare with charon's logs)
ping_gaps() {
	awk -v n="$2" '
		/bytes from/ { for (i = 1; i <= NF; i++) if ($i ~ /^icmp_seq=/) { s = substr($i, 10) + 0; got[s] = 1;
		               t = $1; gsub(/[][]/, "", t); ts[s] = t } }
		END {
			last = ""
			for (s = 1; s <= n; s++) {
				if (s in got) { last = ts[s]; continue }
				f = s; while (s + 1 <= n && !((s + 1) in got)) s++
				cmd = "date -d @" (last == "" ? 0 : last) " +%T.%3N"; cmd | getline hms; close(cmd)
				printf "%d-%d (after %s) ", f, s, (last == "" ? "start" : hms)
			}
		}' "$1"
}

# iperf_hosts FROM_GW SECONDS [-R]: iperf3 (TCP) from the host behind
# FROM_GW to the host behind the other for SECONDS; -R: the other way
iperf_hosts() {
	local from=$1 secs=$2 rev=${3:-} to srv rc
	to=$(other "$from")
	nsx "$(host_ns "$to")" iperf3 -s -1 >"$T_TMP/iperf-srv.out" 2>&1 &
	srv=$!
	T_PIDS+=("$srv")
	for _ in $(seq 30); do nsx "$(host_ns "$to")" ss -ltn 2>/dev/null | grep -q ':5201 ' && break; sleep 0.1; done
	nsx "$(host_ns "$from")" timeout $((secs + 15)) iperf3 -c "$(gw_host "$to")" -t "$secs" $rev \
		>"$T_TMP/iperf.out" 2>&1
	rc=$?
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	if [ $rc != 0 ]; then tail -5 "$T_TMP/iperf.out"; return 1; fi
	diag "iperf3 $from -> $to ${rev:+(reverse) }$(grep -E 'receiver$' "$T_TMP/iperf.out" | awk '{print $(NF-3), $(NF-2)}')"
}

# child_state GW CHILD: the state of CHILD's newest CHILD_SA (INSTALLED, ...)
child_state() { sw "$1" --list-sas --ike gw 2>/dev/null | awk -v c="$2" '$1 == c":" {s = $4} END {print s}' | tr -d ','; }

# child_installed GW CHILD: GW lists an INSTALLED CHILD_SA named CHILD
child_installed() {
	sw "$1" --list-sas >"$T_TMP/sas.out" 2>&1
	grep -Eq "^ +$2: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL" "$T_TMP/sas.out" || { cat "$T_TMP/sas.out"; false; }
}

# wait_child_installed GW CHILD [SECONDS]: poll (default 20 s) until GW lists
# CHILD INSTALLED: a rekey in flight shows it REKEYED/REKEYING for a moment,
# longer on a loaded machine
wait_child_installed() {
	local end=$(( $(date +%s) + ${3:-20} ))
	until child_installed "$1" "$2" >/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || { child_installed "$1" "$2"; return 1; }
		sleep 0.2
	done
}

# child_spis GW CHILD: "SPI_IN SPI_OUT" (hex, no 0x) of CHILD's INSTALLED CHILD_SA
child_spis() {
	sw "$1" --list-sas 2>/dev/null | awk -v c="$2" '
		$1 == c":" && /INSTALLED/ { on = 1; next }
		on && $1 == "in" { si = $2 }
		on && $1 == "out" { so = $2; on = 0 }
		END { gsub(/,/, "", si); gsub(/,/, "", so); print si, so }'
}

# hexnum HEX: HEX (an SPI as swanctl prints it) as a decimal number, 0 if not hex
hexnum() { if [[ ${1:-} =~ ^[0-9a-fA-F]{1,8}$ ]]; then echo $((16#$1)); else echo 0; fi; }

# child_bytes GW CHILD: "BYTES_IN BYTES_OUT" of CHILD's INSTALLED CHILD_SA
child_bytes() {
	sw "$1" --list-sas 2>/dev/null | awk -v c="$2" '
		$1 == c":" && /INSTALLED/ { on = 1; next }
		on && $1 == "in" { for (i = 1; i <= NF; i++) if ($i ~ /^bytes,?$/) bi = $(i - 1) }
		on && $1 == "out" { for (i = 1; i <= NF; i++) if ($i ~ /^bytes,?$/) bo = $(i - 1); on = 0 }
		END { print bi + 0, bo + 0 }'
}
# child_counted GW CHILD: both byte counters of CHILD's CHILD_SA are > 0
child_counted() {
	local b
	b=$(child_bytes "$1" "$2")
	[ "${b% *}" -gt 0 ] && [ "${b#* }" -gt 0 ] || { echo "bytes in/out: $b"; sw "$1" --list-sas; false; }
}

# ike_spis GW: "SPI_I SPI_R" of GW's ESTABLISHED IKE_SA gw
ike_spis() { sw "$1" --list-sas --ike gw 2>/dev/null | awk '$1 == "gw:" && /ESTABLISHED/ {gsub(/_[ir]\*?/, ""); print $5, $6; exit}'; }

# ike_rekey_in GW: seconds until GW rekeys its IKE_SA gw ("rekeying in Ns"
# of swanctl --list-sas), empty if it does not rekey it
ike_rekey_in() {
	sw "$1" --list-sas --ike gw 2>/dev/null |
		awk '/established .* ago, rekeying in/ { sub(/.*rekeying in /, ""); sub(/s.*/, ""); print; exit }'
}

# no_child GW: GW lists no CHILD_SA
no_child() {
	sw "$1" --list-sas >"$T_TMP/sas.out" 2>&1
	! grep -Eq ", reqid [0-9]+, " "$T_TMP/sas.out" || { cat "$T_TMP/sas.out"; false; }
}

# ---- uipsecd's view (uipsec gateways only)

# u_sas GW / u_policies GW: uipsecd's SAs / policies of owner charon (JSON array)
u_sas() { "$UIPSECCTL" --socket "$T_TMP/$1.sock" --json list-sas owner "$CHARON_OWNER" | jq -c 'if type == "array" then . else .sas end'; }
u_policies() { "$UIPSECCTL" --socket "$T_TMP/$1.sock" --json list-policies owner "$CHARON_OWNER" | jq -c 'if type == "array" then . else .policies end'; }
# ujq GW sas|policies FILTER: FILTER holds for GW's charon SAs / policies (shown on failure)
ujq() {
	local out
	out=$(u_"$2" "$1") || return 1
	jq -e "$3" <<<"$out" >/dev/null || { echo "$out" | jq .; false; }
}
# u_spis GW: GW's charon SPIs in uipsecd, "in:SPI out:SPI ..." (hex), sorted
u_spis() { u_sas "$1" | jq -r '.[] | "\(.direction):\(.spi)"' | sort | tr '\n' ' '; }

# routed GW PREFIX / unrouted GW PREFIX: GW's table 220 routes PREFIX /
# has no route for it (the table is shown on failure)
# into uipsec0 (uipsecd) or ipsec0 (kernel-libipsec)
routed() {
	local dev=uipsec0
	is_uipsec "$1" || dev=ipsec0
	ip -n "$(gw_ns "$1")" route show table $CHARON_TABLE | grep -q "^$2 dev $dev " ||
		{ ip -n "$(gw_ns "$1")" route show table $CHARON_TABLE; false; }
}
unrouted() {
	! ip -n "$(gw_ns "$1")" route show table $CHARON_TABLE 2>/dev/null | grep -q "^$2 " ||
		{ ip -n "$(gw_ns "$1")" route show table $CHARON_TABLE; false; }
}

# ucheck GW DESC CMD...: check on a uipsec gateway, a skipped check on a stock one
ucheck() {
	local gw=$1 d=$2
	shift 2
	if is_uipsec "$gw"; then check "$d" "$@"; else skip_check "$d" "gateway $gw runs kernel-libipsec"; fi
}

# uerrs GW: the error counters of GW's uipsecd (JSON)
UERRS='{no_sa, bad_spi, replay_dropped, auth_failed}'
uerrs() { stats_json "$1" | jq -c "$UERRS"; }

# charon_log_has GW REGEX: GW's charon log matches (extended regex)
charon_log_has() { grep -Eq "$2" "$T_TMP/$1-charon.log" || { tail -20 "$T_TMP/$1-charon.log"; false; }; }
# uses_kernel_uipsec GW: GW's charon loaded kernel-uipsec, neither
# socket-default nor kernel-libipsec
uses_kernel_uipsec() {
	local l
	l=$(grep -m1 "loaded plugins:" "$T_TMP/$1-charon.log")
	[[ " $l " == *" kernel-uipsec "* && " $l " != *" socket-default "* && " $l " != *" kernel-libipsec "* ]] ||
		{ echo "$l"; false; }
}
# charon_log_count GW REGEX: how many lines of GW's charon log match
charon_log_count() { grep -Ec "$2" "$T_TMP/$1-charon.log"; }
