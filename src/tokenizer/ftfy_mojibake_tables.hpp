#pragma once
// Character data behind ftfy's mojibake repair, dumped from ftfy 6.3.1 and
// Python by scripts/make_ftfy_mojibake_tables.py (ftfy_mojibake_tables.cpp is
// generated): the character classes its heuristic is written in, and the
// single-byte codecs it re-encodes text with.
#include <cstddef>
#include <cstdint>

namespace vqclip::mojibake {

// One bit per class, in the generator's order.
enum CharClass : uint32_t {
  // ftfy's badness categories: characters that turn up in UTF-8 mojibake.
  kCommon = 1u << 0,
  kC1 = 1u << 1,
  kBad = 1u << 2,
  kLaw = 1u << 3,
  kCurrency = 1u << 4,
  kStartPunctuation = 1u << 5,
  kEndPunctuation = 1u << 6,
  kNumeric = 1u << 7,
  kKaomoji = 1u << 8,
  kUpperAccented = 1u << 9,
  kLowerAccented = 1u << 10,
  kUpperCommon = 1u << 11,
  kLowerCommon = 1u << 12,
  kBox = 1u << 13,
  // ftfy's UTF-8 clues: what a UTF-8 lead or continuation byte looks like when
  // read in one of the single-byte codecs.
  kUtf8FirstOf2 = 1u << 14,
  kUtf8FirstOf3 = 1u << 15,
  kUtf8FirstOf4 = 1u << 16,
  kUtf8Continuation = 1u << 17,
  kUtf8ContinuationStrict = 1u << 18,
  // Python's \s and \w (its Unicode data, not ICU's).
  kPythonSpace = 1u << 19,
  kPythonWord = 1u << 20,
};

// Code points first..last (inclusive) belong to exactly these classes; sorted,
// not overlapping; code points in no range belong to none.
struct ClassRange {
  char32_t first;
  char32_t last;
  uint32_t classes;
};
extern const ClassRange kClassRanges[];
extern const size_t kClassRangeCount;

struct CodecEntry {
  char32_t code_point;
  uint8_t byte;
};

// A single-byte codec as ftfy uses it: U+0000..U+0019 and U+001B..U+007F are
// bytes of the same value; the other encodable code points are listed, sorted.
// Sloppy codecs encode U+FFFD as byte 0x1A (a lost character).
struct Codec {
  const char* name;
  bool sloppy;
  const CodecEntry* entries;
  size_t entry_count;
};
// In the order ftfy tries them.
extern const Codec kCodecs[];
extern const size_t kCodecCount;

// Strict windows-1252 for bytes 0x80..0x9F; 0 for its five unassigned bytes.
extern const char32_t kStrictWindows1252C1[32];

}  // namespace vqclip::mojibake
