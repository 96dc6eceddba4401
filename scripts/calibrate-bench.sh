#!/usr/bin/env bash
# Calibrates kvs-bench against redis-benchmark on the same Redis server in the same run.
#
# Starts redis-server on a free loopback port (no persistence, temp dir), then for SET and GET
# at c=50 with pipeline 1 and 16 (-n 200000 -r 100000 -d 100) runs redis-benchmark and
# kvs-bench alternately, ROUNDS times each (kvs-bench once per --threads value in
# KVS_BENCH_THREADS), and prints for every tool and cell:
#
#   runs        the requests per second each run reported
#   median      their median
#   server      the median rate Redis itself saw: its total_commands_processed delta over the
#               tool's wall time (start-up and connecting included, so a little low) — the
#               ground truth both tools' own figures are checked against
#   cpu         the tool's CPU time (user + sys) over its wall time, in % of one core: a tool
#               near 100 % is the bottleneck, not Redis
#   occ         slot occupancy by Little's law, rps x avg latency / (c x P), in %: how much of
#               the time each of the c x P request slots holds a request the tool counts as
#               outstanding. Below 100 %, the tool spends the rest of each round trip between
#               a reply and the next request, time its latency figures do not show
#   vs rb       median / redis-benchmark's median; the issue's bound is ±10 %
#
# Redis is stopped on exit. Exit status 0 unless something failed to run; with STRICT=1 also 1
# if a kvs-bench median is more than 10 % from redis-benchmark's.
#
# Environment: ROUNDS (3), REQUESTS (200000), KEYSPACE (100000), DATASIZE (100), CLIENTS (50),
# PIPELINES ("1 16"), TESTS ("set get"), KVS_BENCH_THREADS ("1 2"), STRICT (0),
# KVS_BENCH (path of the binary; default: build target/release/kvs-bench).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
KEYSPACE=${KEYSPACE:-100000}
DATASIZE=${DATASIZE:-100}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-"set get"}
KVS_BENCH_THREADS=${KVS_BENCH_THREADS:-"1 2"}
STRICT=${STRICT:-0}

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "calibrate-bench: $tool not found" >&2; exit 2; }
done
if [[ -z "${KVS_BENCH:-}" ]]; then
    cargo build --release -q -p kvs-bench --bin kvs-bench
    KVS_BENCH=target/release/kvs-bench
fi

