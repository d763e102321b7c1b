#!/usr/bin/env bash
# Builds vqclip and everything else (tests, benchmark), then runs every test
# (C++, Python, the installed API example, the Slurm array) through ctest; with
# VQCLIP_SANITIZERS=1 also the unit and end-to-end tests once more under
# AddressSanitizer and UndefinedBehaviorSanitizer (scripts/test_sanitizers.sh:
# about 25 more minutes here, not yet in CI's 45). Extra arguments go to the
# first ctest (e.g. -L unit, -LE slurm).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
if [[ ${VQCLIP_SANITIZERS:-0} == 1 ]]; then
  scripts/test_sanitizers.sh
fi
