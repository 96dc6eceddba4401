#!/usr/bin/env python3
"""Differential compatibility suite: kvs-server against a real redis-server, byte for byte.

Usage: redis_diff.py PORT_REDIS PORT_KVS [--group NAME ...] [--case NAME ...] [--verbose]

Both servers run on 127.0.0.1. Every case is a list of steps sent on one fresh connection after
FLUSHALL; each step is raw RESP bytes (a command encoded as a multibulk, or raw bytes for inline
commands and protocol errors), and every raw reply is compared byte for byte. Each case runs
twice: under RESP2, and under RESP3 (HELLO 3 first). After the last step a probe
(ECHO <token>) checks that the connection is still open and that no surplus reply was sent, so a
protocol error must close the connection on both servers alike.

Normalised, and only where the values legitimately differ: the server version and client id in
HELLO, CLIENT ID, TIME, LASTSAVE, positive PTTLs (to the second), the order of KEYS / SCAN
results (sorted), of set members (SMEMBERS, SINTER, SUNION, SDIFF, SPOP, SRANDMEMBER, SSCAN:
sorted) and of CONFIG GET pairs, non-zero SCAN cursors, the order of a hash's fields (HGETALL,
HKEYS, HVALS, HSCAN, and HRANDFIELD replies that hold the whole hash: sorted, each field kept
with its value). INFO, CLIENT INFO / LIST and COMMAND INFO are compared structurally (section
headers and key fields; field names and a few values; COMMAND INFO byte for byte but for the
subcommands kvs lacks). OBJECT, DEBUG, COMMAND DOCS and CONFIG GET * are not compared: those
outputs differ by design. HSCAN of a hash past 128 fields (a hash
table in Redis, iterated over several calls) is compared as a whole iteration (HSCANALL).

ALLOWED below lists the known, documented differences (docs/commands.md). A mismatch on a step
that is in ALLOWED is reported but does not fail; an ALLOWED entry that now matches is reported
as "now matches, remove from allowed list". Any other mismatch: exit 1.

kvs reports version 7.2.0; the redis-server in CI is 7.0.x. Where 7.0 and 7.2 differ, kvs
follows 7.2 and the step is in ALLOWED with reason "Redis 7.2 behaviour".

Standard library only.
"""
import argparse
import re
import socket
import sys
import time

PROBE = b"__redis_diff_probe__"
TIMEOUT = 5.0


# ----------------------------------------------------------------------------------------------
# Steps


class Step:
    """One thing to send and the number of replies to read (kind: cmd, raw, sleep, scanall)."""

    def __init__(self, kind, data=b"", nreplies=1, args=None, show=None, secs=0.0):
        self.kind, self.data, self.nreplies, self.args, self.secs = kind, data, nreplies, args, secs
        self.show = show if show is not None else (repr(data) if kind == "raw" else "")

    @property
    def name(self):
        """Upper-case command name (and subcommand for CLIENT / CONFIG / COMMAND), for normalising."""
        if not self.args:
            return ""
        n = self.args[0].upper()
        if n in (b"CLIENT", b"CONFIG", b"COMMAND") and len(self.args) > 1:
            n += b" " + self.args[1].upper()
        return n.decode("latin-1")


def enc(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def show_args(args):
    out = []
    for a in args:
        s = a.decode("latin-1")
        if not s or any(c in s for c in " \"'\\") or any(ord(c) < 33 or ord(c) > 126 for c in s):
            s = repr(a)[1:]
        if len(s) > 60:
            s = s[:40] + "...(%d bytes)" % len(a)
        out.append(s)
    return " ".join(out)


def C(*args):
    """A command: C("SET k v") splits on spaces; C("SET", "k", "a b") takes the arguments as given."""
    if len(args) == 1 and isinstance(args[0], str):
        args = args[0].split(" ")
    bargs = [a if isinstance(a, bytes) else a.encode("latin-1") for a in args]
    return Step("cmd", enc(bargs), 1, bargs, show_args(bargs))


def RAW(data, n=1):
    """Raw bytes (inline commands, protocol errors) and the number of replies they produce."""
    args = None
    if data[:1] not in (b"*", b"$") and b"\n" in data:
        args = data.split(None, 1)[:1]  # inline: the command name, for normalising
    return Step("raw", data, n, args)


def SLEEP(secs):
    return Step("sleep", secs=secs, nreplies=0, show="<sleep %gs>" % secs)


def SCANALL(*rest):
    """SCAN from cursor 0 until it returns 0; the reply is every key returned, sorted, deduplicated."""
    args = [a.encode() for a in rest]
    return Step("scanall", nreplies=1, args=[b"SCAN", b"<cursor>"] + args,
                show="<SCAN every step> " + " ".join(rest))


def HSCANALL(key, *rest):
    """HSCAN key from cursor 0 until it returns 0; the reply is every field/value pair returned,
    sorted, deduplicated (Redis walks a big hash over several calls, kvs returns it in one)."""
    args = [a.encode() for a in rest]
    return Step("scanall", nreplies=1, args=[b"HSCAN", key.encode(), b"<cursor>"] + args,
                show="<HSCAN %s every step> %s" % (key, " ".join(rest)))


def steps(items):
    out = []
    for it in items:
        if isinstance(it, Step):
            out.append(it)
        elif isinstance(it, str):
            out.append(C(it))
        elif isinstance(it, (list, tuple)):
            out.append(C(*it))
        elif isinstance(it, bytes):
            out.append(RAW(it))
        else:
            raise TypeError(it)
    return out


class Case:
    def __init__(self, group, name, items, protos=(2, 3), probe=True):
        self.group, self.name, self.protos, self.probe = group, name, protos, probe
        self.steps = steps(items)


# ----------------------------------------------------------------------------------------------
# Client: raw replies, parsed only to know where each ends


class Closed(Exception):
    pass


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed() from e

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 16)
        except ConnectionResetError as e:
            raise Closed() from e
        if not chunk:
            raise Closed()
        self.buf += chunk

    def _line(self, start):
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                return i
            self._fill()

    def _end(self, pos):
        """Index just past the reply starting at pos."""
        nl = self._line(pos)
        t, head = self.buf[pos:pos + 1], self.buf[pos + 1:nl]
        pos = nl + 2
        if t in b"+-:_,#(":
            return pos
        n = int(head)
        if t in (b"$", b"=", b"!"):
            if n < 0:
                return pos
            while len(self.buf) < pos + n + 2:
                self._fill()
            return pos + n + 2
        if t in (b"*", b"~", b">", b"%", b"|"):
            count = n * 2 if t in (b"%", b"|") else n
            for _ in range(max(count, 0)):
                pos = self._end(pos)
            if t == b"|":  # an attribute precedes the reply it describes
                pos = self._end(pos)
            return pos
        raise ValueError("unknown reply type %r in %r" % (t, self.buf[:200]))

    def reply(self):
        while not self.buf:
            self._fill()
        end = self._end(0)
        r, self.buf = self.buf[:end], self.buf[end:]
        return r

    def closed_soon(self, secs):
        """'closed' if the server closes within secs, 'open' if not, or the surplus bytes."""
        if self.buf:
            return "extra: %r" % self.buf[:300]
        self.sock.settimeout(secs)
        try:
            d = self.sock.recv(1 << 16)
            return "closed" if not d else "extra: %r" % d[:300]
        except socket.timeout:
            return "open"
        except ConnectionResetError:
            return "closed"
        finally:
            self.sock.settimeout(TIMEOUT)


ADMIN = {}  # port -> the connection FLUSHALL is sent on (one for the whole run, so that
#              CLIENT LIST sees the same clients on both servers)


def flushall(port):
    if port not in ADMIN:
        ADMIN[port] = Conn(port)
    c = ADMIN[port]
    c.send(enc([b"FLUSHALL"]))
    r = c.reply()
    if r != b"+OK\r\n":
        raise RuntimeError("FLUSHALL on port %d: %r" % (port, r))


def run_case(port, case, proto):
    """[(step, [raw reply or marker, ...])] with the probe result last."""
    flushall(port)
    c = Conn(port)
    seq = ([C("HELLO 3")] if proto == 3 else []) + case.steps
    out = []
    closed = False
    try:
        for st in seq:
            got = []
            out.append((st, got))
            if closed:
                got.append(b"<not sent: connection closed>")
                continue
            try:
                if st.kind == "sleep":
                    time.sleep(st.secs)
                elif st.kind == "scanall":
                    got.append(scan_all(c, st.args))
                else:
                    c.send(st.data)
                    for _ in range(st.nreplies):
                        got.append(c.reply())
            except Closed:
                got.append(b"<CLOSED>")
                closed = True
            except socket.timeout:
                got.append(b"<TIMEOUT>")
                closed = True
        probe = Step("probe", show="<probe: still open, nothing extra?>")
        if closed:
            res = b"closed"
        elif not case.probe:
            res = c.closed_soon(0.3).encode()
        else:
            res = b"open"
            try:
                c.send(enc([b"ECHO", PROBE]))
                extra = []
                while True:
                    r = c.reply()
                    if PROBE in r:
                        break
                    extra.append(r)
                if extra:
                    res = b"extra replies: " + b"".join(extra)
            except Closed:
                res = b"closed"
            except socket.timeout:
                res = b"<TIMEOUT>"
        out.append((probe, [res]))
    finally:
        c.close()
    return out


def scan_all(c, args):
    """args: SCAN <cursor> opts... or HSCAN key <cursor> opts...; the cursor goes where the
    placeholder is. HSCAN's items are collected as field=value pairs."""
    at = args.index(b"<cursor>")
    pairs = args[0].upper() == b"HSCAN"
    cursor, keys, n = b"0", set(), 0
    while True:
        c.send(enc(args[:at] + [cursor] + args[at + 1:]))
        r = c.reply()
        node = parse(r)
        if node[0] != b"*":
            return r
        cursor = node[2][0][2]
        got = [k[2] for k in node[2][1][2]]
        if pairs:
            keys.update(b"=".join(got[i:i + 2]) for i in range(0, len(got), 2))
        else:
            keys.update(got)
        n += 1
        if cursor == b"0" or n > 10000:
            break
    return b"<scan: %d keys> " % len(keys) + b" ".join(sorted(keys))


# ----------------------------------------------------------------------------------------------
# Normalising


def parse(raw, pos=0):
    """(type, header, payload, end): payload is bytes for scalars, a list of nodes for aggregates."""
    nl = raw.index(b"\r\n", pos)
    t, head = raw[pos:pos + 1], raw[pos + 1:nl]
    pos = nl + 2
    if t in (b"$", b"=", b"!"):
        n = int(head)
        if n < 0:
            return (t, head, None, pos)
        return (t, head, raw[pos:pos + n], pos + n + 2)
    if t in (b"*", b"~", b">", b"%"):
        n = int(head)
        kids = []
        for _ in range(max(n * 2 if t == b"%" else n, 0)):
            k = parse(raw, pos)
            kids.append(k)
            pos = k[3]
        return (t, head, kids, pos)
    return (t, head, head, pos)


def ser(node):
    t, head, payload, _ = node
    if isinstance(payload, list):
        return t + head + b"\r\n" + b"".join(ser(k) for k in payload)
    if t in (b"$", b"=", b"!"):
        if payload is None:
            return t + head + b"\r\n"
        return t + b"%d\r\n" % len(payload) + payload + b"\r\n"
    return t + payload + b"\r\n"


def sorted_elements(raw):
    node = parse(raw)
    if isinstance(node[2], list):
        return ser((node[0], node[1], sorted(node[2], key=ser), 0))
    return raw


def norm_scan(raw):
    node = parse(raw)
    if node[0] != b"*" or len(node[2]) != 2:
        return raw
    cur, keys = node[2]
    if cur[2] != b"0":
        cur = (b"$", b"", b"<nonzero cursor>", 0)
    keys = (keys[0], keys[1], sorted(keys[2], key=ser), 0)
    return ser((node[0], node[1], [cur, keys], 0))


def norm_hscan(raw):
    """HSCAN: the cursor as it is, the field/value pairs sorted by field."""
    node = parse(raw)
    if node[0] != b"*" or len(node[2]) != 2:
        return raw
    cur, items = node[2]
    return ser((node[0], node[1], [cur, parse(norm_pairs(ser(items)))], 0))


def norm_hrandfield(raw, step):
    """HRANDFIELD with a count: sorted, each field kept with its value (WITHVALUES: a flat
    array in RESP2, [field, value] arrays in RESP3). Only cases whose answer is fixed (the whole
    hash, or a hash of one field) are compared: the rest is random."""
    node = parse(raw)
    if node[0] != b"*" or not isinstance(node[2], list):
        return raw
    withvalues = any(a.upper() == b"WITHVALUES" for a in step.args[3:])
    if withvalues and not any(k[0] == b"*" for k in node[2]):
        return norm_pairs(raw)
    return sorted_elements(raw)


def norm_pairs(raw):
    """CONFIG GET: the name/value pairs sorted."""
    node = parse(raw)
    if not isinstance(node[2], list):
        return raw
    kids = node[2]
    pairs = sorted(zip(kids[0::2], kids[1::2]), key=lambda p: ser(p[0]))
    return ser((node[0], node[1], [x for p in pairs for x in p], 0))


VERSION_RE = re.compile(rb"\$\d+\r\n(7\.0\.\d+|7\.2\.\d+)\r\n")


def norm_hello(raw):
    raw = VERSION_RE.sub(b"$7\r\n<VER>\r\n", raw)
    return re.sub(rb"(\$2\r\nid\r\n):\d+\r\n", rb"\1:<ID>\r\n", raw)


def norm_time(raw):
    return re.sub(rb"\$\d+\r\n\d+\r\n", b"$N\r\n<digits>\r\n", raw)


def norm_int(raw):
    return re.sub(rb"^:\d+\r\n$", b":<N>\r\n", raw)


def norm_pttl(raw):
    m = re.match(rb"^:(\d+)\r\n$", raw)
    if m and int(m.group(1)) > 0:
        return b":<about %ds>\r\n" % round(int(m.group(1)) / 1000)
    return raw


# INFO: the section headers, then for each of these fields the section it is in (or absence).
INFO_FIELDS = [
    b"redis_version", b"redis_mode", b"os", b"arch_bits", b"process_id", b"run_id", b"tcp_port",
    b"uptime_in_seconds", b"connected_clients", b"maxclients", b"blocked_clients",
    b"used_memory", b"used_memory_human", b"maxmemory", b"maxmemory_policy", b"loading",
    b"rdb_changes_since_last_save", b"rdb_bgsave_in_progress", b"rdb_last_save_time",
    b"aof_enabled", b"aof_rewrite_in_progress", b"total_connections_received",
    b"total_commands_processed", b"instantaneous_ops_per_sec", b"rejected_connections",
    b"expired_keys", b"evicted_keys", b"keyspace_hits", b"keyspace_misses",
    b"total_error_replies", b"role", b"connected_slaves", b"master_replid",
    b"master_repl_offset", b"used_cpu_sys", b"used_cpu_user", b"cluster_enabled",
]


