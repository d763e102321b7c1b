// ftfy's mojibake repair (fix_encoding), piece by piece; expected values are
// what ftfy 6.3.1 gives. tests/data/clip_bpe_golden.jsonl checks the same
// through the whole tokenizer on 80-odd more texts.
#include <gtest/gtest.h>

#include <stdexcept>

#include "tokenizer/ftfy_badness.hpp"
#include "tokenizer/ftfy_fix.hpp"
#include "tokenizer/ftfy_mojibake.hpp"
#include "tokenizer/ftfy_mojibake_codecs.hpp"
#include "tokenizer/utf8.hpp"

namespace vqclip {
namespace {

std::string fix(std::u32string_view text) { return ftfy_fix_text(utf8_encode(text)); }
std::string utf8(std::u32string_view text) { return utf8_encode(text); }

const mojibake::Codec& codec(std::string_view name) {
  for (size_t i = 0; i < mojibake::kCodecCount; ++i) {
    if (mojibake::kCodecs[i].name == name) return mojibake::kCodecs[i];
  }
  throw std::runtime_error("no codec " + std::string(name));
}

TEST(FtfyMojibake, HeuristicFlagsMisDecodedTextOnly) {
  EXPECT_TRUE(mojibake::is_bad(U"caf\u00c3\u00a9"));
  EXPECT_TRUE(mojibake::is_bad(U"\u00e2\u20ac\u0153quoted"));
  EXPECT_TRUE(mojibake::is_bad(U"x\u0085y")) << "any C1 control";
  EXPECT_FALSE(mojibake::is_bad(U"caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"));
  EXPECT_FALSE(mojibake::is_bad(U"\u00bd \u00d7 \u00b2 \u00b0C \u00a7"));
  EXPECT_TRUE(mojibake::is_bad(U"\u00c3 la carte")) << "an a-grave that lost its no-break space";
  EXPECT_FALSE(mojibake::is_bad(U"\u00c3"));
}

TEST(FtfyMojibake, RepairsUtf8ReadInEachSingleByteCodec) {
  EXPECT_EQ(fix(U"caf\u00c3\u00a9 cr\u00c3\u00a8me"), utf8(U"caf\u00e9 cr\u00e8me"));
  EXPECT_EQ(fix(U"\u0420\u045f\u0421\u0402\u0420\u0451\u0420\u0406\u0420\u00b5\u0421\u201a"),
            utf8(U"\u041f\u0440\u0438\u0432\u0435\u0442"))
      << "windows-1251";
  EXPECT_EQ(fix(U"caf\u221a\u00a9"), utf8(U"caf\u00e9")) << "macroman";
  EXPECT_EQ(fix(U"\u252c\u255c caf\u251c\u2310"), utf8(U"\u00bd caf\u00e9")) << "cp437";
  EXPECT_EQ(fix(U"Dvo\u00c3\u2026\u00e2\u201e\u00a2\u00c3\u0192\u00c2\u00a1k"), utf8(U"Dvo\u0159\u00e1k")) << "twice";
}

TEST(FtfyMojibake, RestoresLostNoBreakSpacesAndLostBytes) {
  EXPECT_EQ(fix(U"voil\u00c3  tout"), utf8(U"voil\u00e0 tout"));
  EXPECT_EQ(fix(U"\u00c3 s vezes"), utf8(U"\u00e0s vezes"));
  EXPECT_EQ(fix(U"\u00e2\u20ac\u0153like this\u00e2\u20ac\ufffd"), utf8(U"\"like this\ufffd"));
}

TEST(FtfyMojibake, FixesUtf8RunsInsideOtherText) {
  EXPECT_EQ(fix(U"S\u00c3\u00a3o \u00e2\u20ac\u201d and S\u00e3o"), utf8(U"S\u00e3o \u2014 and S\u00e3o"));
  EXPECT_EQ(fix(U"\u00d7\u00a9\u00d7\u0153\u00d7\u2022\u00d7"), utf8(U"\u05e9\u05dc\u05d5\u00d7"));
}

TEST(FtfyMojibake, ReadsC1ControlsAsWindows1252) {
  EXPECT_EQ(fix(U"caf\u00e9 \u0080 5 \u0085"), utf8(U"caf\u00e9 \u20ac 5 \u2026"));
  EXPECT_EQ(fix(U"caf\u00e9 \u0080 5 \u0081"), utf8(U"caf\u00e9 \u20ac 5 \u0081")) << "0x81 has no character";
  EXPECT_EQ(fix(U"\u00e2\u0080\u0099s"), "'s");
}

TEST(FtfyMojibake, DecodesCesu8AndJavaNull) {
  EXPECT_EQ(ftfy_fix_encoding(U"\u00ed\u00a0\u00bd\u00ed\u00b8\u0080 cesu"), U"\U0001F600 cesu");
  EXPECT_EQ(ftfy_fix_encoding(U"x\u00c0\u0080\u00c3\u00a9"), std::u32string(U"x") + U'\0' + U"\u00e9");
  // ftfy's variant patterns end in a Python `$`, which also matches before a
  // final newline: the newline is taken for the last byte.
  EXPECT_EQ(fix(U"\u00c3\u00a9\u00c0\nnext"), utf8(U"\u00e9next"));
  EXPECT_EQ(fix(U"\u00ed\u00a0\u00bd\u00ed\u00b8\n"), utf8(U"\U0001F60A"));
}

TEST(FtfyMojibake, LeavesOddButPlausibleTextAlone) {
  for (const std::u32string text : {U"\u00c3?", U"\u00c2\u00c2 \u00c2\u00c2", U"\u00c3\u017dle", U"\u00af\\_(\u30c4)_/\u00af",
                                    U"Fa\u00e7ade na\u00efve r\u00e9sum\u00e9 \u00c0 bient\u00f4t"}) {
    EXPECT_EQ(ftfy_fix_encoding(text), text) << utf8(text);
  }
}

TEST(FtfyMojibakeCodecs, StrictUtf8AsPython) {
  EXPECT_EQ(mojibake::decode_utf8("caf\xC3\xA9"), U"caf\u00e9");
  for (const std::string_view bad : {"\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3",
                                     "\x80", "\xF5\x80\x80\x80"}) {
    EXPECT_FALSE(mojibake::decode_utf8(bad)) << bad.size();
  }
  EXPECT_EQ(mojibake::decode_utf8_variants("\xC0\x80"), std::u32string(1, U'\0'));
  EXPECT_EQ(mojibake::decode_utf8_variants("\xED\xA0\xBD\xED\xB8\x80"), U"\U0001F600");
  EXPECT_FALSE(mojibake::decode_utf8_variants("\xED\xA0\xBD"));
  EXPECT_FALSE(mojibake::decode_utf8_variants("\xC0\x41"));
}

TEST(FtfyMojibakeCodecs, SingleByteCodecsEncodeWhatTheyCan) {
  EXPECT_EQ(mojibake::encode(U"\u00c3\u00a9", codec("latin-1")), "\xC3\xA9");
  EXPECT_EQ(mojibake::encode(U"\u20ac\ufffd", codec("sloppy-windows-1252")), "\x80\x1A");
  EXPECT_EQ(mojibake::encode(U"\u0081", codec("sloppy-windows-1252")), "\x81") << "sloppy: unassigned bytes pass";
  EXPECT_FALSE(mojibake::encode(U"\u20ac", codec("latin-1")));
  EXPECT_FALSE(mojibake::encode(U"\u001a", codec("sloppy-windows-1252")));
  EXPECT_EQ(mojibake::encode(U"\u221a", codec("macroman")), "\xC3");
}

}  // namespace
}  // namespace vqclip
