"""redis-py through twemproxy (nutcracker) in front of several kvs-servers.

Usage: cluster_check.py PROXY_PORT SERVER_PORT [SERVER_PORT ...]

Every command goes through the proxy on PROXY_PORT; the servers' own ports are used only to
see where keys landed. Run by scripts/cluster-demo.sh. Checks every kvs command twemproxy
forwards (docs/scale-out.md has the list), the fan-out of MSET / MGET / DEL / UNLINK over keys
on different servers, hash tags, errors passing through, pipelining, and big values; then
records what the proxy itself refuses (it closes the connection), without failing on it.

twemproxy sends no HELLO, so this is RESP2 only (protocol=2); and it does not know CLIENT, so
redis-py must not send CLIENT SETINFO on connect (driver_info=None, or lib_name=None and
lib_version=None on redis-py < 7).
"""
import sys
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

proxy_port = int(sys.argv[1])
server_ports = [int(p) for p in sys.argv[2:]]
assert server_ports, __doc__


def connect(port, decode=True, **more):
    kw = dict(host="127.0.0.1", port=port, protocol=2, decode_responses=decode, socket_timeout=20)
    kw.update(more)
    try:
        return redis.Redis(driver_info=None, **kw)
    except TypeError:  # redis-py before driver_info
        return redis.Redis(lib_name=None, lib_version=None, **kw)


r = connect(proxy_port)
servers = [connect(p) for p in server_ports]
P = f"cc{int(time.time() * 1000) % 10**9}:"  # fresh keys on every run
passed = 0


def ok(what):
    global passed
    passed += 1
    print(f"  ok: {what}")


def home(key):
    """Index of the server that holds `key` (asked directly), or None."""
    found = [i for i, s in enumerate(servers) if s.exists(key)]
    assert len(found) <= 1, (key, found)
    return found[0] if found else None


# --- one key at a time
assert r.ping() is True
assert r.set(P + "a", "1") is True and r.get(P + "a") == "1"
assert r.get(P + "missing") is None
assert r.set(P + "a", "2", xx=True) is True and r.set(P + "a", "3", nx=True) is None
assert r.set(P + "a", "4", get=True) == "2"
assert r.setnx(P + "nx", "v") is True and r.setnx(P + "nx", "w") is False
assert r.getset(P + "nx", "w") == "v" and r.getdel(P + "nx") == "w" and r.get(P + "nx") is None
assert r.append(P + "s", "hello") == 5 and r.append(P + "s", " world") == 11
assert r.strlen(P + "s") == 11 and r.getrange(P + "s", 0, 4) == "hello"
assert r.setrange(P + "s", 6, "WORLD") == 11 and r.get(P + "s") == "hello WORLD"
assert r.type(P + "s") == "string" and r.type(P + "missing") == "none"
ok("SET (NX/XX/GET) GET SETNX GETSET GETDEL APPEND STRLEN GETRANGE SETRANGE TYPE")

assert r.incr(P + "n") == 1 and r.incrby(P + "n", 41) == 42
assert r.decr(P + "n") == 41 and r.decrby(P + "n", 40) == 1
assert r.incrbyfloat(P + "f", "10.5") == 10.5 and r.incrbyfloat(P + "f", "0.1") == 10.6
try:
    r.incr(P + "s")
    raise AssertionError("INCR on a string")
except redis.ResponseError as e:
    assert str(e) == "value is not an integer or out of range", e
assert r.get(P + "a") == "4"  # the error did not break the connection
ok("INCR INCRBY DECR DECRBY INCRBYFLOAT, an error reply passes through")

