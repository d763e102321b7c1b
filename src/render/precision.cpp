#include "render/precision.hpp"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

// libtorch 2.4 made autocast's switches per device type and deprecated the
// per-device functions 1.13 has.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define VQCLIP_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define VQCLIP_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace vqclip {
namespace {

void set_autocast(c10::DeviceType type, bool enabled, at::ScalarType dtype) {
#if VQCLIP_AUTOCAST_BY_DEVICE_TYPE
  if (enabled) at::autocast::set_autocast_dtype(type, dtype);
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == c10::DeviceType::CUDA) {
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

}  // namespace

AutocastScope::AutocastScope(Precision precision, const c10::Device& device) {
  if (precision == Precision::kFp32) return;
  const auto dtype = precision == Precision::kFp16 ? at::kHalf : at::kBFloat16;
  if (device.is_cuda()) {
    set_autocast(c10::DeviceType::CUDA, true, dtype);
    cuda_ = true;
  } else {
    set_autocast(c10::DeviceType::CPU, true, dtype);
    cpu_ = true;
  }
}

AutocastScope::~AutocastScope() {
  if (cuda_) set_autocast(c10::DeviceType::CUDA, false, at::kHalf);
  if (cpu_) set_autocast(c10::DeviceType::CPU, false, at::kBFloat16);
  if (cuda_ || cpu_) at::autocast::clear_cache();
}

}  // namespace vqclip
