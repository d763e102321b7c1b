#pragma once
// The context every command runs in: which bundle, on which device, in which
// precision, with how many CPU threads. It is resolved once, before any model
// is loaded, by the same functions for every entry point (the single-picture
// form, a batch, a CLIP tool, a program using the library).
#include <c10/core/Device.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "vqclip/enum_names.hpp"
#include "vqclip/limits.hpp"

namespace vqclip {

enum class DeviceKind { kAuto, kCpu, kCuda };

template <>
struct EnumTable<DeviceKind> {
  static constexpr std::array<EnumName<DeviceKind>, 3> names{
      {{DeviceKind::kAuto, "auto"}, {DeviceKind::kCpu, "cpu"}, {DeviceKind::kCuda, "cuda"}}};
};

// auto, cpu, cuda or cuda:N.
struct DeviceChoice {
  DeviceKind kind = DeviceKind::kAuto;
  std::optional<int> index;  // cuda:N

  // Nothing for a text that is none of the four forms.
  static std::optional<DeviceChoice> parse(std::string_view text);
  std::string to_string() const;
};

enum class Precision { kFp32, kFp16, kBf16 };

template <>
struct EnumTable<Precision> {
  static constexpr std::array<EnumName<Precision>, 3> names{
      {{Precision::kFp32, "fp32"}, {Precision::kFp16, "fp16"}, {Precision::kBf16, "bf16"}}};
};

struct ContextParams {
  std::optional<std::filesystem::path> models;  // bundle directory; default: see resolve_bundle_dir
  DeviceChoice device;
  Precision precision = Precision::kFp32;
  int threads = 0;      // libtorch intra-op threads; 0 = auto (OMP_NUM_THREADS if set, else the cores)
  bool verify = true;   // sha256 of every bundle file that is loaded
  int64_t max_image_pixels = limits::kDefaultMaxImagePixels;  // larger input pictures are refused unread
  int64_t max_memory = 0;  // bytes a render's step may take (memory_estimate.hpp); 0 = what is available
};

// The most threads a context may ask for: the cores this process may run on
// (its CPU affinity, which Slurm and container limits set). More only fight
// over the same cores.
int max_threads();

struct ResolvedContext {
  std::filesystem::path bundle_dir;
  c10::Device device = c10::kCPU;
  Precision precision = Precision::kFp32;
  int threads = 1;
  bool verify = true;
  int64_t max_image_pixels = 0;
  int64_t max_memory = 0;
};

// Checks what needs nothing but the values. Throws ParameterError.
void validate(const ContextParams& params);

// Validates, then finds the bundle (reading only its vqclip.json), picks the
// device (auto: the first CUDA device when there is one), checks that the
// device runs the precision, and picks the thread count (auto: 1 when the
// bundle's image encoder and decoder files hold fewer than ten million
// float32 values, else the cores). Throws ParameterError, or BundleError when
// no bundle or no valid vqclip.json is found.
ResolvedContext resolve(const ContextParams& params);

// {"bundle", "device", "precision", "threads", "verify", "max_image_pixels", "max_memory"}
nlohmann::json to_json(const ResolvedContext& context);

}  // namespace vqclip
