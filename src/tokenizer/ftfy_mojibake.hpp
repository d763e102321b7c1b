#pragma once
// ftfy's mojibake repair (fix_encoding in ftfy 6.3, default settings): text
// that looks mis-decoded, such as "cafÃ©", is encoded back to the bytes it was
// probably read from (latin-1, sloppy windows-125x, iso-8859-2, macroman or
// cp437) and decoded again as UTF-8, repeatedly until nothing changes. Where
// that fails for the whole text, clearly UTF-8-shaped runs are fixed on their
// own and C1 controls are read as windows-1252.
#include <string>
#include <string_view>

namespace vqclip {

std::u32string ftfy_fix_encoding(std::u32string_view text);

}  // namespace vqclip
