#!/usr/bin/env bash
# Crash loop (issue 7, part 1): start kvs-server, drive concurrent SET/INCR/MSET/DEL clients that
# log every acknowledged reply, SIGKILL the server at a random moment, restart it, and verify that
# every acknowledged write survived (crates/server/examples/crash_driver.rs explains the workload
# and the checks). Small data files and a short compaction interval (plus a BGREWRITEAOF every
# 300 ms) keep compactions running, so kills land inside them too.
#
#   scripts/crash-loop.sh [N]          N cycles, default 200 (CI runs 20)
#
# Environment:
#   FSYNC=always|everysec|no   fsync policy (default always)
#   PROFILE=release|dev        cargo profile to build and run (default release; dev reuses what
#                              `cargo test` built, which keeps the CI run short)
#   CLIENTS=8                  concurrent clients
#   KILL_MIN_MS=200 KILL_MAX_MS=2500   the kill comes at a uniform random time in this range
#   SEED=<n>                   seed for the kill times and the workload (default: random)
#   KEEP=1                     keep the work directory (always kept when a check fails)
#
# Exit status: 0 if no acknowledged write was lost in any cycle, 1 otherwise (or on a server
# that does not come back). The last line is a summary.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-200}
FSYNC=${FSYNC:-always}
PROFILE=${PROFILE:-release}
CLIENTS=${CLIENTS:-8}
KILL_MIN_MS=${KILL_MIN_MS:-200}
KILL_MAX_MS=${KILL_MAX_MS:-2500}
SEED=${SEED:-$RANDOM}
RANDOM=$SEED

case "$PROFILE" in
  release) TARGET_DIR=release ;;
  dev) TARGET_DIR=debug ;;
  *) TARGET_DIR=$PROFILE ;;
esac

echo "crash-loop: building ($PROFILE)" >&2
cargo build -q --profile "$PROFILE" -p kvs-server --bin kvs-server --example crash_driver
TARGET=${CARGO_TARGET_DIR:-target}/$TARGET_DIR
SERVER=$TARGET/kvs-server
DRIVER=$TARGET/examples/crash_driver

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kvs-crash-loop.XXXXXX")
DATA=$WORK/data
STATE=$WORK/state.tsv
SERVER_PID=
DRIVER_PID=

cleanup() {
  [ -n "$DRIVER_PID" ] && kill "$DRIVER_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ] && [ "${FAILED:-0}" = 0 ]; then
    rm -rf "$WORK"
  else
    echo "crash-loop: work directory kept: $WORK" >&2
  fi
}
trap cleanup EXIT
# Stopped from outside: say so, and keep the work directory for a look.
trap 'echo "crash-loop: stopped by a signal during cycle ${cycle:-0}" >&2; FAILED=1; exit 143' TERM INT HUP

now_ms() { date +%s%3N; }

# Starts the server on a free port; sets SERVER_PID and ADDR. Fails if it does not get ready.
start_server() {
  local log=$1
  if [ ! -d "$DATA" ] && [ -n "${STARTED_ONCE:-}" ]; then
    echo "crash-loop: $DATA disappeared (removed by another process?); stopping" >&2
    FAILED=1
    exit 1
  fi
  STARTED_ONCE=1
  # Created here, not only by the background job's redirection: the polling below may run
  # before the job has opened it (sed on a missing file fails the script under pipefail).
  : >"$log"
  "$SERVER" --addr 127.0.0.1:0 --dir "$DATA" --fsync "$FSYNC" \
    --max-file-kb 64 --compaction-interval-ms 200 --log-level info >/dev/null 2>"$log" &
  SERVER_PID=$!
  ADDR=
  for _ in $(seq 1 600); do
    ADDR=$(sed -n 's/\x1b\[[0-9;]*m//g; s/.*kvs-server ready.* addr=\([0-9.:]*\).*/\1/p' "$log" | head -1)
    [ -n "$ADDR" ] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      break
    fi
    sleep 0.05
  done
  echo "crash-loop: kvs-server did not come back; its log:" >&2
  cat "$log" >&2
  cp -a "$DATA" "$WORK/data-that-failed-to-open" 2>/dev/null || true
  FAILED=1
  exit 1
}

