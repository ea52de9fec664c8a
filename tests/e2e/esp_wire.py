#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# esp_wire.py PCAP SPI: the IPv4 ESP-in-UDP packets of SPI in a tcpdump
# capture, in order, one line each: "DST DPORT SEQ" (tests that follow an
# SA's sequence numbers and peer endpoint across update-sa/migrate-sa).
# A datagram uipsecd sent with UDP GSO (runs of equal-sized ESP packets:
# pings queued while the worker was busy) is captured on a veth as one
# super-datagram; its segments are found by their header (SPI, seq + 1 at
# one segment size) and printed one per line.
import struct
import sys

d = open(sys.argv[1], 'rb').read()
want = int(sys.argv[2], 0)
end = '<' if d[:4] == b'\xd4\xc3\xb2\xa1' else '>'
link = struct.unpack(end + 'I', d[20:24])[0]
off = 24
while off + 16 <= len(d):
    incl = struct.unpack(end + 'I', d[off + 8:off + 12])[0]
    pkt = d[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = pkt[14:] if link == 1 else pkt
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    udp = ip[(ip[0] & 15) * 4:]
    if len(udp) < 16:
        continue
    dport = struct.unpack('>H', udp[2:4])[0]
    payload = udp[8:]
    spi, seq = struct.unpack('>II', payload[:8])
    if spi != want:
        continue
    dst = '.'.join(str(b) for b in ip[16:20])
    print('%s %d %d' % (dst, dport, seq))
    size = payload.find(struct.pack('>II', spi, seq + 1), 8)
    k = 1
    while size > 0 and k * size + 8 <= len(payload):
        nspi, nseq = struct.unpack('>II', payload[k * size:k * size + 8])
        if nspi != spi or nseq != seq + k:
            break
        print('%s %d %d' % (dst, dport, nseq))
        k += 1
