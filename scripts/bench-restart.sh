#!/usr/bin/env bash
# Restart time and memory per key, kvs-server against redis-server in the same run (issue 17).
#
#   scripts/bench-restart.sh [KEYS ...]        (default: 1000000)
#   KVS_BIN=target/release/kvs-server ROUNDS=3 COLD=0
#
# For each key count: N keys × 100 B values (`key:<i>`) loaded into each server with
# `redis-cli --pipe`; RSS after the load; Redis then runs BGREWRITEAOF (an RDB-preamble AOF, its
# fastest restart) and both get a clean SHUTDOWN. Then ROUNDS restarts of each: the time from
# exec until PING answers PONG (Redis answers -LOADING until its data is in), and the RSS
# after the restart. COLD=1 drops the page cache before each restart (needs root). Every server
# it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

KVS_BIN=${KVS_BIN:-target/release/kvs-server}
ROUNDS=${ROUNDS:-3}
COLD=${COLD:-0}
KEYS_LIST=${*:-1000000}
[ -x "$KVS_BIN" ] || { echo "build $KVS_BIN first (cargo build --release)" >&2; exit 1; }
for t in redis-server redis-cli python3; do
  command -v "$t" >/dev/null || { echo "$t is not installed" >&2; exit 1; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
drop_cache() {
  if [ "$COLD" = 1 ]; then
    sync
    echo 3 >/proc/sys/vm/drop_caches
  fi
}
# Starts a server (the rest of the arguments), waits for PONG; prints "seconds pid".
start_timed() {
  local port=$1
  shift
  local t0
  t0=$(date +%s%N)
  "$@" >>"$WORK/server.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  while [ "$(redis-cli -p "$port" ping 2>/dev/null)" != "PONG" ]; do
    kill -0 "$pid" 2>/dev/null || { tail -5 "$WORK/server.log" >&2; exit 1; }
    sleep 0.005
  done
  local ns=$(($(date +%s%N) - t0))
  printf '%d.%03d %s\n' $((ns / 1000000000)) $((ns / 1000000 % 1000)) "$pid"
}
stop() {
  redis-cli -p "$1" shutdown >/dev/null 2>&1 || true
  wait "$2" 2>/dev/null || true
}

printf '| keys | server | RSS after load, MB | restart, s (%s rounds) | RSS after restart, MB |\n' "$ROUNDS"
printf '|---|---|---|---|---|\n'
for n in $KEYS_LIST; do
  python3 - "$n" "$WORK/load.resp" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
value = b"v" * 100
with open(path, "wb") as f:
    for i in range(n):
        k = b"key:%d" % i
        f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n" % (len(k), k, value))
PY
  read -r kport rport < <(python3 scripts/free-ports.py 2)
  kdir="$WORK/kvs-$n"
  rdir="$WORK/redis-$n"
  mkdir -p "$rdir"
  kvs=("$KVS_BIN" --addr "127.0.0.1:$kport" --dir "$kdir" --log-level warn)
  redis=(redis-server --port "$rport" --dir "$rdir" --appendonly yes --appendfsync everysec --save "" --daemonize no)
  for server in kvs redis; do
    if [ "$server" = kvs ]; then port=$kport; cmd=("${kvs[@]}"); else port=$rport; cmd=("${redis[@]}"); fi
    read -r _ pid < <(start_timed "$port" "${cmd[@]}")
    redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
    sleep 3
    load_rss=$(rss_mb "$pid")
    if [ "$server" = redis ]; then
      redis-cli -p "$port" bgrewriteaof >/dev/null
      while redis-cli -p "$port" info persistence | grep -q 'aof_rewrite_in_progress:1'; do sleep 0.2; done
    fi
    stop "$port" "$pid"
    times=()
    for _ in $(seq 1 "$ROUNDS"); do
      drop_cache
      read -r secs pid < <(start_timed "$port" "${cmd[@]}")
      times+=("$secs")
      sleep 2
      after_rss=$(rss_mb "$pid")
      got=$(redis-cli -p "$port" dbsize)
      [ "$got" = "$n" ] || { echo "$server: DBSIZE $got after restart, want $n" >&2; exit 1; }
      stop "$port" "$pid"
    done
    printf '| %s | %s | %s | %s | %s |\n' "$n" "$server" "$load_rss" "${times[*]}" "$after_rss"
  done
  rm -rf "$kdir" "$rdir"
done