# Verifies the running server against log $1; adds to the totals.
verify() {
  local log=$1 kill_ms=$2 out
  local args=(verify --addr "$ADDR" --log "$log" --state "$STATE" --clients "$CLIENTS")
  [ -n "$kill_ms" ] && args+=(--kill-ms "$kill_ms")
  if ! out=$("$DRIVER" "${args[@]}" 2>>"$WORK/verify.err"); then
    FAILED=1
    echo "crash-loop: verification failed after $log: $out" >&2
    tail -20 "$WORK/verify.err" >&2
  fi
  echo "$out" >>"$WORK/verify.out"
  local v
  v=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' <<<"$out"); LOST=$((LOST + ${v:-0}))
  v=$(sed -n 's/.* unexpected=\([0-9]*\).*/\1/p' <<<"$out"); UNEXPECTED=$((UNEXPECTED + ${v:-0}))
  v=$(sed -n 's/.* half_msets=\([0-9]*\).*/\1/p' <<<"$out"); HALF=$((HALF + ${v:-0}))
  v=$(sed -n 's/.* acked_ops=\([0-9]*\).*/\1/p' <<<"$out"); ACKED=$((ACKED + ${v:-0}))
  v=$(sed -n 's/.* unanswered_ops=\([0-9]*\).*/\1/p' <<<"$out"); UNANSWERED=$((UNANSWERED + ${v:-0}))
  v=$(sed -n 's/.* lost_oldest_ms=\([0-9]*\).*/\1/p' <<<"$out")
  if [ -n "$v" ] && [ "$v" -gt "$WINDOW_MS" ]; then WINDOW_MS=$v; fi
}

LOST=0 UNEXPECTED=0 HALF=0 ACKED=0 UNANSWERED=0 WINDOW_MS=0 FAILED=0
RECOVERY_MAX_MS=0 RECOVERY_SUM_MS=0
prev_log= prev_kill=
started=$(now_ms)
echo "crash-loop: $N cycles, fsync=$FSYNC, clients=$CLIENTS, seed=$SEED, work=$WORK" >&2

for cycle in $(seq 1 "$N"); do
  t0=$(now_ms)
  start_server "$WORK/server-$cycle.log"
  t1=$(now_ms)
  rec=$((t1 - t0))
  RECOVERY_SUM_MS=$((RECOVERY_SUM_MS + rec))
  [ "$rec" -gt "$RECOVERY_MAX_MS" ] && RECOVERY_MAX_MS=$rec
  if [ -n "$prev_log" ]; then
    verify "$prev_log" "$prev_kill"
  fi
  log=$WORK/cycle-$cycle.log
  "$DRIVER" drive --addr "$ADDR" --log "$log" --cycle "$cycle" --clients "$CLIENTS" \
    --seed "$((SEED * 1000 + cycle))" >>"$WORK/drive.out" 2>>"$WORK/drive.err" &
  DRIVER_PID=$!
  delay_ms=$((KILL_MIN_MS + (RANDOM * 32768 + RANDOM) % (KILL_MAX_MS - KILL_MIN_MS + 1)))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  prev_kill=$(now_ms)
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  wait "$DRIVER_PID" || true
  DRIVER_PID=
  prev_log=$log
  if [ $((cycle % 10)) = 0 ] || [ "$cycle" = "$N" ]; then
    echo "crash-loop: $cycle/$N cycles, acked so far $ACKED, lost $LOST" >&2
  fi
done

# The last cycle's check, then a clean stop.
start_server "$WORK/server-final.log"
verify "$prev_log" "$prev_kill"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=

COMPACTIONS=$(cat "$WORK"/server-*.log | grep -c "compaction done" || true)
elapsed=$(( ($(now_ms) - started) / 1000 ))
window=$([ "$LOST" -gt 0 ] && echo "${WINDOW_MS}ms" || echo "none")
echo "crash-loop: cycles=$N fsync=$FSYNC acked_ops=$ACKED unanswered_at_kill=$UNANSWERED" \
  "lost=$LOST unexpected=$UNEXPECTED half_msets=$HALF lost_window=$window" \
  "compactions_completed=$COMPACTIONS recovery_ms_avg=$((RECOVERY_SUM_MS / (N + 1)))" \
  "recovery_ms_max=$RECOVERY_MAX_MS elapsed_s=$elapsed seed=$SEED"
if [ "$FAILED" != 0 ] || [ $((LOST + UNEXPECTED + HALF)) != 0 ]; then
  FAILED=1
  exit 1
fi
