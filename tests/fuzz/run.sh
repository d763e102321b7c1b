#!/usr/bin/env bash
# Runs every fuzz target for SECONDS on a copy of its seed corpus (the
# committed corpus stays as it is) and prints each one's
# executions, coverage and findings. Crash inputs are kept in WORK/<target>/.
# VQCLIP_FUZZ_WORK names WORK, VQCLIP_FUZZ_JOBS how many run at once.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]   (default 600 s, every target)
set -euo pipefail
build=$1
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
source=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_prompt fuzz_prompt_file fuzz_manifest fuzz_png_metadata fuzz_image
                                       fuzz_search_index fuzz_manifest_log fuzz_clean_text fuzz_clip_bpe
                                       fuzz_sentencepiece fuzz_render_state fuzz_search_query fuzz_job_request)
work=${VQCLIP_FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/vqclip-fuzz.XXXXXX")}
jobs=${VQCLIP_FUZZ_JOBS:-2}
# Other libraries' own leaks, each with its reason (tests/sanitizer/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$source/../sanitizer/lsan.supp:print_suppressions=0}
export VQCLIP_BPE_VOCAB=${VQCLIP_BPE_VOCAB:-$source/../../../shared/data/clip/bpe_simple_vocab_16e6.txt.gz}

# A sentencepiece model with the default NFKC normaliser, trained on the seed
# corpus's texts (mixed scripts, so the vocabulary holds more than ASCII).
if [[ -z ${VQCLIP_SPM_MODEL:-} ]]; then
  mkdir -p "$work/spm-model"
  cat "$source/corpus/fuzz_sentencepiece/"* "$source/corpus/fuzz_clip_bpe/"* >"$work/spm-model/corpus.txt"
  spm_train --input="$work/spm-model/corpus.txt" --model_prefix="$work/spm-model/m" --vocab_size=200 \
      --hard_vocab_limit=false --character_coverage=1.0 --pad_id=0 --unk_id=1 --bos_id=2 --eos_id=3 \
      >"$work/spm-model/log" 2>&1 || { echo "spm_train failed: $work/spm-model/log" >&2; exit 1; }
  export VQCLIP_SPM_MODEL=$work/spm-model/m.model
fi

run_one() {
  local target=$1
  mkdir -p "$work/$target/corpus"
  cp "$source/corpus/$target/"* "$work/$target/corpus/" 2>/dev/null || true
  # Long inputs: libFuzzer's 4 KB default cannot reach the bugs of long prompts and files.
  # The suppression of libtorch's archive-reader leak names a function, which
  # needs whole allocation stacks (the fast unwinder keeps two frames).
  local asan=${ASAN_OPTIONS:-}
  [[ $target == fuzz_render_state ]] && asan="${asan:+$asan:}fast_unwind_on_malloc=0"
  (cd "$work/$target" && ASAN_OPTIONS=$asan "$build/bin/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
      -rss_limit_mb=4096 -print_final_stats=1 corpus >"$work/$target/log" 2>&1) || true
}

# VQCLIP_FUZZ_JOBS targets at a time (default 2, one per core here).
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  for ((j = i; j < i + jobs && j < ${#targets[@]}; ++j)); do run_one "${targets[$j]}" & done
  wait
done

printf "%-20s %12s %8s %8s %10s  %s\n" target executions cov ft corpus findings
for target in "${targets[@]}"; do
  log=$work/$target/log
  runs=$(grep -ao "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
  last=$(grep -aE "^#[0-9]+" "$log" | tail -1)
  cov=$(grep -o "cov: [0-9]*" <<<"$last" | grep -o "[0-9]*" || echo "?")
  ft=$(grep -o "ft: [0-9]*" <<<"$last" | grep -o "[0-9]*" || echo "?")
  files=$(ls "$work/$target/corpus" | wc -l)
  findings=$(ls "$work/$target" | grep -cE "^(crash|leak|timeout|oom)-" || true)
  printf "%-20s %12s %8s %8s %10s  %s\n" "$target" "$runs" "$cov" "$ft" "$files" "$findings"
done
echo "logs and any crash inputs: $work"
