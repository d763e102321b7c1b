#include "tokenizer/text_clean.hpp"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "tokenizer/ftfy_fix.hpp"
#include "tokenizer/html_unescape.hpp"

namespace vqclip {

bool is_unicode_space(UChar32 c) { return u_isUWhiteSpace(c) != 0; }

std::string clean_text(std::string_view text, bool lowercase) {
  const auto unescaped = python_html_unescape(python_html_unescape(ftfy_fix_text(text)));

  // Collapse whitespace runs to one space and trim.
  const auto unicode = icu::UnicodeString::fromUTF8(unescaped);
  icu::UnicodeString collapsed;
  bool pending_space = false;
  for (int32_t i = 0; i < unicode.length();) {
    const UChar32 c = unicode.char32At(i);
    i += U16_LENGTH(c);
    if (is_unicode_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !collapsed.isEmpty()) collapsed += static_cast<UChar32>(' ');
    pending_space = false;
    collapsed += c;
  }
  if (lowercase) collapsed.toLower(icu::Locale::getRoot());
  std::string out;
  collapsed.toUTF8String(out);
  return out;
}

}  // namespace vqclip
