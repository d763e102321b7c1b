#include "vqclip/runtime.hpp"

#include <malloc.h>

#include <algorithm>
#include <limits>
#include <thread>

#include "vqclip/errors.hpp"

namespace vqclip {

int configure_threads(int requested) {
  int threads = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  torch::set_num_threads(threads);
  return threads;
}

void tune_memory_allocator() {
  // 32 MiB is glibc's largest mmap threshold; larger blocks are mapped anyway.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

int auto_threads_for_model(int64_t parameters) {
  constexpr int64_t kSmallModel = 10'000'000;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return parameters < kSmallModel ? 1 : cores;
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw UsageError("--device " + name + ": CUDA is not available in this build or on this machine (use --device cpu)");
    }
    int index = 0;
    if (name.size() > 5) {
      const std::string digits = name.substr(5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 3) {
        throw UsageError("--device " + name + ": expected cuda:N with N a device number");
      }
      index = std::stoi(digits);
    }
    const int count = static_cast<int>(torch::cuda::device_count());
    if (index >= count) {
      throw UsageError("--device " + name + ": only " + std::to_string(count) + " CUDA device(s) present");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw UsageError("--device " + name + ": expected auto, cpu, cuda or cuda:N");
}

}  // namespace vqclip
