#pragma once
// ftfy.fix_text with its default settings (ftfy 6.3), the first step of CLIP's
// text cleaning: line by line, repeated until nothing changes, it unescapes HTML
// (unless a '<' has been seen), repairs mojibake such as "cafÃ©" (ftfy_mojibake),
// maps C1 controls as windows-1252, splits Latin ligatures, narrows full/half-width
// forms, straightens curly quotes, unifies line breaks, strips terminal escapes
// and control characters, and applies NFC.
#include <string>
#include <string_view>

namespace vqclip {

// Input must be valid UTF-8; output is UTF-8.
std::string ftfy_fix_text(std::string_view text);

}  // namespace vqclip
