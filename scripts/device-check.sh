#!/usr/bin/env bash
# The CUDA path checked on a lent GPU machine in one run (docs/architecture.md,
# "The device check"): builds vqclip against that machine's PyTorch (the
# libtorch inside its wheel) and the dependencies carried in .device-deps
# (scripts/device-deps.sh makes it here, from Debian's packages), runs the CUDA
# tests and the whole unit suite on that build, exports a full-size random
# bundle with that PyTorch, and times vqclip_bench against the peers' Python
# loop (scripts/peer_loop.py) at 256x256 and 512x512, cutn 32 and 64, in fp32,
# bf16 and fp16 (both loops with random crops and no augmentation, the
# peers' MakeCutouts), and makes the small test bundles with that PyTorch for
# Debian's libtorch to load ($OUT/test-bundles.tar.gz). Everything it prints
# also goes to $OUT/device-check.log; the figures to $OUT/summary.json.
#
#   on the device:  run(command="scripts/device-check.sh", carry=[".device-deps"], timeout_s=590)
#   here:           scripts/device-check.sh --cpu     the same steps on the CPU against Debian's
#                   libtorch and the carried dependencies (one small timing), so that only the
#                   GPU's part is left unproven
set -uo pipefail
cd "$(dirname "$0")/.."
mode=cuda
[[ "${1:-}" == "--cpu" ]] && mode=cpu
out="${OUT:-/tmp/vqclip-device-check}"
mkdir -p "$out"
exec > >(tee "$out/device-check.log") 2>&1
export PYTHONUNBUFFERED=1
# The device's python3 holds its PyTorch; here Debian's (python3-torch) does.
python="${PYTHON:-python3}"
[[ $mode == cpu && -z "${PYTHON:-}" && -x /usr/bin/python3 ]] && python=/usr/bin/python3

deps="$PWD/.device-deps"
build="$PWD/build-device-$mode"
logs="$build/logs"  # each step's whole output; the log in $OUT has their ends
mkdir -p "$logs"
bundle="/tmp/vqclip-device-fullsize"
jobs=$(nproc)
start=$SECONDS
failures=()
section() { printf '\n=== %s (%d s)\n' "$*" $((SECONDS - start)); }
fail() { failures+=("$1"); echo "FAILED: $1"; }

section "machine ($mode)"
uname -srm
nproc
if [[ $mode == cuda ]]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true; fi
"$python" -c 'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
cmake --version | head -1
c++ --version | head -1

section "carried dependencies"
if [[ ! -d "$deps/debs" ]]; then
  echo "no $deps/debs: run scripts/device-deps.sh on the Debian machine first"
  exit 2
fi
if [[ ! -d "$deps/root/usr" ]]; then
  "$python" scripts/unpack_debs.py "$deps/debs" "$deps/root" || exit 2
fi

section "configure"
torch_prefix=""
if [[ $mode == cuda ]]; then
  torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  ${torch_prefix:+-DCMAKE_PREFIX_PATH="$torch_prefix"} -DTORCH_CUDA_ARCH_LIST=9.0 \
  -DVQCLIP_DEPS_ROOT="$deps/root" -DVQCLIP_SPDLOG_HEADER_ONLY=ON \
  -DVQCLIP_GTEST_SOURCE_DIR="$deps/root/usr/src/googletest" -DVQCLIP_BUILD_BUNDLE_TESTS=OFF \
  -DVQCLIP_PYTHON="$(command -v "$python")" >"$logs/configure.log" 2>&1
status=$?
tail -5 "$logs/configure.log"
if [[ $status -ne 0 ]]; then
  cat "$logs/configure.log"
  exit 1
