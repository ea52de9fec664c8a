#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The two ends of the IKE relay e2e test (Python 3 stdlib only).

  ike_relay.py client SOCK COUNT
      Connect to uipsecd's IKE relay socket, read COUNT frames (10 s at
      most), print each as "family src sport dst dport ifindex payload-hex"
      and answer every IKE one (non-ESP marker) through the relay: source
      = the frame's destination, destination = its source, payload
      "\\0\\0\\0\\0" + b"re:" + the message after the marker.
  ike_relay.py peer BIND_ADDR DST PORT MSG...
      From BIND_ADDR (a fixed port, 50000) send each MSG to DST:PORT as an
      IKE datagram (marker + MSG; "keepalive" sends the single 0xFF byte),
      then print every datagram that comes back within 3 s as
      "from addr port payload".
  ike_relay.py flood DST PORT COUNT
      COUNT IKE datagrams to DST:PORT, as fast as the socket takes them.
  ike_relay.py hold SOCK SECONDS
      Connect and read nothing for SECONDS (the relay must not wait).
  ike_relay.py replace SOCK
      Connect twice: the second connection must replace the first, which
      sees end of file (exit 0), while the second stays open.
  ike_relay.py bad SOCK
      Write frames the relay must reject (short, bad version, bad family,
      unknown flags, no payload, over 64 KiB), then one good keepalive to
      192.0.2.1 (to show the connection still works). Prints how many bad.
"""
import select
import socket
import struct
import sys
import time

HDR = struct.Struct('!BBHHHI16s16s')


def frame(fam, src, sport, dst, dport, ifindex, payload, version=1, flags=0):
    af = socket.AF_INET if fam == 4 else socket.AF_INET6
    s = socket.inet_pton(af, src).ljust(16, b'\0')
    d = socket.inet_pton(af, dst).ljust(16, b'\0')
    return HDR.pack(version, fam, flags, sport, dport, ifindex, s, d) + payload


def parse(msg):
    ver, fam, flags, sport, dport, ifindex, s, d = HDR.unpack_from(msg)
    af, n = (socket.AF_INET, 4) if fam == 4 else (socket.AF_INET6, 16)
    return (ver, fam, flags, socket.inet_ntop(af, s[:n]), sport, socket.inet_ntop(af, d[:n]), dport, ifindex,
            msg[HDR.size:])


def connect(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(path)
    return c


def client(path, count):
    c = connect(path)
    deadline = time.time() + 10
    got = 0
    while got < count and time.time() < deadline:
        r, _, _ = select.select([c], [], [], deadline - time.time())
        if not r:
            break
        msg = c.recv(70000)
        if not msg:
            break
        ver, fam, flags, src, sport, dst, dport, ifindex, payload = parse(msg)
        print('%d %s %d %s %d %d %s' % (fam, src, sport, dst, dport, ifindex, payload.hex()), flush=True)
        got += 1
        if payload[:4] == b'\0\0\0\0':
            c.send(frame(fam, dst, dport, src, sport, 0, b'\0\0\0\0re:' + payload[4:]))
    time.sleep(0.5)   # the replies leave before the connection closes
    return 0 if got == count else 1


def peer(bind, dst, port, msgs):
    af = socket.AF_INET6 if ':' in dst else socket.AF_INET
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.bind((bind, 50000))
    for m in msgs:
        s.sendto(b'\xff' if m == 'keepalive' else b'\0\0\0\0' + m.encode(), (dst, port))
    deadline = time.time() + 3
    while time.time() < deadline:
        r, _, _ = select.select([s], [], [], deadline - time.time())
        if not r:
            break
        data, addr = s.recvfrom(70000)
        print('from %s %d %s' % (addr[0], addr[1], data.hex()), flush=True)
    return 0


def flood(dst, port, count):
    af = socket.AF_INET6 if ':' in dst else socket.AF_INET
    s = socket.socket(af, socket.SOCK_DGRAM)
    msg = b'\0\0\0\0' + bytes(200)
    for _ in range(count):
        try:
            s.sendto(msg, (dst, port))
        except BlockingIOError:
            pass
    return 0


def hold(path, seconds):
    c = connect(path)
    time.sleep(seconds)
    c.close()
    return 0


def replace(path):
    first = connect(path)
    time.sleep(0.3)
    second = connect(path)
    r, _, _ = select.select([first], [], [], 3)
    gone = bool(r) and first.recv(70000) == b''
    r, _, _ = select.select([second], [], [], 0.3)
    print('first closed: %s, second open: %s' % (gone, not r))
    return 0 if gone and not r else 1


def bad(path):
    c = connect(path)
    good = frame(4, '0.0.0.0', 4500, '192.0.2.1', 50000, 0, b'\xff')
    frames = [
        b'',                                       # empty message
        good[:3],                                  # short
        good[:HDR.size - 1],                       # one byte short of the header
        frame(4, '0.0.0.0', 0, '192.0.2.1', 1, 0, b'x', version=2),
        bytes([1, 10]) + good[2:],                 # AF_INET6 as Linux numbers it: not 4 or 6
        frame(4, '0.0.0.0', 0, '192.0.2.1', 1, 0, b'x', flags=1),
        good[:HDR.size],                           # no payload
        good[:HDR.size] + bytes(65536),            # payload over 64 KiB
    ]
    n = 0
    for f in frames:
        try:
            c.send(f)
            n += 1
        except OSError as e:
            print('could not send a %d-byte frame: %s' % (len(f), e), file=sys.stderr)
    c.send(good)
    time.sleep(0.5)
    print(n)
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == 'client':
        return client(argv[2], int(argv[3]))
    if cmd == 'peer':
        return peer(argv[2], argv[3], int(argv[4]), argv[5:])
    if cmd == 'flood':
        return flood(argv[2], int(argv[3]), int(argv[4]))
    if cmd == 'hold':
        return hold(argv[2], float(argv[3]))
    if cmd == 'replace':
        return replace(argv[2])
    if cmd == 'bad':
        return bad(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
