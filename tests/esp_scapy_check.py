# SPDX-License-Identifier: GPL-2.0-or-later
"""Decrypt the engine's ESP-in-UDP packets (tests/esp-vectors output on
stdin) with scapy's independent ESP implementation; prints TAP."""
import hashlib
import hmac
import sys

try:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.ipsec import ESP, SecurityAssociation
except ImportError:
    print("1..1")
    print("ok 1 # SKIP scapy is not installed")
    sys.exit(0)

# strongSwan keyword -> (scapy cipher, scapy integrity)
ALGS = {
    "aes128gcm16": ("AES-GCM", None),
    "aes256gcm16": ("AES-GCM", None),
    "chacha20poly1305": ("CHACHA20-POLY1305", None),
    "aes128ccm16": ("AES-CCM", None),
    "aes128-sha256": ("AES-CBC", "SHA2-256-128"),
    "aes256-sha512": ("AES-CBC", "SHA2-512-256"),
    "aes128-sha1": ("AES-CBC", "HMAC-SHA1-96"),
    "aes256-sha384": ("AES-CBC", "SHA2-384-192"),
    "aes128ctr-sha256": ("AES-CTR", "SHA2-256-128"),
    "null-sha256": ("NULL", "SHA2-256-128"),
}

# scapy 2.5 ignores ESN when it verifies an ESP ICV (it only handles AH):
# check those ICVs here (RFC 4303 2.2.1: seq_hi appended, not sent).
HMACS = {"SHA2-256-128": (hashlib.sha256, 16), "SHA2-512-256": (hashlib.sha512, 32),
         "HMAC-SHA1-96": (hashlib.sha1, 12), "SHA2-384-192": (hashlib.sha384, 24)}


def esn_icv_ok(esp_bytes, auth, ikey, seq_hi):
    digest, size = HMACS[auth]
    mac = hmac.new(bytes.fromhex(ikey), esp_bytes[:-size] + seq_hi.to_bytes(4, "big"), digest)
    return hmac.compare_digest(mac.digest()[:size], esp_bytes[-size:])


lines = [l.split() for l in sys.stdin if l.strip()]
print("1..%d" % len(lines))
failed = 0
for n, (kw, spi, key, ikey, esn, seq_hi, outer, inner) in enumerate(lines, 1):
    crypt, auth = ALGS[kw]
    raw = bytes.fromhex(outer)
    v6 = raw[0] >> 4 == 6
    pkt = IPv6(raw) if v6 else IP(raw)
    what = "%s spi 0x%x esn=%s outer IPv%d" % (kw, int(spi), esn, 6 if v6 else 4)
    try:
        # scapy handles ESP-in-UDP through nat_t_header; it wants the ESP
        # layer parsed, so re-dissect the UDP payload as ESP.
        udp = pkt[UDP]
        esp = ESP(bytes(udp.payload))
        l3 = (IPv6 if v6 else IP)(src=pkt.src, dst=pkt.dst) / esp
        sa = SecurityAssociation(
            ESP, spi=int(spi), crypt_algo=crypt, crypt_key=bytes.fromhex(key) if key != "-" else b"",
            auth_algo=auth, auth_key=bytes.fromhex(ikey) if ikey != "-" else None,
            esn_en=esn == "1", esn=int(seq_hi))
        if kw == "aes128ccm16":
            sa.crypt_algo.icv_size = 16
        manual = auth is not None and esn == "1"
        if manual and not esn_icv_ok(bytes(udp.payload), auth, ikey, int(seq_hi)):
            raise ValueError("ICV with ESN high bits does not verify")
        dec = sa.decrypt(l3, verify=not manual)
        got = bytes(dec.payload)
        ok = got == bytes.fromhex(inner) and udp.sport == 4500 and udp.dport == 4500
        if v6:
            # scapy recomputes the IPv6 UDP checksum independently
            again = IPv6(raw)
            del again[UDP].chksum
            ok = ok and udp.chksum != 0 and IPv6(bytes(again))[UDP].chksum == udp.chksum
        else:
            ok = ok and udp.chksum == 0
        print("%s %d - scapy decrypts %s" % ("ok" if ok else "not ok", n, what))
        failed += not ok
    except Exception as e:  # a decoder error is a failure, not a crash
        print("not ok %d - %s: %s" % (n, what, e))
        failed += 1
sys.exit(0)