fi
# Each dependency must come from the carried folder, not from wherever the machine has one.
for variable in CLI11_INCLUDE_DIR STB_INCLUDE_DIR SPDLOG_INCLUDE_DIR FMT_INCLUDE_DIR nlohmann_json_DIR \
                ICU_INCLUDE_DIR ICU_UC_LIBRARY_RELEASE ICU_I18N_LIBRARY_RELEASE SENTENCEPIECE_INCLUDE_DIR \
                SENTENCEPIECE_LIBRARY ZLIB_INCLUDE_DIR Torch_DIR; do
  value=$(grep -m1 "^$variable:" "$build/CMakeCache.txt" | cut -d= -f2-)
  case "$value" in
    "$deps/root"*) where="carried" ;;
    *) where="the machine's" ;;
  esac
  [[ $variable == Torch_DIR ]] && where="libtorch"
  printf '  %-26s %-14s %s\n' "$variable" "$where" "$value"
  [[ $where == "the machine's" ]] && fail "$variable not from the carried folder"
done

section "build"
if ! cmake --build "$build" -j"$jobs" --target vqclip vqclip_unit_tests vqclip_e2e_tests vqclip_bench \
    >"$logs/build.log" 2>&1; then
  grep -E "error|FAILED" "$logs/build.log" | head -40
  exit 1
fi
tail -1 "$logs/build.log"
# A carried library's own dependencies (libicudata under libicuuc) are looked up without the
# executable's run path: the carried folder goes first for every process from here on.
export LD_LIBRARY_PATH="$deps/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for binary in "$build/bin/vqclip" $(find "$build" -name vqclip_spm.so); do
  echo "  $(basename "$binary"):"
  ldd "$binary" | grep -E "icu|sentencepiece|torch_cuda|libc10" | sed 's/^/    /'
  if ldd "$binary" | grep -E "icu|sentencepiece" | grep -v -q "$deps/root"; then
    fail "$(basename "$binary") resolves a carried library elsewhere"
  fi
done

section "CUDA tests"
export VQCLIP_CACHE_DIR="$build/test-cache"
"$build/bin/vqclip_e2e_tests" --gtest_filter='*Cuda*' --gtest_output="xml:$out/cuda-tests.xml" || fail "CUDA tests"

shards=$((jobs / 2 > 0 ? jobs / 2 : 1))
section "unit suite, $shards shards"
pids=()
for ((i = 0; i < shards; i++)); do
  GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i "$build/bin/vqclip_unit_tests" --gtest_brief=1 \
    >"$logs/unit-$i.log" 2>&1 &
  pids+=($!)
done
for ((i = 0; i < shards; i++)); do
  if ! wait "${pids[$i]}"; then
    fail "unit shard $i"
    grep -E "FAILED|Failure" -A5 "$logs/unit-$i.log" | head -40
  fi
  grep -hE "^\[  (PASSED|FAILED)|tests? ran" "$logs/unit-$i.log" | tail -2 | sed "s/^/  shard $i: /"
done

section "full-size random bundle, exported by this PyTorch"
vocab="$deps/bpe_simple_vocab_16e6.txt.gz"
[[ -f "$vocab" ]] || vocab="$PWD/../shared/data/clip/bpe_simple_vocab_16e6.txt.gz"
if ! "$python" scripts/export_bundle.py --clip-random ViT-B/32 --vqgan-random vqgan_imagenet_f16_16384 \
    --bpe-vocab "$vocab" --out "$bundle" >"$out/export.log" 2>&1; then
  tail -20 "$out/export.log"
  fail "export"
fi
tail -3 "$out/export.log"

section "small test bundles made by this PyTorch, for libtorch 1.13 to load"
# make_test_bundles.py checks that the exports reproduce this PyTorch's eager outputs; here,
# VQCLIP_TEST_BUNDLES=<unpacked folder> build/bin/vqclip_bundle_tests checks them in Debian's libtorch.
test_bundles="/tmp/vqclip-test-bundles-torch$("$python" -c 'import torch; print(torch.__version__.split("+")[0])')"
if "$python" scripts/make_test_bundles.py "$test_bundles" >"$logs/test-bundles.log" 2>&1; then
  tar czf "$out/test-bundles.tar.gz" -C "$(dirname "$test_bundles")" "$(basename "$test_bundles")"
  ls -la "$out/test-bundles.tar.gz"