workdir=$(mktemp -d)
redis_pid=
cleanup() {
    if [[ -n "$redis_pid" ]] && kill -0 "$redis_pid" 2>/dev/null; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: nothing accepts a connection on it.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=
for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! port_busy "$p"; then port=$p; break; fi
done
[[ -n "$port" ]] || { echo "calibrate-bench: no free port found" >&2; exit 2; }

redis-server --save '' --appendonly no --port "$port" --bind 127.0.0.1 --dir "$workdir" \
    --logfile "$workdir/redis.log" --daemonize no &
redis_pid=$!
for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
done
redis-cli -p "$port" ping >/dev/null || { echo "calibrate-bench: redis-server did not start" >&2; exit 2; }

commands_processed() {
    redis-cli -p "$port" info stats | awk -F: '/^total_commands_processed:/ { print $2 + 0 }'
}

median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run_tool TEST P CMD...: runs one benchmark (CSV output); sets RPS (reported), SRV (as Redis
# counted it), CPU (% of one core) and OCC (slot occupancy, %).
run_tool() {
    local test=$1 pipeline=$2
    shift 2
    local before after
    before=$(commands_processed)
    local TIMEFORMAT='%R %U %S'
    { time "$@" >"$workdir/out.csv" 2>"$workdir/err.txt"; } 2>"$workdir/time.txt" || {
        echo "calibrate-bench: $* failed:" >&2
        cat "$workdir/err.txt" >&2
        exit 2
    }
    after=$(commands_processed)
    RPS=$(awk -F'"' -v t="${test^^}" '$2 == t { print $4; exit }' "$workdir/out.csv")
    local avg
    avg=$(awk -F'"' -v t="${test^^}" '$2 == t { print $6; exit }' "$workdir/out.csv")
    [[ -n "$RPS" ]] || { echo "calibrate-bench: no $test row from $*" >&2; cat "$workdir/out.csv" >&2; exit 2; }
    read -r real user sys <"$workdir/time.txt"
    # The INFO call itself counts as one command.
    SRV=$(awk -v n="$((after - before - 1))" -v t="$real" 'BEGIN { printf "%.0f", n / t }')
    CPU=$(awk -v u="$user" -v s="$sys" -v t="$real" 'BEGIN { printf "%.0f", 100 * (u + s) / t }')
    OCC=$(awk -v r="$RPS" -v a="$avg" -v c="$CLIENTS" -v p="$pipeline" \
        'BEGIN { printf "%.0f", 100 * r * a / 1000 / (c * p) }')
}

echo "# $(redis-server --version | cut -d' ' -f1-3) on 127.0.0.1:$port; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# c=$CLIENTS -n $REQUESTS -r $KEYSPACE -d $DATASIZE; $ROUNDS alternating rounds per cell"

common=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$REQUESTS" -r "$KEYSPACE" -d "$DATASIZE" --csv)
tools=("redis-benchmark")
for th in $KVS_BENCH_THREADS; do tools+=("kvs-bench --threads $th"); done

lines=()
disagree=0
for test in $TESTS; do
    for P in $PIPELINES; do
        declare -A rps=() srv=() cpu=() occ=()
        for round in $(seq 1 "$ROUNDS"); do
            for tool in "${tools[@]}"; do
                if [[ "$tool" == redis-benchmark ]]; then
                    run_tool "$test" "$P" redis-benchmark "${common[@]}" -P "$P" -t "$test"
                else
                    run_tool "$test" "$P" "$KVS_BENCH" "${common[@]}" -P "$P" -t "$test" --threads "${tool##* }"
                fi
                rps[$tool]+="$RPS "
                srv[$tool]+="$SRV "
                cpu[$tool]+="$CPU "
                occ[$tool]+="$OCC "
                echo "# ${test^^} P=$P round $round: $tool $RPS rps (Redis saw $SRV/s, cpu $CPU %, occupancy $OCC %)" >&2
            done
        done
        # shellcheck disable=SC2086
        base=$(median ${rps[redis-benchmark]})
        for tool in "${tools[@]}"; do
            # shellcheck disable=SC2086
            m=$(median ${rps[$tool]})
            ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
            verdict=""
            if [[ "$tool" != redis-benchmark ]]; then
                if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.9 && r <= 1.1) }'; then
                    verdict="within 10 %"
                else
                    verdict="OUTSIDE 10 %"
                    disagree=1
                fi
            fi
            # shellcheck disable=SC2086
            lines+=("$(printf '%-4s %3s  %-22s %-22s %8.0f %8.0f %4.0f %4.0f  %6s %s' "${test^^}" "$P" "$tool" \
                "$(printf '%.0f ' ${rps[$tool]})" "$m" "$(median ${srv[$tool]})" "$(median ${cpu[$tool]})" \
                "$(median ${occ[$tool]})" "$ratio" "$verdict")")
        done
        unset rps srv cpu occ
    done
done

echo
printf '%-4s %3s  %-22s %-22s %8s %8s %4s %4s  %6s\n' test P tool "runs (rps)" median server cpu% occ% "vs rb"
printf '%s\n' "${lines[@]}"
echo
echo "# median: of the runs' reported rps; server: median rate Redis counted; cpu%: the tool's"
echo "# CPU time / wall time (100 = one core busy); occ%: rps x avg latency / (c x P), the share"
echo "# of each round trip the tool's latency covers; vs rb: median / redis-benchmark's median."
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "$STRICT" == 1 && "$disagree" == 1 ]]; then
    exit 1
fi
