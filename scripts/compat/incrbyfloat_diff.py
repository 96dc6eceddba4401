"""Differential test of INCRBYFLOAT: kvs-server against a real redis-server, byte for byte.

Usage: incrbyfloat_diff.py PORT_A PORT_B [--cases N] [--seed S] [--verbose]

Runs N random cases (default 3000) with a fixed seed (default 20240607) against both servers
on 127.0.0.1. A case is: DEL key, sometimes SET key <value>, one to seven INCRBYFLOAT key
<increment>, GET key; four cases in ten keep to ordinary magnitudes. Values and increments are drawn from small decimals, long digit strings,
exponents from e-30 to e+300, values near the long double overflow (~1.19e4932) and underflow
(~3.6e-4951), 1.7976931348623157e308, integers, hex floats, and strings Redis refuses (" 1",
"1e", "nan", ...). Every raw reply (the RESP bytes) must be equal. Prints each mismatch and
exits 1 if there is any, 0 otherwise. Uses only the standard library.
"""
import argparse
import random
import socket
import sys


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def reply(self):
        """One reply, as its raw bytes (aggregates are not expected here)."""
        line = self._line()
        if line[:1] == b"$":
            n = int(line[1:-2])
            return line if n < 0 else line + self._exact(n + 2)
        return line

    def run(self, commands):
        out = bytearray()
        for args in commands:
            out += b"*%d\r\n" % len(args)
            for a in args:
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return [self.reply() for _ in commands]


def digits(rng, n, lead_nonzero=False):
    s = "".join(rng.choice("0123456789") for _ in range(n))
    if lead_nonzero and s[0] == "0":
        s = rng.choice("123456789") + s[1:]
    return s


SPECIALS = [
    "+1", ".5", "5.", "-.5", "+.5", "1e", "1e+", "e5", "inf", "-inf", "+inf", "Infinity",
    "-INFINITY", "infin", "nan", "-nan", "NaN", "nan(1)", " 1", "1 ", "\t1", "0x10", "0X1F",
    "0x1p3", "0x.8", "0x1.8p-1", "0x", "0x.", "0x1p", "0xg", "", "0", "-0", "+0", "0.0", "-0.0",
    "1.2.3", "1e5.5", "--1", "+-1", "1_0", "1,5", "abc", "1\x00", "0e99999999999999999999",
    "1e-99999999999999999999", "1e99999999999999999999", "00000000001", "1E+2", "1.e3",
    "3.0", "1e-5", "1.5e15", "1e20", "0.1", "0.2", "10.5", "-5", "19.99", "1234.5678",
]

EXTREMES = [
    "1.7976931348623157e308", "-1.7976931348623157e308", "1.7976931348623158e308",
    "2.2250738585072014e-308", "4.9406564584124654e-324", "1.1e4932", "-1.1e4932",
    "1.18973149535723176502e4932", "1.18973149535723176503e4932", "1.19e4932", "1.2e4932",
    "-1.18973149535723176502e4932", "3.6e-4951", "3.64519953188247460253e-4951", "1e-4951",
    "1.8e-4951", "1.9e-4951", "2e-4951", "5e-4950", "-3.6e-4951", "3.36210314311209350626e-4932",
    "0x1p-16445", "0x1p-16446", "0x1.000001p-16446", "0x1p16383", "0x1p16384",
    "0x1.fffffffffffffffep16383", "0x1.ffffffffffffffffp16383", "0x1p-18", "0x3p-18", "0x5p-18",
    "9223372036854775807", "-9223372036854775808", "18446744073709551615",
    "18446744073709551617", "18446744073709551619", "123456789012345678901234567890",
    "0." + "0" * 5116 + "1", "0" * 5118 + "1", "0" * 5119 + "1", "1" + "0" * 5000,
]


ORDINARY_KINDS = [0, 1, 2, 3, 4, 10, 14, 15]


