#include "vqclip/context_params.hpp"

#include <sched.h>

#include <torch/cuda.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <thread>

#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

int cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// OMP_NUM_THREADS's first number (it may be a list, one a nesting level), if
// it is a whole number of at least 1; nothing otherwise.
std::optional<int> omp_num_threads() {
  const char* value = std::getenv("OMP_NUM_THREADS");
  if (!value) return std::nullopt;
  char* end = nullptr;
  const long threads = std::strtol(value, &end, 10);
  if (end == value || (*end != '\0' && *end != ',') || threads < 1) return std::nullopt;
  return static_cast<int>(std::min<long>(threads, 1 << 16));
}

// Every core this process may run on, or OMP_NUM_THREADS where the user or a
// scheduler set it (at most the cores). On 2 cores, two threads made the tiny
// bundle's whole render 1.6x faster than one and the full-size one's 1.7x; but
// processes sharing cores must share them out: two processes of two threads
// on two cores took 7x as long as two of one thread each, as OpenMP's threads
// spin at every barrier waiting for a thread the other process holds
// (docs/architecture.md, "Threads").
int auto_threads() { return std::min(omp_num_threads().value_or(max_threads()), max_threads()); }

c10::Device resolve_device(const DeviceChoice& choice) {
  switch (choice.kind) {
    case DeviceKind::kCpu:
      return c10::kCPU;
    case DeviceKind::kAuto:
      return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    case DeviceKind::kCuda:
      break;
  }
  const std::string name = choice.to_string();
  if (!torch::cuda::is_available()) {
    throw ParameterError("device", name + ": CUDA is not available in this build or on this machine (use {device} cpu)",
                         {"device"});
  }
  const int count = static_cast<int>(torch::cuda::device_count());
  const int index = choice.index.value_or(0);
  if (index >= count) {
    throw ParameterError("device", name + ": only " + std::to_string(count) + " CUDA device(s) present");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace

std::optional<DeviceChoice> DeviceChoice::parse(std::string_view text) {
  if (const auto kind = enum_from_name<DeviceKind>(text)) return DeviceChoice{*kind, std::nullopt};
  constexpr std::string_view kCudaPrefix = "cuda:";
  if (text.substr(0, kCudaPrefix.size()) != kCudaPrefix) return std::nullopt;
  const auto digits = text.substr(kCudaPrefix.size());
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return DeviceChoice{DeviceKind::kCuda, std::stoi(std::string(digits))};
}

std::string DeviceChoice::to_string() const {
  std::string text(name_of(kind));
  if (kind == DeviceKind::kCuda && index) text += ":" + std::to_string(*index);
  return text;
}

int max_threads() { return cores(); }

void validate(const ContextParams& params) {
  const int most = max_threads();
  if (params.threads < 0 || params.threads > most) {
    throw ParameterError("threads", std::to_string(params.threads) + ": expected 0 (auto) to " + std::to_string(most) +
                                        " (the cores this process may use)");
  }
  if (params.max_image_pixels < 1) {
    throw ParameterError("max_image_pixels", std::to_string(params.max_image_pixels) + ": expected 1 or more");
  }
  if (params.max_memory < 0) {
    throw ParameterError("max_memory", std::to_string(params.max_memory) + ": expected 0 (what is available) or more");
  }
  if (params.device.kind == DeviceKind::kCpu && params.precision == Precision::kFp16) {
    throw ParameterError("precision", "fp16 needs a CUDA device; on the CPU use bf16 or fp32");
  }
}

ResolvedContext resolve(const ContextParams& params) {
  validate(params);
  ResolvedContext context;
  context.device = resolve_device(params.device);
  context.precision = params.precision;
  if (params.precision == Precision::kFp16 && !context.device.is_cuda()) {
    throw ParameterError("precision", "fp16 needs a CUDA device; on the CPU use bf16 or fp32");
  }
  context.bundle_dir = resolve_bundle_dir(params.models);
  context.verify = params.verify;
  context.max_image_pixels = params.max_image_pixels;
  context.max_memory = params.max_memory;
  if (params.threads > 0) {
    context.threads = params.threads;
  } else {
    context.threads = context.device.is_cuda() ? max_threads() : auto_threads();
  }
  return context;
}

nlohmann::json to_json(const ResolvedContext& context) {
  return {{"bundle", context.bundle_dir.string()},
          {"device", context.device.str()},
          {"precision", name_of(context.precision)},
          {"threads", context.threads},
          {"verify", context.verify},
          {"max_image_pixels", context.max_image_pixels},
          {"max_memory", context.max_memory}};
}

}  // namespace vqclip
