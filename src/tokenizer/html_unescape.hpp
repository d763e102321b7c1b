#pragma once
// The two HTML unescapers CLIP's reference cleaning runs, reproduced exactly.
// Input and output are UTF-8.
#include <string>
#include <string_view>

namespace vqclip {

// Python's html.unescape: HTML5 named references (the legacy ones also without
// ';', and by longest prefix, so "&copy2021" -> "©2021"), and numeric references
// with or without ';', with the HTML5 replacements for invalid code points.
std::string python_html_unescape(std::string_view text);

// ftfy's unescape_html: only "&name;" and "&#number;" with the semicolon (at most
// 24 characters between '&' and ';'), plus all-caps names such as "&EACUTE;".
std::string ftfy_html_unescape(std::string_view text);

}  // namespace vqclip