# --- expiry
assert r.set(P + "t", "v", ex=100) is True and 99 <= r.ttl(P + "t") <= 100
assert 99_000 <= r.pttl(P + "t") <= 100_000
assert r.persist(P + "t") is True and r.ttl(P + "t") == -1 and r.ttl(P + "missing") == -2
assert r.expire(P + "t", 50) is True and 49 <= r.ttl(P + "t") <= 50
assert r.pexpire(P + "t", 70_000) is True and 69 <= r.ttl(P + "t") <= 70
now = int(time.time())
assert r.expireat(P + "t", now + 200) is True and 198 <= r.ttl(P + "t") <= 200
assert r.pexpireat(P + "t", (now + 300) * 1000) is True and 298 <= r.ttl(P + "t") <= 300
assert r.execute_command("SETEX", P + "se", 30, "v") is True and 29 <= r.ttl(P + "se") <= 30
assert r.execute_command("PSETEX", P + "pse", 30_000, "v") is True
assert 29 <= r.ttl(P + "pse") <= 30
assert r.set(P + "se", "w", keepttl=True) is True and 29 <= r.ttl(P + "se") <= 30
assert r.getex(P + "se", ex=500) == "w" and 499 <= r.ttl(P + "se") <= 500
assert r.getex(P + "se", persist=True) == "w" and r.ttl(P + "se") == -1
assert r.set(P + "short", "v", px=50) is True
time.sleep(0.15)
assert r.get(P + "short") is None and r.exists(P + "short") == 0 and r.ttl(P + "short") == -2
ok("EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST SETEX PSETEX KEEPTTL GETEX; keys expire")

# --- fan-out: MSET / MGET / DEL / UNLINK over keys on every server
keys = [f"{P}m{i}" for i in range(60)]
assert r.mset({k: f"v{i}" for i, k in enumerate(keys)}) is True
homes = [home(k) for k in keys]
assert None not in homes, "an MSET key is on no server"
spread = {i: homes.count(i) for i in range(len(servers))}
assert all(spread.values()), f"MSET keys did not reach every server: {spread}"
got = r.mget(keys[:30] + [P + "missing"] + keys[30:])
assert got == [f"v{i}" for i in range(30)] + [None] + [f"v{i}" for i in range(30, 60)], got
ok(f"MSET of 60 keys fans out over all servers {spread}; MGET returns them in order")

assert r.delete(*keys[:20], P + "missing") == 20
assert r.unlink(*keys[20:40]) == 20
assert r.mget(keys[:40]) == [None] * 40 and r.get(keys[40]) == "v40"
assert all(home(k) is None for k in keys[:40])
ok("DEL and UNLINK of 20 keys each, on several servers, count and delete all")

# --- EXISTS: one key per call through twemproxy 0.5 (see the end), several with a hash tag
assert r.exists(keys[50]) == 1 and r.exists(P + "missing") == 0
tag = [f"{{{P}user}}:{f}" for f in ("name", "mail", "age")]
assert r.mset({tag[0]: "ann", tag[1]: "a@x", tag[2]: "33"}) is True
assert len({home(k) for k in tag}) == 1, "hash-tagged keys on different servers"
assert r.exists(*tag, f"{{{P}user}}:none") == 3
assert r.mget(tag) == ["ann", "a@x", "33"] and r.delete(*tag) == 3
ok("EXISTS; keys with one {hash tag} live on one server (multi-key EXISTS, MSET, DEL there)")

# --- pipelining, big values, binary-safe values
p = r.pipeline(transaction=False)
for i in range(500):
    p.set(f"{P}p{i}", i)
for i in range(500):
    p.get(f"{P}p{i}")
res = p.execute()
assert res[:500] == [True] * 500 and res[500:] == [str(i) for i in range(500)]
big = "x" * (2 << 20)
assert r.set(P + "big", big) is True and r.get(P + "big") == big
raw = connect(proxy_port, decode=False)
binary = bytes(range(256)) * 4 + b"\r\n$-1\r\n*3\r\n"
assert raw.set(P + "bin", binary) is True and raw.get(P + "bin") == binary
ok("a 1000-command pipeline, a 2 MiB value, a binary value with CR LF and RESP markers")

# --- hashes and sets: forwarded by key, answered by the key's server
assert r.hset(P + "hash", mapping={"f1": "v1", "f2": "v2"}) == 2
assert r.hget(P + "hash", "f1") == "v1" and r.hgetall(P + "hash") == {"f1": "v1", "f2": "v2"}
assert r.sadd(P + "set", "a", "b", "c") == 3 and r.sismember(P + "set", "b")
assert r.smembers(P + "set") == {"a", "b", "c"} and r.scard(P + "set") == 3
assert r.touch(P + "hash") == 1
assert r.delete(P + "hash", P + "set") == 2
ok("HSET HGET HGETALL SADD SISMEMBER SMEMBERS SCARD TOUCH through the proxy")

