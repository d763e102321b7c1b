#include "render/precision.hpp"

#include <ATen/autocast_mode.h>

#include "vqclip/errors.hpp"

namespace vqclip {

void check_precision_supported(const std::string& precision, const torch::Device& device) {
  if (precision == "fp16" && !device.is_cuda()) {
    throw UsageError("--precision fp16 needs a CUDA device; on the CPU use bf16 or fp32");
  }
  if (precision != "fp32" && precision != "fp16" && precision != "bf16") {
    throw UsageError("--precision " + precision + ": expected fp32, fp16 or bf16");
  }
}

AutocastScope::AutocastScope(const std::string& precision, const torch::Device& device) {
  if (precision == "fp32") return;
  const auto dtype = precision == "fp16" ? at::kHalf : at::kBFloat16;
  if (device.is_cuda()) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
    cuda_ = true;
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(true);
    cpu_ = true;
  }
}

AutocastScope::~AutocastScope() {
  if (cuda_) at::autocast::set_enabled(false);
  if (cpu_) at::autocast::set_cpu_enabled(false);
  if (cuda_ || cpu_) at::autocast::clear_cache();
}

}  // namespace vqclip
