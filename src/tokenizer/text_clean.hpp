#pragma once
// CLIP's text cleaning (DESIGN section 5): ftfy-style repairs, HTML unescape
// twice, whitespace collapsed, trimmed, and (optionally) full lowercase.
#include <unicode/umachine.h>

#include <string>
#include <string_view>

namespace vqclip {

// Input must be valid UTF-8 (checked by the caller); output is UTF-8.
std::string clean_text(std::string_view text, bool lowercase);

// Python's str.isspace (what `\s` matches in the reference's regex): bidi
// class WS, B or S, or general category Zs.
bool is_python_space(UChar32 c);

// Python's html.unescape for numeric references and the common named ones.
std::string html_unescape(std::string_view text);

}  // namespace vqclip
