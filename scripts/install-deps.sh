#!/usr/bin/env bash
# Installs everything vqclip needs to build, run and test on Debian 12.
# Idempotent and non-interactive; run as root. Usage:
#   scripts/install-deps.sh            # build + run + test dependencies
#   scripts/install-deps.sh --fuzz     # also clang + libFuzzer runtime
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get install)" >&2
  exit 1
fi

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ccache
  # libraries (docs/architecture.md, "The parts")
  libtorch-dev libcli11-dev libspdlog-dev libfmt-dev libstb-dev
  libsentencepiece-dev nlohmann-json3-dev zlib1g-dev libicu-dev libgtest-dev libwebp-dev libsqlite3-dev libcpp-httplib-dev
  # FFmpeg's libraries, with which `vqclip animate` encodes videos; ffprobe (ffmpeg) checks them in the tests
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev ffmpeg
  # optimised BLAS: Debian's default reference BLAS is ~34x slower for matmuls. The OpenMP build
  # shares libtorch's thread pool; the pthread build's own threads fought libtorch's spinning OpenMP
  # workers for the 2 cores (full-size step 7.9 s with it, 6.5 s with this one).
  libopenblas0-openmp
  # spm_train/spm_encode for the tokenizer tests and tiny-bundle training
  sentencepiece
  # rsvg-convert: the test that a real SVG renderer draws the vector drawer's SVG like vqclip does
  librsvg2-bin
  # the Python side (export, tiny-bundle training, test bundles): Debian's packages only;
  # Pillow writes the PNGs "made by another program" that `vqclip meta` is tested on
  python3 python3-torch python3-numpy python3-yaml python3-pil
  # the server's web page tested in a real browser (tests/browser): headless chromium via selenium
  chromium chromium-driver python3-selenium
)
# Node and npm for the test with the official OpenAI client library (tests/node), unless a
# Node is already on the PATH (this project's machines carry Node 20; Debian 12's is 18).
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
else
  echo "install-deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Make sure OpenBLAS's OpenMP build is what libtorch's BLAS, LAPACK and OpenBLAS sonames resolve to.
for library in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  target=/usr/lib/x86_64-linux-gnu/openblas-openmp/$library
  if [[ -e "$target" ]]; then
    update-alternatives --set "$library-x86_64-linux-gnu" "$target" >/dev/null 2>&1 || true
  fi
done

# The Node tests' pinned packages (tests/node/package-lock.json), from the npm registry. Without
# the registry the OpenAI client test skips, saying why; nothing else needs them.
npm ci --prefix "$(dirname "$0")/../tests/node" --no-audit --no-fund --loglevel=error ||
  echo "install-deps.sh: npm ci failed (no npm registry?): the OpenAI client test will skip" >&2
