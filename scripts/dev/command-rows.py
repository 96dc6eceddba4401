#!/usr/bin/env python3
"""Command-table rows for kvs (crates/server/src/cmd/table.rs) from a real redis-server.

    scripts/dev/command-rows.py PORT name [name ...]

Asks the Redis on 127.0.0.1:PORT for COMMAND INFO and COMMAND DOCS of each name and prints one
`spec!(...)` row per command, naming the metadata constants of table_flags.rs where one has the
same value, and printing a definition for every constant it needs that does not exist yet. The
parser path is left as `super::NAME::parse` to be edited. A development aid, not run by CI.
"""
import os
import re
import socket
import sys

FLAGS_RS = os.path.join(os.path.dirname(__file__), "../../crates/server/src/cmd/table_flags.rs")


def resp(sock_file):
    line = sock_file.readline()
    t, rest = line[:1], line[1:-2]
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [resp(sock_file) for _ in range(n)]
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = sock_file.read(n + 2)[:-2]
        return data.decode()
    if t == b":":
        return int(rest)
    if t in (b"+", b"-"):
        return rest.decode()
    raise ValueError(line)


def call(port, *args):
    with socket.create_connection(("127.0.0.1", port)) as s:
        req = b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
        s.sendall(req)
        return resp(s.makefile("rb"))


def pairs(flat):
    return dict(zip(flat[::2], flat[1::2]))


def existing_consts():
    text = open(FLAGS_RS).read()
    found = {}
    for m in re.finditer(r"pub\(super\) const (\w+): &\[&str\] =\s*&\[(.*?)\];", text, re.S):
        found[tuple(re.findall(r'"([^"]*)"', m.group(2)))] = m.group(1)
    specs = {}
    for m in re.finditer(r"pub\(super\) const (\w+): &\[KeySpec\] =\s*&\[(.*?)\];", text, re.S):
        specs[re.sub(r"\s+", "", m.group(2)).rstrip(",")] = m.group(1)
    return found, specs


def strs(prefix, values, known, new):
    if not values:
        return "&[]"
    key = tuple(values)
    if key in known:
        return known[key]
    name = prefix + "_" + "_".join(re.sub(r"\W", "_", v.strip("@")).upper() for v in values)
    known[key] = name
    new.append("pub(super) const %s: &[&str] = &[%s];" % (name, ", ".join('"%s"' % v for v in values)))
    return name


def key_specs(specs, known, new):
    parts = []
    for ks in specs:
        ks = pairs(ks)
        flags = "&[%s]" % ", ".join('"%s"' % f for f in ks["flags"])
        bs = pairs(ks["begin_search"])
        fk = pairs(ks["find_keys"])
        begin = pairs(bs["spec"])["index"]
        spec = pairs(fk["spec"])
        if fk["type"] == "range":
            parts.append('key_spec("%s", %s, %d, %d, %d, %d)' % (
                ks.get("notes", ""), flags, begin, spec["lastkey"], spec["keystep"], spec["limit"]))
        else:
            parts.append("keynum_spec(%s, %d, %d, %d, %d)" % (
                flags, begin, spec["keynumidx"], spec["firstkey"], spec["keystep"]))
    if not parts:
        return "&[]"
    body = ", ".join(parts)
    if body.replace(" ", "") in known:
        return known[body.replace(" ", "")]
    name = "KS_NEW_%d" % len(new)
    known[body.replace(" ", "")] = name
    new.append("pub(super) const %s: &[KeySpec] = &[%s];" % (name, body))
    return name


def main():
    port = int(sys.argv[1])
    known, known_specs = existing_consts()
    new = []
    rows = []
    for name in sys.argv[2:]:
        info = call(port, "COMMAND", "INFO", name)[0]
        docs = pairs(call(port, "COMMAND", "DOCS", name)[1])
        cname, arity, flags, first, last, step, acl, tips, specs = info[:9]
        flags_c = strs("F", flags, known, new)
        acl_c = strs("A", acl, known, new)
        tips_c = strs("T", tips, known, new)
        specs_c = key_specs(specs, known_specs, new)
        history = ", ".join('("%s", "%s")' % (v, t.replace('"', '\\"'))
                            for v, t in docs.get("history", []))
        doc = 'docs!("%s", "%s", "%s", "%s", "%s", "%s", &[%s])' % (
            docs["summary"].replace('"', '\\"'), docs["since"], docs["group"],
            docs.get("complexity", "").replace('"', '\\"'), docs.get("deprecated_since", ""),
            docs.get("replaced_by", "").replace('"', '\\"'), history)
        rows.append('    spec!("%s", %d, %s, %d, %d, %d, %s, %s, %s, super::%s::parse, %s),' % (
            cname, arity, flags_c, first, last, step, acl_c, tips_c, specs_c, cname, doc))
    for n in new:
        print(n)
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
