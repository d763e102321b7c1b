#pragma once
// Reduced precision as a run-time choice: autocast around the encoders.
#include <c10/core/Device.h>

#include "vqclip/context_params.hpp"

namespace vqclip {

// Enables autocast for its lifetime (fp16: CUDA half; bf16: bfloat16 on CPU or
// CUDA; fp32: nothing). Which devices run which precision is checked by
// resolve(ContextParams).
class AutocastScope {
 public:
  AutocastScope(Precision precision, const c10::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool cpu_ = false;
  bool cuda_ = false;
};

}  // namespace vqclip
