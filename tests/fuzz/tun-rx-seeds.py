#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed inputs of fuzz-tun-rx (tests/fuzz/fuzz_tun_rx.c), built with scapy:
what a TUN device with and without the virtio-net header hands a worker.

  tun-rx-seeds.py DIR

Input format: [flags: 1][room: 2, big endian][virtio_net_hdr: 10, host
(little-endian) byte order, if flags bit 0][IP packet].
"""
import os
import struct
import sys

from scapy.all import IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, IPOption_RR, raw

VNET_F_NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_ECN = 0, 1, 3, 4, 0x80
ROOM = 1398   # inner room of AES-GCM ESP-in-UDP over IPv4 with a 1500 path MTU


def vnet(flags=0, gso_type=GSO_NONE, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0):
    return struct.pack('<BBHHHH', flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)


def seed(pkt, room=ROOM, hdr=None):
    if hdr is None:
        return struct.pack('>BH', 0, room) + raw(pkt)
    return struct.pack('>BH', 1, room) + hdr + raw(pkt)


def tso(pkt, mss, v6=False, ecn=False):
    """A TCP super-packet as the kernel's TSO hands it over: partial checksum."""
    l4 = 40 if v6 else len(raw(pkt[IP])) - len(raw(pkt[IP].payload))
    thl = pkt[TCP].dataofs * 4 if pkt[TCP].dataofs else 20
    t = (GSO_TCPV6 if v6 else GSO_TCPV4) | (GSO_ECN if ecn else 0)
    return vnet(VNET_F_NEEDS_CSUM, t, l4 + thl, mss, l4, 16)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    v4 = dict(src='10.1.0.1', dst='10.2.0.1')
    v6 = dict(src='fd00:1::1', dst='fd00:2::1')
    big = bytes(range(256)) * 256
    seeds = {
        # plain packets that fit
        'udp4': seed(IP(**v4) / UDP(sport=12345, dport=53) / (b'q' * 40)),
        'tcp6': seed(IPv6(**v6) / TCP(sport=40000, dport=5201, flags='PA') / (b'x' * 100)),
        'ping4': seed(IP(**v4) / ICMP() / (b'p' * 56)),
        'ping6': seed(IPv6(**v6) / ICMPv6EchoRequest() / (b'p' * 56)),
        'no-room': seed(IP(**v4) / UDP() / (b'n' * 2000), room=0),
        # too big: IPv4 with DF (ICMP reply), IPv6 (ICMPv6 reply), IPv4
        # without DF (fragments), a fragment re-fragmented, options copied
        'df4': seed(IP(flags='DF', **v4) / TCP(flags='A') / big[:1460]),
        'big6': seed(IPv6(**v6) / UDP() / big[:1452]),
        'frag4': seed(IP(flags=0, id=7, **v4) / UDP() / big[:4000]),
        'frag4-small-room': seed(IP(flags=0, id=8, **v4) / UDP() / big[:1000], room=68),
        'refrag4': seed(IP(flags='MF', frag=100, id=9, proto=17, **v4) / big[:3000]),
        'opts4': seed(IP(flags=0, options=[IPOption_RR()], **v4) / UDP() / big[:3000]),
        'icmp-err4': seed(IP(flags='DF', **v4) / ICMP(type=3, code=1) / big[:1500]),
        'mcast-src4': seed(IP(flags='DF', src='224.0.0.1', dst='10.2.0.1') / UDP() / big[:1500]),
        'near-64k': seed(IP(flags=0, **v4) / UDP() / big[:9000], room=1200),
        # the virtio-net header: partial checksums, TSO super-packets
        'csum-udp4': seed(IP(**v4) / UDP(chksum=0) / (b'c' * 200), hdr=vnet(VNET_F_NEEDS_CSUM, csum_start=20, csum_offset=6)),
        'csum-tcp6': seed(IPv6(**v6) / TCP(chksum=0) / (b'c' * 300), hdr=vnet(VNET_F_NEEDS_CSUM, csum_start=40, csum_offset=16)),
        'csum-icmp4': seed(IP(**v4) / ICMP() / (b'c' * 20), hdr=vnet(VNET_F_NEEDS_CSUM, csum_start=20, csum_offset=2)),
        'no-vnet-flags': seed(IP(**v4) / UDP() / (b'z' * 64), hdr=vnet()),
    }
    t4 = IP(flags='DF', id=100, **v4) / TCP(sport=40000, dport=5201, seq=1000, flags='PA') / big[:64000]
    seeds['tso4'] = seed(t4, hdr=tso(t4, 1448))
    seeds['tso4-room'] = seed(t4, room=1200, hdr=tso(t4, 1448))
    t4nodf = IP(flags=0, id=100, **v4) / TCP(sport=40000, dport=5201, seq=5, flags='FPA') / big[:20000]
    seeds['tso4-frag'] = seed(t4nodf, room=900, hdr=tso(t4nodf, 1448))
    t4opt = IP(flags='DF', **v4) / TCP(flags='CA', options=[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (1, 2))]) / big[:9000]
    seeds['tso4-opts-ecn'] = seed(t4opt, hdr=tso(t4opt, 1000, ecn=True))
    t6 = IPv6(**v6) / TCP(sport=40000, dport=5201, seq=0xfffffff0, flags='A') / big[:30000]
    seeds['tso6'] = seed(t6, hdr=tso(t6, 1428, v6=True))
    seeds['tso6-room'] = seed(t6, room=1280, hdr=tso(t6, 1428, v6=True))
    seeds['tso-mss1'] = seed(IP(**v4) / TCP(flags='A') / big[:64], hdr=tso(IP(**v4) / TCP(), 1))
    seeds['tso-udp-type'] = seed(IP(**v4) / UDP() / big[:3000], hdr=vnet(VNET_F_NEEDS_CSUM, GSO_UDP, 28, 1400, 20, 6))
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
