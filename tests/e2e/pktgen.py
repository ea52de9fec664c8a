#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Packet generators of the data-path e2e tests (Python 3 stdlib only).

  pktgen.py gro-probe ADDR
      Does the kernel hand UDP_SEGMENT datagrams sent to ADDR to a UDP_GRO
      socket still coalesced? Exit 0 if so, 1 if not.
  pktgen.py gso-send ADDR PORT COUNT SEGS
      Send COUNT datagrams from one socket, each SEGS segments coalesced
      with UDP_SEGMENT (one send each), alternately 8-byte segments
      starting with an SPI no SA has (bad_spi) and 1-byte zero segments
      (malformed).
  pktgen.py too-big SRC DST COUNT SIZE
      Send COUNT IPv4/UDP packets of SIZE bytes with DF from SRC to DST
      through a raw socket that ignores learned path MTUs, as fast as it
      can, and count the ICMP "fragmentation needed" replies that come
      back within 1 s. Prints "sent N replies R seconds S".
"""
import select
import socket
import struct
import sys
import time

SOL_UDP = 17
UDP_SEGMENT = 103
UDP_GRO = 104
IP_MTU_DISCOVER = 10
IP_PMTUDISC_PROBE = 3


def segments(segs, seg_size, fill):
    out = b''
    for i in range(segs):
        if fill == 'spi':
            seg = struct.pack('>II', 0xdeadbe00 | (i & 0xff), i)
        else:
            seg = b''
        out += (seg + bytes(seg_size))[:seg_size]
    return out


def gso_sender(seg_size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(SOL_UDP, UDP_SEGMENT, seg_size)
    return s


def gro_probe(addr):
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.setsockopt(SOL_UDP, UDP_GRO, 1)
    r.bind((addr, 0))
    s = gso_sender(8)
    s.sendto(segments(128, 8, 'zero'), r.getsockname())
    r.settimeout(2)
    data, anc, _, _ = r.recvmsg(65536, socket.CMSG_SPACE(4))
    gso = [struct.unpack('i', d[:4])[0] for lvl, typ, d in anc if lvl == SOL_UDP and typ == UDP_GRO]
    print('first read: %d bytes, gso_size %s' % (len(data), gso[0] if gso else 'none'))
    return 0 if len(data) == 1024 and gso == [8] else 1


def gso_send(addr, port, count, segs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    kinds = [(8, segments(segs, 8, 'spi')), (1, segments(segs, 1, 'zero'))]
    for i in range(count):
        size, data = kinds[i % 2]
        # the segment size of this send only (cmsg), same 4-tuple for all:
        # they land in one worker's socket
        s.sendmsg([data], [(SOL_UDP, UDP_SEGMENT, struct.pack('=H', size))], 0, (addr, port))
    return 0


def csum(b):
    if len(b) % 2:
        b += b'\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def too_big(src, dst, count, size):
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    # DF on the wire, but the kernel's learned path MTU is not applied:
    # every packet reaches the TUN device and the daemon
    tx.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE)
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    rx.setblocking(False)
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    udp = struct.pack('!HHHH', 40000, 9, size - 20, 0) + bytes(size - 28)
    t0 = time.monotonic()
    sent = 0
    for i in range(count):
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, size, i & 0xffff, 0x4000, 64, 17, 0, s, d)
        hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
        try:
            tx.sendto(hdr + udp, (dst, 0))
            sent += 1
        except OSError:
            pass
    elapsed = time.monotonic() - t0
    replies = 0
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        if not select.select([rx], [], [], 0.1)[0]:
            continue
        while True:
            try:
                pkt = rx.recv(2048)
            except BlockingIOError:
                break
            ihl = (pkt[0] & 15) * 4
            icmp = pkt[ihl:]
            # type 3 code 4, quoting one of ours (UDP to port 9 at dst)
            if len(icmp) >= 8 + 28 and icmp[0] == 3 and icmp[1] == 4 and icmp[8 + 16:8 + 20] == d \
                    and icmp[8 + 22:8 + 24] == b'\x00\x09':
                replies += 1
    print('sent %d replies %d seconds %.3f' % (sent, replies, elapsed))
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ''
    if cmd == 'gro-probe' and len(argv) == 3:
        return gro_probe(argv[2])
    if cmd == 'gso-send' and len(argv) == 6:
        return gso_send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    if cmd == 'too-big' and len(argv) == 6:
        return too_big(argv[2], argv[3], int(argv[4]), int(argv[5]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
