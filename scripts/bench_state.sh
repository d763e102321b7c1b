#!/usr/bin/env bash
# What --state costs: the same render timed without states and with one after
# every step, runs taken in turn (median of RUNS), and the per-save difference
# and the state file's size. Prints figures, asserts nothing.
#
# Usage: scripts/bench_state.sh [MODELS [STEPS [W H]]]
# Defaults: models/tiny-shapes, 100 steps, 256x256; VQCLIP_EXE=build/bin/vqclip,
# RUNS=3. Extra vqclip options come from BENCH_OPTIONS (e.g. "--threads 2 --cutn 8").
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${VQCLIP_EXE:-build/bin/vqclip}
models=${1:-models/tiny-shapes}
steps=${2:-100}
width=${3:-256}
height=${4:-256}
runs=${RUNS:-3}
read -r -a options <<<"${BENCH_OPTIONS:---threads 1}"
work=$(mktemp -d "${TMPDIR:-/tmp}/vqclip-bench-state.XXXXXX")
trap 'rm -rf "$work"' EXIT

render() {  # seconds of one render; "$@": extra options
  local start end
  start=$(date +%s.%N)
  "$exe" --models "$models" -p "a red circle on a blue background" --steps "$steps" --size "$width" "$height" \
    --seed 1 --no-verify -q --metadata none -o "$work/out.png" "${options[@]}" "$@"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}' 
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

plain=() with=()
for ((i = 0; i < runs; i++)); do
  plain+=("$(render)")
  with+=("$(render --state "$work/run.state" --state-every 1)")
done
p=$(median "${plain[@]}") w=$(median "${with[@]}")
printf 'render without states  %8.3f s  (runs: %s)\n' "$p" "${plain[*]}"
printf 'state after each step  %8.3f s  (runs: %s)\n' "$w" "${with[*]}"
printf 'per save               %8.2f ms  (%d saves), state file %s bytes\n' \
  "$(awk -v w="$w" -v p="$p" -v n="$steps" 'BEGIN {print (w - p) * 1000 / n}')" "$steps" "$(stat -c %s "$work/run.state")"
