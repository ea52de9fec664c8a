#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal IKE daemon's side of uipsecd (Python 3, standard library only).

A reference client of docs/control-protocol.md (protocol version 2) and a
test tool of tests/e2e/ike-daemon.sh. It holds no state between runs: each
invocation connects, does one step and exits, so a shell script can drive
the "IKE daemon" of two gateways step by step and pass values (SPIs, keys)
between them, as the IKE exchanges would. Everything it installs belongs
to one owner (default "pyike").

Library:
  Control(path, owner)   the control socket (SOCK_STREAM): one JSON request
                         line, one reply line; request(cmd, **args) returns
                         the result or raises CtlError(code, message)
  Relay(path)            the IKE relay socket (SOCK_SEQPACKET): send(frame),
                         recv(timeout) -> Frame; one message = one datagram
  Frame                  the relay frame: encode() / Frame.decode(bytes),
                         44-byte header (core/datapath/ike_frame.h) + payload
  ike_message(), ike_parse()  a fake IKE_SA_INIT header behind the non-ESP marker

Commands (--ctl SOCK for the control socket, --relay SOCK for the relay):
  status                       print the status result (JSON)
  alloc-spi [--dst A]          reserve an inbound SPI, print it as 0x%08x
  install ...                  inbound SA (--spi-in, --key-in, with local_ts/
                               remote_ts), outbound SA (--spi-out, --key-out),
                               the dir out policy with route true and peer,
                               the dir in policy; all with --reqid
  add-sa --dir in|out ...      one SA of the CHILD_SA (a rekey's new SAs)
  del-sa --dir in|out --spi S  one SA (a rekey's old SAs)
  migrate ...                  both SAs of the CHILD_SA to new endpoints
                               (--new-local / --new-remote)
  query-sa --dir D --spi S     print the SA (JSON)
  list-sas, list-policies      this owner's (JSON array)
  flush                        remove this owner's state (what an IKE daemon
                               does first after a crash); print the result
  recv [--count N] [--answer]  print IKE datagrams from the relay as JSON
                               lines ("ready" first, once connected); answer
                               each with a fake IKE_SA_INIT response
  exchange --src A --dst B     send a fake IKE_SA_INIT request through the
                               relay, retransmit every second until the
                               response arrives, print it (JSON); exit 1 on
                               timeout
Errors of the daemon go to stderr as "CODE: message", exit status 1.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

OWNER = 'pyike'
NON_ESP_MARKER = b'\0\0\0\0'


# ------------------------------------------------------------ control socket

class CtlError(Exception):
    """An error reply: code (docs/control-protocol.md "Error codes") and message."""

    def __init__(self, code, message):
        super().__init__('%s: %s' % (code, message))
        self.code = code
        self.message = message


class Control:
    """One connection to the control socket. Requests carry "v": 2 and an id."""

    def __init__(self, path, owner=OWNER, timeout=10.0):
        self.owner = owner
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.rfile = self.sock.makefile('rb')
        self.next_id = 1

    def close(self):
        self.rfile.close()
        self.sock.close()

    def request(self, cmd, **args):
        rid = self.next_id
        self.next_id += 1
        req = {'v': 2, 'id': rid, 'cmd': cmd, 'args': {k: v for k, v in args.items() if v is not None}}
        self.sock.sendall(json.dumps(req).encode() + b'\n')
        line = self.rfile.readline()
        if not line:
            raise CtlError('failed', 'connection closed by uipsecd')
        rep = json.loads(line)
        if rep.get('id') != rid:
            raise CtlError('failed', 'reply to id %r, expected %r' % (rep.get('id'), rid))
        if not rep.get('ok'):
            err = rep.get('error') or {}
            raise CtlError(err.get('code', '?'), err.get('message', ''))
        return rep.get('result', {})

    # what an IKE daemon asks for; every state change names the owner
    def alloc_spi(self, dst=None, lo=None, hi=None):
        return self.request('alloc-spi', owner=self.owner, dst=dst, min=lo, max=hi)['spi']

    def add_sa(self, direction, spi, src, dst, key, reqid, esp='aes128gcm16', local_ts=None, remote_ts=None,
               tunnel=None):
        return self.request('add-sa', owner=self.owner, direction=direction, spi=spi, src=src, dst=dst, esp=esp,
                            key=key, reqid=reqid, local_ts=local_ts, remote_ts=remote_ts, tunnel=tunnel)

    def del_sa(self, direction, spi, dst=None):
        return self.request('del-sa', direction=direction, spi=spi, dst=dst)

    def add_policy(self, direction, src, dst, reqid, route=None, peer=None):
        return self.request('add-policy', owner=self.owner, dir=direction, src=src, dst=dst, reqid=reqid,
                            route=route, peer=peer)

    def migrate_sa(self, direction, spi, dst, **new):
        return self.request('migrate-sa', direction=direction, spi=spi, dst=dst, **new)

    def query_sa(self, direction, spi, dst=None):
        return self.request('query-sa', direction=direction, spi=spi, dst=dst)

    def flush(self):
        return self.request('flush', owner=self.owner)

    def list_sas(self):
        return self.request('list-sas', owner=self.owner)['sas']

    def list_policies(self):
        return self.request('list-policies', owner=self.owner)['policies']


# ------------------------------------------------------------ IKE relay socket

class Frame:
    """A relay message: u8 version (1) | u8 family (4/6) | u16 flags (0) |
    u16 sport | u16 dport | u32 ifindex | src[16] | dst[16] | payload,
    network byte order, IPv4 in the first 4 bytes of src/dst."""
    HDR = struct.Struct('!BBHHHI16s16s')
    VERSION = 1

    def __init__(self, src, sport, dst, dport, payload, ifindex=0, flags=0):
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport
        self.payload, self.ifindex, self.flags = payload, ifindex, flags

    @property
    def family(self):
        return 6 if ':' in self.dst else 4

    def encode(self):
        af = socket.AF_INET6 if self.family == 6 else socket.AF_INET
        src = socket.inet_pton(af, self.src).ljust(16, b'\0')
        dst = socket.inet_pton(af, self.dst).ljust(16, b'\0')
        return self.HDR.pack(self.VERSION, self.family, self.flags, self.sport, self.dport, self.ifindex,
                             src, dst) + self.payload

    @classmethod
    def decode(cls, msg):
        if len(msg) <= cls.HDR.size:
            raise ValueError('relay message of %d bytes: no payload' % len(msg))
        ver, fam, flags, sport, dport, ifindex, src, dst = cls.HDR.unpack_from(msg)
        if ver != cls.VERSION or fam not in (4, 6) or flags:
            raise ValueError('relay frame version %d family %d flags %#x' % (ver, fam, flags))
        af, n = (socket.AF_INET, 4) if fam == 4 else (socket.AF_INET6, 16)
        return cls(socket.inet_ntop(af, src[:n]), sport, socket.inet_ntop(af, dst[:n]), dport,
                   msg[cls.HDR.size:], ifindex, flags)

    def as_dict(self):
        d = {'family': self.family, 'src': self.src, 'sport': self.sport, 'dst': self.dst,
             'dport': self.dport, 'ifindex': self.ifindex, 'payload': self.payload.hex()}
        ike = ike_parse(self.payload)
        if ike:
            d['ike'] = ike
        return d


class Relay:
    """The one connection to uipsecd's IKE relay (a new one replaces it)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(path)

    def close(self):
        self.sock.close()

    def send(self, frame):
        self.sock.send(frame.encode())

    def recv(self, timeout):
        """The next frame, None after timeout seconds; EOFError when uipsecd closed the connection."""
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return None
        msg = self.sock.recv(70000)
        if not msg:
            raise EOFError('uipsecd closed the relay connection')
        return Frame.decode(msg)


# a fake IKEv2 message: header (RFC 7296 3.1) with no payloads, then text
IKE_HDR = struct.Struct('!8s8sBBBBII')
IKE_SA_INIT = 34
FLAG_INITIATOR, FLAG_RESPONSE = 0x08, 0x20


def ike_message(spi_i, spi_r, flags, msgid, text):
    body = text.encode()
    return NON_ESP_MARKER + IKE_HDR.pack(spi_i, spi_r, 0, 0x20, IKE_SA_INIT, flags, msgid,
                                         IKE_HDR.size + len(body)) + body


def ike_parse(payload):
    """The fake IKE message behind the marker as a dict, None if it is none."""
    if payload[:4] != NON_ESP_MARKER or len(payload) < 4 + IKE_HDR.size:
        return None
    spi_i, spi_r, _, ver, exch, flags, msgid, length = IKE_HDR.unpack_from(payload, 4)
    if ver != 0x20 or length != len(payload) - 4:
        return None
    return {'spi_i': spi_i.hex(), 'spi_r': spi_r.hex(), 'exchange': exch, 'flags': flags, 'msgid': msgid,
            'text': payload[4 + IKE_HDR.size:].decode(errors='replace')}


# ------------------------------------------------------------ commands

def out(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def cmd_status(a, ctl):
    out(ctl.request('status'))


def cmd_alloc_spi(a, ctl):
    print('0x%08x' % ctl.alloc_spi(a.dst, a.min, a.max))


def sa_endpoints(a, direction):
    return (a.remote, a.local) if direction == 'in' else (a.local, a.remote)


def add_one_sa(a, ctl, direction, spi, key):
    src, dst = sa_endpoints(a, direction)
    ts = {'local_ts': a.local_ts, 'remote_ts': a.remote_ts} if direction == 'in' else {}
    ctl.add_sa(direction, spi, src, dst, key, a.reqid, esp=a.esp, tunnel=a.label, **ts)


def cmd_install(a, ctl):
    # as an IKE daemon does: the inbound SA first, with its selectors
    # (no dir in policy exists yet), then the outbound one, then the policies
    add_one_sa(a, ctl, 'in', a.spi_in, a.key_in)
    add_one_sa(a, ctl, 'out', a.spi_out, a.key_out)
    ctl.add_policy('out', a.local_ts, a.remote_ts, a.reqid, route=True, peer=a.remote)
    ctl.add_policy('in', a.remote_ts, a.local_ts, a.reqid)


def cmd_add_sa(a, ctl):
    add_one_sa(a, ctl, a.dir, a.spi, a.key)


def cmd_del_sa(a, ctl):
    ctl.del_sa(a.dir, a.spi, a.dst)


def cmd_migrate(a, ctl):
    """Both SAs of the CHILD_SA from local/remote to new-local/new-remote
    (charon's update_sa after a MOBIKE or NAT change)."""
    nl, nr = a.new_local or a.local, a.new_remote or a.remote
    for direction, spi in (('in', a.spi_in), ('out', a.spi_out)):
        src, dst = sa_endpoints(a, direction)
        nsrc, ndst = (nr, nl) if direction == 'in' else (nl, nr)
        new = {}
        if nsrc != src:
            new['new_src'] = nsrc
        if ndst != dst:
            new['new_dst'] = ndst
        if a.new_dport is not None and direction == 'out':
            new['new_dport'] = a.new_dport
        if new:
            ctl.migrate_sa(direction, spi, dst, **new)


def cmd_query_sa(a, ctl):
    out(ctl.query_sa(a.dir, a.spi, a.dst))


def cmd_list_sas(a, ctl):
    out(ctl.list_sas())


def cmd_list_policies(a, ctl):
    out(ctl.list_policies())


def cmd_flush(a, ctl):
    out(ctl.flush())


def cmd_recv(a, relay):
    print('ready', flush=True)
    deadline = time.monotonic() + a.timeout
    got = 0
    while got < a.count:
        f = relay.recv(deadline - time.monotonic())
        if f is None:
            return 1
        ike = ike_parse(f.payload)
        if not ike:
            continue                      # NAT keepalives and the like
        out(f.as_dict())
        got += 1
        if a.answer is not None and not ike['flags'] & FLAG_RESPONSE:
            # back to where it came from, from the address it was sent to
            relay.send(Frame(f.dst, f.dport, f.src, f.sport,
                             ike_message(bytes.fromhex(ike['spi_i']), os.urandom(8), FLAG_RESPONSE,
                                         ike['msgid'], a.answer)))
    time.sleep(0.3)                       # the answers leave before the connection closes
    return 0


def cmd_exchange(a, relay):
    spi_i = os.urandom(8)
    req = Frame(a.src, a.sport, a.dst, a.dport, ike_message(spi_i, bytes(8), FLAG_INITIATOR, 0, a.text))
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        relay.send(req)                   # IKE retransmits; so do we
        resend = min(time.monotonic() + 1.0, deadline)
        while time.monotonic() < resend:
            f = relay.recv(resend - time.monotonic())
            if f is None:
                break
            ike = ike_parse(f.payload)
            if ike and ike['spi_i'] == spi_i.hex() and ike['flags'] & FLAG_RESPONSE:
                out(f.as_dict())
                return 0
    print('no IKE response from %s port %d' % (a.dst, a.dport), file=sys.stderr)
    return 1


def num(s):
    return int(s, 0)


def main(argv=None):
    p = argparse.ArgumentParser(description='a minimal IKE daemon side of uipsecd (control protocol 2)')
    p.add_argument('--ctl', help='control socket')
    p.add_argument('--relay', help='IKE relay socket')
    p.add_argument('--owner', default=OWNER)
    sub = p.add_subparsers(dest='cmd', required=True)

    def ctl_cmd(name, fn, help_text):
        s = sub.add_parser(name, help=help_text)
        s.set_defaults(fn=fn, needs='ctl')
        return s

    def child_sa(s):
        s.add_argument('--local', required=True, help='our outer address')
        s.add_argument('--remote', required=True, help="the peer's outer address")
        s.add_argument('--local-ts', required=True)
        s.add_argument('--remote-ts', required=True)
        s.add_argument('--reqid', type=num, default=1)
        s.add_argument('--esp', default='aes128gcm16')
        s.add_argument('--label', default='pyike')

    ctl_cmd('status', cmd_status, 'status result')
    s = ctl_cmd('alloc-spi', cmd_alloc_spi, 'reserve an inbound SPI')
    s.add_argument('--dst')
    s.add_argument('--min', type=num)
    s.add_argument('--max', type=num)
    s = ctl_cmd('install', cmd_install, 'SAs and policies of a CHILD_SA')
    child_sa(s)
    for n in ('--spi-in', '--spi-out'):
        s.add_argument(n, type=num, required=True)
    for n in ('--key-in', '--key-out'):
        s.add_argument(n, required=True)
    s = ctl_cmd('add-sa', cmd_add_sa, 'one SA of a CHILD_SA')
    child_sa(s)
    s.add_argument('--dir', choices=('in', 'out'), required=True)
    s.add_argument('--spi', type=num, required=True)
    s.add_argument('--key', required=True)
    s = ctl_cmd('del-sa', cmd_del_sa, 'remove one SA')
    s.add_argument('--dir', choices=('in', 'out'), required=True)
    s.add_argument('--spi', type=num, required=True)
    s.add_argument('--dst')
    s = ctl_cmd('migrate', cmd_migrate, 'move both SAs to new endpoints')
    for n in ('--local', '--remote', '--spi-in', '--spi-out'):
        s.add_argument(n, required=True, type=num if n.startswith('--spi') else str)
    s.add_argument('--new-local')
    s.add_argument('--new-remote')
    s.add_argument('--new-dport', type=int)
    s = ctl_cmd('query-sa', cmd_query_sa, "one SA's counters")
    s.add_argument('--dir', choices=('in', 'out'), required=True)
    s.add_argument('--spi', type=num, required=True)
    s.add_argument('--dst')
    ctl_cmd('list-sas', cmd_list_sas, "this owner's SAs")
    ctl_cmd('list-policies', cmd_list_policies, "this owner's policies")
    ctl_cmd('flush', cmd_flush, "remove this owner's SAs, policies, SPIs")

    s = sub.add_parser('recv', help='IKE datagrams from the relay (and answers)')
    s.set_defaults(fn=cmd_recv, needs='relay')
    s.add_argument('--count', type=int, default=1)
    s.add_argument('--timeout', type=float, default=10)
    s.add_argument('--answer', metavar='TEXT', help='answer each request with TEXT')
    s = sub.add_parser('exchange', help='one IKE request/response through the relay')
    s.set_defaults(fn=cmd_exchange, needs='relay')
    s.add_argument('--src', required=True, help='our address to send from')
    s.add_argument('--dst', required=True)
    s.add_argument('--sport', type=int, default=4500, help='(the relay always sends from the ESP port)')
    s.add_argument('--dport', type=int, default=4500)
    s.add_argument('--text', default='IKE_SA_INIT request')
    s.add_argument('--timeout', type=float, default=5)

    a = p.parse_args(argv)
    path = getattr(a, a.needs)
    if not path:
        p.error('%s needs --%s' % (a.cmd, a.needs))
    try:
        conn = Control(path, a.owner) if a.needs == 'ctl' else Relay(path)
    except OSError as e:
        print('%s: %s' % (path, e), file=sys.stderr)
        return 1
    try:
        return a.fn(a, conn) or 0
    except CtlError as e:
        print('%s %s' % (a.cmd, e), file=sys.stderr)
        return 1
    except (OSError, ValueError, EOFError) as e:
        print('%s: %s' % (a.cmd, e), file=sys.stderr)
        return 1
    finally:
        conn.close()


if __name__ == '__main__':
    sys.exit(main())
