#pragma once
// CLIP's text cleaning (docs/architecture.md, "The CLIP tokenizer"), as the
// reference does it: ftfy.fix_text, html.unescape twice, whitespace runs to
// one space, trimmed, then (optionally) full Unicode lowercase.
#include <unicode/umachine.h>

#include <string>
#include <string_view>

namespace vqclip {

// Input must be valid UTF-8 (checked by the caller); output is UTF-8.
std::string clean_text(std::string_view text, bool lowercase);

// What `\s` matches in the reference's patterns: the Unicode White_Space property.
bool is_unicode_space(UChar32 c);

}  // namespace vqclip