def norm_info(raw):
    node = parse(raw)
    if node[0] not in (b"$", b"=") or node[2] is None:
        return raw
    text = node[2]
    if node[0] == b"=":
        text = text[4:]  # "txt:"
    out = [b"type " + node[0]]
    section = b""
    for line in text.split(b"\r\n"):
        if line.startswith(b"#"):
            section = line
            out.append(line)
        elif b":" in line:
            k, v = line.split(b":", 1)
            if k in INFO_FIELDS:
                out.append(b"  " + k + b" in " + section)
            elif re.match(rb"db\d+$", k):  # keys and expires exactly; avg_ttl is sampled by Redis
                out.append(b"  " + k + b":" + re.sub(rb",avg_ttl=\d+", b"", v))
    return b"<INFO structure> " + b" | ".join(out)


CLIENT_FIELDS_72 = {b"lib-name", b"lib-ver"}  # added in Redis 7.2
CLIENT_VALUES = {b"name", b"db", b"resp", b"flags", b"cmd", b"sub", b"psub", b"multi"}


def norm_client_line(line):
    out = []
    for kv in line.split(b" "):
        if b"=" not in kv:
            continue
        k, v = kv.split(b"=", 1)
        if k in CLIENT_FIELDS_72:
            continue
        out.append(k + b"=" + v if k in CLIENT_VALUES else k)
    return b" ".join(out)


def norm_client_info(raw):
    node = parse(raw)
    if node[0] not in (b"$", b"=") or node[2] is None:
        return raw
    text = node[2][4:] if node[0] == b"=" else node[2]
    lines = [norm_client_line(x) for x in text.split(b"\n") if x.strip()]
    return b"<CLIENT structure> type " + node[0] + b" | " + b" | ".join(lines)


# Subcommands kvs implements, compared in COMMAND INFO (on their own and inside their parent's
# entry). CLIENT SETINFO and CLIENT NO-TOUCH are Redis 7.2's (CI's 7.0 lacks them): not compared.
KVS_SUBCOMMANDS = [
    "client|id", "client|setname", "client|getname", "client|list", "client|info", "client|kill",
    "client|help", "client|no-evict", "client|reply", "config|get", "config|set",
    "config|resetstat", "config|rewrite", "command|count", "command|info", "command|docs",
    "command|list", "command|getkeys", "command|help", "function|flush", "function|list",
    "function|help", "script|flush", "script|exists", "script|help",
]
KVS_SUBCOMMANDS_SET = {n.encode() for n in KVS_SUBCOMMANDS}


def norm_command_info(raw):
    """COMMAND INFO: every entry byte for byte (name, arity, flags in Redis' order, first key,
    last key, step, ACL categories, tips, key specs, with their RESP types), except the
    subcommands field: Redis lists them in its dict's (randomly seeded) order and has more than
    kvs implements, so only the field's type, whether it is empty, and the entries of
    KVS_SUBCOMMANDS (sorted by name) are compared."""
    node = parse(raw)
    if not isinstance(node[2], list):
        return raw
    out = []
    for cmd in node[2]:
        if not isinstance(cmd[2], list) or len(cmd[2]) != 10:
            out.append(ser(cmd))
            continue
        f = cmd[2]
        subs = f[9]
        if not isinstance(subs[2], list):
            out.append(ser(cmd))
            continue
        kept = sorted((s for s in subs[2] if isinstance(s[2], list) and s[2]
                       and s[2][0][2] in KVS_SUBCOMMANDS_SET), key=lambda s: s[2][0][2])
        out.append(b"".join(ser(x) for x in f[:9]) + b" subcommands %s%s: " % (
            subs[0], b" (none)" if not subs[2] else b"") + b"".join(ser(s) for s in kept))
    return b"<COMMAND INFO> " + node[0] + node[1] + b" | " + b" | ".join(out)


NORMALISE = {
    "HELLO": norm_hello,
    "CLIENT ID": norm_int,
    "CLIENT INFO": norm_client_info,
    "CLIENT LIST": norm_client_info,
    "TIME": norm_time,
    "LASTSAVE": norm_int,
    "PTTL": norm_pttl,
    "KEYS": sorted_elements,
    "SCAN": norm_scan,
    "CONFIG GET": norm_pairs,
    "INFO": norm_info,
    "COMMAND INFO": norm_command_info,
    # Sets: Redis lists members in its hash table's or intset's order, kvs in its own.
    "SMEMBERS": sorted_elements,
    "SINTER": sorted_elements,
    "SUNION": sorted_elements,
    "SDIFF": sorted_elements,
    "SPOP": sorted_elements,
    "SRANDMEMBER": sorted_elements,
    "SSCAN": norm_scan,
    "HGETALL": norm_pairs,
    "HKEYS": sorted_elements,
    "HVALS": sorted_elements,
    "HSCAN": norm_hscan,
}
# Normalisers that need the step's arguments as well.
NORMALISE_STEP = {
    "HRANDFIELD": norm_hrandfield,
}


def ttl_close(step, rn, kn):
    """TTL / PTTL of the same key on the two servers, read up to a few seconds apart (a case runs
    on Redis, then on kvs): equal within 2 s, as long as both are positive counts."""
    if step.name not in ("TTL", "PTTL") or len(rn) != len(kn):
        return False
    pat = re.compile(rb"^:(?:<about )?(\d+)s?>?\r\n$")
    for a, b in zip(rn, kn):
        if a == b:
            continue
        ma, mb = pat.match(a), pat.match(b)
        if not (ma and mb) or abs(int(ma.group(1)) - int(mb.group(1))) > 2:
            return False
    return True


def normalise(step, raw):
    f = NORMALISE.get(step.name)
    g = NORMALISE_STEP.get(step.name)
    if (f is None and g is None) or raw.startswith(b"<") or raw[:1] == b"-":
        return raw
    try:
        return f(raw) if f else g(raw, step)
    except (ValueError, IndexError):
        return raw


# ----------------------------------------------------------------------------------------------
# Allowed differences


class Allowed:
    """A known difference: the step (as printed) in a case (None: any case), or, with field, one
    INFO field that may be missing from kvs' INFO while the rest of the structure must match."""

    def __init__(self, case, show, reason, proto=None, field=None):
        self.case, self.show, self.reason, self.proto, self.field = case, show, reason, proto, field
        self.hits = 0  # mismatches it excused
        self.seen = 0  # times the step ran

    def matches(self, case, step, proto):
        return (not self.field and (self.case is None or self.case == case.name)
                and self.show == step.show and (self.proto is None or self.proto == proto))

    def strip_field(self, step, rn, kn):
        """For a field entry: rn and kn without the field's items, and whether they differed."""
        if not self.field or step.name != "INFO":
            return rn, kn, False
        self.seen += 1
        differed = False
        out = []
        for side in (rn, kn):
            new, items = [], []
            for raw in side:
                parts = raw.split(b" | ")
                items += [x for x in parts if self.field in x]
                new.append(b" | ".join(x for x in parts if self.field not in x))
            out.append((new, items))
        (rn2, ri), (kn2, ki) = out
        if ri != ki:
            differed = True
        return rn2, kn2, differed


R72 = "Redis 7.2 behaviour (kvs reports 7.2.0; CI's redis-server is 7.0)"
ALLOWED = [
    # (case or None for any case, the step as printed, reason with its reference)
    Allowed("select", "SELECT 1",
            "kvs has one database; docs/commands.md 'Connection' (SELECT: only 0)"),
    Allowed("select", "SELECT 15",
            "kvs has one database; docs/commands.md 'Connection' (SELECT: only 0)"),
    Allowed("config_get", "CONFIG GET databases",
            "kvs has one database (1, Redis 16); docs/commands.md 'Server' (CONFIG GET)"),
    Allowed("config_get", "CONFIG GET appendonly",
            "kvs always logs every write (yes; this Redis runs with --appendonly no); "
            "docs/commands.md 'Atomicity and durability'"),
    Allowed("client_setinfo", "CLIENT SETINFO lib-name x", R72 + "; docs/commands.md 'Connection' (CLIENT)"),
    Allowed("client_setinfo", "CLIENT SETINFO lib-ver 1.0", R72 + "; docs/commands.md 'Connection' (CLIENT)"),
    Allowed("client_setinfo", "CLIENT SETINFO LIB-NAME 'a b'", R72 + "; docs/commands.md 'Connection' (CLIENT)"),
    Allowed(None, "CLIENT SETINFO lib-name", R72 + "; docs/commands.md 'Connection' (CLIENT)"),
    Allowed("client_setinfo", "CLIENT SETINFO bad 1", R72 + "; docs/commands.md 'Connection' (CLIENT)"),
    Allowed("scan_errors", "SCAN -1", R72 + " (a negative cursor is 'invalid cursor'); docs/commands.md 'Keys'"),
    Allowed("mb_over_1mi", "<probe: still open, nothing extra?>",
            "kvs refuses a multibulk header over 1 Mi arguments (Redis 7: INT_MAX; it waits for the "
            "arguments); docs/commands.md 'Protocol' (at most 1 Mi arguments)"),
]


# ----------------------------------------------------------------------------------------------
# Cases


