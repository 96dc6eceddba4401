#!/usr/bin/env bash
# kvs-server against Redis, driven by redis-benchmark, in one run on this machine.
#
#   scripts/bench-vs-redis.sh [ROUNDS] [REQUESTS]     (defaults: 3 rounds, 200000 requests)
#   PHASES=mem scripts/bench-vs-redis.sh               (only some phases: everysec,always,mem)
#   KVS_BIN=/tmp/kvs-server-old scripts/bench-vs-redis.sh   (another kvs-server binary)
#
# 1. everysec: redis-server (appendonly yes, appendfsync everysec) vs kvs-server --fsync everysec,
#    SET, GET, INCR and MSET (TESTS=... picks others) at c=50 with P=1 and P=16,
#    -r 1000000 -d 100, servers alternating each round.
# 2. always: appendfsync always vs --fsync always, SET at c=50 P=1 and P=16.
# 3. memory: RSS of both servers after loading 1 M distinct keys x 100 B values (redis-cli --pipe).
# Prints markdown tables (per round, medians, ratio kvs/Redis, and each server's CPU per
# request: utime + stime of the whole process over the run, from /proc/PID/stat, divided by
# requests). Every process it starts is stopped on exit. Loopback only; bounded by
# ROUNDS x REQUESTS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
N=${2:-200000}
# The server's own defaults unless KVS_LOOPERS / KVS_READERS say otherwise (issue 13 judges
# default flags).
THREADS=()
[ -n "${KVS_LOOPERS:-}" ] && THREADS+=(--loopers "$KVS_LOOPERS")
[ -n "${KVS_READERS:-}" ] && THREADS+=(--readers "$KVS_READERS")
# Extra kvs-server flags, e.g. KVS_EXTRA=--inline-reads.
read -r -a EXTRA <<<"${KVS_EXTRA:-}"

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "need $tool" >&2; exit 1; }
done
# KVS_BIN=path runs that kvs-server binary instead of building this tree's (e.g. an older build,
# for a before/after in one sitting).
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

