#!/usr/bin/env bash
# Three kvs-servers behind twemproxy (nutcracker), all on loopback (docs/scale-out.md):
#   1. builds kvs-server (release by default; PROFILE=dev for the debug build),
#   2. starts three servers and the proxy on free 127.0.0.1 ports, each in its own temporary
#      data directory; the proxy's config is examples/cluster/nutcracker.yml with the four
#      addresses rewritten to the ports picked,
#   3. runs redis-benchmark -t set,get through the proxy, then scripts/compat/cluster_check.py
#      (redis-py, RESP2) through it,
#   4. asks every server directly which keys it holds (every one must hold some, and no key may
#      be on two servers), runs the same redis-benchmark against one server directly for
#      comparison,
#   5. stops kvs3: its keys must fail through the proxy, kvs1's must not; restarts it on its
#      directory: its keys must be back,
#   6. prints a table, and stops everything it started (each server must exit 0 on SIGTERM).
# Exits non-zero on any failure. Every wait is bounded; a trap stops the processes on any exit.
#
# Needs: nutcracker (Debian/Ubuntu package `nutcracker`), redis-tools (redis-cli,
# redis-benchmark), python3 with the redis package. Environment: PROFILE=release|dev,
# KVS_SERVER=path (use that binary, no build), REQUESTS (redis-benchmark -n, default 20000),
# KEEP=1 keeps the temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-release}
REQUESTS=${REQUESTS:-20000}
fail() { echo "cluster-demo: FAIL: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

# --- tools
NUTCRACKER=$(command -v nutcracker || true)
if [ -z "$NUTCRACKER" ] && [ -x /usr/sbin/nutcracker ]; then NUTCRACKER=/usr/sbin/nutcracker; fi
[ -n "$NUTCRACKER" ] || fail "nutcracker (twemproxy) is not installed: apt-get install nutcracker"
for tool in redis-cli redis-benchmark python3 timeout; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
python3 -c 'import redis' 2>/dev/null || fail "the redis Python package is not installed"

# --- build (unless KVS_SERVER names a binary to use as it is)
TARGET=${CARGO_TARGET_DIR:-target}
if [ -n "${KVS_SERVER:-}" ]; then
  BIN=$KVS_SERVER
else
  case "$PROFILE" in
    release) timeout 3600 cargo build -q --release --bin kvs-server; BIN=$TARGET/release/kvs-server ;;
    dev) timeout 3600 cargo build -q --bin kvs-server; BIN=$TARGET/debug/kvs-server ;;
    *) fail "PROFILE must be release or dev" ;;
  esac
fi
[ -x "$BIN" ] || fail "no kvs-server binary at $BIN"

