#pragma once
// One-line texts for BundleError messages about modules and tensors.
#include <torch/script.h>

#include <exception>
#include <string>

namespace vqclip {

// c10::Error carries a C++ backtrace and TorchScript errors (ErrorReport,
// JITException) a source excerpt after the first line; neither belongs in a
// one-line message.
inline std::string torch_error_line(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  const std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  return text.substr(0, text.find('\n'));
}

// "[1, 3, 16, 24]"
inline std::string shape_text(c10::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

}  // namespace vqclip
