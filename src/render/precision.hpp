#pragma once
// Reduced precision as a run-time choice: autocast around the encoders.
#include <torch/torch.h>

#include <string>

namespace vqclip {

// Enables autocast for its lifetime ("fp16": CUDA half; "bf16": bfloat16 on
// CPU or CUDA; "fp32": nothing).
class AutocastScope {
 public:
  AutocastScope(const std::string& precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool cpu_ = false;
  bool cuda_ = false;
};

// Throws UsageError for a precision the device cannot run (fp16 on CPU).
void check_precision_supported(const std::string& precision, const torch::Device& device);

}  // namespace vqclip
