#!/usr/bin/env bash
# Gathers what scripts/device-check.sh needs on a machine without Debian's
# packages into .device-deps/ (git-ignored; carried to the device whole):
# the .deb files of the build's dependencies, from Debian's archive, and the
# CLIP BPE vocabulary for the exporter. About 24 MB. Run here, where apt works.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  # header-only: CLI11, nlohmann-json, stb, spdlog and fmt (compiled in, header-only mode)
  libcli11-dev nlohmann-json3-dev libstb-dev libspdlog-dev libfmt-dev
  # shared objects and their headers
  libicu-dev libicu72 libsentencepiece-dev libsentencepiece0 zlib1g-dev zlib1g libwebp-dev libwebp7 libsqlite3-dev libsqlite3-0
  # GoogleTest's sources (/usr/src/googletest), built with the tests
  googletest
)
mkdir -p .device-deps/debs
(cd .device-deps/debs && rm -f ./*.deb && apt-get download "${packages[@]}")
vocab=../shared/data/clip/bpe_simple_vocab_16e6.txt.gz
if [[ -f "$vocab" ]]; then
  cp "$vocab" .device-deps/
else
  echo "device-deps.sh: $vocab not found: the device's export will need --bpe-vocab" >&2
fi
du -sh .device-deps
