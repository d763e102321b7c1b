#!/usr/bin/env bash
# Configures vqclip (Release) into ./build and builds what running needs: the
# vqclip executable, its library and the sentencepiece module. Extra arguments
# go to cmake. scripts/test.sh builds the rest (tests, benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif [[ $# -gt 0 ]]; then
  cmake -S . -B build "$@"
fi
cmake --build build --target vqclip -j"$(nproc)"
