#!/usr/bin/env bash
# Hashes and sets: kvs-server against Redis in one run on this machine (issue 15).
#
#   scripts/bench-collections.sh [ROUNDS] [N]      (defaults: 3 rounds, 200000 requests)
#   PHASES=ops,mem   which parts to run (default both)
#   KVS_BIN=path     another kvs-server binary (default: this tree's release build)
#
# 1. ops: redis-benchmark at c=50, P=1 and P=16, servers alternating each round, -d 100:
#    HSET and SADD (its own tests: one hash `myhash`, one set `myset`, fields/members
#    `element:__rand_int__` with -r 100000), then HGET and SISMEMBER of those (custom commands,
#    the same key space). Redis with appendonly yes / everysec, kvs with --fsync everysec. Prints
#    per-round rows, medians, kvs/Redis, and each server's CPU µs per request.
# 2. mem: RSS after loading, with redis-cli --pipe, (a) 1 M hash fields (1000 hashes x 1000
#    fields, 100 B values), (b) 1 M set members (1000 sets x 1000 members of 16 B), (c) 100 k
#    small hashes of 10 fields (1 M fields, 16 B values) — each into fresh servers — and the bytes
#    per field or member over the empty server, Redis and kvs side by side.
# Every process it starts is stopped on exit. Loopback only; bounded by ROUNDS x N.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
N=${2:-200000}
for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "need $tool" >&2; exit 1; }
done
if [ -n "${KVS_BIN:-}" ]; then
  KVS=$KVS_BIN
