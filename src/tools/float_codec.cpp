#include "tools/float_codec.hpp"

#include <cstdint>
#include <cstring>

#include "io/base64.hpp"

namespace vqclip {

std::string floats_to_base64(const float* values, size_t count) {
  std::string bytes;
  bytes.reserve(count * 4);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>(bits >> shift));
  }
  return base64_encode(bytes);
}

std::optional<std::vector<float>> floats_from_base64(const std::string& text) {
  const auto bytes = base64_decode(text);
  if (!bytes || bytes->size() % 4 != 0) return std::nullopt;
  std::vector<float> values(bytes->size() / 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = 0;
    for (int k = 3; k >= 0; --k) bits = (bits << 8) | static_cast<uint8_t>((*bytes)[i * 4 + static_cast<size_t>(k)]);
    std::memcpy(&values[i], &bits, 4);
  }
  return values;
}

}  // namespace vqclip