# start_redis POLICY -> sets RPORT, RPID
start_redis() {
  RPORT=$(free_port); mkdir -p "$WORK/redis-$1"
  redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$WORK/redis-$1" --save '' --appendonly yes --appendfsync "${1/mem/everysec}" --daemonize no >"$WORK/redis-$1.log" 2>&1 &
  RPID=$!; PIDS+=("$RPID"); wait_up "$RPORT"
}
# start_kvs POLICY -> sets KPORT, KPID
start_kvs() {
  KPORT=$(free_port)
  "$KVS" --addr "127.0.0.1:$KPORT" --dir "$WORK/kvs-$1" --fsync "${1%-mem}" "${THREADS[@]}" --log-level warn "${EXTRA[@]}" >"$WORK/kvs-$1.log" 2>&1 &
  KPID=$!; PIDS+=("$KPID"); wait_up "$KPORT"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# CPU time (user + system, clock ticks) the process PID has used so far, all its threads.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)
# bench PORT PID TEST PIPELINE -> "rps p50 p99 cpu" (cpu: the server's µs of CPU per request)
bench() {
  local c0 c1 out
  c0=$(cpu_ticks "$2")
  out=$(redis-benchmark -p "$1" -t "$3" -c 50 -P "$4" -n "$N" -r 1000000 -d 100 --csv 2>/dev/null \
    | awk -F'","' 'NR==2 { gsub(/"/, "", $0); split($0, f, ","); print f[2], f[5], f[7] }')
  c1=$(cpu_ticks "$2")
  echo "$out $(awk -v a="$c0" -v b="$c1" -v t="$TICK" -v n="$N" 'BEGIN { printf "%.2f", (b - a) * 1e6 / t / n }')"
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

run_matrix() { # POLICY TESTS...
  local policy=$1; shift
  start_redis "$policy"; start_kvs "$policy"
  echo
  echo "### appendfsync/--fsync $policy ($(date -u +%F), $(nproc) cores, $N requests, c=50, -r 1000000 -d 100)"
  echo
  echo "| test | P | round | Redis rps | kvs rps | Redis p50 ms | kvs p50 ms | Redis p99 ms | kvs p99 ms | Redis CPU µs/req | kvs CPU µs/req |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  local summary=()
  for t in "$@"; do
    for p in 1 16; do
      for f in r k r99 k99 rc kc; do : >"$WORK/$f.txt"; done
      for round in $(seq 1 "$ROUNDS"); do
        read -r rr r50 r99 rc < <(bench "$RPORT" "$RPID" "$t" "$p")
        read -r kr k50 k99 kc < <(bench "$KPORT" "$KPID" "$t" "$p")
        echo "| $t | $p | $round | $rr | $kr | $r50 | $k50 | $r99 | $k99 | $rc | $kc |"
        echo "$rr" >>"$WORK/r.txt"; echo "$kr" >>"$WORK/k.txt"; echo "$r99" >>"$WORK/r99.txt"; echo "$k99" >>"$WORK/k99.txt"
        echo "$rc" >>"$WORK/rc.txt"; echo "$kc" >>"$WORK/kc.txt"
      done
      local mr mk m99r m99k mrc mkc
      mr=$(median <"$WORK/r.txt"); mk=$(median <"$WORK/k.txt"); m99r=$(median <"$WORK/r99.txt"); m99k=$(median <"$WORK/k99.txt")
      mrc=$(median <"$WORK/rc.txt"); mkc=$(median <"$WORK/kc.txt")
      summary+=("| $t | $p | $mr | $mk | $(awk -v a="$mk" -v b="$mr" 'BEGIN { printf "%.2f", a / b }') | $m99r | $m99k | $mrc | $mkc |")
    done
  done
  echo
  echo "Medians ($policy):"
  echo
  echo "| test | P | Redis rps | kvs rps | kvs/Redis | Redis p99 ms | kvs p99 ms | Redis CPU µs/req | kvs CPU µs/req |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${summary[@]}"
  stop "$RPID"; stop "$KPID"
}

# PHASES picks what to run (default all): everysec, always, mem.
PHASES=",${PHASES:-everysec,always,mem},"
[[ $PHASES == *,everysec,* ]] && run_matrix everysec ${TESTS:-set get incr mset}
[[ $PHASES == *,always,* ]] && run_matrix always set
[[ $PHASES == *,mem,* ]] || exit 0

# Memory after 1 M keys x 100 B.
python3 - "$WORK/load.txt" <<'PY'
import sys
val = b"x" * 100
with open(sys.argv[1], "wb") as f:
    for i in range(1_000_000):
        k = b"key:%010d" % i
        f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n" % (len(k), k, val))
PY
# Fresh servers and directories: nothing from the throughput runs may be reloaded.
start_redis mem; start_kvs everysec-mem
rss() { awk '/VmRSS/ { print $2 * 1024 }' "/proc/$1/status"; }
base_r=$(rss "$RPID"); base_k=$(rss "$KPID")
redis-cli -p "$RPORT" --pipe <"$WORK/load.txt" >/dev/null
redis-cli -p "$KPORT" --pipe <"$WORK/load.txt" >/dev/null
# Both servers get the same time to settle: Redis' jemalloc purges freed pages in the
# background, kvs-server trims its heap every 5 s.
sleep "${SETTLE:-6}"
rr=$(rss "$RPID"); kr=$(rss "$KPID")
part() { awk -v f="$2:" '$1 == f { print $2 * 1024 }' "/proc/$1/status"; }
echo
echo "### RSS after loading 1 M keys x 100 B (redis-cli --pipe), ${SETTLE:-6} s later"
echo
echo "| server | keys | RSS before | RSS after | of which anon / file | kvs/Redis |"
echo "|---|---|---|---|---|---|"
echo "| Redis | $(redis-cli -p "$RPORT" dbsize) | $base_r | $rr | $(part "$RPID" RssAnon) / $(part "$RPID" RssFile) | |"
echo "| kvs | $(redis-cli -p "$KPORT" dbsize) | $base_k | $kr | $(part "$KPID" RssAnon) / $(part "$KPID" RssFile) | $(awk -v a="$kr" -v b="$rr" 'BEGIN { printf "%.2f", a / b }') |"