else
  tail -20 "$logs/test-bundles.log"
  fail "test bundles"
fi

section "timings"
if [[ $mode == cuda ]]; then
  device=cuda sizes=(256 512) cutns=(32 64) precisions=(fp32 bf16 fp16) steps=5 threads=$jobs
else
  device=cpu sizes=(256) cutns=(32) precisions=(fp32) steps=1 threads=$jobs
fi
results="$out/timings.jsonl"
: >"$results"
for size in "${sizes[@]}"; do
  for cutn in "${cutns[@]}"; do
    "$python" scripts/peer_loop.py --models "$bundle" --size "$size" "$size" --cutn "$cutn" --steps "$steps" \
      --device "$device" --threads "$threads" | tee -a "$results" || fail "peer loop ${size} cutn ${cutn}"
    for precision in "${precisions[@]}"; do
      log="$logs/bench-$size-$cutn-$precision.log"
      # The GPU's memory in use and its utilisation, sampled every 100 ms while the benchmark runs.
      monitor="$logs/gpu-$size-$cutn-$precision.csv"
      : >"$monitor"
      if [[ $mode == cuda ]]; then
        nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader,nounits -lms 100 >"$monitor" &
        monitor_pid=$!
      fi
      "$build/bin/vqclip_bench" --models "$bundle" --width "$size" --height "$size" --cutn "$cutn" \
        --steps "$steps" --device "$device" --precision "$precision" --threads "$threads" \
        --cut-method crops --augment none >"$log" 2>&1
      status=$?
      [[ $mode == cuda ]] && kill "$monitor_pid" 2>/dev/null
      if [[ $status -eq 0 ]]; then
        "$python" - "$log" "$monitor" "$size" "$cutn" "$precision" "$device" >>"$results" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
number = lambda label: float(re.search(label + r"\s+([0-9.]+) s", text).group(1))
samples = [[float(v) for v in line.split(",")] for line in open(sys.argv[2]) if line.count(",") == 1]
row = {"loop": "vqclip", "device": sys.argv[6], "size": [int(sys.argv[3])] * 2, "cutn": int(sys.argv[4]),
       "precision": sys.argv[5], "step_seconds": number("step"), "modules_seconds": number("modules alone"),
       "peak_rss_gib": float(re.search(r"peak RSS\s+([0-9.]+) GiB", text).group(1))}
if samples:
    row["gpu_memory_peak_gib"] = round(max(s[0] for s in samples) / 1024, 2)
    busy = [s[1] for s in samples if s[1] > 0]
    row["gpu_utilisation_busy_mean_percent"] = round(sum(busy) / len(busy), 1) if busy else 0
print(json.dumps(row))
EOF
        tail -1 "$results"
      else
        tail -5 "$log"
        fail "vqclip_bench ${size} cutn ${cutn} ${precision}"
      fi
    done
  done
done

section "summary"
"$python" - "$results" "$out/summary.json" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
peers = {(tuple(r["size"]), r["cutn"]): r["step_seconds"] for r in rows if r["loop"] != "vqclip"}
table = []
for r in rows:
    if r["loop"] != "vqclip":
        continue
    peer = peers.get((tuple(r["size"]), r["cutn"]))
    r["peer_fp32_step_seconds"] = peer
    r["speed_against_peer_fp32"] = round(peer / r["step_seconds"], 2) if peer else None
    r["step_over_modules"] = round(r["step_seconds"] / r["modules_seconds"], 3)
    table.append(r)
    print(f'{r["size"][0]}x{r["size"][1]} cutn {r["cutn"]:3d} {r["precision"]}: step {r["step_seconds"]:.4f} s, '
          f'modules {r["modules_seconds"]:.4f} s ({r["step_over_modules"]}x), peers fp32 {peer} s '
          f'({r["speed_against_peer_fp32"]}x)')
json.dump(table, open(sys.argv[2], "w"), indent=2)
EOF

section "done"
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'failed: %s\n' "${failures[@]}"
  exit 1
fi
echo "all checks passed"
