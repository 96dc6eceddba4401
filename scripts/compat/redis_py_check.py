"""redis-py against kvs-server, with the protocol version given on the command line (2 or 3).

redis-py 5 sends HELLO 3 when protocol=3, and CLIENT SETINFO on connect; both must just work.
"""
import sys
import time

import redis

port, proto = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis(host="127.0.0.1", port=port, protocol=proto, decode_responses=True, socket_timeout=20)
prefix = f"py{proto}:"

assert r.ping() is True
assert r.set(prefix + "a", "1") is True
assert r.get(prefix + "a") == "1"
assert r.get(prefix + "missing") is None
assert r.incr(prefix + "n") == 1 and r.incrby(prefix + "n", 9) == 10 and r.decr(prefix + "n") == 9
assert r.mset({prefix + "x": "1", prefix + "y": "2"}) is True
assert r.mget([prefix + "x", prefix + "y", prefix + "nope"]) == ["1", "2", None]
assert r.set(prefix + "nx", "v", nx=True) is True and r.set(prefix + "nx", "w", nx=True) is None
assert r.append(prefix + "a", "23") == 3 and r.strlen(prefix + "a") == 3
assert r.getrange(prefix + "a", 0, 1) == "12"
assert abs(float(r.incrbyfloat(prefix + "f", 1.5)) - 1.5) < 1e-9
r.set(prefix + "t", "v", ex=100)
assert 99 <= r.ttl(prefix + "t") <= 100
r.set(prefix + "short", "v", px=50)
time.sleep(0.15)
assert r.get(prefix + "short") is None and r.exists(prefix + "short") == 0
assert r.delete(prefix + "x", prefix + "y", prefix + "nope") == 2
assert r.type(prefix + "a") == "string" and r.type(prefix + "x") == "none"
assert r.rename(prefix + "a", prefix + "b") is True and r.get(prefix + "b") == "123"
keys = set(r.scan_iter(match=prefix + "*", count=100))
assert prefix + "b" in keys and prefix + "a" not in keys, keys

p = r.pipeline(transaction=False)
for i in range(500):
    p.set(f"{prefix}p{i}", i)
p.get(f"{prefix}p499")
assert p.execute()[-1] == "499"

# MULTI/EXEC through redis-py's helpers: pipeline() is a transaction by default, and
# transaction() retries a WATCHed read-modify-write until EXEC succeeds.
p = r.pipeline()
p.set(prefix + "tx", "1").incr(prefix + "tx").hset(prefix + "th", mapping={"a": "1", "b": "2"})
assert p.execute() == [True, 2, 2]
other = redis.Redis(host="127.0.0.1", port=port, protocol=proto, decode_responses=True)
attempts = []
def move(pipe):
    n = int(pipe.get(prefix + "tx"))
    if not attempts:
        other.incr(prefix + "tx")  # another client changes the watched key: EXEC must fail once
    attempts.append(n)
    pipe.multi()
    pipe.set(prefix + "tx", n * 10)
r.transaction(move, prefix + "tx")
assert len(attempts) == 2 and r.get(prefix + "tx") == "30", (attempts, r.get(prefix + "tx"))

# Hashes and sets.
assert r.hset(prefix + "h", mapping={"f1": "v1", "f2": "v2"}) == 2
assert r.hget(prefix + "h", "f1") == "v1" and r.hlen(prefix + "h") == 2
assert r.hgetall(prefix + "h") == {"f1": "v1", "f2": "v2"}
assert r.hincrby(prefix + "h", "n", 5) == 5 and r.hdel(prefix + "h", "f1", "zz") == 1
assert sorted(r.hkeys(prefix + "h")) == ["f2", "n"]
assert r.sadd(prefix + "s", "a", "b", "c") == 3 and r.srem(prefix + "s", "c") == 1
assert r.smembers(prefix + "s") == {"a", "b"} and r.sismember(prefix + "s", "a")
assert r.scard(prefix + "s") == 2 and r.type(prefix + "s") == "set"
try:
    r.get(prefix + "h")
    raise AssertionError("GET of a hash answered")
