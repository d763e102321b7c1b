#include "tokenizer/ftfy_badness.hpp"

#include <algorithm>
#include <vector>

#include "tokenizer/ftfy_mojibake_tables.hpp"

namespace vqclip::mojibake {

uint32_t char_classes(char32_t c) {
  const auto* end = kClassRanges + kClassRangeCount;
  const auto* it = std::upper_bound(kClassRanges, end, c,
                                    [](char32_t value, const ClassRange& range) { return value < range.first; });
  if (it == kClassRanges) return 0;
  --it;
  return c <= it->last ? it->classes : 0;
}

namespace {

// Pseudo-classes for the heuristic's ASCII ranges [a-z] and [A-Z].
constexpr uint32_t kAsciiLower = 1u << 30;
constexpr uint32_t kAsciiUpper = 1u << 31;
constexpr uint32_t kAsciiLetter = kAsciiLower | kAsciiUpper;

constexpr uint32_t kAccented = kLowerAccented | kUpperAccented;
// Characters that hardly ever stand next to a "bad" one in real text.
constexpr uint32_t kSuspicious = kAccented | kBox | kStartPunctuation | kEndPunctuation | kCurrency | kNumeric | kLaw;
// What may stand between the two lead characters of Windows-1251/1253 mojibake.
constexpr uint32_t kCyrillicOrGreekMiddle = kC1 | kBad | kStartPunctuation | kEndPunctuation | kCurrency;

uint32_t classes_of(char32_t c) {
  uint32_t classes = char_classes(c);
  if (c >= U'a' && c <= U'z') classes |= kAsciiLower;
  if (c >= U'A' && c <= U'Z') classes |= kAsciiUpper;
  return classes;
}

// One character of a pattern: one in any of `classes` or among `chars`, or,
// when negated, any character that is neither.
struct Atom {
  uint32_t classes = 0;
  std::u32string_view chars;
  bool negated = false;
};

Atom in(uint32_t classes, std::u32string_view chars = {}) { return {classes, chars, false}; }
Atom in(std::u32string_view chars) { return {0, chars, false}; }
Atom not_in(uint32_t classes, std::u32string_view chars = {}) { return {classes, chars, true}; }

struct Pattern {
  std::vector<Atom> atoms;
  bool at_start_only = false;
};

// ftfy's BADNESS_RE, one alternative per row ("\s?" written out as two rows).
const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> kPatterns = {
      {{in(kC1)}},
      {{in(kBad | kSuspicious), in(kBad)}},
      {{in(kAsciiLetter), in(kLowerCommon | kUpperCommon), in(kBad)}},
      {{in(kBad), in(kSuspicious)}},
      {{in(kLowerAccented | kLowerCommon | kBox | kEndPunctuation | kCurrency | kNumeric), in(kUpperAccented)}},
      {{in(kBox | kEndPunctuation | kCurrency | kNumeric), in(kLowerAccented)}},
      {{in(kLowerAccented | kBox | kEndPunctuation), in(kCurrency)}},
      {{in(kPythonSpace), in(kUpperAccented), in(kCurrency)}},
      {{in(kUpperAccented | kBox), in(kNumeric | kLaw)}},
      {{in(kAccented | kBox | kCurrency | kEndPunctuation), in(kStartPunctuation), in(kNumeric)}},
      {{in(kAccented | kCurrency | kNumeric | kBox | kLaw), in(kEndPunctuation), in(kStartPunctuation)}},
      {{in(kCurrency | kNumeric | kBox), in(kStartPunctuation)}},
      {{in(kAsciiLower), in(kUpperAccented), in(kStartPunctuation | kCurrency)}},
      {{in(kBox), in(kKaomoji)}},
      {{in(kAccented | kCurrency | kNumeric | kStartPunctuation | kEndPunctuation | kLaw), in(kBox)}},
      {{in(kBox), in(kEndPunctuation)}},
      {{in(kAccented), in(kStartPunctuation | kEndPunctuation), in(kPythonWord)}},
      // the ligature oe not followed by an unaccented Latin letter
      {{in(U"\u0152\u0153"), not_in(kAsciiLetter)}},
      // a degree sign after a capital letter
      {{in(kUpperAccented), in(U"\u00b0")}},
      // common two-character Windows-1252 mojibake the rows above miss
      {{in(U"\u00c2\u00c3\u00ce\u00d0"), in(kStartPunctuation | kEndPunctuation,
                                            U"\u20ac\u0153\u0160\u0161\u00a2\u00a3\u0178\u017e\u00a0\u00ad\u00ae\u00a9"
                                            U"\u00b0\u00b7\u00bb\u2013\u2014\u00b4")}},
      {{in(U"\u00d7"), in(U"\u00b2\u00b3")}},
      // Windows-1252 mojibake of Arabic: four characters, as it includes common ones
      {{in(U"\u00d8\u00d9"),
        in(kCommon | kCurrency | kBad | kNumeric | kStartPunctuation, U"\u0178\u0160\u00ae\u00b0\u00b5\u00bb"),
        in(U"\u00d8\u00d9"),
        in(kCommon | kCurrency | kBad | kNumeric | kStartPunctuation, U"\u0178\u0160\u00ae\u00b0\u00b5\u00bb")}},
      // Windows-1252 mojibake of some South Asian scripts
      {{in(U"\u00e0"), in(U"\u00b2\u00b5\u00b9\u00bc\u00bd\u00be")}},
      // MacRoman mojibake
      {{in(U"\u221a"), in(U"\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8")}},
      {{in(U"\u2248"), in(U"\u00b0\u00a2")}},
      {{in(U"\u201a"), in(U"\u00c4"), in(U"\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0")}},
      {{in(U"\u201a"), in(U"\u00e2\u00f3"), in(U"\u00e0\u00e4\u00b0\u00ea")}},
      // Windows-1251 mojibake, of the U+2000 block and of Latin-1 or Cyrillic
      {{in(U"\u0432"), in(U"\u0402")}},
      {{in(U"\u0412\u0413\u0420\u0421"), in(kCyrillicOrGreekMiddle, U"\u00b0\u00b5"), in(U"\u0412\u0413\u0420\u0421")}},
      // Windows-1251 over Latin-1 over Windows-1252, next to a Latin letter or space
      {{in(U"\u0413"), in(U"\u045e"), in(U"\u0412"), in(U"\u0402"), in(U"\u0412"), not_in(0, U"\n"),
        in(kAsciiLetter, U" ")}},
      // Windows-1252 encodings of a-grave, a-acute and the no-break space
      {{in(U"\u00c3"), in(U"\u00a0\u00a1")}},
      {{in(kAsciiLower), in(U"\u00c3\u00c2"), in(U" ")}},
      {{in(kAsciiLower), in(kPythonSpace), in(U"\u00c3\u00c2"), in(U" ")}},
      {{in(U"\u00c3\u00c2"), in(U" ")}, true},
      // A-circumflex standing for itself before common punctuation
      {{in(kAsciiLower | kEndPunctuation, U".,?!"), in(U"\u00c2"), in(kStartPunctuation | kEndPunctuation, U" ")}},
      // Windows-1253 mojibake, of the U+2000 block and of Latin-1 or Greek
      {{in(U"\u03b2"), in(U"\u20ac"), in(U"\u2122\u00a0\u0386\u00ad\u00ae\u00b0")}},
      {{in(U"\u0392\u0393\u039e\u039f"), in(kCyrillicOrGreekMiddle, U"\u00b0"), in(U"\u0392\u0393\u039e\u039f")}},
      // Windows-1257 mojibake of the U+2000 block
      {{in(U"\u0101"), in(U"\u20ac")}},
  };
  return kPatterns;
}

bool atom_matches(const Atom& atom, char32_t c, uint32_t classes) {
  const bool member = (classes & atom.classes) != 0 || atom.chars.find(c) != std::u32string_view::npos;
  return member != atom.negated;
}

}  // namespace

bool is_bad(std::u32string_view text) {
  std::vector<uint32_t> classes(text.size());
  for (size_t i = 0; i < text.size(); ++i) classes[i] = classes_of(text[i]);
  for (size_t start = 0; start < text.size(); ++start) {
    for (const auto& pattern : patterns()) {
      if ((pattern.at_start_only && start != 0) || start + pattern.atoms.size() > text.size()) continue;
      bool matched = true;
      for (size_t k = 0; k < pattern.atoms.size() && matched; ++k) {
        matched = atom_matches(pattern.atoms[k], text[start + k], classes[start + k]);
      }
      if (matched) return true;
    }
  }
  return false;
}

}  // namespace vqclip::mojibake
