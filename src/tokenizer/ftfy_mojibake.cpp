#include "tokenizer/ftfy_mojibake.hpp"

#include <bitset>
#include <initializer_list>
#include <utility>
#include <vector>

#include "tokenizer/ftfy_badness.hpp"
#include "tokenizer/ftfy_mojibake_codecs.hpp"
#include "tokenizer/ftfy_mojibake_tables.hpp"
#include "tokenizer/html_tables.hpp"

namespace vqclip {
namespace {

using mojibake::char_classes;
using mojibake::Codec;

// ---- byte patterns ---------------------------------------------------------------
// ftfy edits the re-encoded bytes with regexes that are alternations of
// fixed-length byte sequences; here each is a list of byte sets, tried in order.

using ByteSet = std::bitset<256>;
using BytePattern = std::vector<ByteSet>;

ByteSet bytes_in(std::initializer_list<std::pair<int, int>> ranges) {
  ByteSet set;
  for (const auto& [first, last] : ranges) {
    for (int byte = first; byte <= last; ++byte) set.set(static_cast<size_t>(byte));
  }
  return set;
}

ByteSet byte(int value) { return bytes_in({{value, value}}); }

// Length of the first alternative that matches at `at`, 0 if none does.
size_t match_at(std::string_view bytes, size_t at, const std::vector<BytePattern>& alternatives) {
  for (const auto& pattern : alternatives) {
    if (at + pattern.size() > bytes.size()) continue;
    bool matched = true;
    for (size_t k = 0; k < pattern.size() && matched; ++k) {
      matched = pattern[k].test(static_cast<unsigned char>(bytes[at + k]));
    }
    if (matched) return pattern.size();
  }
  return 0;
}

bool contains_match(std::string_view bytes, const std::vector<BytePattern>& alternatives) {
  for (size_t at = 0; at < bytes.size(); ++at) {
    if (match_at(bytes, at, alternatives) != 0) return true;
  }
  return false;
}

// Like Python's re.sub: leftmost matches, not overlapping, each replaced by replace(match).
template <typename Replace>
std::string substitute(std::string_view bytes, const std::vector<BytePattern>& alternatives, Replace replace) {
  std::string out;
  for (size_t at = 0; at < bytes.size();) {
    const size_t length = match_at(bytes, at, alternatives);
    if (length == 0) {
      out += bytes[at++];
    } else {
      out += replace(bytes.substr(at, length));
      at += length;
    }
  }
  return out;
}

// UTF-8 sequences that decode if one space is taken back to byte A0 (a no-break
// space some program turned into a plain one). Only lead bytes that make likely
// characters are accepted.
const std::vector<BytePattern>& altered_utf8() {
  static const auto kPatterns = [] {
    const ByteSet space = byte(0x20);
    const ByteSet continuation = bytes_in({{0x80, 0xBF}});
    const ByteSet likely_continuation = bytes_in({{0x80, 0x84}, {0x86, 0x9F}, {0xA1, 0xBF}});
    return std::vector<BytePattern>{
        {bytes_in({{0xC2, 0xC3}, {0xC5, 0xC5}, {0xCE, 0xCE}, {0xD0, 0xD0}, {0xD9, 0xD9}}), space},
        {bytes_in({{0xE2, 0xE3}}), space, likely_continuation},
        {bytes_in({{0xE0, 0xE3}}), likely_continuation, space},
        {byte(0xF0), space, continuation, continuation},
        {byte(0xF0), continuation, space, continuation},
        {byte(0xF0), continuation, continuation, space},
    };
  }();
  return kPatterns;
}

// UTF-8 (and CESU-8) sequences with a byte lost: byte 1A is what a sloppy codec
// made of U+FFFD; an ASCII '?' may stand for one lost byte per sequence.
const std::vector<BytePattern>& lossy_utf8() {
  static const auto kPatterns = [] {
    const ByteSet lost = byte(0x1A);
    const ByteSet lost_or_question = bytes_in({{0x1A, 0x1A}, {'?', '?'}});
    const ByteSet lost_or_continuation = bytes_in({{0x1A, 0x1A}, {0x80, 0xBF}});
    const ByteSet any_continuation = bytes_in({{0x1A, 0x1A}, {'?', '?'}, {0x80, 0xBF}});
    const ByteSet lead3 = bytes_in({{0xE0, 0xEF}});
    const ByteSet lead4 = bytes_in({{0xF0, 0xF4}});
    const ByteSet ed = byte(0xED);
    const ByteSet high_surrogate = bytes_in({{0xA0, 0xAF}});
    const ByteSet low_surrogate = bytes_in({{0xB0, 0xBF}});
    return std::vector<BytePattern>{
        {bytes_in({{0xC2, 0xDF}}), lost},
        {bytes_in({{0xC2, 0xC3}}), byte('?')},
        {ed, high_surrogate, lost_or_question, ed, low_surrogate, any_continuation},
        {ed, high_surrogate, any_continuation, ed, low_surrogate, lost_or_question},
        {lead3, lost_or_question, lost_or_continuation},
        {lead3, lost_or_continuation, lost_or_question},
        {lead4, lost_or_question, lost_or_continuation, lost_or_continuation},
        {lead4, lost_or_continuation, lost_or_question, lost_or_continuation},
        {lead4, lost_or_continuation, lost_or_continuation, lost_or_question},
        {lost},
    };
  }();
  return kPatterns;
}

// "Ã " is "à" whose no-break space became a space (as in "voilÃ le"), unless
// what follows makes that unlikely.
bool a_grave_lost_its_a0(std::string_view bytes, size_t at) {
  if (bytes.substr(at, 2) != "\xC3 ") return false;
  const auto rest = bytes.substr(at + 2);
  for (const std::string_view word : {" ", "quele", "quela", "quilo", "s "}) {
    if (rest.substr(0, word.size()) == word) return false;
  }
  return true;
}

std::string restore_byte_a0(std::string_view bytes) {
  std::string restored;
  for (size_t at = 0; at < bytes.size();) {
    if (a_grave_lost_its_a0(bytes, at)) {
      restored += "\xC3\xA0 ";
      at += 2;
    } else {
      restored += bytes[at++];
    }
  }
  return substitute(restored, altered_utf8(), [](std::string_view match) {
    std::string fixed(match);
    for (auto& b : fixed) b = b == ' ' ? '\xA0' : b;
    return fixed;
  });
}

std::string replace_lossy_sequences(std::string_view bytes) {
  return substitute(bytes, lossy_utf8(), [](std::string_view) { return std::string("\xEF\xBF\xBD"); });
}

// ---- text-level steps ------------------------------------------------------------

bool is_ascii(std::u32string_view text) {
  for (const char32_t c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

bool has_c1(std::u32string_view text) {
  for (const char32_t c : text) {
    if (c >= 0x80 && c <= 0x9F) return true;
  }
  return false;
}

bool has_class(std::u32string_view text, size_t at, uint32_t classes) {
  return at < text.size() && (char_classes(text[at]) & classes) != 0;
}

// One UTF-8-shaped character (a lead-byte look-alike and its continuation
// look-alikes) at `at`: its length, 0 if none.
size_t utf8_lookalike_at(std::u32string_view text, size_t at) {
  using namespace mojibake;
  const auto continued = [&](size_t count) {
    for (size_t k = 1; k <= count; ++k) {
      if (!has_class(text, at + k, kUtf8Continuation)) return false;
    }
    return true;
  };
  if (has_class(text, at, kUtf8FirstOf2) && continued(1)) return 2;
  if (has_class(text, at, kUtf8FirstOf3) && continued(2)) return 3;
  if (has_class(text, at, kUtf8FirstOf4) && continued(3)) return 4;
  return 0;
}

// Runs of UTF-8-shaped mojibake inside text that as a whole does not re-decode
// (text joined from different sources) are fixed on their own, if they look
// bad by themselves. A run may not start right after a strict continuation
// look-alike, so a few characters in the middle of a long garble stay put.
std::u32string decode_inconsistent_utf8(std::u32string_view text) {
  std::u32string out;
  size_t copied = 0;
  for (size_t start = 0; start < text.size();) {
    const bool after_strict = start > 0 && has_class(text, start - 1, mojibake::kUtf8ContinuationStrict);
    size_t end = start;
    if (!after_strict) {
      while (const size_t length = utf8_lookalike_at(text, end)) end += length;
    }
    if (end == start) {
      ++start;
      continue;
    }
    const auto run = text.substr(start, end - start);
    out += text.substr(copied, start - copied);
    out += run.size() < text.size() && mojibake::is_bad(run) ? ftfy_fix_encoding(run) : std::u32string(run);
    copied = start = end;
  }
  out += text.substr(copied);
  return out;
}

bool is_codec(const Codec& codec, std::string_view name) { return codec.name == name; }

// One round of ftfy's repair: the first plan that applies, or the text as it is.
std::u32string fix_encoding_step(std::u32string_view text) {
  if (is_ascii(text) || !mojibake::is_bad(text)) return std::u32string(text);

  // UTF-8 read in a single-byte codec: encode back, then decode as UTF-8.
  bool latin1_possible = false;
  for (size_t i = 0; i < mojibake::kCodecCount; ++i) {
    const Codec& codec = mojibake::kCodecs[i];
    auto bytes = mojibake::encode(text, codec);
    if (!bytes) continue;
    latin1_possible = latin1_possible || is_codec(codec, "latin-1");
    // (In macroman an en dash before a space would look like a lost A0.)
    if (!is_codec(codec, "macroman") && contains_match(*bytes, altered_utf8())) *bytes = restore_byte_a0(*bytes);
    if (codec.sloppy) *bytes = replace_lossy_sequences(*bytes);
    const bool variant = bytes->find('\xED') != std::string::npos || bytes->find('\xC0') != std::string::npos;
    auto decoded = variant ? mojibake::decode_utf8_variants(*bytes) : mojibake::decode_utf8(*bytes);
    if (decoded) return std::move(*decoded);
  }

  auto fixed = decode_inconsistent_utf8(text);
  if (fixed != text) return fixed;

  // Latin-1 text with C1 controls: most likely windows-1252 read as latin-1,
  // if windows-1252 has a character for every one of them.
  if (latin1_possible) {
    std::u32string windows1252(text);
    bool decodable = true;
    for (auto& c : windows1252) {
      if (c < 0x80 || c > 0x9F) continue;
      c = mojibake::kStrictWindows1252C1[c - 0x80];
      decodable = decodable && c != 0;
    }
    if (decodable && windows1252 != text) return windows1252;
  }

  // Otherwise C1 controls one by one, those windows-1252 lacks left as they are.
  if (has_c1(text)) {
    std::u32string out(text);
    for (auto& c : out) {
      if (c >= 0x80 && c <= 0x9F) c = html::kWindows1252C1[c - 0x80];
    }
    return out;
  }
  return std::u32string(text);
}

}  // namespace

std::u32string ftfy_fix_encoding(std::u32string_view text) {
  std::u32string current(text);
  while (true) {
    auto fixed = fix_encoding_step(current);
    if (fixed == current) return fixed;
    current = std::move(fixed);
  }
}

}  // namespace vqclip