def build_cases(kvs_commands, redis_arity):
    cases = []

    def case(group, name, items, **kw):
        cases.append(Case(group, name, items, **kw))

    # --- connection
    g = "connection"
    case(g, "ping_echo", ["PING", ("PING", "hello world"), "PING a b", "ping", "PiNg x",
                          "ECHO x", ("ECHO", ""), "ECHO", "ECHO a b", ("ECHO", b"bin\x00\r\nary")])
    case(g, "hello", ["HELLO", "HELLO 2", "HELLO 3", "PING", "HELLO 2", "PING"])
    case(g, "hello_errors", ["HELLO 4", "HELLO 1", "HELLO 0", "HELLO -1", "HELLO x", "HELLO 3 FOO",
                             "HELLO 3 AUTH default", "HELLO 2 SETNAME", "HELLO 3 AUTH a b",
                             "HELLO 3 AUTH default wrong", ("HELLO", "3", "SETNAME", "my name"),
                             "HELLO AUTH a b", "HELLO 4 FOO", "HELLO x FOO", "HELLO 3 SETNAME",
                             ("HELLO", "3", "AUTH", "default", "wrong", "SETNAME", "a b"),
                             "HELLO 3 SETNAME a AUTH", "HELLO 2 setname", "PING"])
    case(g, "hello_setname", ["HELLO 3 SETNAME nm", "CLIENT GETNAME",
                              "hello 2 setname other", "CLIENT GETNAME"])
    case(g, "select", ["SELECT 0", "SELECT x", "SELECT -1", "SELECT 16", "SELECT", "SELECT 0 1",
                       "SELECT 1", "SELECT 0", "SELECT 15", "SELECT 0", "SET k v", "GET k"])
    case(g, "client_name", ["CLIENT GETNAME", "CLIENT SETNAME foo", "CLIENT GETNAME",
                            ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "a\nb"),
                            ("CLIENT", "SETNAME", ""), "CLIENT GETNAME", "CLIENT SETNAME",
                            "CLIENT GETNAME x", "CLIENT SETNAME a b"])
    case(g, "client_misc", ["CLIENT ID", "CLIENT ID x", "CLIENT FOO", "CLIENT", "client foo bar",
                            "CLIENT KILL ID 1", "CLIENT INFO", "CLIENT LIST",
                            "CLIENT LIST TYPE normal", "CLIENT LIST TYPE bad",
                            "CLIENT LIST ID abc", "CLIENT LIST ID 999999", "CLIENT LIST FOO"])
    case(g, "client_setinfo", [("CLIENT", "SETINFO", "lib-name", "x"), "CLIENT SETINFO lib-ver 1.0",
                               ("CLIENT", "SETINFO", "LIB-NAME", "a b"), "CLIENT SETINFO lib-name",
                               "CLIENT SETINFO bad 1"])
    case(g, "reset", ["CLIENT SETNAME n", "HELLO 3", "RESET", "CLIENT GETNAME", "PING", "RESET x"])
    case(g, "quit", ["SET a 1", "QUIT"])
    case(g, "quit_pipelined", [RAW(enc([b"PING"]) + enc([b"QUIT"]) + enc([b"PING"]), 2)])
    case(g, "time_lastsave", ["TIME", "TIME x", "LASTSAVE", "LASTSAVE x"])

    # --- AUTH without a password
    g = "auth"
    case(g, "auth_nopass", ["AUTH x", "AUTH default x", "AUTH", "AUTH a b c", "AUTH someone x",
                            "auth default anything", "PING"])
    case(g, "hello_auth_nopass", ["HELLO 3 AUTH default whatever", "HELLO 2 AUTH other x", "PING"])

    # --- server: structural comparisons and a few exact ones
    g = "server"
    known = ["save", "maxmemory", "maxmemory-policy", "proto-max-bulk-len",
             "client-query-buffer-limit", "timeout", "requirepass", "appendfsync",
             "cluster-enabled", "notify-keyspace-events", "databases", "appendonly"]
    case(g, "config_get", ["CONFIG GET " + n for n in known]
         + ["CONFIG GET TIMEOUT", "CONFIG GET proto-max-*", "CONFIG GET appendfs?nc", "CONFIG GET timeout save",
            "CONFIG GET nonexistent", "CONFIG GET", "CONFIG", "CONFIG FOO", "config get Timeout"])
    case(g, "config_set", ["CONFIG SET foo bar", "CONFIG SET timeout x", "CONFIG SET timeout",
                           "CONFIG SET timeout 0", "CONFIG GET timeout", "CONFIG SET maxmemory 100mb",
                           "CONFIG GET maxmemory", "CONFIG SET maxmemory 1gb", "CONFIG GET maxmemory",
                           "CONFIG SET maxmemory 0", "CONFIG SET timeout 0 timeout 0",
                           "CONFIG GET maxmemory", "CONFIG RESETSTAT", "CONFIG RESETSTAT x",
                           "CONFIG REWRITE"])
    case(g, "info", ["INFO", "INFO default", "INFO server", "INFO SERVER", "INFO clients",
                     "INFO memory", "INFO persistence", "INFO stats", "INFO replication",
                     "INFO cpu", "INFO cluster", "INFO keyspace", "INFO bogus",
                     "INFO server clients"])
    case(g, "info_keyspace", ["MSET a 1 b 2 c 3", "EXPIRE a 100", "INFO keyspace", "DEL a b c",
                              "INFO keyspace"])
    # Every command kvs has (its COMMAND list) and every subcommand it implements, one by one,
    # then all at once.
    case(g, "command_info", [("COMMAND", "INFO", n) for n in sorted(kvs_commands)]
         + [("COMMAND", "INFO", n) for n in KVS_SUBCOMMANDS]
         + [("COMMAND", "INFO") + tuple(kvs_commands)])
    case(g, "command_misc", ["COMMAND INFO config|get client|setname get", "COMMAND FOO", "COMMAND INFO nosuch", "COMMAND COUNT x",
                             "COMMAND GETKEYS", "COMMAND GETKEYS get", "COMMAND GETKEYS nosuch a",
                             "COMMAND GETKEYS get a", "COMMAND GETKEYS mset a 1 b 2",
                             "COMMAND GETKEYS ping"])
    case(g, "dbsize_flush", ["DBSIZE", "MSET a 1 b 2", "DBSIZE", "DBSIZE x", "FLUSHDB", "DBSIZE",
                             "SET a 1", "FLUSHALL ASYNC", "DBSIZE", "FLUSHALL SYNC",
                             "FLUSHALL FOO", "FLUSHDB SYNC ASYNC", "flushall sync",
                             "FLUSHALL a b", "SAVE", "SAVE x", "BGSAVE x", "BGSAVE a b",
                             "BGREWRITEAOF x", "SHUTDOWN ABORT", "SHUTDOWN BOGUS", "DBSIZE"])

    # --- strings and SET options
    g = "strings"
    case(g, "set_basic", ["SET k v", "GET k", "GET nokey", "SET k v2", "GET k",
                          ("SET", "bin\x00key", "v\r\n\x00x"), ("GET", "bin\x00key"),
                          ("SET", "", ""), ("GET", ""), ("SET", "big", "x" * 100000), "STRLEN big"])
    case(g, "set_options", [
        "SET k v EX 0", "SET k v EX -1", "SET k v EX abc", "SET k v PX 0", "SET k v EX 1.5",
        "SET k v EX 10 PX 10", "SET k v NX XX", "SET k v KEEPTTL EX 10", "SET k v PX 9223372036854775807",
        "SET k v EX 9223372036854775807", "SET k v EX 922337203685477", "SET k v EX",
        "SET k v FOO", "SET k", "SET k v EX 10 EX 20", "SET k v NX NX", "SET k v KEEPTTL KEEPTTL",
        "SET k v GET GET", ("SET", "k", "v", "EX", " 1"), "SET k v EX +1", "SET k v EXAT 0",
        "SET k v PXAT -5", "SET k v EXAT 1", "EXISTS k", "SET k v PXAT 1", "EXISTS k",
        "SET k v EXAT 99999999999999", "SET k v PXAT 9223372036854775807", "EXISTS k"])
    case(g, "set_nx_xx_get", [
        "SET k v NX", "SET k v2 NX", "GET k", "SET k2 v XX", "EXISTS k2", "SET k v3 XX", "GET k",
        "SET k v4 GET", "SET k v5 XX GET", "SET k3 v XX GET", "SET k v6 NX GET", "SET k9 v NX GET",
        "GET k9", "set k v ex 100", "TTL k", "SET k w KEEPTTL", "TTL k", "SET k w", "TTL k",
        "SET k v EX 100 GET", "TTL k", "sEt k v Px 5000 nX", "SET k v px 100000 xx", "PTTL k"])
    case(g, "setnx_setex", [
        "SETNX a 1", "SETNX a 2", "GET a", "SETNX a", "SETEX b 0 v", "SETEX b -1 v", "SETEX b x v",
        "SETEX b 10 v", "TTL b", "GET b", "PSETEX c 0 v", "PSETEX c -5 v", "PSETEX c 100000 v",
        "PTTL c", "SETEX b 10", "SETEX b 9223372036854775807 v", "PSETEX b 9223372036854775807 v",
        "SETEX b 1.5 v", "SETEX a 100 new", "GET a", "TTL a"])
    case(g, "getset_getdel", [
        "GETSET a 1", "GETSET a 2", "GET a", "GETDEL a", "GETDEL a", "EXISTS a", "GETSET a",
        "GETDEL", "GETDEL a b", "SET t v EX 100", "GETSET t w", "TTL t", "GETDEL nokey"])

    # --- GETEX
    g = "getex"
    case(g, "getex", [
        "SET a v", "GETEX a", "TTL a", "GETEX a EX 100", "TTL a", "GETEX a PX 200000", "PTTL a",
        "GETEX a PERSIST", "TTL a", "GETEX a EXAT 9999999999", "TTL a", "EXPIRETIME a",
        "GETEX a PXAT 9999999999000", "PEXPIRETIME a", "GETEX a EX 0", "GETEX a EX -1",
        "GETEX a EX x", "GETEX a EX 10 PX 10", "GETEX a PERSIST EX 10", "GETEX a EX", "GETEX a FOO",
        "GETEX a KEEPTTL", "GETEX missing EX 10", "GETEX missing", "GETEX missing PERSIST",
        "GETEX a PERSIST PERSIST", "GETEX a EX 10 EX 20", "TTL a", "GETEX a EX 9223372036854775807",
        "GETEX a PX 9223372036854775807", "GETEX a EXAT 1", "EXISTS a", "GETEX", "getex A ex 5"])
    case(g, "getex_past", ["SET a v", "GETEX a PXAT 1", "EXISTS a", "SET b v", "GETEX b EX 1.5",
                           "GETEX b ex 100 persist"])

    # --- INCR family
    g = "incr"
    case(g, "incr_basic", ["INCR n", "INCRBY n 10", "DECR n", "DECRBY n 5", "GET n", "INCRBY n -3",
                           "DECRBY n -3", "INCR n x", "INCR", "INCRBY n", "DECRBY n", "DECR"])
    case(g, "incr_errors", [
        "INCRBY n x", "INCRBY n 1.5", "INCRBY n 1e3", ("INCRBY", "n", ""), "SET s abc", "INCR s",
        "DECR s", "SET m 9223372036854775807", "INCR m", "INCRBY m 0", "SET m -9223372036854775808",
        "DECR m", "DECRBY m 1", "DECRBY n -9223372036854775808", "DECRBY m -9223372036854775808",
        "INCRBY n 9223372036854775808", "INCRBY n -9223372036854775809", ("SET", "sp", " 1"),
        "INCR sp", "SET pl +1", "INCR pl", "SET z 01", "INCR z", ("SET", "e", ""), "INCR e",
        "SET big 99999999999999999999", "INCR big", "SET neg0 -0", "INCR neg0", "SET f 1.0",
        "INCR f", ("SET", "nl", "1\n"), "INCR nl", "INCRBY n +5", "INCRBY n 007", "GET n"])
    case(g, "incrbyfloat_basic", [
        "INCRBYFLOAT f 10.5", "INCRBYFLOAT f 0.1", "INCRBYFLOAT g 3.0e3", "SET h 1.1",
        "INCRBYFLOAT h 2.2", "INCRBYFLOAT h nan", "INCRBYFLOAT h inf", "INCRBYFLOAT h abc",
        "INCRBYFLOAT i 5", "INCRBYFLOAT i -5", "GET i", "SET s abc", "INCRBYFLOAT s 1",
        "INCRBYFLOAT k", "INCRBYFLOAT", "SET t 5 EX 100", "INCRBYFLOAT t 1", "TTL t"])

    # --- APPEND / STRLEN / GETRANGE / SETRANGE
    g = "append_range"
    case(g, "append_strlen", ["APPEND a hello", ("APPEND", "a", " world"), "STRLEN a", "GET a",
                              "STRLEN nokey", ("APPEND", "a", ""), ("APPEND", "b", ""), "EXISTS b",
                              "APPEND a", "STRLEN", "STRLEN a b", "SET t 1 EX 100", "APPEND t 2",
                              "TTL t", "GET t", "SET n 10", "APPEND n 5", "INCR n"])
    case(g, "getrange", [
        ("SET", "a", "hello world"), "GETRANGE a 0 4", "GETRANGE a -5 -1", "GETRANGE a 0 -1",
        "GETRANGE a 5 2", "GETRANGE a 100 200", "GETRANGE a -100 2", "GETRANGE a -100 -50",
        "GETRANGE a 0 100", "GETRANGE nokey 0 1", "GETRANGE a x 1", "GETRANGE a 0 y",
        "GETRANGE a 0", "GETRANGE a -1 -5", "GETRANGE a 9223372036854775807 9223372036854775807",
        "GETRANGE a -9223372036854775808 -9223372036854775808", "GETRANGE a 0 9223372036854775808",
        "SUBSTR a 0 1", "SUBSTR a -3 -1", ("SET", "e", ""), "GETRANGE e 0 -1", "GETRANGE e -1 -1",
        "GETRANGE e 0 0", "GETRANGE a 3 3", "GETRANGE a -1 0", "GETRANGE a 10 10", "GETRANGE a 11 11"])
    case(g, "setrange", [
        "SETRANGE a 0 hello", "SETRANGE a 10 x", "GET a", "SETRANGE a -1 x",
        "SETRANGE a 536870912 x", ("SETRANGE", "a", "536870911", ""), ("SETRANGE", "b", "5", ""),
        "EXISTS b", ("SETRANGE", "b", "0", ""), "EXISTS b", "SETRANGE a x y", "SETRANGE a 1",
        "SETRANGE a 2 ZZ", "GET a", ("SETRANGE", "c", "536870911", ""), ("SETRANGE", "a", "1", ""),
        "SETRANGE a 9223372036854775807 x", "SETRANGE a 1.5 x", "SET t abc EX 100",
        "SETRANGE t 1 Z", "TTL t", "GET t", "STRLEN a"])

    # --- MSET / MSETNX / MGET
    g = "mset_mget"
    case(g, "mset_mget", ["MSET a 1 b 2", "MGET a b c", "MSET a", "MSET a 1 b", "MGET", "MSET",
                          "MSET a 1 a 2", "MGET a", "MGET a a nokey a", "SET t v EX 100",
                          "MSET t w", "TTL t", "mset A 1 B 2", "MGET A B a b"])
    case(g, "msetnx", ["MSETNX a 1 z 2", "MSETNX x 1 y 2", "MGET x y z a", "MSETNX x 3 w 4",
                       "MGET x w", "MSETNX x", "MSETNX q 1 q 2", "GET q", "MSETNX", "MSETNX k v k2"])

    # --- EXPIRE family
    g = "expire"
    case(g, "expire_options", [
        "SET a 1", "EXPIRE a 100", "TTL a", "EXPIRE a 200 NX", "EXPIRE a 200 XX", "TTL a",
        "EXPIRE a 50 GT", "EXPIRE a 300 GT", "TTL a", "EXPIRE a 400 LT", "EXPIRE a 10 LT", "TTL a",
        "PERSIST a", "EXPIRE a 10 GT", "EXPIRE a 10 XX", "TTL a", "EXPIRE a 10 LT", "TTL a",
        "PERSIST a", "EXPIRE a 10 nx", "EXPIRE a 20 nx", "TTL a", "EXPIRE a 5 Gt", "EXPIRE a 50 lT", "EXPIRE zz 10",
        "EXPIRE zz 10 NX", "EXPIRE zz 10 XX"])
    case(g, "expire_errors", [
        "SET a 1", "EXPIRE a 10 NX XX", "EXPIRE a 10 GT LT", "EXPIRE a 10 NX GT", "EXPIRE a 10 XX GT",
        "EXPIRE a 10 XX LT", "EXPIRE a 10 FOO", "EXPIRE a x", "EXPIRE a 1.5", "EXPIRE a",
        ("EXPIRE", "a", ""), "EXPIRE a 10 NX NX", "EXPIRE a 20 XX XX", "EXPIRE a 5 GT GT", "EXPIRE a 50 LT LT",
        "PEXPIRE a 10 NX XX", "EXPIREAT a 10 GT LT", "PEXPIREAT a x", "PEXPIRE a 1.5",
        "EXPIRE a abc FOO", "EXPIRE a 99999999999999999 FOO", "EXPIRE a abc NX XX",
        "PEXPIREAT a x GT LT", "EXPIRE a 99999999999999999 NX", "TTL a"])
    case(g, "expire_overflow", [
        "SET e 1", "EXPIRE e 9223372036854775807", "PEXPIRE e 9223372036854775807",
        "EXPIREAT e 9223372036854775807", "PEXPIREAT e 9223372036854775807",
        "EXPIRE e -9223372036854775808", "EXPIRE e 92233720368547758", "PEXPIRE e 9223372036854770000",
        "EXPIRE e 9223372036854775808", "TTL e", "EXISTS e"])
    case(g, "expire_past", [
        "SET a 1", "EXPIRE a -1", "EXISTS a", "SET b 1", "PEXPIRE b 0", "EXISTS b", "SET c 1",
        "EXPIREAT c 9999999999", "EXPIRETIME c", "PEXPIRETIME c", "EXPIREAT c 1",
        "EXISTS c", "SET d 1", "PEXPIREAT d 99999999999999", "PEXPIRETIME d", "PEXPIREAT d 1 GT",
        "PEXPIREAT d 1 LT", "EXISTS d", "SET f 1", "EXPIRE f 0", "EXISTS f", "SET g 1",
        "EXPIRE g 0 XX", "EXISTS g", "SET h 1", "EXPIRE h -5 NX", "EXISTS h"])

    # --- TTL / PTTL / PERSIST / EXPIRETIME, real expiry
    g = "ttl"
    case(g, "ttl_basic", [
        "TTL zz", "PTTL zz", "SET a 1", "TTL a", "PTTL a", "EXPIRETIME a", "PEXPIRETIME a",
        "EXPIRETIME zz", "PEXPIRETIME zz", "EXPIRE a 100", "TTL a", "PTTL a", "PERSIST a",
        "PERSIST a", "PERSIST zz", "TTL a", "PERSIST", "PERSIST a b", "TTL", "TTL a b", "PTTL",
        "EXPIRETIME", "PEXPIRETIME a b"])
    case(g, "ttl_real_expiry", [
        "SET a 1 PX 100", "SET b 1 EX 100", "PSETEX c 100 v", "SET d 5 PX 100", "SLEEP", "GET a",
        "EXISTS a c", "TTL a", "PTTL c", "DBSIZE", "KEYS *", SCANALL(), "RANDOMKEY", "INCR d",
        "TTL d", "SETNX c again", "GET c"])
    case(g, "ttl_kept_or_cleared", [
        "SET k 1 EX 1000", "APPEND k x", "TTL k", "SETRANGE k 0 z", "TTL k", "SET n 1 EX 1000",
        "INCR n", "TTL n", "DECRBY n 1", "TTL n", "INCRBYFLOAT n 1.5", "TTL n", "RENAME k k2",
        "TTL k2", "SET k2 v KEEPTTL", "TTL k2", "GETSET k2 v", "TTL k2", "SET k3 v EX 1000",
        "MSET k3 w", "TTL k3", "SET k4 v EX 1000", "GETEX k4", "TTL k4", "SET k5 v EX 1000",
        "SETNX k5 w", "TTL k5", "MSETNX k5 1", "TTL k5", "SET k6 v EX 1000", "SET k6 w",
        "TTL k6"])

    # --- RENAME
    g = "rename"
    case(g, "rename", [
        "RENAME zz yy", "SET a 1", "RENAME a a", "RENAME a b", "GET b", "EXISTS a", "SET c 2",
        "RENAMENX b c", "RENAMENX b d", "GET d", "RENAMENX zz e", "RENAME a", "RENAME a b c",
        "RENAMENX a", "EXPIRE d 100", "RENAME d f", "TTL f", "RENAMENX f f", "RENAME f f",
        "SET g 1", "RENAME f g", "TTL g", "GET g", "RENAMENX zz zz", "rename G g"])

    # --- EXISTS / DEL / UNLINK / TYPE / RANDOMKEY
    g = "keys"
    case(g, "del_exists_type", [
        "MSET a 1 b 2 c 3", "DEL a a zz", "UNLINK b b", "EXISTS c c c zz", "EXISTS", "DEL",
        "UNLINK", "TYPE c", "TYPE zz", "TYPE", "TYPE a b", "DEL c", "EXISTS c", "MSET x 1 y 2 z 3",
        "DEL x y z w", "DBSIZE", "RANDOMKEY", "SET r 1", "RANDOMKEY", "RANDOMKEY x", "exists R r",
        "Del r", "type r"])

    # --- KEYS / SCAN
    g = "keys_scan"
    mset = ["MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1",
            "h*llo", "1", "h?llo", "1", "a[b", "1", "x\\y", "1", "", "e", "Hello", "1"]
    case(g, "keys_glob", [mset] + [("KEYS", p) for p in [
        "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "h\\?llo", "a[b",
        "a\\[b", "x\\\\y", "*", "", "h[z-a]llo", "h[!e]llo", "H*", "h[a-]llo", "*\\", "[", "\\",
        "h*", "*llo", "?", "*[", "h[^]llo", "nomatch"]] + ["KEYS", "KEYS a b"])
    case(g, "scan_full", [mset, SCANALL(), SCANALL("MATCH", "h*"), SCANALL("MATCH", "h?llo"),
                          SCANALL("COUNT", "1"), SCANALL("TYPE", "string"), SCANALL("TYPE", "list"),
                          SCANALL("MATCH", "*", "COUNT", "1000", "TYPE", "STRING"),
                          SCANALL("match", "H*", "count", "2"),
                          "SCAN 0 MATCH h?llo COUNT 1000", "SCAN 0 COUNT 1000 TYPE hash"])
    case(g, "scan_errors", [
        "MSET k1 1 k2 1", "SCAN abc", "SCAN -1", "SCAN 18446744073709551616", "SCAN 0 COUNT 0",
        "SCAN 0 COUNT -1", "SCAN 0 COUNT x", "SCAN 0 MATCH", "SCAN 0 COUNT", "SCAN 0 TYPE",
        "SCAN 0 FOO bar", "SCAN", ("SCAN", " 0"), "SCAN +0", "SCAN 1.5", "SCAN 0 TYPE bogus COUNT 100",
        "SCAN 0 COUNT 100 MATCH k* MATCH *1", "SCAN 0 count 1000 count 1000 COUNT 1000"])

    # --- SETBIT / GETBIT
    g = "strings"
    case(g, "setbit_getbit", [
        "SETBIT k 7 1", "GET k", "GETBIT k 7", "GETBIT k 6", "GETBIT k 100", "GETBIT zz 0",
        "SETBIT k 7 1", "SETBIT k 7 0", "STRLEN k", "SETBIT k 100 1", "STRLEN k", "SETBIT k -1 1",
        "SETBIT k x 1", "SETBIT k 1 2", "SETBIT k 1 -1", "SETBIT k 1 x", "SETBIT k 4294967296 0",
        "GETBIT k 4294967296", "GETBIT k -1", "SET n 1234", "GETBIT n 2", "SETBIT t 0 0",
        "EXISTS t", "SET x v EX 100", "SETBIT x 0 1", "TTL x", "SETBIT k 1", "GETBIT k",
        "SETBIT k 1.5 1", "GETBIT k +1"])

    # --- LCS (fixed strings plus seeded random ones: the chosen subsequence and ranges must match)
    import random
    rng = random.Random(7)
    lcs_pairs = [("ohmytext", "mynewtext"), ("xyzabcabc", "abcxyzzz"), ("", "abc"), ("aaaa", "aa")]
    lcs_pairs += [("".join(rng.choice("abc") for _ in range(rng.randint(0, 30))),
                   "".join(rng.choice("abc") for _ in range(rng.randint(0, 30)))) for _ in range(12)]
    lcs_steps = []
    for n, (x, y) in enumerate(lcs_pairs):
        lcs_steps += [("MSET", f"l{n}a", x, f"l{n}b", y), f"LCS l{n}a l{n}b", f"LCS l{n}a l{n}b LEN",
                      f"LCS l{n}a l{n}b IDX WITHMATCHLEN", f"LCS l{n}a l{n}b IDX MINMATCHLEN 2"]
    case(g, "lcs", lcs_steps + [
        "LCS l0a l0b LEN IDX", "LCS l0a l0b MINMATCHLEN", "LCS l0a l0b MINMATCHLEN x",
        "LCS l0a l0b FOO", "LCS nx1 nx2 IDX", "LCS l0a l0b IDX MINMATCHLEN -5", "LCS l0a"])

    # --- COPY (strings; one database: DB 0 only)
    g = "keys"
    case(g, "copy", [
        "SET a 1", "COPY a b", "GET b", "COPY a b", "COPY a b REPLACE", "COPY a a", "COPY a c DB 0",
        "COPY a c DB x", "COPY a c DB", "COPY a c foo", "COPY zz c", "COPY a c REPLACE DB 99999999999",
        "SET e v EX 100", "COPY e f", "TTL f", "COPY a b REPLACE REPLACE", "COPY a", "copy A B",
        "COPY a a DB x", "COPY a a REPLACE"])

    # --- MULTI / EXEC / DISCARD / WATCH / UNWATCH (one connection: its own writes touch)
    g = "multi"
    case(g, "multi_exec", [
        "MULTI", "SET a 1", "INCR a", "GET a", "PING", "ECHO hi", "EXEC", "GET a",
        "MULTI", "EXEC", "EXEC", "DISCARD", "MULTI", "MULTI", "SET z 1", "DISCARD", "GET z",
        "MULTI", "SET s abc", "INCR s", "GET s", "SET c 1 XX NX", "COPY s s", "EXEC",
        "multi", "set lower 1", "exec"])
    case(g, "multi_abort", [
        "MULTI", "SET b", "SET b 2", "EXEC", "GET b",
        "MULTI", "FOO", "SET b 3", "EXEC", "GET b",
        "MULTI", "SAVE", "EXEC",
        "MULTI", "CLIENT FOO", "EXEC",
        "MULTI", "CONFIG GET", "EXEC",
        "MULTI", "SET q v", "RESET", "EXEC", "GET q",
        "MULTI", "GET", "EXEC", "MULTI x", "EXEC x", "DISCARD x"])
    case(g, "watch", [
        "WATCH", "SET w 1", "WATCH w", "MULTI", "PING", "EXEC",
        "WATCH w", "SET w 2", "MULTI", "PING", "EXEC",
        "MULTI", "WATCH w", "EXEC", "UNWATCH", "UNWATCH x",
        "WATCH w x y", "UNWATCH", "SET w 3", "MULTI", "INCR w", "EXEC",
        "WATCH w", "EXEC", "MULTI", "UNWATCH", "EXEC",
        "WATCH w nosuch", "DEL nosuch", "INCR nosuch2", "MULTI", "GET w", "EXEC",
        "WATCH w", "SET w 4", "MULTI", "EXEC",
        "WATCH w", "MULTI", "GET", "EXEC", "SET w 5", "MULTI", "GET w", "EXEC",
        "WATCH w", "SET w 6", "MULTI", "DISCARD", "MULTI", "INCR w", "EXEC",
        "WATCH w", "FLUSHALL", "MULTI", "PING", "EXEC",
        "WATCH w", "FLUSHALL", "MULTI", "PING", "EXEC"])

    # --- sets. Random commands only where the outcome is fixed (a one-member set, a count
    # covering the whole set, a count of 0); SSCAN only over sets Redis answers in one step
    # (an intset, or a small hash table with COUNT at least its size).
    g = "sets"
    case(g, "sadd_srem", [
        "SADD s a b c", "SADD s a d", "SADD s a a", "SCARD s", "SMEMBERS s", "TYPE s",
        "SISMEMBER s a", "SISMEMBER s z", "SISMEMBER nokey a", "SMISMEMBER s a z b",
        "SMISMEMBER nokey a b", "SREM s a z", "SREM s z", "SREM nokey a", "SREM s b c d",
        "EXISTS s", "SCARD s", "SMEMBERS s", "SADD n 3 1 2 -5 10", "SMEMBERS n", "SADD n x",
        "SMEMBERS n", ("SADD", "b", "a\x00b", "", "x\r\ny"), ("SISMEMBER", "b", ""),
        ("SREM", "b", "a\x00b"), "SMEMBERS b", "SADD s", "SREM s", "SISMEMBER s", "SMISMEMBER s",
        "SCARD", "SMEMBERS", "sadd LOW x", "sMeMbErS LOW"])
    case(g, "wrongtype", [
        "SET str x", "SADD s a", "SADD str a", "SREM str a", "SCARD str", "SISMEMBER str a",
        "SMISMEMBER str a", "SMEMBERS str", "SPOP str", "SPOP str 2", "SRANDMEMBER str",
        "SRANDMEMBER str -2", "SMOVE str s a", "SMOVE s str a", "SMOVE s str zz", "SMOVE nokey str a",
        "SINTER s str", "SINTER nokey str", "SUNION s str", "SDIFF s str", "SDIFF nokey str",
        "SINTERCARD 2 s str", "SINTERCARD 2 nokey str", "SINTERSTORE d s str",
        "SUNIONSTORE d s str", "SDIFFSTORE d s str", "EXISTS d", "SSCAN str 0", "SSCAN str x",
        "GET s", "INCR s", "APPEND s x", "GET str", "SMEMBERS s"])
    case(g, "spop_srandmember", [
        "SADD one x", "SRANDMEMBER one", "SRANDMEMBER one 1", "SRANDMEMBER one 5",
        "SRANDMEMBER one -3", "SRANDMEMBER one 0", "SRANDMEMBER one -1", "SPOP one 0", "SPOP one",
        "EXISTS one", "SPOP one", "SPOP one 3", "SRANDMEMBER one", "SRANDMEMBER one 3",
        "SRANDMEMBER one -3", "SADD s a b c 1", "SRANDMEMBER s 4", "SRANDMEMBER s 100",
        "SPOP s 4", "EXISTS s", "SADD i 1 2 3", "SPOP i 9223372036854775807", "EXISTS i",
        "SADD t q", "SPOP t 1", "EXISTS t",
        "SPOP s x", "SPOP s -1", "SPOP nokey -1", "SPOP s 1.5", "SPOP s 9223372036854775808",
        "SPOP s 1 2", "SRANDMEMBER s x", "SRANDMEMBER s -9223372036854775808",
        "SRANDMEMBER nokey -9223372036854775808", "SRANDMEMBER s 9223372036854775808",
        "SRANDMEMBER s 1 2", "SPOP", "SRANDMEMBER"])
    case(g, "smove", [
        "SADD src a b", "SADD dst c", "SMOVE src dst a", "SMEMBERS src", "SMEMBERS dst",
        "SMOVE src dst zz", "SMOVE src new b", "EXISTS src", "SMEMBERS new", "SMOVE nokey dst a",
        "SMOVE dst dst c", "SMOVE dst dst zz", "SADD src c", "SMOVE src dst c", "EXISTS src",
        "SMEMBERS dst", "SMOVE dst", "SMOVE a b", "SMOVE a b c d"])
    case(g, "inter_union_diff", [
        "SADD a 1 2 3 4 x", "SADD b 2 3 x y", "SADD c 3 x z", "SINTER a b c", "SINTER a b",
        "SINTER a", "SINTER a nokey", "SINTER nokey", "SINTER a a b", "SUNION a b c",
        "SUNION a nokey", "SUNION nokey", "SDIFF a b c", "SDIFF a b", "SDIFF a", "SDIFF a nokey",
        "SDIFF nokey a", "SDIFF a a", "SDIFF a b a", "SDIFF b a", "SINTERCARD 3 a b c",
        "SINTERCARD 2 a b", "SINTERCARD 2 a b LIMIT 1", "SINTERCARD 2 a b limit 0",
        "SINTERCARD 2 a b LIMIT 100", "SINTERCARD 1 a", "SINTERCARD 2 a nokey",
        "SINTERCARD 1 a LIMIT 2 LIMIT 3", "SINTER", "SUNION", "SDIFF"])
    case(g, "sintercard_errors", [
        "SADD a 1", "SINTERCARD 0 a", "SINTERCARD -1 a", "SINTERCARD x a", "SINTERCARD 1.0 a",
        "SINTERCARD 2 a", "SINTERCARD 1 a LIMIT", "SINTERCARD 1 a LIMIT -1", "SINTERCARD 1 a LIMIT x",
        "SINTERCARD 1 a FOO 1", "SINTERCARD 1 a b", "SINTERCARD 1 a LIMIT 1 b",
        "SINTERCARD 9223372036854775808 a", "SINTERCARD 1 a LIMIT 9223372036854775808",
        "SINTERCARD 1", "SINTERCARD"])
    case(g, "store", [
        "SADD a 1 2 3 x", "SADD b 2 3 y", "SINTERSTORE d a b", "SMEMBERS d", "SUNIONSTORE d a b",
        "SMEMBERS d", "SDIFFSTORE d a b", "SMEMBERS d", "SINTERSTORE d a nokey", "EXISTS d",
        "SET str v PX 100", "SUNIONSTORE str a", "TYPE str", "SLEEP", "EXISTS str",
        "SMEMBERS str",
        "SET str v", "SDIFFSTORE str a b", "TYPE str", "SET str v", "SINTERSTORE str a b",
        "SCARD str", "SET str v", "SINTERSTORE str nokey a", "EXISTS str", "SET str v",
        "SDIFFSTORE str a a", "EXISTS str", "SINTERSTORE a a b", "SMEMBERS a",
        "SUNIONSTORE b b a", "SMEMBERS b", "SDIFFSTORE b b a", "SMEMBERS b",
        "SUNIONSTORE d nokey", "EXISTS d", "SINTERSTORE d", "SUNIONSTORE", "SDIFFSTORE d"])
    case(g, "sscan", [
        "SADD n 5 1 3", "SSCAN n 0", "SSCAN n 0 MATCH 1", "SSCAN n 0 MATCH *", "SSCAN n 7",
        "SSCAN n 0 COUNT 1", "SADD s a ab b abc", "SSCAN s 0 COUNT 100", "SSCAN s 0 MATCH a*",
        "SSCAN s 0 match a? COUNT 100", "SSCAN s 0 MATCH x*", "SSCAN s +0 MATCH [ab]",
        ("SSCAN", "s", "", "MATCH", "b"), "SSCAN s 0 MATCH a* MATCH b*", "SSCAN nokey 0",
        "SSCAN nokey 0 COUNT 0", "SSCAN nokey 0 FOO", "SSCAN nokey x", "SSCAN s x",
        "SSCAN s 1.5", ("SSCAN", "s", " 0"), "SSCAN s 18446744073709551616", "SSCAN s 0 COUNT 0",
        "SSCAN s 0 COUNT -1", "SSCAN s 0 COUNT x", "SSCAN s 0 MATCH", "SSCAN s 0 TYPE set",
        "SSCAN s 0 FOO bar", "SSCAN s", "SSCAN"])
    case(g, "sets_in_multi", [
        "SADD m a", "MULTI", "SADD m b", "SREM m b", "SPOP m", "EXISTS m", "SADD m2 q",
        "SMOVE m2 m3 q", "SMEMBERS m3", "SINTERCARD 1 m3", "SPOP m3 5", "SPOP m2 x", "EXEC",
        "WATCH w", "SADD w a", "MULTI", "SCARD w", "EXEC",
        "SADD w2 a", "WATCH w2", "SREM w2 nope", "SMOVE nokey w2 a", "MULTI", "SCARD w2", "EXEC"])
    case(g, "sets_getkeys", [
        "COMMAND GETKEYS SINTERCARD 2 a b LIMIT 1", "COMMAND GETKEYS SINTERCARD 3 a b",
        "COMMAND GETKEYS SINTERCARD 0 a", "COMMAND GETKEYS SINTERCARD 2abc a b",
        "COMMAND GETKEYS SINTERCARD 1", "COMMAND GETKEYS SMOVE a b m",
        "COMMAND GETKEYS SINTERSTORE d a b", "COMMAND GETKEYS SDIFF a b c",
        "COMMAND GETKEYS SSCAN k 0 MATCH x", "COMMAND GETKEYS SPOP k 2"])
    case(g, "sets_big", [
        ["SADD", "big"] + ["m%d" % i for i in range(3000)], "SCARD big",
        ["SADD", "big"] + ["m%d" % i for i in range(2990, 3010)], "SCARD big",
        "SISMEMBER big m2999", "SINTERCARD 1 big", "SINTERCARD 1 big LIMIT 10",
        ["SADD", "odd"] + ["m%d" % i for i in range(1, 3010, 2)], "SINTERCARD 2 big odd",
        "SDIFFSTORE even big odd", "SCARD even", "SISMEMBER even m2", "SISMEMBER even m3",
        "SUNIONSTORE all even odd", "SCARD all", "SRANDMEMBER big 5000", "SPOP all 10000",
        "EXISTS all", ["SREM", "big"] + ["m%d" % i for i in range(3010)], "EXISTS big"])
    # --- hashes (HRANDFIELD is random: only its fixed answers are compared, see norm_hrandfield;
    # no huge negative count: Redis builds that reply until it runs out of memory)
    g = "hashes"
    case(g, "hash_fields", [
        "HSET h a 1 b 2", "HSET h a 10 c 3", "HGET h a", "HGET h zz", "HGET nokey a",
        "HMGET h a zz c", "HMGET nokey a b", "HEXISTS h b", "HEXISTS h zz", "HEXISTS nokey a",
        "HSTRLEN h a", "HSTRLEN h zz", "HSTRLEN nokey a", "HSETNX h a x", "HSETNX h d 4",
        "HSETNX new f v", "HMSET h e 5 a 11", "HGET h a", "HLEN h", "HLEN nokey", "TYPE h",
        ("HSET", "h", "", ""), ("HGET", "h", ""), ("HSTRLEN", "h", ""),
        ("HSET", "h", b"f\x00\r\n", b"\xff\x00v"), ("HGET", "h", b"f\x00\r\n"), "HLEN h",
        "hset H x y", "HGET H x", "hget h X",
        "HSET h", "HSET h a", "HSET h a 1 b", "HMSET h a 1 b", "HSETNX h a", "HSETNX h a 1 b",
        "HMGET h", "HDEL h", "HLEN h x", "HGETALL", "HKEYS h x"])
    case(g, "hash_whole", [
        "HSET h a 1 b 2 c 3", "HGETALL h", "HKEYS h", "HVALS h", "HLEN h", "HGETALL nokey",
        "HKEYS nokey", "HVALS nokey", "HDEL h b", "HGETALL h", "HSET h b 22 d 4", "HGETALL h",
        "HKEYS h", "HVALS h"])
    case(g, "hash_hdel", [
        "HSET h a 1 b 2 c 3", "HDEL h a zz a", "HDEL h zz", "HDEL nokey a", "HLEN h",
        "HDEL h b c d", "EXISTS h", "TYPE h", "HLEN h", "HGETALL h", "HSET h x 9", "HGETALL h",
        "HGET h b", "DEL h", "HGET h x", "DBSIZE"])
    case(g, "hash_wrongtype", [
        "SET s str", "HSET s a b", "HMSET s a b", "HSETNX s a b", "HGET s a", "HMGET s a",
        "HEXISTS s a", "HSTRLEN s a", "HGETALL s", "HKEYS s", "HVALS s", "HLEN s", "HDEL s a",
        "HINCRBY s a 1", "HINCRBYFLOAT s a 1", "HRANDFIELD s", "HRANDFIELD s 0",
        "HRANDFIELD s -1 WITHVALUES", "HSCAN s 0", "HSCAN s 0 COUNT 0", "HSCAN s x", "GET s",
        "HSET h f v", "GET h", "GETSET h x", "GETDEL h", "GETEX h", "GETEX h PERSIST",
        "APPEND h x", "STRLEN h", "GETRANGE h 0 1", "SETRANGE h 0 x", "INCR h", "INCRBY h 2",
        "DECR h", "DECRBY h 1", "INCRBYFLOAT h 1", "SETBIT h 0 1", "GETBIT h 0", "MGET h s",
        "SETNX h x", "SET h x NX", "SET h x GET", "SET h x NX GET", "SET h x XX GET",
        "MSETNX h x k y", "LCS s h", "LCS h nokey", "LCS nokey h LEN", "HGET h f",
        "SET h x XX", "TYPE h", "HGET h f", "GET h", "HSET h2 f v", "SET h2 y KEEPTTL",
        "TYPE h2", "HSET h3 f v", "SET h3 y", "GET h3", "EXISTS h h2 h3 s", "DEL h2 h3",
        "HSET h4 f v", "MSET h4 x", "GET h4"])
    case(g, "hash_incr", [
        "HINCRBY c x 5", "HINCRBY c x -7", "HINCRBYFLOAT c y 10.50", "HINCRBYFLOAT c y 1.5e1",
        "HINCRBYFLOAT c y -0.0", "HINCRBYFLOAT c z 5.0e3", "HINCRBYFLOAT c x 0.5", "HGETALL c",
        ("HSET", "n", "i", "9223372036854775807", "m", "-9223372036854775808", "f", "1.5",
         "sp", " 1", "t", "abc", "inf", "inf", "nul", b"1\x002", "e", "1e3", "h", "0x10"),
        "HINCRBY n i 1", "HINCRBY n m -1", "HGET n i", "HINCRBY n i -1", "HINCRBY n m 0",
        "HINCRBY n f 1", "HINCRBY n sp 1", "HINCRBY n t 1", "HINCRBY n inf 1", "HINCRBY n nul 1",
        "HINCRBY n e 1", "HINCRBYFLOAT n e 1", "HINCRBYFLOAT n h 1", "HINCRBYFLOAT n sp 1",
        "HINCRBYFLOAT n t 1", "HINCRBYFLOAT n nul 1", "HINCRBYFLOAT n inf 1",
        "HINCRBYFLOAT n f 0.1", "HINCRBYFLOAT n i 1", "HINCRBYFLOAT n big 1e308",
        "HINCRBYFLOAT n big 1e308", "HINCRBYFLOAT n huge 1e4932", "HINCRBYFLOAT n huge 1e4932",
        "HINCRBYFLOAT n tiny 1e-4931", "HINCRBYFLOAT n neg -1e-10", "HINCRBYFLOAT n exact 0.1",
        "HINCRBYFLOAT n exact 0.2", "HGETALL n",
        "HINCRBY s a x", "HINCRBY s a 1.5", "HINCRBY s a 9223372036854775808", ("HINCRBY", "s", "a", ""),
        "HINCRBYFLOAT s a abc", "HINCRBYFLOAT s a nan", ("HINCRBYFLOAT", "s", "a", ""),
        "HINCRBYFLOAT s a inf", "HINCRBYFLOAT s a -inf", "HINCRBYFLOAT s a +inf",
        "HINCRBYFLOAT s a 1e5000", "HINCRBYFLOAT s a 0x10", "EXISTS s"])
    case(g, "hrandfield", [
        "HRANDFIELD nokey", "HRANDFIELD nokey 5", "HRANDFIELD nokey -5 WITHVALUES",
        "HRANDFIELD nokey 0", "HSET h a 1", "HRANDFIELD h", "HRANDFIELD h 1", "HRANDFIELD h -3",
        "HRANDFIELD h -3 WITHVALUES", "HRANDFIELD h 5 withvalues", "HRANDFIELD h 0",
        "HRANDFIELD h 0 WITHVALUES", "HRANDFIELD h -1", "HRANDFIELD h x", "HRANDFIELD h 1 x",
        "HRANDFIELD h 1 withvalues x", "HRANDFIELD h -9223372036854775808",
        "HRANDFIELD h 9223372036854775807",
        "HRANDFIELD h -9223372036854775807 WITHVALUES", "HRANDFIELD h 4611686018427387904 WITHVALUES",
        "HRANDFIELD h 4611686018427387903 WITHVALUES", "HRANDFIELD h -4611686018427387904 WITHVALUES",
        "HRANDFIELD h 9223372036854775808",
        "HRANDFIELD nokey x", "HRANDFIELD nokey 1 foo", "HRANDFIELD h 1.5", "HRANDFIELD h +1",
        "HSET h b 2 c 3 d 4", "HRANDFIELD h 4", "HRANDFIELD h 5", "HRANDFIELD h 100 WITHVALUES",
        "HRANDFIELD h 4 WITHVALUES", "HRANDFIELD h 0"])
    case(g, "hscan", [
        "HSCAN nokey 0", "HSCAN nokey 0 COUNT 0", "HSCAN nokey abc",
        "HSET h a1 1 a2 2 a3 3 b1 4", "HSCAN h 0", "HSCAN h 0 COUNT 1", "HSCAN h 0 MATCH *",
        "HSCAN h 0 match a*", "HSCAN h 0 MATCH b[0-9]", "HSCAN h 0 MATCH zz*",
        "HSCAN h 0 MATCH a* COUNT 5 MATCH ?1", "HSCAN h 0 MATCH [^a]1", ("HSCAN", "h", "0", "MATCH", "a\\2"),
        "HSCAN h 7", "HSCAN h +5", "HSCAN h -1", ("HSCAN", "h", ""), "HSCAN h 007",
        "HSCAN h 18446744073709551615", "HSCAN h -18446744073709551615", ("HSCAN", "h", b"5\x00x"),
        "HSCAN h abc", ("HSCAN", "h", " 0"), ("HSCAN", "h", "0 "), "HSCAN h 1.5", "HSCAN h 0x1",
        "HSCAN h +", "HSCAN h -", "HSCAN h 18446744073709551616", "HSCAN h -18446744073709551616",
        "HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT -1", "HSCAN h 0 COUNT x", "HSCAN h 0 COUNT",
        "HSCAN h 0 MATCH", "HSCAN h 0 TYPE hash", "HSCAN h 0 NOVALUES", "HSCAN h 0 foo bar",
        "HSCAN h 0 COUNT 10 MATCH", "HSCAN h 0 COUNT 9223372036854775808", "HSCAN h x COUNT 0",
        "HSCAN h"])
    big = ["HSET", "big"] + [x for i in range(3000) for x in ("f%d" % i, "v%d" % i)]
    case(g, "hash_big", [
        big, "HLEN big", "HGET big f0", "HGET big f2999", "HSTRLEN big f2999", "HGETALL big",
        "HKEYS big", "HVALS big", HSCANALL("big"), HSCANALL("big", "COUNT", "1000"),
        HSCANALL("big", "MATCH", "f99*"), "HRANDFIELD big 3000", "HRANDFIELD big 5000 WITHVALUES",
        ["HSET", "big"] + [x for i in range(2000, 4000) for x in ("f%d" % i, "w%d" % i)],
        ["HDEL", "big"] + ["f%d" % i for i in range(0, 4000, 2)] + ["nope"], "HLEN big",
        "HGETALL big", HSCANALL("big", "MATCH", "f1*"), "HEXISTS big f10", "HEXISTS big f11"])
    case(g, "hash_multi", [
        "SET s str", "MULTI", "HSET h a 1 b 2", "HINCRBY h a 10", "HGET h a", "HSET s x y",
        "HDEL h a b", "EXISTS h", "HSCAN h 0", "HSET h c 3", "HRANDFIELD h -2 WITHVALUES",
        "HGETALL h", "HSCAN h x", "HRANDFIELD h 1 foo", "HSCAN h 0 COUNT 0", "EXEC",
        "MULTI", "HSET h", "HGET h c", "EXEC", "HGET h c",
        "WATCH h", "HSET h c 4", "MULTI", "HGET h c", "EXEC",
        "WATCH h", "HDEL h nope", "HSETNX h c 5", "MULTI", "HGET h c", "EXEC",
        "WATCH h", "HDEL h c", "MULTI", "EXISTS h", "EXEC"])

    # --- FUNCTION / SCRIPT on a server with no scripts
    g = "scripting"
    case(g, "function_script", [
        "FUNCTION FLUSH", "FUNCTION FLUSH ASYNC", "function flush sync", "FUNCTION FLUSH foo",
        "FUNCTION FLUSH a b", "FUNCTION foo", "FUNCTION", "FUNCTION LIST", "FUNCTION LIST WITHCODE",
        "FUNCTION LIST LIBRARYNAME x WITHCODE", "FUNCTION LIST LIBRARYNAME",
        "FUNCTION LIST WITHCODE WITHCODE", "FUNCTION LIST x", "FUNCTION HELP", "FUNCTION HELP x",
        "SCRIPT FLUSH", "SCRIPT FLUSH SYNC", "script flush async", "SCRIPT FLUSH x",
        "SCRIPT FLUSH a b", "SCRIPT EXISTS", "SCRIPT EXISTS a", "SCRIPT EXISTS a b c", "SCRIPT",
        "SCRIPT HELP", "SCRIPT HELP x", "SCRIPT foo"])

    # --- lists: push, pop, index, range, set, insert, remove, trim, search, move
    g = "lists"
    case(g, "push_pop_range", [
        "RPUSH l a b c", "LPUSH l z y", "LRANGE l 0 -1", "LRANGE l -2 -1", "LRANGE l 1 1",
        "LRANGE l 3 1", "LRANGE l -100 100", "LRANGE l 10 20", "LRANGE nope 0 -1", "LLEN l",
        "LLEN nope", "LINDEX l 0", "LINDEX l -1", "LINDEX l 5", "LINDEX l -6", "LINDEX nope 0",
        "LPOP l", "RPOP l", "LPOP l 2", "LPOP l 0", "RPOP l 10", "EXISTS l", "LPOP l",
        "LPOP l 2", "RPOP nope 3", "LPUSHX l a", "RPUSHX l a", "RPUSH l x", "LPUSHX l w v",
        "RPUSHX l y", "LRANGE l 0 -1", "TYPE l", "OBJECT ENCODING l"])
    case(g, "list_errors", [
        "SET s v", "LPUSH s a", "RPUSH s a", "LPOP s", "LLEN s", "LINDEX s 0", "LRANGE s 0 1",
        "RPUSH l a", "LPOP l -1", "LPOP l x", "LPOP l 1 2", "LINDEX l x", "LRANGE l a 1",
        "LRANGE l 0 b", "LPUSH", "LPUSH l", "RPOP", "LLEN", "LLEN a b", "LINDEX l",
        "LRANGE l 0", "HSET h f v", "LPUSH h a", "SADD st m", "RPOP st"])
    case(g, "list_multi", [
        "MULTI", "RPUSH l 1 2 3", "LPOP l", "RPUSH l 4", "LRANGE l 0 -1", "LLEN l", "EXEC",
        "LRANGE l 0 -1",
        "MULTI", "LSET l x 1", "LTRIM l a 1", "LPOS l 2 RANK 0", "LINSERT l SIDEWAYS 2 9",
        "LSET l 0 first", "EXEC", "LRANGE l 0 -1"])
    case(g, "lset_linsert", [
        "LSET nope 0 x", "LSET nope x y", "RPUSH l a b c", "LSET l 0 A", "LSET l -1 C",
        "LSET l 3 x", "LSET l -4 x", "LSET l x y", "LRANGE l 0 -1", "LINSERT l BEFORE b B",
        "LINSERT l after b bb", "LINSERT l AFTER C end", "LINSERT l before A start",
        "LINSERT l BEFORE nope x", "LINSERT nope BEFORE a x", "LINSERT l middle a x",
        "LRANGE l 0 -1", "LLEN l", "SET s v", "LSET s 0 x", "LINSERT s BEFORE a b",
        "LSET l", "LINSERT l BEFORE a"])
    case(g, "linsert_many_at_one_place", [
        "RPUSH l head tail"] + [f"LINSERT l BEFORE tail e{i}" for i in range(40)] +
        ["LRANGE l 0 -1", "LINDEX l 20", "LLEN l"])
    case(g, "lrem_ltrim", [
        "RPUSH l a b a c a b a", "LREM l 2 a", "LRANGE l 0 -1", "LREM l -1 a", "LRANGE l 0 -1",
        "LREM l 0 b", "LRANGE l 0 -1", "LREM l 0 zz", "LREM l x a", "LREM nope 0 a",
        "LREM l 0 c", "LREM l 0 a", "EXISTS l", "RPUSH l 1 2 3 4 5 6", "LTRIM l 1 -2",
        "LRANGE l 0 -1", "LTRIM l -2 100", "LRANGE l 0 -1", "LTRIM l 5 1", "EXISTS l",
        "LTRIM nope 0 1", "LTRIM l a b", "RPUSH l x", "LTRIM l 0 x", "SET s v", "LTRIM s 0 1",
        "LREM s 0 a", "LTRIM l 0", "LREM l 0"])
    case(g, "lpos", [
        "RPUSH l a b c 1 2 3 c c", "LPOS l c", "LPOS l c RANK 2", "LPOS l c RANK -1",
        "LPOS l c RANK -3", "LPOS l c RANK 5", "LPOS l c COUNT 0", "LPOS l c COUNT 2",
        "LPOS l c COUNT 0 RANK -1", "LPOS l c COUNT 0 MAXLEN 3", "LPOS l c MAXLEN 2",
        "LPOS l c MAXLEN 3", "LPOS l x", "LPOS l x COUNT 5", "LPOS nope x", "LPOS nope x COUNT 1",
        "LPOS l c RANK 0", "LPOS l c COUNT -1", "LPOS l c MAXLEN -1", "LPOS l c COUNT x",
        "LPOS l c RANK x", "LPOS l c FOO 1", "LPOS l c RANK", "LPOS l c rank 1 count 1 maxlen 0",
        "SET s v", "LPOS s a", "LPOS l"])
    case(g, "lmove_lmpop", [
        "RPUSH a 1 2 3", "LMOVE a b LEFT RIGHT", "LMOVE a b RIGHT LEFT", "LRANGE a 0 -1",
        "LRANGE b 0 -1", "RPOPLPUSH a b", "EXISTS a", "LRANGE b 0 -1", "LMOVE b b LEFT RIGHT",
        "LRANGE b 0 -1", "RPOPLPUSH b b", "LRANGE b 0 -1", "LMOVE nope b LEFT LEFT",
        "RPOPLPUSH nope b", "LMOVE b c UP LEFT", "LMOVE b c LEFT DOWN", "SET s v",
        "LMOVE b s LEFT LEFT", "LRANGE b 0 -1", "LMOVE s b LEFT LEFT", "RPOPLPUSH s b",
        "RPUSH one x", "LMOVE one one LEFT RIGHT", "LRANGE one 0 -1",
        "LMPOP 2 nope b LEFT", "LMPOP 2 nope b RIGHT COUNT 2", "LMPOP 1 b LEFT COUNT 10",
        "EXISTS b", "LMPOP 1 b LEFT", "LMPOP 2 nope s LEFT", "RPUSH c 1", "LMPOP 2 s c LEFT",
        "LMPOP 0 a LEFT", "LMPOP -1 a LEFT", "LMPOP x a LEFT", "LMPOP 2 a LEFT",
        "LMPOP 1 a MIDDLE", "LMPOP 1 a LEFT COUNT 0", "LMPOP 1 a LEFT COUNT x",
        "LMPOP 1 a LEFT COUNT 1 COUNT 1", "LMPOP 1 a LEFT FOO", "LMPOP 1 a",
        "COMMAND GETKEYS LMPOP 2 a b LEFT", "COMMAND GETKEYS LMOVE a b LEFT LEFT"])
    case(g, "blocking_without_waiting", [
        "RPUSH l a b c", "BLPOP l 0", "BRPOP nope l 0", "BLPOP nope 0.01", "BRPOP nope 0.01",
        "BLMOVE l d LEFT RIGHT 0", "BRPOPLPUSH d l 0", "LRANGE l 0 -1", "BLMOVE nope d LEFT LEFT 0.01",
        "BRPOPLPUSH nope d 0.01", "BLMPOP 0 2 nope l RIGHT COUNT 5", "BLMPOP 0.01 1 nope LEFT",
        "BLPOP l -1", "BLPOP l x", "BLPOP l 1e400", "BLMPOP x 1 l LEFT", "BLMPOP 0 0 l LEFT",
        "BLMPOP 0 1 l MIDDLE", "BLMPOP 0 1 l LEFT COUNT 0", "BLMOVE a b UP LEFT 0",
        "BLMOVE a b LEFT LEFT x", "SET s v", "BLPOP s 0", "BLPOP nope s 0", "RPUSH l2 x",
        "BLPOP l2 s 0", "RPUSH l2 y", "BLMOVE l2 s LEFT LEFT 0", "LRANGE l2 0 -1",
        "BLPOP l 1e4000", "BLPOP l inf", "BLPOP l nan", "BLPOP nope -0.0001x",
        "MULTI", "BLPOP nope 0", "BRPOPLPUSH nope d 0", "BLMOVE nope d LEFT LEFT 0",
        "BLMPOP 0 1 nope LEFT", "RPUSH m 1", "BLPOP m 0", "EXEC",
        "CLIENT UNBLOCK 99999", "CLIENT UNBLOCK x", "CLIENT UNBLOCK 1 FOO", "CLIENT UNBLOCK 1 error",
        "CLIENT UNBLOCK", "CLIENT UNBLOCK 1 2 3", "BLPOP nope 1e-400", "LINDEX nope x", "LINDEX s x",
        "COMMAND GETKEYS BLMPOP 0 2 a b LEFT", "COMMAND GETKEYS BLPOP a b 0",
        "COMMAND GETKEYS BLMOVE a b LEFT LEFT 0", "COMMAND INFO blpop brpop blmove brpoplpush blmpop"])
    case(g, "list_config", [
        "CONFIG GET list-max-listpack-size", "CONFIG GET list-max-ziplist-size",
        "CONFIG GET list-compress-depth", "CONFIG SET list-max-ziplist-size 128",
        "CONFIG GET list-max-listpack-size", "CONFIG SET list-max-listpack-size -5",
        "CONFIG SET list-max-listpack-size x", "CONFIG SET list-compress-depth -1",
        "CONFIG SET list-compress-depth 2", "CONFIG GET list-compress-depth",
        "CONFIG SET list-max-listpack-size 99999999999", "CONFIG SET list-max-listpack-size -2",
        "CONFIG SET list-compress-depth 0"])

    # --- sorted sets: scores as Redis 7.0 prints doubles (%.17g), ranges, ranks, pops
    g = "zsets"
    case(g, "zadd_options", [
        "ZADD z 1 a 2 b 3 c", "ZADD z 1.5 a", "ZSCORE z a", "ZADD z NX 10 a 4 d", "ZADD z XX 10 a 5 e",
        "ZADD z XX CH 11 a 3 c", "ZADD z GT 5 a 12 b", "ZADD z LT CH 1 a 1 b", "ZRANGE z 0 -1 WITHSCORES",
        "ZADD z INCR 2.5 a", "ZADD z INCR NX 1 a", "ZADD z INCR XX 1 nope", "ZADD z INCR GT -100 a",
        "ZINCRBY z 0.1 a", "ZINCRBY z -inf b", "ZINCRBY z +inf b", "ZSCORE z b", "ZADD z 1e20 big",
        "ZADD z -0 negzero", "ZSCORE z negzero", "ZADD z 0.1 tenth", "ZSCORE z tenth", "ZSCORE z big",
        "ZADD z 123456789012345678 huge", "ZSCORE z huge", "ZMSCORE z a nope tenth", "ZCARD z",
        "ZCARD nope", "ZSCORE nope a", "ZMSCORE nope a b", "ZADD z XX NX 1 a", "ZADD z GT LT 1 a",
        "ZADD z GT NX 1 a", "ZADD z INCR 1 a 2 b", "ZADD z 1", "ZADD z", "ZADD z 1 a 2", "ZADD z x a",
        "ZADD z nan a", "ZADD z 1e400 a", "ZINCRBY z x a", "ZADD n XX 1 a", "EXISTS n", "ZADD n INCR XX 1 a",
        "SET s v", "ZADD s 1 a", "ZSCORE s a", "ZCARD s", "TYPE z", "OBJECT ENCODING z",
        "ZADD d 1 a 2 a", "ZADD d CH 3 a 3 a 4 b", "ZADD d NX 9 c 8 c", "ZADD d INCR 1 a",
        "ZRANGE d 0 -1 WITHSCORES"])
    case(g, "zrange_forms", [
        "ZADD z 1 a 2 b 3 c 4 d 5 e 5 f 6 g", "ZRANGE z 0 -1", "ZRANGE z 1 3 WITHSCORES", "ZRANGE z -2 -1",
        "ZRANGE z 5 1", "ZRANGE z 0 100", "ZRANGE z 0 -1 REV", "ZREVRANGE z 0 2 WITHSCORES",
        "ZRANGE z 2 5 BYSCORE", "ZRANGE z (2 5 BYSCORE WITHSCORES", "ZRANGE z 5 (2 BYSCORE REV",
        "ZRANGE z -inf +inf BYSCORE LIMIT 1 3", "ZRANGE z -inf +inf BYSCORE LIMIT -1 3",
        "ZRANGE z -inf +inf BYSCORE LIMIT 2 -1", "ZRANGEBYSCORE z 2 5", "ZRANGEBYSCORE z (1 (5 WITHSCORES",
        "ZRANGEBYSCORE z 5 2", "ZRANGEBYSCORE z (5 5", "ZREVRANGEBYSCORE z 5 2 LIMIT 0 2",
        "ZREVRANGEBYSCORE z +inf -inf WITHSCORES", "ZRANGE z 0 -1 LIMIT 0 2", "ZRANGE z 0 -1 LIMIT 0 -1",
        "ZRANGE z a b BYLEX WITHSCORES", "ZRANGE z x 1 BYSCORE", "ZRANGE z 0 x", "ZRANGE z 0 1 FOO",
        "ZRANGE z 0 1 BYSCORE BYLEX", "ZREVRANGE z 0 1 REV", "ZRANGE z 0 1 LIMIT 1", "ZRANGE nope 0 -1",
        "ZRANGEBYSCORE z 1 2 LIMIT a b", "ZRANGE z \"\" 2 BYSCORE",
        "DEL l", "ZADD l 0 a 0 b 0 c 0 d 0 e", "ZRANGEBYLEX l - +", "ZRANGEBYLEX l [b (d",
        "ZRANGEBYLEX l (b + LIMIT 1 2", "ZRANGEBYLEX l [b [d LIMIT 0 0", "ZRANGEBYSCORE z 1 5 LIMIT 0 0", "ZREVRANGEBYLEX l + - LIMIT 0 2", "ZRANGE l [e [b BYLEX REV",
        "ZRANGEBYLEX l b d", "ZRANGEBYLEX l - +x", "ZLEXCOUNT l [b [d", "ZLEXCOUNT l - +", "ZLEXCOUNT l x y",
        "ZCOUNT z 2 5", "ZCOUNT z (2 (5", "ZCOUNT z -inf +inf", "ZCOUNT z x 1", "ZCOUNT nope 0 1",
        "SET s v", "ZRANGE s 0 1", "ZCOUNT s 0 1"])
    case(g, "zrank_zrem_zpop", [
        "ZADD z 1 a 2 b 3 c 4 d", "ZRANK z c", "ZREVRANK z c", "ZRANK z nope", "ZRANK nope a",
        "ZREM z a nope", "ZREM z x", "ZRANGE z 0 -1", "ZPOPMIN z", "ZPOPMAX z 2", "ZPOPMIN z 0",
        "ZPOPMIN z -1", "ZPOPMIN z x", "ZPOPMIN z 1 2", "EXISTS z", "ZPOPMAX nope", "ZPOPMAX nope 2",
        "ZADD z 5 x 6 y", "ZPOPMIN z 10", "EXISTS z", "ZREM nope a", "SET s v", "ZREM s a", "ZPOPMIN s",
        "ZRANK s a"])
    case(g, "zrangestore_zremrange", [
        "ZADD z 1 a 2 b 3 c 4 d 5 e", "ZRANGESTORE d z 1 3", "ZRANGE d 0 -1 WITHSCORES",
        "ZRANGESTORE d z (2 +inf BYSCORE LIMIT 1 2", "ZRANGE d 0 -1 WITHSCORES",
        "ZRANGESTORE d z [b [d BYLEX REV", "ZRANGESTORE d z 10 20", "EXISTS d",
        "ZRANGESTORE d nope 0 -1", "ZRANGESTORE d z 0 -1 WITHSCORES", "ZRANGESTORE d z 0 -1 LIMIT 0 1",
        "SET s v", "ZRANGESTORE s z 0 0", "TYPE s", "ZRANGESTORE d s 0 -1", "ZRANGESTORE z z 1 2",
        "ZRANGE z 0 -1 WITHSCORES", "SET ttl v EX 100", "ZRANGESTORE ttl z 0 -1", "TTL ttl",
        "DEL z", "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f", "ZREMRANGEBYSCORE z 2 (4", "ZRANGE z 0 -1",
        "ZREMRANGEBYSCORE z 10 20", "ZREMRANGEBYSCORE z x 1", "ZREMRANGEBYSCORE nope 0 1",
        "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYRANK z -1 -1", "ZRANGE z 0 -1", "ZREMRANGEBYRANK z 5 1",
        "ZREMRANGEBYRANK z 0 x", "DEL l", "ZADD l 0 a 0 b 0 c 0 d", "ZREMRANGEBYLEX l [b (d",
        "ZRANGE l 0 -1", "ZREMRANGEBYLEX l a b", "ZREMRANGEBYLEX l - +", "EXISTS l",
        "ZREMRANGEBYSCORE s 0 1", "ZREMRANGEBYRANK s 0 1", "ZREMRANGEBYLEX s - +",
        "ZREMRANGEBYRANK z 0 -1", "EXISTS z"])
    case(g, "zunion_zinter_zdiff", [
        "ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "SADD s y w v",
        "ZUNION 2 a b", "ZUNION 2 a b WITHSCORES", "ZUNION 3 a b s WITHSCORES",
        "ZUNION 2 a b WEIGHTS 2 3 WITHSCORES", "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
        "ZUNION 2 a b AGGREGATE max WITHSCORES", "ZINTER 2 a b WITHSCORES", "ZINTER 3 a b s WITHSCORES",
        "ZINTER 2 a a WEIGHTS 1 2 WITHSCORES", "ZINTER 2 a nope", "ZDIFF 2 a b WITHSCORES",
        "ZDIFF 2 b s", "ZDIFF 2 a a", "ZDIFF 1 nope", "ZINTERCARD 2 a b", "ZINTERCARD 2 a b LIMIT 1",
        "ZINTERCARD 3 a b s LIMIT 0", "ZINTERCARD 1 nope",
        "ZUNIONSTORE d 2 a b WEIGHTS 1 -1", "ZRANGE d 0 -1 WITHSCORES",
        "ZINTERSTORE d 2 a b AGGREGATE MIN", "ZRANGE d 0 -1 WITHSCORES", "ZDIFFSTORE d 2 a b",
        "ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 a nope", "EXISTS d", "ZUNIONSTORE a 2 a b",
        "ZRANGE a 0 -1 WITHSCORES", "ZADD inf 1 x", "ZADD minf 1 x", "ZUNION 2 inf minf WEIGHTS inf -inf WITHSCORES",
        "ZINTER 2 inf minf WEIGHTS inf -inf WITHSCORES", "ZUNION 1 a WEIGHTS 0 WITHSCORES",
        "ZADD i 1 x", "ZADD i2 +inf x", "ZUNION 2 i2 i2 WITHSCORES", "ZUNION 2 i i2 WEIGHTS 0 1 WITHSCORES",
        "SET str v", "ZUNION 2 a str", "ZUNION 2 nope str WEIGHTS x", "ZINTER 1 str", "ZDIFF 2 a str",
        "ZINTERCARD 1 str", "ZUNIONSTORE d 1 str",
        "ZUNION 0 a", "ZUNION -1 a", "ZUNION x a", "ZUNION 3 a b", "ZUNION 2 a b WEIGHTS 1",
        "ZUNION 2 a b WEIGHTS 1 x", "ZUNION 2 a b AGGREGATE avg", "ZUNION 2 a b AGGREGATE",
        "ZUNION 2 a b FOO", "ZUNIONSTORE d 2 a b WITHSCORES", "ZDIFF 2 a b WEIGHTS 1 1",
        "ZDIFF 2 a b AGGREGATE SUM", "ZINTERCARD 0 a", "ZINTERCARD 2 a", "ZINTERCARD 1 a LIMIT -1",
        "ZINTERCARD 1 a LIMIT x", "ZINTERCARD 1 a WITHSCORES", "ZINTERSTORE d 0 a", "ZDIFFSTORE d 0 a",
        "ZINTERCARD 1 a LIMIT", "ZUNION 1 a WITHSCORES WITHSCORES",
        "COMMAND GETKEYS ZUNIONSTORE d 2 a b", "COMMAND GETKEYS ZINTERCARD 2 a b LIMIT 1"])
    case(g, "zmpop_zrandmember_zscan", [
        "ZADD z 1 a 2 b 3 c 4 d", "ZMPOP 1 z MIN", "ZMPOP 2 nope z MAX COUNT 2", "ZMPOP 1 nope MIN",
        "ZMPOP 1 z MIN COUNT 10", "EXISTS z", "ZMPOP 0 z MIN", "ZMPOP 1 z MIDDLE", "ZMPOP 1 z MIN COUNT 0",
        "ZMPOP 1 z MIN COUNT x", "ZMPOP 2 z MIN", "ZMPOP 1 z MIN COUNT 1 COUNT 1", "SET s v",
        "ZMPOP 1 s MIN", "ZMPOP 2 nope s MAX",
        "ZADD r 1 only", "ZRANDMEMBER r", "ZRANDMEMBER r 1", "ZRANDMEMBER r 1 WITHSCORES",
        "ZRANDMEMBER r -3 WITHSCORES", "ZRANDMEMBER r 0", "ZRANDMEMBER r 5 WITHSCORES",
        "ZRANDMEMBER nope", "ZRANDMEMBER nope 2", "ZRANDMEMBER r x", "ZRANDMEMBER r 1 FOO",
        "ZRANDMEMBER r -9223372036854775808", "ZRANDMEMBER r 9223372036854775807 WITHSCORES",
        "ZRANDMEMBER s", "ZRANDMEMBER s 1",
        "ZADD sc 1.5 a 0.1 b -inf c 3 d", "ZSCAN sc 0", "ZSCAN sc 0 MATCH a*", "ZSCAN sc 0 COUNT 1",
        "ZSCAN sc x", "ZSCAN sc 0 COUNT 0", "ZSCAN nope 0", "ZSCAN nope 0 COUNT 0", "ZSCAN s 0",
        "ZSCAN sc 0 TYPE zset"])
    case(g, "bzpop_without_waiting", [
        "ZADD z 1 a 2 b 3 c", "BZPOPMIN z 0", "BZPOPMAX nope z 0", "BZPOPMIN nope 0.01",
        "BZMPOP 0 2 nope z MAX COUNT 5", "EXISTS z", "BZMPOP 0.01 1 nope MIN", "BZPOPMIN z -1",
        "BZPOPMIN z x", "BZMPOP x 1 z MIN", "BZMPOP 0 0 z MIN", "BZMPOP 0 1 z LEFT",
        "BZMPOP 0 1 z MIN COUNT 0", "SET s v", "BZPOPMIN s 0", "BZPOPMAX nope s 0",
        "MULTI", "BZPOPMIN nope 0", "BZMPOP 0 1 nope MIN", "ZADD m 1 x", "BZPOPMAX m 0", "EXEC",
        "COMMAND GETKEYS BZMPOP 0 2 a b MIN", "COMMAND GETKEYS BZPOPMIN a b 0",
        "COMMAND INFO bzpopmin bzpopmax bzmpop zmpop zunion zrangestore"])
    case(g, "zset_multi", [
        "MULTI", "ZADD z 1 a 2 b", "ZINCRBY z 5 a", "ZRANGE z 0 -1 WITHSCORES", "ZREM z b", "ZCARD z",
        "ZRANK z a", "EXEC", "ZRANGE z 0 -1 WITHSCORES"])

    # --- pub/sub on one connection: confirmations, RESP2's subscribed mode, introspection,
    # a RESP3 client's own messages (written before PUBLISH's reply), notify-keyspace-events
    g = "pubsub"

    def CN(n, *args):
        st = C(*args)
        st.nreplies = n
        return st

    case(g, "subscribe_modes", [
        "PUBSUB NUMSUB a b", "PUBSUB NUMPAT", "PUBSUB CHANNELS", "PUBLISH a x",
        CN(2, "SUBSCRIBE a b"), CN(1, "SUBSCRIBE a"), CN(2, "PSUBSCRIBE p* a*"),
        "GET k", "SET k v", "PING", "PING hi", "PUBSUB NUMSUB a b c", "PUBSUB NUMPAT",
        "PUBSUB CHANNELS b*", "CLIENT ID x", "CLIENT NOPE", "DBSIZE", "FOO",
        CN(1, "UNSUBSCRIBE x"), CN(2, "UNSUBSCRIBE a b"), CN(1, "UNSUBSCRIBE"),
        CN(1, "PUNSUBSCRIBE q*"), CN(2, "PUNSUBSCRIBE"), CN(1, "PUNSUBSCRIBE"),
        "GET k", "PING", "PUBSUB NUMPAT", "PUBSUB CHANNELS"])
    case(g, "pubsub_errors", [
        "SUBSCRIBE", "PSUBSCRIBE", "PUBLISH a", "PUBLISH a b c", "PUBSUB", "PUBSUB foo",
        "PUBSUB NUMPAT x", "PUBSUB CHANNELS a b", "PUBSUB HELP", "PUBSUB HELP x",
        "PUBSUB SHARDCHANNELS", "PUBSUB SHARDNUMSUB a", "pubsub numsub"])
    case(g, "resp3_own_messages", [
        CN(1, "SUBSCRIBE a"), CN(1, "PSUBSCRIBE a*"), CN(3, "PUBLISH a hi"), "PUBLISH b x",
        CN(2, "PUBLISH abc y"), "GET k", CN(1, "UNSUBSCRIBE"), CN(1, "PUNSUBSCRIBE")],
        protos=(3,))
    case(g, "reset_unsubscribes", [
        CN(2, "SUBSCRIBE a b"), CN(1, "PSUBSCRIBE p*"), "RESET", "PUBSUB NUMSUB a b",
        "PUBSUB NUMPAT", "GET k"])
    case(g, "sharded", [
        "PUBSUB SHARDNUMSUB a b", "PUBSUB SHARDCHANNELS", "SPUBLISH a x",
        CN(2, "SSUBSCRIBE a b"), CN(1, "SSUBSCRIBE a"), CN(1, "SUBSCRIBE c"), "GET k", "PING",
        "PUBSUB SHARDNUMSUB a b c", "PUBSUB SHARDCHANNELS b*", "PUBSUB NUMSUB a c",
        CN(1, "SUNSUBSCRIBE x"), CN(2, "SUNSUBSCRIBE a b"), CN(1, "SUNSUBSCRIBE"),
        CN(1, "UNSUBSCRIBE"), "GET k", "SSUBSCRIBE", "SPUBLISH a", "SPUBLISH a b c"])
    case(g, "sharded_resp3_own", [
        CN(1, "SSUBSCRIBE a"), CN(1, "SUBSCRIBE a"), CN(2, "SPUBLISH a hi"), CN(2, "PUBLISH a yo"),
        CN(1, "SUNSUBSCRIBE"), CN(1, "UNSUBSCRIBE")], protos=(3,))
    case(g, "notify_config", [
        "CONFIG GET notify-keyspace-events", "CONFIG SET notify-keyspace-events KEA",
        "CONFIG GET notify-keyspace-events", "CONFIG SET notify-keyspace-events Kx$lh",
        "CONFIG GET notify-keyspace-events", "CONFIG SET notify-keyspace-events g$lshzxetdE",
        "CONFIG GET notify-keyspace-events", "CONFIG SET notify-keyspace-events mnK",
        "CONFIG GET notify-keyspace-events", "CONFIG SET notify-keyspace-events KQ",
        "CONFIG GET notify-keyspace-events", ("CONFIG", "SET", "notify-keyspace-events", ""),
        "CONFIG GET notify-keyspace-events"])

    # --- error texts
    g = "errors"
    case(g, "unknown_command", [
        "FOO", "FOO a b", "foo -x", ("FOO", "a" * 200), ("FOO", "a\r\nb"), ("FOO\r\n", "x"),
        "FOO 1 2 3 4 5", "F" * 200, ("FOO", "\x00\x01"), ("FOO", "\xff\xfe"), ("F\xffO", "x"), "FOO '", ('FOO', '"'), ("", ), ("", "a"), "GETT a", "SETT a b",
        ("x" * 40,), "CLIENTS"])
    arity_items = []
    seen = set()
    for name, kar in sorted(kvs_commands.items()):
        ar = set([kar]) | ({redis_arity[name]} if name in redis_arity else set())
        for a in ar:
            counts = []
            if a > 0:
                counts = ([a - 1] if a > 1 else []) + [a + 1]
            elif a < -1:
                counts = [-a - 1]
            for n in counts:
                if (name, n) in seen:
                    continue
                seen.add((name, n))
                arity_items.append([name.upper()] + ["a"] * (n - 1))
    case(g, "arity_every_command", arity_items)
    case(g, "arity_subcommands", [
        "CLIENT", "CLIENT SETNAME", "CLIENT SETNAME a b", "CLIENT GETNAME x", "CLIENT ID x",
        "CLIENT INFO x", "CLIENT SETINFO lib-name", "CLIENT HELP x", "CONFIG", "CONFIG GET",
        "CONFIG SET", "CONFIG SET timeout", "CONFIG SET timeout 0 maxmemory", "CONFIG RESETSTAT x",
        "CONFIG REWRITE x", "COMMAND COUNT x", "COMMAND GETKEYS get", "COMMAND LIST FILTERBY",
        "client setname", "config get"])
    case(g, "syntax_errors", [
        "SET k v XX NX", "SET k v EX 10 KEEPTTL", "SET k v PX", "SET k v BAR", "GETEX k FOO",
        "SET k v", "GETEX k PERSIST EX 1", "EXPIRE k 10 BAR", "SCAN 0 BAR", "FLUSHALL BAR",
        "CLIENT LIST BAR", "HELLO 3 BAR", "SHUTDOWN BAR", "BGSAVE BAR", "CLIENT SETNAME a\tb",
        ("CLIENT", "SETNAME", "a b"), "SETEX k 10 v x", "MSET a", "SCAN 0 COUNT 10 MATCH"])
    case(g, "value_errors", [
        "SET k v EX 10e1", "SET k v EX 0x10", "SETEX k 1e3 v", "EXPIRE k 00010", "SET k abc",
        "INCRBY k 1", "SETRANGE k -0 x", "GETRANGE k 1 +2", "SELECT 0x0", "CONFIG SET timeout -1",
        "CONFIG SET maxmemory xyz"])

    # --- protocol errors (each closes the connection) and edge cases
    g = "protocol"
    proto = {
        "mb_abc": [b"*abc\r\n", "PING"],
        "mb_plus": [b"*+1\r\n$4\r\nPING\r\n", "PING"],
        "mb_space": [b"* 1\r\n$4\r\nPING\r\n", "PING"],
        "mb_leading_zero": [b"*01\r\n$04\r\nPING\r\n", "PING"],
        "mb_empty": [b"*\r\n", "PING"],
        "mb_neg": [RAW(b"*-1\r\n", 0), "PING"],
        "mb_neg5": [RAW(b"*-5\r\n", 0), "PING"],
        "mb_zero": [RAW(b"*0\r\n", 0), "PING"],
        "mb_1mi": [RAW(b"*1048576\r\n$4\r\nPING\r\n", 0)],
        "mb_over_1mi": [RAW(b"*1048577\r\n", 0)],
        "bulk_neg": [b"*1\r\n$-5\r\n", "PING"],
        "bulk_null": [b"*1\r\n$-1\r\n", "PING"],
        "bulk_abc": [b"*1\r\n$abc\r\n", "PING"],
        "bulk_plus": [b"*1\r\n$+4\r\nPING\r\n", "PING"],
        "bulk_empty_len": [b"*1\r\n$\r\n", "PING"],
        "bulk_too_big": [b"*1\r\n$536870913\r\n", "PING"],
        "bulk_bad_terminator": [b"*1\r\n$4\r\nPINGxx\r\n", "PING"],
        "expected_dollar": [RAW(b"*1\r\nx", 0), "PING"],
        "expected_dollar_line": [b"*1\r\nxyz\r\n", "PING"],
        "expected_dollar_colon": [b"*2\r\n$3\r\nGET\r\n:1\r\n", "PING"],
        "resp3_map_request": [b"%1\r\n$1\r\na\r\n$1\r\nb\r\n", "PING"],
        "unbalanced_dq": [b'SET "a b\r\n', "PING"],
        "unbalanced_sq": [b"SET 'a b\r\n", "PING"],
        "quote_then_char": [b'SET "a"b c\r\n', "PING"],
        "inline_too_big": [b"A" * 70000, "PING"],
        "inline_too_big_nl": [b"ECHO " + b"A" * 70000 + b"\r\n", "PING"],
        "pipelined_error": [RAW(b"*1\r\n$4\r\nPING\r\n*abc\r\n*1\r\n$4\r\nPING\r\n", 2), "PING"],
        "mb_lf_only": [RAW(b"*1\n$4\nPING\n", 0), "PING"],
        "bulk_lf_only": [b"*1\r\n$4\nPING\r\n", "PING"],
    }
    for name, items in proto.items():
        case(g, name, items, probe=name not in ("mb_1mi", "mb_over_1mi"))
    case(g, "binary_and_fragments", [RAW(b"*3\r\n$3\r\nSET\r\n$7\r\nbin\x00key\r\n$5\r\nv\r\n\x00x\r\n"),
                                     ("GET", "bin\x00key"), RAW(b"*2\r\n$4\r\nECHO\r\n$3\r\nabc\r", 0),
                                     RAW(b"\n", 1), RAW(b"*1\r\n$4\r\nPI", 0), RAW(b"NG\r\n", 1)])
    case(g, "pipeline_many", [RAW(b"".join(enc([b"SET", b"k%d" % i, b"v%d" % i]) for i in range(300))
                                  + b"".join(enc([b"GET", b"k%d" % i]) for i in range(300)), 600),
                              "DBSIZE"])
    case(g, "big_value", [("SET", "big", "x" * (1 << 20)), "STRLEN big", "GETRANGE big -3 -1",
                          ("APPEND", "big", "y" * 1000), "STRLEN big"])
    case(g, "many_args", [["DEL"] + ["k%d" % i for i in range(5000)],
                          ["MSET"] + [x for i in range(1000) for x in ("k%d" % i, "v")],
                          ["EXISTS"] + ["k%d" % i for i in range(2000)], "DBSIZE"])

    # --- inline commands
    g = "inline"
    case(g, "inline_basic", [b"PING\r\n", b"PING\n", b"ping hi\r\n", RAW(b"\r\n", 0),
                             RAW(b"\n", 0), RAW(b"   \r\n", 0), b"PING\r\n", b"  ECHO   a  \r\n",
                             b"GET\ta\r\n", b"SET\tb\t1\r\n", b"GET b\r\n", b"EXISTS b b\r\n"])
    case(g, "inline_quotes", [
        b'SET a "b c"\r\n', b"GET a\n", b"SET a 'x\\ny'\r\n", b"GET a\r\n",
        b'SET a "\\x41\\n\\t\\r\\b\\a"\r\n', b"GET a\r\n", b'SET a ""\r\n', b"GET a\r\n",
        b'SET a "x\\"y"\r\n', b"GET a\r\n", b"SET a 'it\\'s'\r\n", b"GET a\r\n",
        b'ECHO "\\xZZ"\r\n', b'ECHO "\\101"\r\n', b'ECHO "a\\zb"\r\n', b"ECHO a\"b\"c\r\n",
        b"ECHO 'a' 'b'\r\n", b"ECHO \"\\x4a\\x4B\"\r\n"])
    case(g, "inline_mixed_pipeline", [RAW(b"PING\r\n*1\r\n$4\r\nPING\r\nPING\r\n", 3),
                                      RAW(b"*1\r\n$4\r\nPING\r\nGET a\r\n", 2),
                                      RAW(b"PING\rPING\r\n", 1), RAW(b"*1 \r\n", 1)])
    case(g, "inline_errors", [b"FOO bar\r\n", b"GET\r\n", b"SET a\r\n", b"SELECT 1 2\r\n",
                              b"ECHO " + b"A" * 60000 + b"\r\n"])

    # --- case-insensitivity
    g = "case"
    case(g, "mixed_case", [
        "GeT a", "sEt a 1 Ex 100 nX", "tTl a", "eXpIrE a 10 Gt", "cLiEnT gEtNaMe",
        "ScAn 0 MaTcH * CoUnT 10 TyPe StRiNg", "hElLo 3 sEtNaMe x", "cLiEnT gEtNaMe",
        "gEtEx a pErSiSt", "mSeT b 1", "InCrBy b 2", "ExIsTs a b", "sEt c v gEt", "dEl c",
        "pSeTeX c 100000 v", "pTtL c", "hElLo 2", "fLuShAlL aSyNc", "dBsIzE", "cOnFiG gEt MAXMEMORY"])
    return cases


# ----------------------------------------------------------------------------------------------
# Running and reporting


def fmt(b, limit=400):
    s = repr(b)
    return s if len(s) <= limit else s[:limit] + "...(%d bytes)" % len(b)


def sleep_placeholder(cases):
    """'SLEEP' in a case means: wait for the PX 100 keys to expire."""
    for c in cases:
        c.steps = [SLEEP(0.25) if s.args == [b"SLEEP"] else s for s in c.steps]


def command_table(port):
    """{name: arity} from COMMAND on that server."""
    c = Conn(port)
    try:
        c.send(enc([b"COMMAND"]))
        node = parse(c.reply())
    finally:
        c.close()
    out = {}
    for cmd in node[2]:
        f = cmd[2]
        out[f[0][2].decode().lower()] = int(f[1][2])
    return out


def redis_arities(port, names):
    c = Conn(port)
    try:
        c.send(enc([b"COMMAND", b"INFO"] + [n.encode() for n in names]))
        node = parse(c.reply())
    finally:
        c.close()
    out = {}
    for cmd in node[2]:
        if isinstance(cmd[2], list):
            out[cmd[2][0][2].decode().lower()] = int(cmd[2][1][2])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("port_redis", type=int)
    ap.add_argument("port_kvs", type=int)
    ap.add_argument("--group", action="append", help="run only these groups")
    ap.add_argument("--case", action="append", help="run only these cases")
    ap.add_argument("--verbose", action="store_true", help="print every step of every case")
    opts = ap.parse_args()
    t0 = time.time()

    kvs_commands = command_table(opts.port_kvs)
    redis_arity = redis_arities(opts.port_redis, sorted(kvs_commands))
    cases = build_cases(kvs_commands, redis_arity)
    sleep_placeholder(cases)
    if opts.group:
        cases = [c for c in cases if c.group in opts.group]
    if opts.case:
        cases = [c for c in cases if c.name in opts.case]

    groups = []
    for c in cases:
        if c.group not in groups:
            groups.append(c.group)
    ncases = ncmds = nsteps = 0
    bad, excused = [], []
    for case in cases:
        for proto in case.protos:
            ncases += 1
            rr = run_case(opts.port_redis, case, proto)
            kr = run_case(opts.port_kvs, case, proto)
            for i, ((st, ra), (_, ka)) in enumerate(zip(rr, kr)):
                nsteps += 1
                ncmds += st.kind in ("cmd", "raw", "scanall")
                rn = [normalise(st, x) for x in ra]
                kn = [normalise(st, x) for x in ka]
                allowed = [a for a in ALLOWED if a.matches(case, st, proto)]
                for a in ALLOWED:
                    rn, kn, differed = a.strip_field(st, rn, kn)
                    if differed:
                        a.hits += 1
                        excused.append(((case, proto, i, st, ra, ka, rn, kn), a))
                for a in allowed:
                    a.seen += 1
                same = (rn == kn or ttl_close(st, rn, kn)) and not any(
                    b"<TIMEOUT>" in x for x in ra + ka)
                if opts.verbose:
                    print("%s %s/%s RESP%d #%d %s\n    redis: %s\n    kvs:   %s" % (
                        "  " if same else "!!", case.group, case.name, proto, i, st.show,
                        fmt(b"".join(ra)), fmt(b"".join(ka))))
                if same:
                    continue
                entry = (case, proto, i, st, ra, ka, rn, kn)
                if allowed:
                    for a in allowed:
                        a.hits += 1
                    excused.append((entry, allowed[0]))
                else:
                    bad.append(entry)

    def show(entry, label):
        case, proto, i, st, ra, ka, rn, kn = entry
        print("%s %s/%s RESP%d step %d: %s" % (label, case.group, case.name, proto, i, st.show))
        if st.kind in ("cmd", "raw"):
            print("    sent:  %s" % fmt(st.data, 300))
        print("    redis: %s" % fmt(b"".join(ra)))
        print("    kvs:   %s" % fmt(b"".join(ka)))
        if rn != ra or kn != ka:
            print("    redis (normalised): %s" % fmt(b"".join(rn)))
            print("    kvs   (normalised): %s" % fmt(b"".join(kn)))

    for (case, proto, i, st, ra, ka, _, _), a in excused:
        print("allowed %s/%s RESP%d step %d: %s\n    redis %s | kvs %s\n    reason: %s" % (
            case.group, case.name, proto, i, st.show, fmt(b"".join(ra), 100),
            fmt(b"".join(ka), 100), a.reason))
    for entry in bad:
        show(entry, "MISMATCH")
    stale = [a for a in ALLOWED if a.seen and not a.hits]
    for a in stale:
        print("note: allowed difference now matches, remove from allowed list: %s (case %s)"
              % (a.show, a.case))
    selected_all = not opts.group and not opts.case
    for a in ALLOWED:
        if selected_all and not a.seen:
            print("note: allowed difference never ran, remove from allowed list: %s (case %s)"
                  % (a.show, a.case))
    print("redis_diff: %d groups (%s), %d cases, %d case runs (RESP2 and RESP3), %d commands "
          "compared (%d replies and close checks), %d allowed differences, %d mismatches, %.1fs" % (
              len(groups), ", ".join(groups), len(cases), ncases, ncmds, nsteps, len(excused),
              len(bad), time.time() - t0))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
