#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads every #include of core/ and plugins/ and fails (TAP "not ok", with
file:line) on an include that points up the layer order, on an include
cycle between modules (foo.c + foo.h), on an internal include that does not
name its layer folder, and on a plugin that includes core internals.

Usage: check-layers.py [TOP_SRCDIR]    (default: $top_srcdir or ..)"""
import os
import re
import sys

# The layer order, lowest first. A file may include its own layer and the
# layers above it in this list; nothing below it. One line per layer.
LAYERS = [
    "uipsec",    # installed plugin SDK headers (declarations, inline helpers)
    "os",        # operating-system seams: one implementation per system family
    "util",      # status strings, key wiping, hex, IP addresses, checksums
    "config",    # settings parser, option registry, logging
    "plugin",    # module seam, plugin loader, feature registry
    "crypto",    # algorithm/keyword tables, provider choice, self-tests
    "esp",       # packet buffers, SAD, SPD, selectors, encap/decap, replay, seq store
    "net",       # route manager
    "datapath",  # UDP sockets, GRO/GSO, MTU, workers, tunnels, data-plane assembly
    "control",   # control socket server, protocol, control service
    "ctl",       # uipsecctl
    "daemon",    # uipsecd
]
RANK = {name: i for i, name in enumerate(LAYERS)}

# An installed header declares what one layer implements: including it is
# using that layer (a call of uipsec_xform_create() from <uipsec/crypto.h>
# uses the crypto layer).
PUBLIC_IMPL = {
    "common.h": "util", "net.h": "util", "packet.h": "util", "pktio.h": "util",
    "log.h": "config", "settings.h": "config",
    "plugin.h": "plugin", "alg.h": "plugin",
    "crypto.h": "crypto",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield lineno, m.group(1), m.group(2)


def sources(top, sub):
    for root, dirs, files in os.walk(os.path.join(top, sub)):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "tests")
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(root, name), top)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("top_srcdir", "..")
    errors = []
    edges = {}      # module -> {module: "file:line"}
    nfiles = ninc = 0

    for rel in sources(top, "core"):
        parts = rel.split(os.sep)
        if len(parts) != 3 or parts[1] not in RANK:
            errors.append("%s: not in a layer folder (core/<layer>/, layers: %s)"
                          % (rel, " ".join(LAYERS)))
            continue
        layer = parts[1]
        module = os.path.splitext(rel)[0]
        nfiles += 1
        for lineno, kind, name in includes(os.path.join(top, rel)):
            where = "%s:%d" % (rel, lineno)
            if name == "config.h":          # autoconf's
                continue
            if kind == "<":
                if not name.startswith("uipsec/"):
                    continue                 # system and library headers
                target = PUBLIC_IMPL.get(name[len("uipsec/"):])
                if target is None:
                    errors.append("%s: <%s> is not a known installed header "
                                  "(add it to PUBLIC_IMPL in %s)" % (where, name, sys.argv[0]))
                    continue
                if layer == "uipsec":
                    continue                 # the SDK headers include each other
                ninc += 1
                if RANK[target] > RANK[layer]:
                    errors.append("%s: upward include <%s> (implemented in layer %s) from layer %s"
                                  % (where, name, target, layer))
                continue
            ninc += 1
            folder = name.split("/")[0] if "/" in name else None
            if layer == "uipsec":
                errors.append('%s: installed header includes "%s" (only <uipsec/...> allowed)'
                              % (where, name))
                continue
            if folder not in RANK or not os.path.exists(os.path.join(top, "core", name)):
                errors.append('%s: "%s" does not name a header as "<layer>/<file>.h"' % (where, name))
                continue
            if RANK[folder] > RANK[layer]:
                errors.append('%s: upward include "%s" (layer %s) from layer %s'
                              % (where, name, folder, layer))
            target = "core/" + os.path.splitext(name)[0]
            if target != module:
                edges.setdefault(module, {}).setdefault(target, where)

    for rel in sources(top, "plugins"):
        nfiles += 1
        here = os.path.dirname(rel)
        for lineno, kind, name in includes(os.path.join(top, rel)):
            where = "%s:%d" % (rel, lineno)
            if name == "config.h" or (kind == "<" and not os.path.exists(os.path.join(top, "core", name))):
                continue                     # system, library and SDK headers
            ninc += 1
            if kind == "<" and name.startswith("uipsec/"):
                continue
            if not os.path.exists(os.path.join(top, here, name)):
                errors.append('%s: plugin includes "%s"; plugins see only <uipsec/...> and their own folder'
                              % (where, name))

    # include cycles between modules (Tarjan's strongly connected components)
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                sccs.append(sorted(scc))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    for scc in sccs:
        inside = ["%s -> %s (%s)" % (a, b, w) for a in scc
                  for b, w in sorted(edges.get(a, {}).items()) if b in scc]
        errors.append("include cycle between %s: %s" % (", ".join(scc), "; ".join(inside)))

    print("1..1")
    for e in errors:
        print("# " + e)
    print("%s 1 - layer order and include cycles: %d files, %d includes, %d problems"
          % ("not ok" if errors else "ok", nfiles, ninc, len(errors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
