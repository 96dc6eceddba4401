#!/usr/bin/env bash
# Differential compatibility suite: the same raw RESP bytes to a real redis-server and to
# kvs-server, replies compared byte for byte (scripts/compat/redis_diff.py, RESP2 and RESP3),
# then INCRBYFLOAT on 3000 random cases (scripts/compat/incrbyfloat_diff.py). Run by .ci/run;
# needs redis-server (CI installs it with apt). Both servers run on free 127.0.0.1 ports with
# temporary data directories, and are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "FAIL: $*" >&2; exit 1; }
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    fail "redis-server is not installed (apt-get install redis-server); the differential suite needs it"
  fi
  echo "SKIP: redis-server is not installed; the differential suite needs it"
  exit 0
fi
command -v python3 >/dev/null || fail "python3 is not installed"
redis-server --version

cargo build -q --bin kvs-server
BIN=target/debug/kvs-server
DIR=$(mktemp -d)
mkdir -p "$DIR/redis" "$DIR/kvs"
free_port() { python3 scripts/free-ports.py 1; }
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done

RPID=""
KPID=""
stop() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$RPID"
  stop "$KPID"
  rm -rf "$DIR"
}
trap cleanup EXIT

redis-server --port "$P1" --bind 127.0.0.1 --dir "$DIR/redis" --save '' --appendonly no \
  --daemonize no >"$DIR/redis.log" 2>&1 &
RPID=$!
"$BIN" --addr "127.0.0.1:$P2" --dir "$DIR/kvs/data" --log-level warn >"$DIR/kvs.log" 2>&1 &
KPID=$!

# PING over a raw socket (redis-cli may not be installed).
ping() {
  timeout 5 python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"*1\r\n$4\r\nPING\r\n")
sys.exit(0 if s.recv(64) == b"+PONG\r\n" else 1)
PY
}
up() { ping "$P1" && ping "$P2"; }
for _ in $(seq 1 100); do
  up && break
  kill -0 "$RPID" 2>/dev/null || { cat "$DIR/redis.log" >&2; fail "redis-server exited"; }
  kill -0 "$KPID" 2>/dev/null || { cat "$DIR/kvs.log" >&2; fail "kvs-server exited"; }
  sleep 0.1
done
up || fail "the servers did not answer PING (redis :$P1, kvs :$P2)"
echo "redis-server on :$P1, kvs-server on :$P2"

status=0
timeout 120 python3 scripts/compat/redis_diff.py "$P1" "$P2" || { echo "FAIL: redis_diff.py" >&2; status=1; }
timeout 300 python3 scripts/compat/incrbyfloat_diff.py "$P1" "$P2" --cases 3000 \
  || { echo "FAIL: incrbyfloat_diff.py" >&2; status=1; }

kill -0 "$KPID" 2>/dev/null || { cat "$DIR/kvs.log" >&2; fail "kvs-server died during the run"; }
if grep -qi panic "$DIR/kvs.log"; then cat "$DIR/kvs.log" >&2; fail "kvs-server panicked"; fi
[ "$status" = 0 ] || exit 1
echo "compat: redis differential suite passed"
