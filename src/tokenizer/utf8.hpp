#pragma once
// UTF-8 <-> code points. The decoders below expect text already checked with
// require_valid_utf8; utf8_next_strict is the check itself.
#include <string>
#include <string_view>

namespace vqclip {

std::string utf8_encode(char32_t code_point);
std::string utf8_encode(std::u32string_view code_points);
std::u32string utf8_decode(std::string_view text);
// The well-formed UTF-8 sequence at text[i] (RFC 3629, as Python's strict
// decoder checks it: no overlong forms, surrogates or code points past
// U+10FFFF): its length, with its code point in `out`; 0 if malformed or cut off.
size_t utf8_next_strict(std::string_view text, size_t i, char32_t& out);
// Bytes in the sequence that starts with this lead byte (1..4).
size_t utf8_sequence_length(unsigned char lead);

}  // namespace vqclip
