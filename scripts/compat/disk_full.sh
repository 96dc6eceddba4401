#!/usr/bin/env bash
# Healing after a full disk, end to end (issue 17): kvs-server's --dir on a small tmpfs with a
# ballast file in it. A client writes until the disk is full (MISCONF), the ballast is removed,
# and writes must resume by themselves within a second or two, with INFO persistence telling
# the story; every acknowledged write (and no refused one) must then survive a restart.
#
# Needs root (mount -t tmpfs) and redis-py; skipped, with a note, where it cannot mount. Every
# process it starts is stopped and the mount removed on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "disk-full: FAIL: $*" >&2; exit 1; }
skip() { echo "compat: disk-full: skipped ($*)"; exit 0; }
python3 -c 'import redis' 2>/dev/null || fail "the redis Python package is not installed"
[ "$(id -u)" = 0 ] || skip "mounting a small tmpfs needs root"

cargo build -q --bin kvs-server
BIN=$PWD/target/debug/kvs-server
WORK=$(mktemp -d)
MNT=$WORK/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=6m tmpfs "$MNT" 2>/dev/null || { rm -rf "$WORK"; skip "mount -t tmpfs failed (no CAP_SYS_ADMIN here)"; }
PID=
cleanup() {
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  umount "$MNT" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 scripts/free-ports.py 1)
start() {
  "$BIN" --addr "127.0.0.1:$PORT" --dir "$MNT/data" --log-level warn >>"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    python3 -c "import redis,sys; redis.Redis(port=$PORT).ping()" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$WORK/server.log" >&2
  fail "server did not come up"
}

# Most of the filesystem is ballast: what the server can use fills within a few MiB.
head -c $((4 * 1024 * 1024)) /dev/zero >"$MNT/ballast"
start

python3 - "$PORT" "$MNT/ballast" "$WORK/acked" "$WORK/refused" <<'PY'
import os, sys, time
import redis

port, ballast, acked_path, refused_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
r = redis.Redis(port=port, socket_timeout=10)
value = b"v" * 1000
acked, refused = [], []
first_error = None
# Fill the disk: write until the server refuses (MISCONF), then a few more, all refused.
for i in range(20000):
    key = f"k{i}"
    try:
        r.set(key, value + key.encode())
        acked.append(key)
    except redis.ResponseError as e:
        refused.append(key)
        first_error = first_error or str(e)
        if len(refused) >= 20:
            break
assert refused, "the disk never filled"
assert first_error.startswith("MISCONF"), first_error
info = r.info("persistence")
assert info["aof_last_write_status"] == "err", info
assert info["kvs_writes_refused"] == 1, info
print(f"disk-full: {len(acked)} writes acknowledged, then refused: {first_error[:100]}")
# Still full a moment later: still refused.
time.sleep(0.5)
try:
    r.set("still-full", "x")
    raise SystemExit("a write went through on a full disk")
except redis.ResponseError as e:
    assert str(e).startswith("MISCONF"), e
refused.append("still-full")
# Free the space: writes resume without a restart.
os.remove(ballast)
freed = time.monotonic()
while True:
    try:
        r.set("after-free", "1")
        break
    except redis.ResponseError as e:
        assert str(e).startswith("MISCONF"), e
        if time.monotonic() - freed > 10:
            raise SystemExit("writes did not resume within 10 s of space coming back")
        time.sleep(0.01)
took = time.monotonic() - freed
acked.append("after-free")
info = r.info("persistence")
assert info["kvs_writes_refused"] == 0 and info["aof_last_write_status"] == "ok", info
assert info["kvs_heals"] >= 1, info
assert "No space left" in str(info["kvs_last_write_error"]), info
print(f"disk-full: writes resumed {took * 1000:.0f} ms after space was freed "
      f"(heal attempts {info['kvs_heal_attempts']}, heals {info['kvs_heals']})")
if took > 1.5:
    print(f"disk-full: NOTE: resumed after {took:.2f} s (target: within 1 s)")
for i in range(100):
    key = f"post{i}"
    r.set(key, value + key.encode())
    acked.append(key)
open(acked_path, "w").write("\n".join(acked))
open(refused_path, "w").write("\n".join(refused))
PY

# A restart: every acknowledged write is there, no refused one is.
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
start
python3 - "$PORT" "$WORK/acked" "$WORK/refused" <<'PY'
import sys
import redis

port = int(sys.argv[1])
acked = open(sys.argv[2]).read().split("\n")
refused = open(sys.argv[3]).read().split("\n")
r = redis.Redis(port=port, socket_timeout=10)
pipe = r.pipeline(transaction=False)
for k in acked:
    pipe.get(k)
got = pipe.execute()
value = b"v" * 1000
for k, v in zip(acked, got):
    want = b"1" if k == "after-free" else value + k.encode()
    assert v == want, f"acknowledged {k} lost or changed after the restart: {v!r:.60}"
present = [k for k in refused if r.exists(k)]
assert not present, f"refused writes visible after the restart: {present[:5]}"
print(f"disk-full: after a restart all {len(acked)} acknowledged writes are there, "
      f"none of the {len(refused)} refused ones")
PY
echo "compat: disk-full: passed"