def number(rng, ordinary=False):
    """A random number string (mostly valid, some not); ordinary: plain magnitudes only."""
    kind = rng.choice(ORDINARY_KINDS) if ordinary else rng.randrange(16)
    sign = rng.choice(["", "", "", "-", "+"]) if kind != 0 else rng.choice(["", "-"])
    if kind <= 3:  # small decimals
        s = str(rng.randrange(0, 1000))
        if rng.random() < 0.8:
            s += "." + digits(rng, rng.randrange(1, 7))
        return sign + s
    if kind == 4:  # many digits, point anywhere
        d = digits(rng, rng.randrange(2, 45))
        i = rng.randrange(0, len(d) + 1)
        return sign + d[:i] + "." + d[i:] if rng.random() < 0.7 else sign + d
    if kind in (5, 6):  # exponents e-30 .. e+300
        m = digits(rng, 1, True) + "." + digits(rng, rng.randrange(0, 20))
        return sign + m + rng.choice("eE") + str(rng.randrange(-30, 301))
    if kind == 7:  # wide exponents, anywhere in the long double range and past it
        m = digits(rng, 1, True) + "." + digits(rng, rng.randrange(0, 25))
        return sign + m + "e" + str(rng.randrange(-4960, 4940))
    if kind == 8:  # near overflow
        m = "1.1" + digits(rng, rng.randrange(0, 22))
        return sign + m + "e4932"
    if kind == 9:  # near underflow
        m = digits(rng, 1, True) + "." + digits(rng, rng.randrange(0, 22))
        return sign + m + "e-" + str(rng.randrange(4945, 4953))
    if kind == 10:  # integer-looking
        n = rng.randrange(1, 25 if ordinary else 60)
        return sign + digits(rng, n, True)
    if kind == 11:  # hex floats
        s = "0" + rng.choice("xX") + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randrange(0, 20)))
        if rng.random() < 0.4:
            s += "." + "".join(rng.choice("0123456789abcdef") for _ in range(rng.randrange(0, 10)))
        if rng.random() < 0.6:
            s += rng.choice("pP") + rng.choice(["", "-", "+"]) + str(rng.randrange(0, 17000))
        return sign + s
    if kind == 12:
        return rng.choice(SPECIALS)
    if kind == 13:
        return rng.choice(EXTREMES)
    if kind == 14:  # numbers that print with ties or long fractions: k * 2^-n
        return sign + "0x" + format(rng.randrange(1, 1 << 20), "x") + "p-" + str(rng.randrange(1, 80))
    # kind 15: a small decimal with many trailing digits
    return sign + str(rng.randrange(0, 10**6)) + "." + digits(rng, rng.randrange(15, 30))


def case(rng, key):
    # Four cases in ten stay at ordinary magnitudes: one huge increment swamps everything after.
    ordinary = rng.random() < 0.4
    cmds = [[b"DEL", key]]
    if rng.random() < 0.35:
        cmds.append([b"SET", key, number(rng, ordinary).encode()])
    for _ in range(rng.randrange(1, 8)):
        cmds.append([b"INCRBYFLOAT", key, number(rng, ordinary).encode()])
    cmds.append([b"GET", key])
    return cmds


def show(b, limit=200):
    r = repr(b)
    return r if len(r) <= limit else r[:limit] + "...(%d bytes)" % len(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("port_a", type=int)
    ap.add_argument("port_b", type=int)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args()

    rng = random.Random(opts.seed)
    a, b = Conn(opts.port_a), Conn(opts.port_b)
    mismatches = commands = 0
    for n in range(opts.cases):
        key = b"ibf-diff:%d" % (n % 64)
        cmds = case(rng, key)
        ra, rb = a.run(cmds), b.run(cmds)
        commands += len(cmds)
        for args, x, y in zip(cmds, ra, rb):
            if x != y:
                mismatches += 1
                print("MISMATCH case %d: %s" % (n, " ".join(show(v, 80) for v in args)))
                print("  %d: %s" % (opts.port_a, show(x)))
                print("  %d: %s" % (opts.port_b, show(y)))
            elif opts.verbose:
                print("ok %s -> %s" % (" ".join(show(v, 60) for v in args), show(x, 100)))
    for c in (a, b):
        c.run([[b"DEL"] + [b"ibf-diff:%d" % i for i in range(64)]])
    print("incrbyfloat_diff: %d cases, %d commands, %d mismatches" % (opts.cases, commands, mismatches))
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