else
  cargo build -q --release --bin kvs-server
  KVS=target/release/kvs-server
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 scripts/free-ports.py 1; }
wait_up() { for _ in $(seq 1 200); do [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ] && return 0; sleep 0.05; done; echo "server on $1 did not start" >&2; exit 1; }
start_redis() { # NAME -> RPORT RPID
  RPORT=$(free_port); mkdir -p "$WORK/redis-$1"
  redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$WORK/redis-$1" --save '' --appendonly yes --appendfsync everysec --daemonize no >"$WORK/redis-$1.log" 2>&1 &
  RPID=$!; PIDS+=("$RPID"); wait_up "$RPORT"
}
start_kvs() { # NAME -> KPORT KPID
  KPORT=$(free_port)
  "$KVS" --addr "127.0.0.1:$KPORT" --dir "$WORK/kvs-$1" --fsync everysec --log-level warn >"$WORK/kvs-$1.log" 2>&1 &
  KPID=$!; PIDS+=("$KPID"); wait_up "$KPORT"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# bench PORT PID P ARGS... -> "rps p99 cpu_us_per_req"
bench() {
  local port=$1 pid=$2 p=$3; shift 3
  local c0 c1 out
  c0=$(cpu_ticks "$pid")
  out=$(redis-benchmark -p "$port" -c 50 -P "$p" -n "$N" -r 100000 -d 100 --csv "$@" 2>/dev/null \
    | awk -F'","' 'NR==2 { gsub(/"/, "", $0); split($0, f, ","); print f[2], f[7] }')
  c1=$(cpu_ticks "$pid")
  echo "$out $(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v n="$N" 'BEGIN { printf "%.2f", (b - a) * 1e6 / t / n }')"
}

PHASES=",${PHASES:-ops,mem},"
if [[ $PHASES == *,ops,* ]]; then
  start_redis ops; start_kvs ops
  echo
  echo "### Hashes and sets at c=50 ($(date -u +%F), $(nproc) cores, $N requests, -r 100000 -d 100, everysec)"
  echo
  echo "| test | P | Redis rps | kvs rps | kvs/Redis | Redis p99 ms | kvs p99 ms | Redis CPU µs/req | kvs CPU µs/req |"
  echo "|---|---|---|---|---|---|---|---|---|"
  declare -A CMD=(
    [hset]="-t hset"
    [sadd]="-t sadd"
    [hget]="hget myhash element:__rand_int__"
    [sismember]="sismember myset element:__rand_int__"
  )
  for t in hset hget sadd sismember; do
    for p in 1 16; do
      for f in r k r99 k99 rc kc; do : >"$WORK/$f.txt"; done
      for _ in $(seq 1 "$ROUNDS"); do
        # shellcheck disable=SC2086 # the command is words on purpose
        read -r rr r99 rc < <(bench "$RPORT" "$RPID" "$p" ${CMD[$t]})
        # shellcheck disable=SC2086
        read -r kr k99 kc < <(bench "$KPORT" "$KPID" "$p" ${CMD[$t]})
        echo "$rr" >>"$WORK/r.txt"; echo "$kr" >>"$WORK/k.txt"; echo "$r99" >>"$WORK/r99.txt"; echo "$k99" >>"$WORK/k99.txt"
        echo "$rc" >>"$WORK/rc.txt"; echo "$kc" >>"$WORK/kc.txt"
      done
      mr=$(median <"$WORK/r.txt"); mk=$(median <"$WORK/k.txt")
      echo "| ${t^^} | $p | $mr | $mk | $(awk -v a="$mk" -v b="$mr" 'BEGIN { printf "%.2f", a / b }') | $(median <"$WORK/r99.txt") | $(median <"$WORK/k99.txt") | $(median <"$WORK/rc.txt") | $(median <"$WORK/kc.txt") |"
    done
  done
  echo
  echo "Sizes after the run: Redis HLEN myhash $(redis-cli -p "$RPORT" hlen myhash), SCARD myset $(redis-cli -p "$RPORT" scard myset); kvs $(redis-cli -p "$KPORT" hlen myhash), $(redis-cli -p "$KPORT" scard myset)."
  stop "$RPID"; stop "$KPID"
fi

[[ $PHASES == *,mem,* ]] || exit 0
# gen KIND FILE: the redis-cli --pipe input of one memory case.
gen() {
  python3 - "$1" "$2" <<'PY'
import sys
kind, path = sys.argv[1], sys.argv[2]
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
with open(path, "wb") as f:
    if kind == "hash":      # 1000 hashes x 1000 fields, 100 B values, 100 fields per HSET
        v = b"x" * 100
        for h in range(1000):
            for start in range(0, 1000, 100):
                args = [b"HSET", b"hash:%06d" % h]
                for i in range(start, start + 100):
                    args += [b"field:%06d" % i, v]
                f.write(cmd(*args))
    elif kind == "set":     # 1000 sets x 1000 members of 16 B
        for s in range(1000):
            for start in range(0, 1000, 100):
                f.write(cmd(b"SADD", b"set:%06d" % s, *[b"member:%09d" % i for i in range(start, start + 100)]))
    else:                   # 100 000 small hashes x 10 fields, 16 B values
        v = b"y" * 16
        for h in range(100_000):
            args = [b"HSET", b"small:%08d" % h]
            for i in range(10):
                args += [b"f%d" % i, v]
            f.write(cmd(*args))
PY
}
rss() { awk '/VmRSS/ { print $2 * 1024 }' "/proc/$1/status"; }
echo
echo "### RSS per hash field / set member after loading (redis-cli --pipe), ${SETTLE:-6} s later"
echo
echo "| case | elements | Redis RSS before → after | kvs RSS before → after | Redis B/element | kvs B/element | kvs/Redis |"
echo "|---|---|---|---|---|---|---|"
for kind in hash set small; do
  gen "$kind" "$WORK/$kind.txt"
  start_redis "mem-$kind"; start_kvs "mem-$kind"
  b_r=$(rss "$RPID"); b_k=$(rss "$KPID")
  redis-cli -p "$RPORT" --pipe <"$WORK/$kind.txt" >/dev/null
  redis-cli -p "$KPORT" --pipe <"$WORK/$kind.txt" >/dev/null
  sleep "${SETTLE:-6}"
  a_r=$(rss "$RPID"); a_k=$(rss "$KPID")
  n=1000000
  per_r=$(awk -v a="$a_r" -v b="$b_r" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')
  per_k=$(awk -v a="$a_k" -v b="$b_k" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')
  echo "| $kind | $n | $b_r → $a_r | $b_k → $a_k | $per_r | $per_k | $(awk -v a="$per_k" -v b="$per_r" 'BEGIN { printf "%.2f", a / b }') |"
  stop "$RPID"; stop "$KPID"
done