# --- lists: forwarded by key, answered by the key's server
assert r.rpush(P + "list", "a", "b", "c") == 3 and r.lpush(P + "list", "z") == 4
assert r.lrange(P + "list", 0, -1) == ["z", "a", "b", "c"] and r.lindex(P + "list", -1) == "c"
assert r.linsert(P + "list", "BEFORE", "b", "ab") == 5 and r.lrem(P + "list", 0, "a") == 1
assert r.lpop(P + "list") == "z" and r.rpop(P + "list", 2) == ["c", "b"] and r.llen(P + "list") == 1
assert r.delete(P + "list") == 1
ok("RPUSH LPUSH LRANGE LINDEX LINSERT LREM LPOP RPOP LLEN through the proxy")

# --- sorted sets: forwarded by key, answered by the key's server
assert r.zadd(P + "zset", {"a": 1, "b": 2.5, "c": -1}) == 3 and r.zscore(P + "zset", "b") == 2.5
assert r.zrange(P + "zset", 0, -1, withscores=True) == [("c", -1.0), ("a", 1.0), ("b", 2.5)]
assert r.zincrby(P + "zset", 2, "a") == 3.0 and r.zrank(P + "zset", "a") == 2
assert r.zrem(P + "zset", "c") == 1 and r.zcard(P + "zset") == 2 and r.delete(P + "zset") == 1
ok("ZADD ZSCORE ZRANGE WITHSCORES ZINCRBY ZRANK ZREM ZCARD through the proxy")

# --- commands twemproxy forwards that kvs does not have: an error, connection still usable
for cmd in (["PFADD", P + "hll", "a"], ["DUMP", P + "a"]):
    try:
        r.execute_command(*cmd)
        raise AssertionError(f"{cmd[0]} accepted")
    except redis.ResponseError as e:
        assert "unknown command" in str(e), e
assert r.get(P + "a") == "4"
cmds = r.execute_command("COMMAND")  # forwarded to one server, unchanged
assert len(cmds) > 50, len(cmds)
ok("PFADD/DUMP get kvs' unknown-command error through the proxy; COMMAND is forwarded")

# --- what the proxy itself refuses or answers differently (recorded, not failed on)
refused = []
for cmd in (["KEYS", "*"], ["SCAN", "0"], ["RANDOMKEY"], ["RENAME", P + "a", P + "b"],
            ["MSETNX", P + "x", "1"], ["DBSIZE"], ["INFO"], ["LASTSAVE"], ["SELECT", "0"],
            ["ECHO", "x"], ["PING", "x"], ["EXPIRE", P + "a", "10", "NX"], ["EXPIRETIME", P + "a"],
            ["HELLO", "3"], ["CLIENT", "ID"], ["CONFIG", "GET", "port"], ["TIME"], ["MULTI"],
            ["SUBSCRIBE", "ch"]):
    c = connect(proxy_port, retry=Retry(NoBackoff(), 0))  # redis-py would retry 3 times
    try:
        c.execute_command(*cmd)
        print(f"  note: {cmd[0]} is forwarded by this proxy version")
    except redis.ConnectionError:
        refused.append(" ".join("k" if x.startswith(P) else x for x in cmd))
    except redis.ResponseError as e:
        print(f"  note: {cmd[0]}: error {e}")
    finally:
        c.close()
print(f"  the proxy closes the connection on: {', '.join(refused)}")
other = [k for k, h in zip(keys[40:], homes[40:]) if h != homes[50]]
if other:
    n = r.exists(keys[50], other[0])
    print(f"  EXISTS of 2 existing keys on 2 servers through the proxy: {n}"
          + ("" if n == 2 else " (not split up by the proxy: the first key's server counts all)"))

r.delete(P + "a", P + "s", P + "n", P + "f", P + "t", P + "se", P + "pse", P + "big", P + "bin",
         *keys[40:], *[f"{P}p{i}" for i in range(500)])
print(f"cluster check through the proxy: {passed} passed")
