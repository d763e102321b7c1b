#!/usr/bin/env bash
# Builds vqclip with AddressSanitizer and UndefinedBehaviorSanitizer into
# ./build-sanitize and runs the unit and end-to-end tests there (not the
# installed example nor the Slurm array, which test packaging, not memory).
# Any report fails the test it happens in. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f build-sanitize/CMakeCache.txt ]]; then
  # -O1: sanitized code at -O0 is several times slower; -g1: line tables are all
  # the reports need, and full debug information doubles the compile time.
  cmake -S . -B build-sanitize "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
        -DVQCLIP_SANITIZE=address,undefined -DVQCLIP_BUILD_BENCHMARKS=OFF -DVQCLIP_BUILD_BUNDLE_TESTS=OFF
fi
cmake --build build-sanitize -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0}
ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)" -L "unit|e2e" -LE "install|slurm" "$@"
