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

size_t utf8_next_strict(std::string_view text, size_t i, char32_t& out) {
  const auto byte_in = [&text](size_t at, unsigned char low, unsigned char high) {
    if (at >= text.size()) return false;
    const auto byte = static_cast<unsigned char>(text[at]);
    return byte >= low && byte <= high;
  };
  const auto lead = static_cast<unsigned char>(text[i]);
  size_t length = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead < 0x80) {
    out = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    out = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    out = lead & 0x0F;
    if (lead == 0xE0) second_low = 0xA0;   // overlong
    if (lead == 0xED) second_high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    out = lead & 0x07;
    if (lead == 0xF0) second_low = 0x90;   // overlong
    if (lead == 0xF4) second_high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (!byte_in(i + 1, second_low, second_high)) return 0;
  for (size_t k = 1; k < length; ++k) {
    if (!byte_in(i + k, 0x80, 0xBF)) return 0;
    out = (out << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  }
  return length;
}

size_t utf8_sequence_length(unsigned char lead) { return 1 + static_cast<size_t>(U8_COUNT_TRAIL_BYTES_UNSAFE(lead)); }

}  // namespace vqclip
