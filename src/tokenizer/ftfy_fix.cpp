#include "tokenizer/ftfy_fix.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <map>

#include "tokenizer/ftfy_mojibake.hpp"
#include "tokenizer/html_tables.hpp"
#include "tokenizer/html_unescape.hpp"
#include "tokenizer/utf8.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

using Text = std::u32string;

const icu::Normalizer2& normalizer(bool compatibility) {
  UErrorCode status = U_ZERO_ERROR;
  const auto* instance =
      compatibility ? icu::Normalizer2::getNFKCInstance(status) : icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw InternalError(std::string("ICU normaliser unavailable: ") + u_errorName(status));
  return *instance;
}

Text normalize(const icu::Normalizer2& form, const Text& text) {
  UErrorCode status = U_ZERO_ERROR;
  const auto unicode = icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()),
                                                     static_cast<int32_t>(text.size()));
  const auto normalized = form.normalize(unicode, status);
  if (U_FAILURE(status)) throw InternalError(std::string("ICU normalisation failed: ") + u_errorName(status));
  std::string utf8;
  normalized.toUTF8String(utf8);
  return utf8_decode(utf8);
}

Text fix_c1_controls(const Text& text) {
  Text out;
  for (const char32_t c : text) out += c >= 0x80 && c <= 0x9F ? html::kWindows1252C1[c - 0x80] : c;
  return out;
}

// ftfy's own list: Latin ligatures and legacy digraphs, not every compatibility form.
Text fix_latin_ligatures(const Text& text) {
  static const std::map<char32_t, Text> kLigatures{
      {0x0132, U"IJ"},  {0x0133, U"ij"},  {0x0149, U"\u02BCn"}, {0x01F1, U"DZ"}, {0x01F2, U"Dz"}, {0x01F3, U"dz"},
      {0x01C4, U"D\u017D"}, {0x01C5, U"D\u017E"}, {0x01C6, U"d\u017E"}, {0x01C7, U"LJ"}, {0x01C8, U"Lj"},
      {0x01C9, U"lj"},  {0x01CA, U"NJ"},  {0x01CB, U"Nj"},  {0x01CC, U"nj"},  {0xFB00, U"ff"}, {0xFB01, U"fi"},
      {0xFB02, U"fl"},  {0xFB03, U"ffi"}, {0xFB04, U"ffl"}, {0xFB05, U"\u017Ft"}, {0xFB06, U"st"}};
  Text out;
  for (const char32_t c : text) {
    const auto it = kLigatures.find(c);
    if (it == kLigatures.end()) {
      out += c;
    } else {
      out += it->second;
    }
  }
  return out;
}

// Full-width and half-width forms (U+FF01..U+FFEF) become their NFKC form; the
// ideographic space becomes a space.
Text fix_character_width(const Text& text) {
  Text out;
  for (const char32_t c : text) {
    if (c == 0x3000) {
      out += U' ';
    } else if (c >= 0xFF01 && c <= 0xFFEF) {
      out += normalize(normalizer(true), Text(1, c));
    } else {
      out += c;
    }
  }
  return out;
}

Text uncurl_quotes(const Text& text) {
  Text out;
  for (const char32_t c : text) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      out += U'\'';
    } else if (c >= 0x201C && c <= 0x201F) {
      out += U'"';
    } else {
      out += c;
    }
  }
  return out;
}

Text fix_line_breaks(const Text& text) {
  Text out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') continue;  // CRLF: keep the LF
    out += c == U'\r' || c == 0x2028 || c == 0x2029 || c == 0x85 ? U'\n' : c;
  }
  return out;
}

// ANSI sequences such as ESC "[1;31m".
Text remove_terminal_escapes(const Text& text) {
  Text out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == U'[') {
      size_t end = i + 2;
      while (end < text.size() && ((text[end] >= U'0' && text[end] <= U'9') || text[end] == U';')) ++end;
      const bool letter = end < text.size() && ((text[end] | 0x20) >= U'a' && (text[end] | 0x20) <= U'z');
      if (letter) {
        i = end;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// Tab, LF, FF, CR, the C1 range and the bidi/joiner controls are kept, as in ftfy.
Text remove_control_chars(const Text& text) {
  Text out;
  for (const char32_t c : text) {
    const bool removed = c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
                         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
    if (!removed) out += c;
  }
  return out;
}

std::string fix_segment(std::string text, bool unescape_html) {
  while (true) {
    const std::string before = text;
    if (unescape_html) text = ftfy_html_unescape(text);
    Text fixed = ftfy_fix_encoding(utf8_decode(text));
    for (const auto fix : {fix_c1_controls, fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks,
                           remove_terminal_escapes, remove_control_chars}) {
      fixed = fix(fixed);
    }
    text = utf8_encode(normalize(normalizer(false), fixed));
    if (text == before) return text;
  }
}

}  // namespace

std::string ftfy_fix_text(std::string_view text) {
  // ftfy works line by line; once a line holds '<' (it may be HTML), no later
  // line is unescaped either. (It also cuts lines longer than 10^6 characters,
  // far beyond any prompt; not reproduced.)
  std::string out;
  bool unescape_html = true;
  for (size_t start = 0; start < text.size();) {
    const size_t newline = text.find('\n', start);
    const size_t end = newline == std::string_view::npos ? text.size() : newline + 1;
    const auto line = text.substr(start, end - start);
    if (line.find('<') != std::string_view::npos) unescape_html = false;
    out += fix_segment(std::string(line), unescape_html);
    start = end;
  }
  return out;
}

}  // namespace vqclip
