#!/usr/bin/env bash
# Batch benchmark: prompts per minute for one `vqclip --prompts-file` run
# (models loaded once) vs a shell loop starting vqclip once per prompt with
# the same settings. Both start from a clean output directory. Prints figures,
# asserts nothing.
#
# Usage: scripts/bench_batch.sh [--exe PATH] [--models DIR] [--count N]
#                               [--steps N] [--size W H] [-- extra vqclip options]
# Defaults (also from the environment): VQCLIP_EXE=build/bin/vqclip,
# BENCH_MODELS=models/tiny-shapes, BENCH_COUNT=20, BENCH_STEPS=50,
# BENCH_SIZE="" (the bundle's default size). Extra options (e.g. --cutn 8
# --threads 2 --no-verify) go to both runs.
set -euo pipefail
cd "$(dirname "$0")/.."

exe=${VQCLIP_EXE:-build/bin/vqclip}
models=${BENCH_MODELS:-models/tiny-shapes}
count=${BENCH_COUNT:-20}
steps=${BENCH_STEPS:-50}
read -r -a size <<<"${BENCH_SIZE:-}"
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --exe) exe=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --size) size=("$2" "$3"); shift 3 ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x $exe ]] || { echo "vqclip not found at $exe: build first (scripts/build.sh) or set VQCLIP_EXE" >&2; exit 1; }
[[ -f $models/vqclip.json ]] || { echo "no bundle at $models (set BENCH_MODELS or --models)" >&2; exit 1; }

settings=(--models "$models" --steps "$steps")
((${#size[@]} == 2)) && settings+=(--size "${size[@]}")
settings+=("${extra[@]}")

work=$(mktemp -d "${TMPDIR:-/tmp}/vqclip-bench-batch.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Prompts in the tiny bundle's world of coloured shapes, all different.
colours=(red green blue yellow purple orange white black)
shapes=(circle square triangle cross)
prompts=()
for ((i = 0; i < count; i++)); do
  prompts+=("a ${colours[i % 8]} ${shapes[(i / 8) % 4]} on a ${colours[(i + 3 + i / 32) % 8]} background")
done
printf '%s\n' "${prompts[@]}" >"$work/prompts.txt"

now() { date +%s.%N; }
pngs() { find "$1" -maxdepth 1 -name '*.png' | wc -l; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f", (t > 0 ? n * 60 / t : 0) }'; }

echo "vqclip batch benchmark: $count prompts, bundle $models, ${settings[*]:2}"
echo "exe $exe; $(nproc) CPU core(s)"

# One process for the whole file (seed 1: job i gets a seed derived from 1 and i).
mkdir "$work/batch"
t=$(now)
rc=0
"$exe" --prompts-file "$work/prompts.txt" --out-dir "$work/batch" --seed 1 "${settings[@]}" \
  >"$work/batch.log" 2>&1 || rc=$?
batch_s=$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
batch_n=$(pngs "$work/batch")
((rc == 0)) || { echo "batch run exited $rc; last lines:"; tail -n 5 "$work/batch.log"; }

# One process per prompt.
mkdir "$work/loop"
t=$(now)
rc=0
for ((i = 0; i < count; i++)); do
  "$exe" -p "${prompts[i]}" -o "$work/loop/$(printf '%04d' "$i").png" --seed $((i + 1)) "${settings[@]}" \
    >>"$work/loop.log" 2>&1 || rc=$?
done
loop_s=$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
loop_n=$(pngs "$work/loop")
((rc == 0)) || { echo "a loop run exited $rc; last lines:"; tail -n 5 "$work/loop.log"; }

printf '%-34s %8s s  %3d PNGs  %7s prompts/min\n' "batch (--prompts-file, 1 process)" "$batch_s" "$batch_n" "$(rate "$batch_n" "$batch_s")"
printf '%-34s %8s s  %3d PNGs  %7s prompts/min\n' "loop ($count processes)" "$loop_s" "$loop_n" "$(rate "$loop_n" "$loop_s")"
awk -v b="$batch_s" -v l="$loop_s" -v n="$count" 'BEGIN {
  if (b > 0) printf "batch/loop throughput: %.2fx; per-process overhead in the loop: %.2f s per prompt\n", l / b, (l - b) / n }'
