#!/usr/bin/env bash
# User-space instructions per request of kvs-server binaries, counted by callgrind: each binary
# runs under `valgrind --tool=callgrind`, its counters are zeroed once it answers PING, then
# redis-benchmark sends N requests of each test (c=50, -r 100000 -d 100) and the total of the
# dump is divided by N. Deterministic to about 1 % for the same binary and inputs, whatever
# else the machine does — the way to compare two builds on a shared, noisy box.
#
#   scripts/callgrind-per-request.sh BIN [BIN ...]
#   TESTS="set get" PIPELINES="1 16" N=100000 (defaults)
#
# Prints one line per binary, test and pipeline depth. Stops every server it starts.
set -euo pipefail
cd "$(dirname "$0")/.."

TESTS=${TESTS:-"set get"}
PIPELINES=${PIPELINES:-"1 16"}
N=${N:-100000}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
command -v callgrind_control >/dev/null || { echo "callgrind_control is not installed" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark is not installed" >&2; exit 1; }

WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT

for bin in "$@"; do
  for t in $TESTS; do
    for p in $PIPELINES; do
      port=$(python3 scripts/free-ports.py 1)
      rm -rf "$WORK/data" "$WORK"/callgrind.out.*
      valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p" \
        "$bin" --addr "127.0.0.1:$port" --dir "$WORK/data" --log-level warn \
        >"$WORK/server.log" 2>&1 &
      PID=$!
      for _ in $(seq 1 300); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
      done
      # GET reads keys a SET pass wrote (not counted).
      if [ "$t" = get ]; then
        redis-benchmark -p "$port" -t set -n "$N" -r 100000 -d 100 -c 50 -P 16 -q >/dev/null
      fi
      callgrind_control -z "$PID" >/dev/null 2>&1
      redis-benchmark -p "$port" -t "$t" -n "$N" -r 100000 -d 100 -c 50 -P "$p" -q >/dev/null
      callgrind_control -d "$PID" >/dev/null 2>&1
      sleep 0.5
      # The dump covers exactly the benchmark (counters zeroed before it).
      dump="$WORK/callgrind.out.$PID.1"
      total=$(sed -n 's/^summary: //p; s/^totals: //p' "$dump" | head -1 | awk '{print $1}')
      kill "$PID" 2>/dev/null || true
      wait "$PID" 2>/dev/null || true
      PID=
      printf '%s\t%s\tP=%s\t%d instructions/request\n' "$(basename "$bin")" "$t" "$p" $((total / N))
    done
  done
done
