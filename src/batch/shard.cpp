#include <cstdlib>
#include <string_view>

#include "batch/batch.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// 1 to 9 digits as a number, else -1 (no regex: the text may be arbitrarily long).
int small_count(std::string_view text) {
  if (text.empty() || text.size() > 9) return -1;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

int env_int(const char* name) {
  const char* value = std::getenv(name);
  return value ? small_count(value) : -1;
}

Shard checked(int index, int count, const std::string& spec) {
  if (count < 1 || index < 0 || index >= count) {
    throw UsageError("--shard " + spec + ": expected K/N with 0 <= K < N (got " + std::to_string(index) + "/" +
                     std::to_string(count) + ")");
  }
  return Shard{index, count};
}

}  // namespace

Shard resolve_shard(const std::string& spec, int completions) {
  if (spec.empty()) return Shard{};
  if (spec == "auto") {
    const int slurm_id = env_int("SLURM_ARRAY_TASK_ID");
    const int slurm_count = env_int("SLURM_ARRAY_TASK_COUNT");
    if (slurm_id >= 0 && slurm_count > 0) {
      // Arrays may start at 1 (--array=1-N); SLURM_ARRAY_TASK_MIN says where.
      const int min = std::max(0, env_int("SLURM_ARRAY_TASK_MIN"));
      return checked(slurm_id - min, slurm_count, spec + " (from SLURM_ARRAY_TASK_ID)");
    }
    const int k8s_index = env_int("JOB_COMPLETION_INDEX");
    if (k8s_index >= 0) {
      if (completions <= 0) {
        throw UsageError("--shard auto: JOB_COMPLETION_INDEX is set; give the Job's completions with --shard-count N");
      }
      return checked(k8s_index, completions, spec + " (from JOB_COMPLETION_INDEX)");
    }
    throw UsageError("--shard auto: neither SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT nor JOB_COMPLETION_INDEX is set");
  }
  const auto slash = spec.find('/');
  const int index = slash == std::string::npos ? -1 : small_count(std::string_view(spec).substr(0, slash));
  const int count = slash == std::string::npos ? -1 : small_count(std::string_view(spec).substr(slash + 1));
  if (index < 0 || count < 0) throw UsageError("--shard " + spec + ": expected K/N (e.g. 0/4) or auto");
  return checked(index, count, spec);
}

}  // namespace vqclip