# --- processes, and the trap that stops them
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kvs-cluster.XXXXXX")
PIDS=()   # every process started, servers first, the proxy last
NAMES=()
stop() { # stop PID NAME: SIGTERM, up to 5 s, then SIGKILL; returns the exit status
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  return "$rc"
}
CHILD=    # the bounded command running now, if any
bounded() { # bounded SECONDS OUTFILE CMD...: CMD with a time limit, its output in OUTFILE.
  # In the background plus `wait`, so that a signal to this script runs the trap at once
  # (bash defers traps until a foreground command ends) and the trap can stop CMD too.
  local secs=$1 out=$2 rc=0
  shift 2
  timeout "$secs" "$@" >"$out" 2>&1 &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=
  return "$rc"
}
cleanup() {
  local rc=$? i
  if [ -n "$CHILD" ]; then stop "$CHILD" || true; fi   # timeout passes the SIGTERM on
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop "${PIDS[i]}" || true; done
  if [ "$rc" -ne 0 ]; then
    for f in "$WORK"/*.log; do
      [ -s "$f" ] || continue
      echo "--- last lines of $(basename "$f")" >&2
      tail -n 15 "$f" >&2
    done
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Five distinct free loopback ports: three servers, the proxy, the proxy's stats.
# $(...) waits for the picker to exit; the picker closes its sockets before it prints.
read -r P1 P2 P3 PROXY STATS <<<"$(python3 scripts/free-ports.py 5)"
[ -n "${STATS:-}" ] || fail "could not pick five free loopback ports"
PORTS=("$P1" "$P2" "$P3")

cli() { timeout 10 redis-cli -h 127.0.0.1 "$@"; }
wait_ready() { # wait_ready PORT PID NAME: PING until PONG, at most 10 s
  local i
  for i in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || fail "$3 exited at start-up"
    [ "$(cli -p "$1" ping 2>/dev/null)" = "PONG" ] && return 0
    sleep 0.1
  done
  fail "$3 on port $1 not ready after 10 s"
}

say "start three kvs-servers ($BIN)"
for i in 1 2 3; do
  port=${PORTS[i - 1]}
  "$BIN" --addr "127.0.0.1:$port" --dir "$WORK/data$i" --log-level warn >"$WORK/kvs$i.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("kvs$i")
done
for i in 0 1 2; do
  wait_ready "${PORTS[i]}" "${PIDS[i]}" "${NAMES[i]}"
  echo "${NAMES[i]}: 127.0.0.1:${PORTS[i]} pid ${PIDS[i]}"
done

say "start nutcracker ($("$NUTCRACKER" --version 2>&1 | head -1))"
CONF=$WORK/nutcracker.yml
sed -e "s/127\.0\.0\.1:22121\$/127.0.0.1:$PROXY/" \
    -e "s/127\.0\.0\.1:7001:/127.0.0.1:$P1:/" \
    -e "s/127\.0\.0\.1:7002:/127.0.0.1:$P2:/" \
    -e "s/127\.0\.0\.1:7003:/127.0.0.1:$P3:/" examples/cluster/nutcracker.yml >"$CONF"
for p in "$PROXY" "$P1" "$P2" "$P3"; do grep -q "127.0.0.1:$p" "$CONF" || fail "port $p not in $CONF"; done
timeout 10 "$NUTCRACKER" --test-conf -c "$CONF" >"$WORK/conf-test.txt" 2>&1 \
  || { cat "$WORK/conf-test.txt" >&2; fail "nutcracker rejects $CONF"; }
"$NUTCRACKER" -c "$CONF" -s "$STATS" -a 127.0.0.1 -i 1000 -p "$WORK/nutcracker.pid" \
  -o "$WORK/nutcracker.log" -v 5 &
PIDS+=($!)
NAMES+=(nutcracker)
wait_ready "$PROXY" "${PIDS[3]}" nutcracker
# PING is answered by the proxy itself: also make one key go through to a server.
for i in $(seq 1 50); do
  [ "$(cli -p "$PROXY" set cluster-demo:ready 1 2>&1)" = "OK" ] && break
  sleep 0.1
done
[ "$(cli -p "$PROXY" getdel cluster-demo:ready)" = "1" ] || fail "no key goes through the proxy"
echo "nutcracker: 127.0.0.1:$PROXY (stats 127.0.0.1:$STATS) pid ${PIDS[3]}"
grep -E '^\s+(listen|hash|hash_tag|distribution|auto_eject_hosts|timeout|- 127)' "$CONF"

bench() { # bench PORT NAME: redis-benchmark's summary lines, without progress, in bench-NAME.txt
  local rc=0
  bounded 300 "$WORK/bench-$2.raw" redis-benchmark -h 127.0.0.1 -p "$1" -t set,get \
    -n "$REQUESTS" -r 10000 -q || rc=$?
  tr '\r' '\n' <"$WORK/bench-$2.raw" | grep -v 'rps=' | grep -v '^\s*$' >"$WORK/bench-$2.txt" || true
  [ "$rc" -eq 0 ] || echo "error: redis-benchmark exited with status $rc" >>"$WORK/bench-$2.txt"
}
check_bench() { # check_bench OUTPUT WHAT
  if echo "$1" | grep -qiE 'error|refused|reset|timeout'; then fail "redis-benchmark $2: $1"; fi
  for t in SET GET; do
    echo "$1" | grep -q "^$t: .*requests per second" || fail "redis-benchmark $2 did not finish $t"
  done
}
rps() { echo "$1" | grep "^$2:" | sed -E 's/^[A-Z]+: ([0-9.]+) requests per second, p50=([0-9.]+) msec.*/\1 req\/s, p50 \2 ms/'; }

say "redis-benchmark -t set,get -n $REQUESTS -r 10000 -q THROUGH THE PROXY"
bench "$PROXY" proxy
via_proxy=$(cat "$WORK/bench-proxy.txt")
# redis-benchmark asks CONFIG GET first; twemproxy does not forward CONFIG (it closes that
# connection), so the benchmark prints "WARNING: Could not fetch server CONFIG" and goes on.
echo "$via_proxy"
check_bench "$(echo "$via_proxy" | grep -v 'Could not fetch server CONFIG')" "through the proxy"

say "redis-py (RESP2) through the proxy: scripts/compat/cluster_check.py"
rc=0
bounded 180 "$WORK/cluster_check.txt" \
  python3 scripts/compat/cluster_check.py "$PROXY" "$P1" "$P2" "$P3" || rc=$?
cat "$WORK/cluster_check.txt"
[ "$rc" -eq 0 ] || fail "cluster_check.py exited with status $rc"
checks=$(sed -n 's/^cluster check through the proxy: \([0-9]*\) passed$/\1/p' "$WORK/cluster_check.txt")
[ -n "$checks" ] || fail "cluster_check.py did not finish"

say "where the keys are: DBSIZE and KEYS on every server directly"
# Every server holds keys, and no key is on two servers (the proxy maps each key to one).
cat >"$WORK/spread.py" <<'PY'
import sys
import redis
sets = []
for port in sys.argv[1:]:
    r = redis.Redis(host="127.0.0.1", port=int(port), socket_timeout=20)
    keys = set(r.keys("*"))
    assert r.dbsize() == len(keys), (port, r.dbsize(), len(keys))
    sets.append(keys)
for i in range(len(sets)):
    for j in range(i + 1, len(sets)):
        common = sets[i] & sets[j]
        assert not common, f"keys on two servers: {sorted(common)[:5]}"
print(*[len(s) for s in sets], len(set().union(*sets)))
# One benchmark key held by each server (for the "one server down" step).
print(*[min(k for k in s if k.startswith(b"key:")).decode() for s in sets])
PY
bounded 60 "$WORK/spread.txt" python3 "$WORK/spread.py" "$P1" "$P2" "$P3" \
  || { cat "$WORK/spread.txt" >&2; fail "key spread check"; }
read -r N1 N2 N3 NALL < <(sed -n 1p "$WORK/spread.txt")
read -r K1 _ K3 < <(sed -n 2p "$WORK/spread.txt")
KEYS_ON=("$N1" "$N2" "$N3")
for i in 0 1 2; do
  [ "${KEYS_ON[i]}" -gt 0 ] || fail "${NAMES[i]} holds no key"
done
echo "DBSIZE: kvs1 $N1, kvs2 $N2, kvs3 $N3 (total $NALL distinct keys, none on two servers)"

# Requests per server, from the proxy's stats port (JSON, aggregated every second).
sleep 1.2
cat >"$WORK/stats.py" <<'PY'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
data = b""
while chunk := s.recv(65536):
    data += chunk
pool = json.loads(data)["kvs"]
print(*[pool[n]["requests"] for n in ("kvs1", "kvs2", "kvs3")])
PY
requests=
if bounded 10 "$WORK/stats.txt" python3 "$WORK/stats.py" "$STATS"; then
  requests=$(cat "$WORK/stats.txt")
fi
read -r R1 R2 R3 <<<"${requests:-- - -}"
REQS=("$R1" "$R2" "$R3")

# Only now (it writes keys to kvs1 alone, which the spread check would see as misplaced).
say "the same benchmark against kvs1 directly, for comparison"
bench "$P1" direct
direct=$(cat "$WORK/bench-direct.txt")
echo "$direct"
check_bench "$direct" "against kvs1"

say "one server down: kvs3 stopped (auto_eject_hosts: false)"
v3=$(cli -p "$PROXY" get "$K3")
[ -n "$v3" ] || fail "no value for $K3 through the proxy"
stop "${PIDS[2]}" || fail "kvs3 exited with status $? on SIGTERM"
down_k3=$(cli -p "$PROXY" get "$K3" 2>&1 || true)
down_k1=$(cli -p "$PROXY" get "$K1" 2>&1 || true)
down_mget=$(cli -p "$PROXY" mget "$K1" "$K3" 2>&1 || true)
printf '%-40s %s\n' "GET $K3 (kvs3's key):" "$down_k3" "GET $K1 (kvs1's key):" "$down_k1" \
  "MGET of both:" "$(echo "$down_mget" | tr '\n' ' ')"
echo "$down_k3" | grep -q '^ERR ' || fail "GET of a key on the stopped server: $down_k3"
[ -n "$down_k1" ] && ! echo "$down_k1" | grep -q '^ERR ' || fail "GET of a key on kvs1: $down_k1"
echo "$down_mget" | grep -q '^ERR ' || fail "MGET over the stopped server: $down_mget"
"$BIN" --addr "127.0.0.1:$P3" --dir "$WORK/data3" --log-level warn >>"$WORK/kvs3.log" 2>&1 &
PIDS[2]=$!
wait_ready "$P3" "${PIDS[2]}" kvs3
back=
for i in $(seq 1 50); do
  back=$(cli -p "$PROXY" get "$K3" 2>&1 || true)
  [ "$back" = "$v3" ] && break
  sleep 0.1
done
[ "$back" = "$v3" ] || fail "after kvs3's restart, GET $K3 through the proxy: $back"
echo "kvs3 restarted on its directory (pid ${PIDS[2]}): GET $K3 through the proxy works again"

say "summary"
printf '%-11s %-22s %8s %12s %22s\n' component address pid keys "requests via proxy"
for i in 0 1 2; do
  printf '%-11s %-22s %8s %12s %22s\n' "${NAMES[i]}" "127.0.0.1:${PORTS[i]}" "${PIDS[i]}" \
    "${KEYS_ON[i]}" "${REQS[i]}"
done
printf '%-11s %-22s %8s %12s %22s\n' nutcracker "127.0.0.1:$PROXY" "${PIDS[3]}" "$NALL" "-"
echo
printf '%-30s %-30s %-30s\n' "redis-benchmark ($REQUESTS req)" "through the proxy" "kvs1 directly"
for t in SET GET; do
  printf '%-30s %-30s %-30s\n' "$t" "$(rps "$via_proxy" "$t")" "$(rps "$direct" "$t")"
done
echo "redis-py through the proxy: $checks checks passed"

say "stop"
stop "${PIDS[3]}" || true   # nutcracker has no SIGTERM handler: it dies of it (status 143)
for i in 0 1 2; do
  stop "${PIDS[i]}" || fail "${NAMES[i]} exited with status $? on SIGTERM"
done
PIDS=()
echo "all stopped; cluster demo passed"
