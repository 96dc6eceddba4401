#!/usr/bin/env bash
# Compatibility: three kvs-servers behind twemproxy (nutcracker) — scripts/cluster-demo.sh,
# which runs redis-benchmark and scripts/compat/cluster_check.py (redis-py) through the proxy,
# checks that keys spread over all three servers, stops one and restarts it, and stops
# everything it started. Run by .ci/run, which installs nutcracker; skipped (exit 0) where
# nutcracker is not installed. Uses the dev build `cargo test --workspace` has just made
# (PROFILE=release for the release build); the checks do not depend on the profile.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v nutcracker >/dev/null && [ ! -x /usr/sbin/nutcracker ]; then
  echo "compat: cluster: skipped (nutcracker is not installed: apt-get install nutcracker)"
  exit 0
fi

passed=0
failed=0
rc=0
PROFILE=${PROFILE:-dev} timeout 900 bash scripts/cluster-demo.sh || rc=$?
if [ "$rc" -eq 0 ]; then
  passed=$((passed + 1))
  echo "ok: cluster demo (3 kvs-servers behind nutcracker)"
else
  failed=$((failed + 1))
  echo "FAIL: cluster demo exited with status $rc" >&2
fi
echo "compat: cluster: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
