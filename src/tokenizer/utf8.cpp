#include "tokenizer/utf8.hpp"

#include <unicode/utf8.h>

namespace vqclip {

std::string utf8_encode(char32_t code_point) {
  char buffer[U8_MAX_LENGTH];
  int32_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, code_point);
  return std::string(buffer, static_cast<size_t>(length));
}

std::string utf8_encode(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (const char32_t c : code_points) out += utf8_encode(c);
  return out;
}

std::u32string utf8_decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < text.size();) {
    UChar32 c = 0;
    U8_NEXT_UNSAFE(bytes, i, c);
    out += static_cast<char32_t>(c);
  }
  return out;
}

size_t utf8_sequence_length(unsigned char lead) { return 1 + static_cast<size_t>(U8_COUNT_TRAIL_BYTES_UNSAFE(lead)); }

}  // namespace vqclip
