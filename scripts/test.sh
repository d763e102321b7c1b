#!/usr/bin/env bash
# Builds vqclip and runs every test (C++ and Python) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
