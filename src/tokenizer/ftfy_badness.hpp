#pragma once
// ftfy's heuristic for "this text contains mojibake" (badness.is_bad in ftfy
// 6.3): it looks for short sequences of the characters that mis-decoded UTF-8
// produces, in orders that real text hardly ever has (an accented lowercase
// letter followed by a currency sign, "Ã" before a no-break space, ...).
#include <cstdint>
#include <string_view>

namespace vqclip::mojibake {

// The CharClass bits (ftfy_mojibake_tables.hpp) of a code point.
uint32_t char_classes(char32_t c);

// True where any of ftfy's suspicious sequences occurs in the text.
bool is_bad(std::u32string_view text);

}  // namespace vqclip::mojibake
