#!/usr/bin/env bash
# Runs every cargo-fuzz target of the repo for SECONDS each (default 600), one after the other
# (one libFuzzer process at a time), and prints one summary line per target:
#
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_TARGETS="record scan" scripts/fuzz.sh 60     # a subset
#
# Targets: parse (crates/server/fuzz: the RESP request parser), record, hint, manifest, scan
# (crates/storage/fuzz: data records, hint entries, MANIFEST edits + replay + open, RecordIter).
# Each run starts from the target's seeds (seeds/<target>/, in git, only read) plus whatever an
# earlier run left in corpus/<target>/ (ignored by git; delete it to start from the seeds alone).
# Crashes go to artifacts/<target>/ (ignored), the full libFuzzer output to
# target/fuzz-logs/<target>.log. Figures of a 600 s run: docs/reliability.md, part 4.
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Not run by CI (too
# long); the targets' checks also run on stable as plain programs replaying files:
#   cargo run --manifest-path crates/storage/fuzz/Cargo.toml --bin scan -- crates/storage/fuzz/seeds/scan
#
# Exit status: 0 if no target crashed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

secs=${1:-600}
case $secs in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
toolchain=${FUZZ_TOOLCHAIN:-nightly}
all="crates/server/fuzz:parse crates/storage/fuzz:record crates/storage/fuzz:hint crates/storage/fuzz:manifest crates/storage/fuzz:scan"
wanted=${FUZZ_TARGETS:-}

host=$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')
logs=$root/target/fuzz-logs
mkdir -p "$logs"
# The manifest target writes its MANIFEST files here (see fuzz_targets/manifest.rs): on tmpfs
# when there is one, since every on-disk input costs a few fsyncs.
tmpbase=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then tmpbase=/dev/shm; fi
KVS_FUZZ_TMP=$(mktemp -d "$tmpbase/kvs-fuzz.XXXXXX")
export KVS_FUZZ_TMP
trap 'rm -rf "$KVS_FUZZ_TMP"' EXIT

summary=()
failed=0
built=""
for entry in $all; do
  dir=${entry%%:*}
  t=${entry##*:}
  if [ -n "$wanted" ] && [[ " $wanted " != *" $t "* ]]; then
    continue
  fi
  cd "$root/$dir"
  if [[ " $built " != *" $dir "* ]]; then
    # Built once per crate, then the binaries are run directly (not `cargo fuzz run`, which
    # rebuilds first): sources edited meanwhile cannot change or break a run. A failed build
    # (a tree mid-edit) is retried a few times.
    echo "=== building the fuzz targets of $dir"
    tries=0
    until cargo "+$toolchain" fuzz build; do
      tries=$((tries + 1))
      if [ "$tries" -ge "${FUZZ_BUILD_TRIES:-5}" ]; then
        echo "fuzz build of $dir failed" >&2
        exit 1
      fi
      echo "build failed; retrying in 60 s" >&2
      sleep 60
    done
    built="$built $dir"
  fi
  bin=target/$host/release/$t
  mkdir -p "corpus/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  log=$logs/$t.log
  echo "=== fuzzing $t for $secs s (log: $log)"
  set +e
  # -timeout: an input that takes more than 10 s is a finding too (e.g. a quadratic resync).
  # What `cargo fuzz run $t corpus/$t seeds/$t -- ...` runs. New inputs go to the first
  # directory (ignored by git); seeds/ is only read.
  ASAN_OPTIONS="detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" "$bin" \
    -artifact_prefix="$PWD/artifacts/$t/" -max_total_time="$secs" -timeout=10 \
    -print_final_stats=1 "corpus/$t" "seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' "$log" | tail -n1 || true)
  entries=$(find "corpus/$t" -type f | wc -l)
  crashes=$(($(find "artifacts/$t" -type f | wc -l) - before))
  line="$t: ${secs} s, ${execs:-?} execs, ${rate:-?} execs/s, corpus dir ${entries} files, ${cov:-cov ?}, peak RSS ${rss:-?} MB, crashes ${crashes}"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    line="$line, exit $rc (see $log and $dir/artifacts/$t/)"
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "=== fuzz summary ($secs s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
