#pragma once
// UTF-8 <-> code points, for text already checked with require_valid_utf8.
#include <string>
#include <string_view>

namespace vqclip {

std::string utf8_encode(char32_t code_point);
std::string utf8_encode(std::u32string_view code_points);
std::u32string utf8_decode(std::string_view text);
// Bytes in the sequence that starts with this lead byte (1..4).
size_t utf8_sequence_length(unsigned char lead);

}  // namespace vqclip
