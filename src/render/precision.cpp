#include "render/precision.hpp"

#include <ATen/autocast_mode.h>

namespace vqclip {

AutocastScope::AutocastScope(Precision precision, const c10::Device& device) {
  if (precision == Precision::kFp32) return;
  const auto dtype = precision == Precision::kFp16 ? at::kHalf : at::kBFloat16;
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
