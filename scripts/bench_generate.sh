#!/usr/bin/env bash
# Step benchmark: time split, modules-alone ratio and peak memory on the tiny
# bundle and (if given or present) a full-size random bundle, e.g. one made by
#   /usr/bin/python3 scripts/export_bundle.py --clip-random ViT-B/32 \
#       --vqgan-random vqgan_imagenet_f16_16384 --out /tmp/fullsize-bundle
# Then every drawer on the tiny bundle at 64x64 and 256x256 (the vector
# drawer with 16, 64 and 256 shapes), and a perceptor ensemble: the tiny
# CLIP and the full-size bundle's, each alone and both at once.
# Usage: scripts/bench_generate.sh [FULLSIZE_BUNDLE_DIR [vqclip_bench options, e.g. --device cuda --precision fp16]]
set -euo pipefail
cd "$(dirname "$0")/.."
bench=build/bin/vqclip_bench
[[ -x $bench ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }

echo "== tiny bundle, 64x64, cutn 32"
$bench --models models/tiny-shapes --cutn 32 --steps 20 "${@:2}"

fullsize=${1:-/tmp/fullsize-bundle}
if [[ -f $fullsize/vqclip.json ]]; then
  echo "== full-size bundle, 256x256, cutn 32"
  $bench --models "$fullsize" --width 256 --height 256 --cutn 32 --steps 3 "${@:2}"
else
  echo "== full-size bundle: $fullsize/vqclip.json not found, skipped (see the comment at the top)"
fi

for size in 64 256; do
  for drawer in vqgan pixels pixel-art "pixel-art --palette 4" "vector --shapes 16" "vector --shapes 64" \
                "vector --shapes 256"; do
    echo "== drawer $drawer, tiny bundle, ${size}x${size}, cutn 32"
    # shellcheck disable=SC2086  # the drawer's name and options are separate words
    $bench --models models/tiny-shapes --drawer $drawer --width "$size" --height "$size" --cutn 32 --steps 10 "${@:2}"
  done
done

if [[ -f $fullsize/vqclip.json ]]; then
  # Pixels drawer, so that the step is the CLIPs' (and the cutouts'): the
  # ensemble's step against the sum of its parts' steps.
  for judges in "models/tiny-shapes" "$fullsize" "models/tiny-shapes --perceptor $fullsize"; do
    echo "== perceptors: --models $judges, pixels drawer, 64x64, cutn 32"
    # shellcheck disable=SC2086  # the bundle and the perceptor option are separate words
    $bench --models $judges --drawer pixels --width 64 --height 64 --cutn 32 --steps 5 "${@:2}"
  done
else
  echo "== perceptor ensemble: $fullsize/vqclip.json not found, skipped (see the comment at the top)"
fi
