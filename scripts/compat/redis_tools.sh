#!/usr/bin/env bash
# Compatibility suite: real Redis tools against kvs-server — redis-cli (incl. --pipe mass
# insertion), redis-benchmark, and redis-py with RESP2 and RESP3. Run by .ci/run; needs
# redis-tools and the redis Python package. Every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
python3 -c 'import redis' 2>/dev/null || fail "the redis Python package is not installed"

cargo build -q --bin kvs-server
BIN=target/debug/kvs-server
DIR=$(mktemp -d)
PORT=$(python3 scripts/free-ports.py 1)
"$BIN" --addr "127.0.0.1:$PORT" --dir "$DIR" --log-level warn &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT

cli() { timeout 30 redis-cli -p "$PORT" "$@"; }
for _ in $(seq 1 100); do
  [ "$(cli ping 2>/dev/null)" = "PONG" ] && break
  sleep 0.1
done
[ "$(cli ping)" = "PONG" ] || fail "server did not come up"
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }

# --- redis-cli basics and exact error texts
[ "$(cli set greeting hello)" = "OK" ] || fail "SET"
[ "$(cli get greeting)" = "hello" ] || fail "GET"
[ "$(cli incrby counter 41)" = "41" ] || fail "INCRBY"
[ "$(cli incr counter)" = "42" ] || fail "INCR"
[ "$(cli get counter)" = "42" ] || fail "GET after INCR"
[ "$(cli incr greeting)" = "ERR value is not an integer or out of range" ] || fail "INCR on a string: $(cli incr greeting)"
[ "$(cli nosuchcmd a)" = "ERR unknown command 'nosuchcmd', with args beginning with: 'a' " ] || fail "unknown command text"
[ "$(cli get)" = "ERR wrong number of arguments for 'get' command" ] || fail "arity text"
ok "redis-cli basics and error texts"

# --- mass insertion with --pipe: 100 000 keys in raw RESP
python3 - "$DIR/pipe.txt" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(100000):
        k, v = b"pipe:%d" % i, b"value-%d" % i
        f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
out=$(timeout 120 redis-cli -p "$PORT" --pipe < "$DIR/pipe.txt" 2>&1)
echo "$out" | tail -2
echo "$out" | grep -q "errors: 0, replies: 100000" || fail "redis-cli --pipe: $out"
[ "$(cli get pipe:99999)" = "value-99999" ] || fail "last piped key"
[ "$(cli dbsize)" -ge 100000 ] || fail "DBSIZE after --pipe"
ok "redis-cli --pipe 100k keys"

# --- redis-benchmark: completes, no error lines
bench=$(timeout 300 redis-benchmark -p "$PORT" -t ping,set,get,incr,mset -n 20000 -q 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep -v '^\s*$')
echo "$bench"
if echo "$bench" | grep -qiE 'error|refused|reset'; then fail "redis-benchmark reported errors"; fi
for t in PING_INLINE PING_MBULK SET GET INCR MSET; do
  echo "$bench" | grep -q "^$t.*requests per second" || fail "redis-benchmark did not finish $t"
done
ok "redis-benchmark -t ping,set,get,incr,mset -n 20000"

# --- redis-py, RESP2 and RESP3
timeout 120 python3 scripts/compat/redis_py_check.py "$PORT" 2 || fail "redis-py RESP2"
timeout 120 python3 scripts/compat/redis_py_check.py "$PORT" 3 || fail "redis-py RESP3"
ok "redis-py protocol 2 and 3"

# --- SHUTDOWN stops the server with exit code 0
cli shutdown >/dev/null 2>&1 || true
for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then fail "server still running after SHUTDOWN"; fi
wait "$PID" || fail "server exited with status $?"
ok "SHUTDOWN"

echo "compat: $passed passed, 0 failed"
