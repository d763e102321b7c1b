#!/usr/bin/env bash
# The API example against the installed package, not the build tree: installs
# the build into a scratch prefix, builds examples/ with find_package(vqclip)
# pointed at that prefix only, builds it again with pkg-config, and runs both
# on the tiny bundle the install carries. Usage: installed_example_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vqclip-installed-example.XXXXXX")  # outside the build tree
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"

# CMake package: the example's build sees the prefix, not the build tree.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$source/examples" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -Dvqclip_DIR="$prefix/lib/cmake/vqclip" >"$work/configure.log"
cmake --build "$work/build" >"$work/build.log"
if grep -q "$build/" "$work/build/CMakeCache.txt"; then
  echo "FAIL: the example's build refers to the build tree $build" >&2
  exit 1
fi

# pkg-config: the same program from the .pc file's flags alone.
pc=$(find "$prefix" -name vqclip.pc | head -1)
[[ -n $pc ]] || { echo "FAIL: no vqclip.pc installed under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
c++ -O1 "$source/examples/render_picture.cpp" -o "$work/render_picture_pc" $(pkg-config --cflags --libs vqclip) \
  -Wl,-rpath,"$(dirname "$(dirname "$pc")")"

unset VQCLIP_MODELS
for program in "$work/build/render_picture" "$work/render_picture_pc"; do
  out=$work/$(basename "$program").png
  "$program" "a red circle on a blue background" "$out" >"$out.log" 2>&1 || {
    echo "FAIL: $program exited $?" >&2
    cat "$out.log" >&2
    exit 1
  }
  grep -q "seed 7, completed" "$out.log" || { echo "FAIL: $program: unexpected output" >&2; cat "$out.log" >&2; exit 1; }
  # The installed tiny bundle was found relative to the installed library.
  grep -q "tiny-shapes" <("$prefix/bin/vqclip" meta "$out") || { echo "FAIL: $out has no record of tiny-shapes" >&2; exit 1; }
done
# Two builds of one program: the same steps, seed and loss.
cmp <("$prefix/bin/vqclip" meta --parameters "$work/render_picture.png") \
    <("$prefix/bin/vqclip" meta --parameters "$work/render_picture_pc.png") || {
  echo "FAIL: the CMake and pkg-config builds rendered different pictures" >&2
  exit 1
}
echo "PASS: the example built against the installed package (CMake and pkg-config) rendered a picture"
