#!/usr/bin/env python3
"""PUBLISH fan-out, kvs-server against Redis in the same run (issue 16).

    scripts/bench-pubsub.py [--rounds 3] [--subscribers 100] [--publishes 20000]
                            [--clients 10] [--pipeline 1] [--kvs-bin target/release/kvs-server]

Starts redis-server and kvs-server on free 127.0.0.1 ports (alternating each round), connects
SUBSCRIBERS raw sockets that SUBSCRIBE to one channel, then runs redis-benchmark publishing
PUBLISHES messages to it from CLIENTS connections, and counts the messages every subscriber
receives. Prints, per server, the PUBLISH rate redis-benchmark saw and the messages delivered
per second (SUBSCRIBERS x PUBLISHES over the time from the first PUBLISH to the last message
received), the server's CPU time per message delivered, medians, and the kvs/Redis ratio. Every process it starts is stopped on exit; a round
that does not deliver everything within 120 s is reported as such.
"""

import argparse
import os
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

MARKER = b"$7\r\nmessage\r\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(port, deadline=10.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not answer PING")


def start_redis(port, workdir):
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--appendfsync", "everysec", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_kvs(binary, port, workdir):
    return subprocess.Popen(
        [binary, "--addr", f"127.0.0.1:{port}", "--dir", os.path.join(workdir, "data"),
         "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_round(port, args):
    """Returns (publish rps, delivered msgs/s, delivered count)."""
    channel = b"bench"
    subs = []
    sel = selectors.DefaultSelector()
    for _ in range(args.subscribers):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\n" + channel + b"\r\n")
        subs.append(s)
    for s in subs:  # the confirmation: ends with ":1\r\n"
        buf = b""
        while not buf.endswith(b":1\r\n"):
            buf += s.recv(256)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, {"count": 0, "tail": b""})
    expected = args.subscribers * args.publishes
    bench = subprocess.Popen(
        ["redis-benchmark", "-p", str(port), "-c", str(args.clients), "-n", str(args.publishes),
         "-P", str(args.pipeline), "-q", "PUBLISH", channel.decode(), "hello-subscriber"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    start = time.time()
    delivered = 0
    last = start
    while delivered < expected and time.time() - start < 120:
        for key, _ in sel.select(timeout=1.0):
            try:
                chunk = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(key.fileobj)
                continue
            data = key.data["tail"] + chunk
            n = data.count(MARKER)
            key.data["count"] += n
            delivered += n
            # Keep the bytes a marker split across two reads could start with.
            key.data["tail"] = data[-(len(MARKER) - 1):]
            last = time.time()
    out, _ = bench.communicate(timeout=120)
    for s in subs:
        s.close()
    rps = 0.0
    for line in out.replace("\r", "\n").splitlines():
        if "requests per second" in line:
            rps = float(line.split(":")[1].split()[0])
    elapsed = max(last - start, 1e-9)
    return rps, delivered / elapsed, delivered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--publishes", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--kvs-bin", default="target/release/kvs-server")
    args = ap.parse_args()
    for tool in ("redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            sys.exit(f"bench-pubsub: {tool} not found")
    results = {"redis": [], "kvs": []}
    procs = []

    def stop_all(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop_all(), sys.exit(1)))
    try:
        for r in range(args.rounds):
            order = ["redis", "kvs"] if r % 2 == 0 else ["kvs", "redis"]
            for name in order:
                work = tempfile.mkdtemp(prefix=f"bench-pubsub-{name}-")
                port = free_port()
                p = start_redis(port, work) if name == "redis" else start_kvs(args.kvs_bin, port, work)
                procs.append(p)
                try:
                    wait_ping(port)
                    cpu0 = cpu_seconds(p.pid)
                    rps, mps, n = run_round(port, args)
                    cpu = cpu_seconds(p.pid) - cpu0
                finally:
                    stop_all()
                    procs.remove(p)
                    shutil.rmtree(work, ignore_errors=True)
                complete = n == args.subscribers * args.publishes
                ns_per_msg = cpu * 1e9 / max(n, 1)
                results[name].append((rps, mps, complete, ns_per_msg))
                print(f"round {r + 1} {name:5} PUBLISH {rps:10.0f}/s  delivered {mps:12.0f} msg/s"
                      f"  server CPU {ns_per_msg:6.0f} ns/msg"
                      f"  {'complete' if complete else f'INCOMPLETE ({n})'}", flush=True)
    finally:
        stop_all()
    print()
    print(f"{args.subscribers} subscribers, {args.publishes} PUBLISH from {args.clients} clients"
          f" (P={args.pipeline}), medians:")
    print("| server | PUBLISH/s | messages delivered/s | server CPU ns per message delivered |")
    print("|---|---|---|---|")
    med = {}
    for name in ("redis", "kvs"):
        rps = statistics.median(x[0] for x in results[name])
        mps = statistics.median(x[1] for x in results[name])
        cpu = statistics.median(x[3] for x in results[name])
        med[name] = (rps, mps)
        print(f"| {name} | {rps:.0f} | {mps:.0f} | {cpu:.0f} |")
    if med["redis"][1] > 0:
        print(f"kvs/Redis: PUBLISH {med['kvs'][0] / med['redis'][0]:.2f}x,"
              f" delivered {med['kvs'][1] / med['redis'][1]:.2f}x")


if __name__ == "__main__":
    main()
