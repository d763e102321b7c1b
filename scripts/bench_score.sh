#!/usr/bin/env bash
# `vqclip score` of one image, whole process: wall time and peak memory over
# several runs (median, min, max), optionally against another vqclip build on
# the same machine in turn. The full-size random bundle is exported when missing.
# Usage: scripts/bench_score.sh [--runs N] [--vs OTHER_VQCLIP] [BUNDLE_DIR]
#   defaults: 5 runs, build/bin/vqclip, /tmp/fullsize-bundle
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
other=""
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --vs) other=$2; shift 2 ;;
    *) echo "bench_score.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
bundle=${1:-/tmp/fullsize-bundle}
exe=${VQCLIP_EXE:-build/bin/vqclip}
[[ -x $exe ]] || { echo "bench_score.sh: build first (scripts/build.sh) or set VQCLIP_EXE" >&2; exit 1; }
if [[ ! -f $bundle/vqclip.json ]]; then
  echo "== exporting a random full-size bundle (ViT-B/32 + f16_16384) to $bundle"
  /usr/bin/python3 scripts/export_bundle.py --clip-random ViT-B/32 --vqgan-random vqgan_imagenet_f16_16384 \
    --out "$bundle" >/dev/null
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/vqclip-bench-score.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$exe" --models models/tiny-shapes -p "a red circle" --steps 1 --cutn 1 -q -o "$work/image.png"

# One run: "wall_seconds peak_kib" of `score` with `program`.
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$1" score "$work/image.png" -p "a red circle" --models "$bundle" \
    >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  cat "$work/time"
}

# "median min max" of a column of numbers.
summary() { sort -g | awk '{v[NR]=$1} END {printf "%.2f %.2f %.2f", v[int((NR+1)/2)], v[1], v[NR]}'; }

programs=("$exe")
[[ -n $other ]] && programs+=("$other")
for program in "${programs[@]}"; do measure "$program" >/dev/null; done  # warm the page cache
for ((i = 0; i < runs; ++i)); do
  for p in "${!programs[@]}"; do measure "${programs[$p]}" >>"$work/runs.$p"; done
done
echo "score of one image on $bundle, $runs runs each, in turn ($(nproc) cores)"
printf "%-40s %20s %24s\n" "program" "wall s (med min max)" "peak MiB (med min max)"
for p in "${!programs[@]}"; do
  wall=$(cut -d' ' -f1 "$work/runs.$p" | summary)
  peak=$(awk '{print $2 / 1024}' "$work/runs.$p" | summary)
  printf "%-40s %20s %24s\n" "${programs[$p]}" "$wall" "$peak"
done
