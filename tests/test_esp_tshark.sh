#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Cross-check: Wireshark's ESP dissector (tshark) decrypts and verifies
# the packets built by the ESP engine (AES-GCM, AES-CBC/CTR + HMAC, NULL;
# IPv4/IPv6 inner x outer). Skips when tshark or python3 is absent.
gen="${top_builddir:-.}/tests/esp-vectors"
tshark=$(command -v tshark)
py=$(command -v python3 || true)
if [ -z "$tshark" ] || [ -z "$py" ]; then
	echo "1..1"; echo "ok 1 # SKIP tshark or python3 is not installed"; exit 0
fi
work=$(mktemp -d /tmp/uipt-esp-tshark.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=$("$gen") || { echo "1..1"; echo "not ok 1 - esp-vectors failed"; exit 0; }
printf '%s\n' "$out" | HOME="$work" "$py" "${top_srcdir:-.}/tests/esp_tshark_check.py" "$tshark" "$work"
