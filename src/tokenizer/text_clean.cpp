#include "tokenizer/text_clean.hpp"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <map>

#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// ftfy's fix_latin_ligatures table.
const std::map<UChar32, const char*>& ligatures() {
  static const std::map<UChar32, const char*> table{
      {0x0132, "IJ"}, {0x0133, "ij"}, {0x0149, "\xCA\xBCn"}, {0x01F1, "DZ"}, {0x01F2, "Dz"}, {0x01F3, "dz"},
      {0x01C4, "D\xC5\xBD"}, {0x01C5, "D\xC5\xBE"}, {0x01C6, "d\xC5\xBE"}, {0x01C7, "LJ"}, {0x01C8, "Lj"},
      {0x01C9, "lj"}, {0x01CA, "NJ"}, {0x01CB, "Nj"}, {0x01CC, "nj"}, {0xFB00, "ff"}, {0xFB01, "fi"},
      {0xFB02, "fl"}, {0xFB03, "ffi"}, {0xFB04, "ffl"}, {0xFB05, "\xC5\xBFt"}, {0xFB06, "st"}};
  return table;
}

// ftfy's remove_control_chars set (tab, newline, CR and form feed are kept).
bool is_removed_control(UChar32 c) {
  return (c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
         c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

// ftfy's per-character repairs: ligatures, full width, curly quotes, controls.
icu::UnicodeString fix_characters(const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  icu::UnicodeString out;
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    i += U16_LENGTH(c);
    if (is_removed_control(c)) continue;
    if (const auto it = ligatures().find(c); it != ligatures().end()) {
      out += icu::UnicodeString::fromUTF8(it->second);
    } else if (c >= 0xFF01 && c <= 0xFF5E) {
      out += static_cast<UChar32>(c - 0xFEE0);  // full-width ASCII
    } else if (c == 0x3000) {
      out += static_cast<UChar32>(0x20);  // ideographic space
    } else if (c >= 0xFF65 && c <= 0xFFDC && U_SUCCESS(status)) {
      icu::UnicodeString single(c);
      UErrorCode local = U_ZERO_ERROR;
      out += nfkc->normalize(single, local);  // half-width katakana and hangul
    } else if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      out += static_cast<UChar32>('\'');
    } else if (c >= 0x201C && c <= 0x201F) {
      out += static_cast<UChar32>('"');
    } else {
      out += c;
    }
  }
  return out;
}

std::string to_utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

void append_code_point(std::string& out, UChar32 c) { out += to_utf8(icu::UnicodeString(c)); }

const std::map<std::string, const char*>& named_entities() {
  static const std::map<std::string, const char*> table{
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", "\xC2\xA0"},
      {"copy", "\xC2\xA9"}, {"reg", "\xC2\xAE"}, {"trade", "\xE2\x84\xA2"}, {"hellip", "\xE2\x80\xA6"},
      {"mdash", "\xE2\x80\x94"}, {"ndash", "\xE2\x80\x93"}, {"lsquo", "\xE2\x80\x98"}, {"rsquo", "\xE2\x80\x99"},
      {"ldquo", "\xE2\x80\x9C"}, {"rdquo", "\xE2\x80\x9D"}, {"laquo", "\xC2\xAB"}, {"raquo", "\xC2\xBB"},
      {"deg", "\xC2\xB0"}, {"plusmn", "\xC2\xB1"}, {"times", "\xC3\x97"}, {"divide", "\xC3\xB7"},
      {"euro", "\xE2\x82\xAC"}, {"pound", "\xC2\xA3"}, {"yen", "\xC2\xA5"}, {"cent", "\xC2\xA2"},
      {"sect", "\xC2\xA7"}, {"para", "\xC2\xB6"}, {"middot", "\xC2\xB7"}, {"bull", "\xE2\x80\xA2"},
      {"eacute", "\xC3\xA9"}, {"egrave", "\xC3\xA8"}, {"aacute", "\xC3\xA1"}, {"agrave", "\xC3\xA0"},
      {"ccedil", "\xC3\xA7"}, {"ntilde", "\xC3\xB1"}, {"ouml", "\xC3\xB6"}, {"uuml", "\xC3\xBC"},
      {"auml", "\xC3\xA4"}, {"szlig", "\xC3\x9F"}, {"iexcl", "\xC2\xA1"}, {"iquest", "\xC2\xBF"},
      {"hearts", "\xE2\x99\xA5"}, {"larr", "\xE2\x86\x90"}, {"rarr", "\xE2\x86\x92"}, {"frac12", "\xC2\xBD"}};
  return table;
}

// Numeric reference value -> code point as Python's html.unescape does.
UChar32 numeric_reference(long value) {
  if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0xFFFD;
  return static_cast<UChar32>(value);
}

}  // namespace

bool is_python_space(UChar32 c) {
  const auto direction = u_charDirection(c);
  return u_charType(c) == U_SPACE_SEPARATOR || direction == U_WHITE_SPACE_NEUTRAL ||
         direction == U_BLOCK_SEPARATOR || direction == U_SEGMENT_SEPARATOR;
}

std::string html_unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '&') {
      out += text[i++];
      continue;
    }
    const size_t semicolon = text.find(';', i);
    if (semicolon != std::string_view::npos && semicolon - i <= 12) {
      const std::string name(text.substr(i + 1, semicolon - i - 1));
      if (name.size() >= 2 && name[0] == '#') {
        const bool hex = name[1] == 'x' || name[1] == 'X';
        const std::string digits = name.substr(hex ? 2 : 1);
        const bool valid = !digits.empty() && digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") ==
                                                  std::string::npos;
        if (valid) {
          const long value = digits.size() > 8 ? 0x110000 : std::stol(digits, nullptr, hex ? 16 : 10);
          append_code_point(out, numeric_reference(value));
          i = semicolon + 1;
          continue;
        }
      } else if (const auto it = named_entities().find(name); it != named_entities().end()) {
        out += it->second;
        i = semicolon + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string clean_text(std::string_view text, bool lowercase) {
  std::string s(text);
  // ftfy unescapes HTML only when the text does not look like HTML markup.
  if (s.find('<') == std::string::npos) s = html_unescape(s);
  auto unicode = fix_characters(icu::UnicodeString::fromUTF8(s));
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw InternalError("ICU NFC normaliser unavailable");
  unicode = nfc->normalize(unicode, status);
  s = html_unescape(html_unescape(to_utf8(unicode)));

  // Collapse whitespace runs to one space and trim.
  unicode = icu::UnicodeString::fromUTF8(s);
  icu::UnicodeString collapsed;
  bool pending_space = false;
  for (int32_t i = 0; i < unicode.length();) {
    const UChar32 c = unicode.char32At(i);
    i += U16_LENGTH(c);
    if (is_python_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !collapsed.isEmpty()) collapsed += static_cast<UChar32>(' ');
    pending_space = false;
    collapsed += c;
  }
  if (lowercase) collapsed.toLower(icu::Locale::getRoot());
  return to_utf8(collapsed);
}

}  // namespace vqclip
