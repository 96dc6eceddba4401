#!/usr/bin/env bash
# CI: 20 crash-loop cycles (issue 7, part 1; see scripts/crash-loop.sh). Runs on the dev profile
# that `cargo test --workspace` has just built, so no release build (minutes on 2 cores) is
# needed; the durability checks do not depend on the profile.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROFILE=${PROFILE:-dev} exec bash scripts/crash-loop.sh 20
