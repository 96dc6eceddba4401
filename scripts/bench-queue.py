#!/usr/bin/env python3
"""BRPOP job-queue benchmark: one producer LPUSHes jobs, N consumer processes BRPOP them.

Two phases, against each server given (run kvs and Redis in the same run and compare):

* saturated — the producer pushes JOBS jobs in pipelined batches of 100 as fast as it can; the
  consumers drain the queue. Reported: jobs delivered per second (first push to last delivery),
  and that every job was delivered exactly once.
* paced — the producer pushes one job every PACE ms, so the consumers are blocked when it
  arrives: the time from the LPUSH being sent to the BRPOP reply being read is the wake-up
  latency (p50 / p99 / max), client included.

Raw RESP over sockets (no client library), so the client side costs the same for both servers.
Usage: bench-queue.py PORT [PORT ...] [--consumers 8] [--jobs 40000] [--paced 2000] [--pace 1]
"""

import argparse
import multiprocessing as mp
import socket
import time


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b":"):
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError(f"unexpected {line!r}")

    def call(self, *args):
        self.s.sendall(resp(*args))
        return self.reply()


def consumer(port, queue, results):
    c = Conn(port)
    got, lat, last = [], [], 0.0
    while True:
        r = c.call("BRPOP", queue, "stop:" + queue, "10")
        if r is None:
            break
        key, job = r
        now = time.time()
        if key.startswith(b"stop:"):
            break
        seq, sent = job.split(b":")
        got.append(int(seq))
        lat.append(now - float(sent))
        last = now
    results.put((got, lat, last))


def run_phase(port, consumers, jobs, pace_ms):
    queue = f"q{time.time_ns()}"
    results = mp.Queue()
    procs = [mp.Process(target=consumer, args=(port, queue, results)) for _ in range(consumers)]
    for p in procs:
        p.start()
    admin = Conn(port)
    # Wait until every consumer is blocked.
    deadline = time.time() + 10
    while time.time() < deadline:
        info = admin.call("INFO", "clients").decode()
        blocked = int(info.split("blocked_clients:")[1].split("\r\n")[0])
        if blocked >= consumers:
            break
        time.sleep(0.01)
    prod = Conn(port)
    start = time.time()
    if pace_ms:
        for i in range(jobs):
            prod.call("LPUSH", queue, f"{i}:{time.time():.6f}")
            time.sleep(pace_ms / 1000)
    else:
        batch = 100
        for b in range(0, jobs, batch):
            n = min(batch, jobs - b)
            prod.s.sendall(b"".join(resp("LPUSH", queue, f"{b + i}:{time.time():.6f}")
                                    for i in range(n)))
            for _ in range(n):
                prod.reply()
    while int(admin.call("LLEN", queue)) > 0:
        time.sleep(0.001)
    # Every job is taken; each consumer finishes its last one, then gets a stop.
    got, lat, last = [], [], start
    admin.call("RPUSH", "stop:" + queue, *["stop"] * consumers)
    for _ in procs:
        g, l, t = results.get(timeout=30)
        got += g
        lat += l
        last = max(last, t)
    elapsed = last - start
    for p in procs:
        p.join()
    admin.call("DEL", "stop:" + queue)
    assert sorted(got) == list(range(jobs)), "every job exactly once"
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e6
    return len(got) / elapsed, pick(0.5), pick(0.99), lat[-1] * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ports", nargs="+", type=int)
    ap.add_argument("--consumers", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=40000)
    ap.add_argument("--paced", type=int, default=2000, help="jobs in the paced phase")
    ap.add_argument("--pace", type=float, default=1.0, help="ms between paced jobs")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    for r in range(a.rounds):
        for port in a.ports:
            rate, p50, p99, mx = run_phase(port, a.consumers, a.jobs, 0)
            print(f"port {port} round {r} saturated: {rate:,.0f} jobs/s "
                  f"({a.consumers} consumers, {a.jobs} jobs; latency p50 {p50:,.0f} us p99 {p99:,.0f} us)")
            rate, p50, p99, mx = run_phase(port, a.consumers, a.paced, a.pace)
            print(f"port {port} round {r} paced ({a.pace} ms): wake-up latency p50 {p50:,.0f} us "
                  f"p99 {p99:,.0f} us max {mx:,.0f} us")


if __name__ == "__main__":
    main()