except redis.ResponseError as e:
    assert str(e).startswith("WRONGTYPE"), e

# Lists, and a blocking pop served from another connection (redis-py's BLPOP/BRPOP/BLMOVE).
L = prefix + "l"
assert r.rpush(L, "a", "b", "c") == 3 and r.lpush(L, "z") == 4
assert r.lrange(L, 0, -1) == ["z", "a", "b", "c"] and r.llen(L) == 4 and r.type(L) == "list"
assert r.linsert(L, "AFTER", "a", "ab") == 5 and r.lindex(L, 2) == "ab"
assert r.lset(L, 0, "Z") is True and r.lrem(L, 1, "ab") == 1 and r.lpos(L, "c") == 3
assert r.ltrim(L, 0, 2) is True and r.lrange(L, 0, -1) == ["Z", "a", "b"]
assert r.lmove(L, prefix + "l2", "RIGHT", "LEFT") == "b" and r.rpoplpush(L, L) == "a"
assert r.lmpop(2, prefix + "none", L, direction="LEFT", count=5) == [L, ["a", "Z"]]
assert r.exists(L) == 0
assert list(r.blpop([prefix + "none", prefix + "l2"], timeout=1)) == [prefix + "l2", "b"]
assert r.brpop(prefix + "none", timeout=0.1) is None
import threading
result = []
waiter = redis.Redis(host="127.0.0.1", port=port, protocol=proto, decode_responses=True)
t = threading.Thread(target=lambda: result.append(waiter.blmove(prefix + "q", prefix + "done", 5, "LEFT", "RIGHT")))
t.start()
deadline = time.time() + 5
while r.info("clients")["blocked_clients"] < 1 and time.time() < deadline:
    time.sleep(0.01)
assert r.rpush(prefix + "q", "job") == 1
t.join(10)
assert result == ["job"] and r.lrange(prefix + "done", 0, -1) == ["job"], result
waiter.close()

# Pub/sub: redis-py's PubSub object (a connection of its own), channel and pattern messages,
# keyspace notifications, and the registry's counts.
p = r.pubsub()
p.subscribe(prefix + "news")
p.psubscribe(prefix + "n*")
seen = []
deadline = time.time() + 10
while len(seen) < 2 and time.time() < deadline:  # the two confirmations
    m = p.get_message(timeout=1)
    if m:
        seen.append(m["type"])
assert seen == ["subscribe", "psubscribe"], seen
assert r.pubsub_numsub(prefix + "news") == [(prefix + "news", 1)]
assert r.pubsub_numpat() >= 1
assert r.publish(prefix + "news", "hello") == 2
got = []
deadline = time.time() + 10
while len(got) < 2 and time.time() < deadline:
    m = p.get_message(ignore_subscribe_messages=True, timeout=1)
    if m:
        got.append((m["type"], m["channel"], m["data"]))
assert got == [("message", prefix + "news", "hello"),
               ("pmessage", prefix + "news", "hello")], got
r.config_set("notify-keyspace-events", "KE$")
assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "$KE"}
ks = r.pubsub(ignore_subscribe_messages=True)
ks.subscribe("__keyevent@0__:set")
ks.get_message(timeout=1)  # the confirmation, ignored
r.set(prefix + "watched", "1")
m = None
deadline = time.time() + 10
while m is None and time.time() < deadline:
    m = ks.get_message(timeout=1)
assert m and m["data"] == prefix + "watched", m
r.config_set("notify-keyspace-events", "")
p.close()
ks.close()

info = r.info()
assert "redis_version" in info and "connected_clients" in info
assert r.client_id() > 0
assert r.dbsize() > 0
try:
    r.execute_command("NOSUCHCOMMAND")
    raise AssertionError("unknown command accepted")
except redis.ResponseError as e:
    assert "unknown command" in str(e)
print(f"redis-py protocol {proto}: ok")
