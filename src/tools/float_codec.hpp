#pragma once
// Float vectors as compact text for JSON files: little-endian float32 bytes in
// base64 (about a third of the size of decimal numbers, and exact).
#include <optional>
#include <string>
#include <vector>

namespace vqclip {

std::string floats_to_base64(const float* values, size_t count);

// Empty optional if `text` is not base64 of a whole number of floats.
std::optional<std::vector<float>> floats_from_base64(const std::string& text);

}  // namespace vqclip
