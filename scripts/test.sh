#!/usr/bin/env bash
# Builds vqclip and everything else (tests, benchmark), then runs every test
# (C++, Python, the installed API example, the Slurm array) through ctest.
# Extra arguments go to ctest (e.g. -L unit, -L e2e, -LE slurm).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
