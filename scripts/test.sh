#!/usr/bin/env bash
# Builds vqclip and everything else (tests, benchmark), then runs every test
# (C++, Python, the installed API example, the Slurm array) through ctest, and
# the unit and end-to-end tests once more under AddressSanitizer and
# UndefinedBehaviorSanitizer (scripts/test_sanitizers.sh: about 17 more minutes
# here; VQCLIP_SANITIZERS=0 skips them). Extra arguments go to the first ctest
# (e.g. -L unit, -LE slurm).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
if [[ ${VQCLIP_SANITIZERS:-1} == 1 ]]; then
  scripts/test_sanitizers.sh
fi
