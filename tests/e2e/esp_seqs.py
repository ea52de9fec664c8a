#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# esp_seqs.py PCAP: every IPv4 ESP packet (in UDP 4500, or plain: IP
# protocol 50) of a tcpdump capture, in order, one line each: "SPI SEQ"
# (SPI in hex, SEQ decimal). Tests check with it that no sequence number is ever sent twice under one SPI (e.g.
# across a crash of charon or uipsecd). IKE on port 4500 (non-ESP marker,
# SPI 0) and NAT keepalives are skipped. A UDP GSO super-datagram (runs of
# equal-sized ESP packets, captured on a veth as one datagram) is split as
# esp_wire.py does: its segments are found by their header (SPI, seq + 1
# at one segment size) and printed one per line.
import struct
import sys

d = open(sys.argv[1], 'rb').read()
end = '<' if d[:4] == b'\xd4\xc3\xb2\xa1' else '>'
link = struct.unpack(end + 'I', d[20:24])[0]
off = 24
while off + 16 <= len(d):
    incl = struct.unpack(end + 'I', d[off + 8:off + 12])[0]
    pkt = d[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = pkt[14:] if link == 1 else pkt
    if len(ip) < 20 or ip[0] >> 4 != 4:
        continue
    if ip[9] == 50:
        # plain ESP (IP protocol 50, no UDP encapsulation): SPI, seq follow
        # the IPv4 header
        esp = ip[(ip[0] & 15) * 4:]
        if len(esp) >= 8:
            print('%08x %d' % struct.unpack('>II', esp[:8]))
        continue
    if ip[9] != 17:
        continue
    udp = ip[(ip[0] & 15) * 4:]
    if len(udp) < 16:
        continue
    sport, dport = struct.unpack('>HH', udp[0:4])
    if 4500 not in (sport, dport):
        continue
    payload = udp[8:]
    spi, seq = struct.unpack('>II', payload[:8])
    if spi == 0:
        continue
    print('%08x %d' % (spi, seq))
    size = payload.find(struct.pack('>II', spi, seq + 1), 8)
    k = 1
    while size > 0 and k * size + 8 <= len(payload):
        nspi, nseq = struct.unpack('>II', payload[k * size:k * size + 8])
        if nspi != spi or nseq != seq + k:
            break
        print('%08x %d' % (spi, nseq))
        k += 1
