#!/usr/bin/env python3
"""Import cycles among each crate's top-level modules (issue 14's yardstick).

    scripts/module-cycles.py [crates/reactor crates/storage ...]   (default: every crate)

A top-level module is a file `src/<m>.rs` or folder `src/<m>/`; "m uses n" when any of m's files
names `crate::n` (a `use` or a path). Names re-exported from lib.rs under another module's path
count for the module that defines them. Prints each strongly connected component of more than
one module, largest first, and exits 0 — it is a report, not a gate. Comments are ignored.
"""
import os
import re
import sys


def top_modules(src):
    mods = {}
    for entry in os.listdir(src):
        path = os.path.join(src, entry)
        if entry.endswith(".rs") and entry not in ("lib.rs", "main.rs"):
            mods[entry[:-3]] = [path]
        elif os.path.isdir(path) and entry != "bin":
            files = []
            for root, _, names in os.walk(path):
                files += [os.path.join(root, n) for n in names if n.endswith(".rs")]
            mods[entry] = files
    return mods


def aliases(src, mods):
    """`pub(crate) use engine::{writer, ...}` in lib.rs: writer -> engine."""
    alias = {}
    lib = os.path.join(src, "lib.rs")
    if not os.path.exists(lib):
        return alias
    text = open(lib).read()
    for m in re.finditer(r"use\s+(\w+)::\{([^}]*)\}\s*;", text):
        if m.group(1) in mods:
            for name in re.findall(r"\w+", m.group(2)):
                alias[name] = m.group(1)
    for m in re.finditer(r"use\s+(\w+)::(\w+)\s*;", text):
        if m.group(1) in mods:
            alias[m.group(2)] = m.group(1)
    return alias


def edges(mods, alias):
    out = {m: set() for m in mods}
    for m, files in mods.items():
        for f in files:
            # Code only: comments (docs included) name paths without depending on them.
            text = "\n".join(
                line.split("//", 1)[0] for line in open(f).read().splitlines()
            )
            # crate::x paths, and `use crate::{x, y::z}` groups
            names = re.findall(r"crate::(\w+)", text)
            for g in re.findall(r"crate::\{([^}]*)\}", text):
                names += re.findall(r"(?:^|,)\s*(\w+)", g)
            for n in names:
                n = alias.get(n, n)
                if n in mods and n != m:
                    out[m].add(n)
    return out


def sccs(graph):
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return sorted((c for c in comps if len(c) > 1), key=len, reverse=True)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    crates = sys.argv[1:] or sorted(
        os.path.join("crates", c) for c in os.listdir(os.path.join(root, "crates"))
    )
    for crate in crates:
        src = os.path.join(root, crate, "src")
        mods = top_modules(src)
        comps = sccs(edges(mods, aliases(src, mods)))
        sizes = ", ".join(str(len(c)) for c in comps) or "none"
        print(f"{crate}: {len(mods)} top-level modules; cycles: {sizes}")
        for c in comps:
            print("   ", " ".join(c))


if __name__ == "__main__":
    main()
