#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Second opinion on our ESP: scapy (code we did not write) decrypts the
captured ESP-in-UDP (or raw ESP, IP protocol 50) of both directions, then
encrypts an ICMP echo request as B would and sends it to A, and waits for
A's reply through the tunnel.

usage: esp_scapy.py PCAP ENC AUTH KEY_AB IKEY_AB KEY_BA IKEY_BA [udp|none [A B]]
(run in namespace B; keys are 0x hex, AEAD keys include the salt; none: raw
ESP, scapy's SecurityAssociation without nat_t_header; A and B the outer
addresses, IPv4 or IPv6, default 192.0.2.1 and 192.0.2.2)"""
import socket
import sys

from scapy.all import ICMP, IP, IPv6, UDP, rdpcap, raw, send, Raw
from scapy.layers.ipsec import ESP, SecurityAssociation

pcap, enc, auth, kab, iab, kba, iba = sys.argv[1:8]
encap = sys.argv[8] if len(sys.argv) > 8 else "udp"
addr_a, addr_b = sys.argv[9:11] if len(sys.argv) > 10 else ("192.0.2.1", "192.0.2.2")
OIP = IPv6 if ":" in addr_a else IP


def key(h):
    return bytes.fromhex(h[2:]) if h else None


def sa(spi, k, ik, src, dst):
    nat_t = {"nat_t_header": UDP(sport=4500, dport=4500)} if encap == "udp" else {}
    return SecurityAssociation(ESP, spi=spi, crypt_algo=enc, crypt_key=key(k),
                               auth_algo=auth or None, auth_key=key(ik),
                               tunnel_header=OIP(src=src, dst=dst), **nat_t)


sa_ab = sa(0x2000, kab, iab, addr_a, addr_b)
sa_ba = sa(0x1000, kba, iba, addr_b, addr_a)
seen = {"10.1.0.1>10.2.0.1": 0, "10.2.0.1>10.1.0.1": 0}
last_seq_ba = 0
for p in rdpcap(pcap):
    if OIP not in p:
        continue
    outer = p[OIP]
    if encap == "udp":
        if UDP not in p or p[UDP].dport != 4500:
            continue
        # scapy wants the outer IP + UDP + ESP; re-parse the UDP payload as ESP
        esp = ESP(raw(p[UDP].payload))
        pkt = IP(src=outer.src, dst=outer.dst) / UDP(sport=4500, dport=4500) / esp
    else:
        if ESP not in p or UDP in p:
            continue
        esp = p[ESP]
        pkt = OIP(src=outer.src, dst=outer.dst) / esp
    s = sa_ab if esp.spi == 0x2000 else sa_ba
    if esp.spi == 0x1000:
        last_seq_ba = max(last_seq_ba, esp.seq)
    inner = s.decrypt(pkt)
    if ICMP in inner and bytes(inner[ICMP].payload)[-4:] == b"\x5a" * 4:
        seen["%s>%s" % (inner.src, inner.dst)] += 1
print("decrypted ICMP echo:", seen)
if not all(seen.values()):
    sys.exit("scapy could not decrypt both directions")

# B -> A, encrypted by scapy, with a sequence number a little ahead of B's own
sa_out = sa(0x1000, kba, iba, addr_b, addr_a)
sa_out.seq_num = last_seq_ba + 30   # inside the 64-packet window: B continues below it
req = IP(src="10.2.0.1", dst="10.1.0.1") / ICMP(id=0x4242, seq=7) / (b"scapy" * 8)
enc_pkt = sa_out.encrypt(req)
# a raw IP send, from port 4500 as B's daemon would: a datagram from any
# other port that authenticates is a NAT rebinding uipsecd would adopt
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
if encap == "udp":
    # (scapy leaves the NAT-T UDP length at 8: rebuild the outer headers)
    esp_bytes = raw(enc_pkt)[(enc_pkt[IP].ihl * 4) + 8:]
    send(IP(src=addr_b, dst=addr_a) / UDP(sport=4500, dport=4500) / Raw(esp_bytes), verbose=0)
else:
    send(enc_pkt, verbose=0)   # outer IP(v6) header + ESP, protocol 50, as scapy built it
# A's kernel answers; the reply comes back through the tunnel to B's lo
r.settimeout(3)
try:
    while True:
        data, src = r.recvfrom(2000)
        ihl = (data[0] & 15) * 4
        if src[0] == "10.1.0.1" and data[ihl] == 0 and data[ihl + 4:ihl + 6] == b"\x42\x42":
            print("uipsecd accepted scapy's ESP packet; reply received")
            sys.exit(0)
except socket.timeout:
    sys.exit("no reply to the ESP packet scapy encrypted")
