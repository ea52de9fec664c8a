# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the engine's ESP-in-UDP packets (tests/esp-vectors output on stdin)
to a pcap, have Wireshark's ESP dissector (tshark) decrypt and verify
them, and compare with the inner packets; prints TAP. Usage:
esp_tshark_check.py TSHARK WORKDIR < vectors"""
import struct
import subprocess
import sys

tshark, work = sys.argv[1], sys.argv[2]
# strongSwan keyword -> Wireshark's ESP SA table names (ESN is left out:
# tshark 4.0 does not add the high bits to the ICV)
ALGS = {
    "aes128gcm16": ("AES-GCM with 16 octet ICV [RFC4106]", "NULL"),
    "aes256gcm16": ("AES-GCM with 16 octet ICV [RFC4106]", "NULL"),
    "aes128-sha256": ("AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]"),
    "aes256-sha512": ("AES-CBC [RFC3602]", "HMAC-SHA-512-256 [RFC4868]"),
    "aes128-sha1": ("AES-CBC [RFC3602]", "HMAC-SHA-1-96 [RFC2404]"),
    "aes256-sha384": ("AES-CBC [RFC3602]", "HMAC-SHA-384-192 [RFC4868]"),
    "aes128ctr-sha256": ("AES-CTR [RFC3686]", "HMAC-SHA-256-128 [RFC4868]"),
    "null-sha256": ("NULL", "HMAC-SHA-256-128 [RFC4868]"),
}

vecs = []
for line in sys.stdin:
    f = line.split()
    if len(f) == 8 and f[0] in ALGS and f[4] == "0":
        vecs.append(f)

pcap = work + "/esp.pcap"
uats = {}
with open(pcap, "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # raw IP
    for kw, spi, key, ikey, esn, seq_hi, outer, inner in vecs:
        raw = bytes.fromhex(outer)
        out.write(struct.pack("<IIII", 0, 0, len(raw), len(raw)) + raw)
        v6 = raw[0] >> 4 == 6
        enc, auth = ALGS[kw]
        uats[spi] = '"%s","*","*","0x%08x","%s","%s","%s","%s"' % (
            "IPv6" if v6 else "IPv4", int(spi), enc, "0x" + key if key != "-" else "",
            auth, "0x" + ikey if ikey != "-" else "")

cmd = [tshark, "-n", "-r", pcap, "--disable-protocol", "dns",  # junk inner payloads
       "-o", "esp.enable_encryption_decode:TRUE",
       "-o", "esp.enable_authentication_check:TRUE"]
for u in uats.values():
    cmd += ["-o", "uat:esp_sa:" + u]
cmd += ["-T", "fields", "-E", "occurrence=f", "-e", "esp.spi", "-e", "esp.icv_good",
        "-e", "esp.icv_bad", "-e", "esp.contained_data", "-e", "udp.srcport"]
res = subprocess.run(cmd, capture_output=True, text=True)
rows = [r.split("\t") for r in res.stdout.splitlines()]
print("1..%d" % len(vecs))
for n, (vec, row) in enumerate(zip(vecs, rows + [[]] * (len(vecs) - len(rows))), 1):
    kw, spi, inner, outer = vec[0], vec[1], vec[7], vec[6]
    what = "%s spi 0x%x outer IPv%d" % (kw, int(spi), 6 if outer[0] == "6" else 4)
    # the ICV verified and the contained (decrypted, unpadded) packet is the
    # inner packet byte for byte
    ok = (len(row) >= 5 and int(row[0], 16) == int(spi) and row[1] in ("1", "True")
          and row[2] not in ("1", "True") and row[3] == inner and row[4] == "4500")
    print("%s %d - tshark decrypts and verifies %s%s" % (
        "ok" if ok else "not ok", n, what, "" if ok else " (got %r)" % (row,)))
if res.returncode != 0:
    sys.stderr.write(res.stderr)
