// CLIP BPE: ids against the reference tokenizer's golden file (real vocabulary,
// where shared/ has it), text cleaning, pre-tokenizing, vocabulary files.
#include <zlib.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "test_env.hpp"
#include "tokenizer/clip_bpe.hpp"
#include "tokenizer/html_unescape.hpp"
#include "tokenizer/text_clean.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

constexpr int64_t kBos = 49406;
constexpr int64_t kEos = 49407;

std::filesystem::path real_vocabulary() {
  return test::shared_dir() / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz";
}

TokenizerSpec clip_spec(const std::filesystem::path& file, int64_t bos = kBos, int64_t eos = kEos) {
  TokenizerSpec spec;
  spec.type = "clip_bpe";
  spec.file = file;
  spec.bos_id = bos;
  spec.eos_id = eos;
  spec.pad_id = 0;
  spec.context_length = 77;
  return spec;
}

class RealClipBpe : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(real_vocabulary())) {
      GTEST_SKIP() << "the real CLIP vocabulary is absent (" << real_vocabulary() << "): shared/ is not beside the repo";
    }
    static const auto shared_tokenizer = std::make_shared<ClipBpeTokenizer>(clip_spec(real_vocabulary()));
    tokenizer = shared_tokenizer;
  }
  std::vector<int64_t> unpadded(const std::string& text) const {
    auto ids = tokenizer->tokenize(text).ids;
    ids.erase(std::find(ids.begin() + 1, ids.end(), kEos) + 1, ids.end());
    return ids;
  }
  std::shared_ptr<ClipBpeTokenizer> tokenizer;
};

TEST_F(RealClipBpe, ReferenceExamplesFromTheDesign) {
  EXPECT_EQ(tokenizer->merge_count(), 48894u);
  EXPECT_EQ(unpadded("a photo of a cat"), (std::vector<int64_t>{kBos, 320, 1125, 539, 320, 2368, kEos}));
  EXPECT_EQ(unpadded("Hello, World!"), (std::vector<int64_t>{kBos, 3306, 267, 1002, 256, kEos}));
}

// tests/data/clip_bpe_golden.jsonl: OpenAI's tokenizer on 291 texts, 69 of them mojibake that ftfy
// repairs (scripts/make_clip_bpe_golden.py).
TEST_F(RealClipBpe, MatchesTheReferenceOnTheGoldenFile) {
  std::ifstream golden(test::source_dir() / "tests" / "data" / "clip_bpe_golden.jsonl");
  ASSERT_TRUE(golden) << "tests/data/clip_bpe_golden.jsonl is missing";
  size_t texts = 0;
  size_t header_texts = 0;
  for (std::string line; std::getline(golden, line);) {
    const auto entry = nlohmann::json::parse(line);
    if (!entry.contains("text")) {  // the header
      header_texts = entry.at("texts").get<size_t>();
      continue;
    }
    ++texts;
    const auto text = entry["text"].get<std::string>();
    const auto expected = entry["ids"].get<std::vector<int64_t>>();
    const auto label = nlohmann::json(text).dump();
    EXPECT_EQ(tokenizer->encode(text), expected) << label;
    EXPECT_EQ(tokenizer->encode_pieces(text).size(), expected.size()) << label;

    // The reference's truncate=True: bos, the first 75 ids, eos; then zero padding.
    const auto packed = tokenizer->tokenize(text);
    const size_t kept = std::min<size_t>(expected.size(), 75);
    std::vector<int64_t> want{kBos};
    want.insert(want.end(), expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(kept));
    want.push_back(kEos);
    want.resize(77, 0);
    EXPECT_EQ(packed.ids, want) << label;
    EXPECT_EQ(packed.dropped, expected.size() - kept) << label;
  }
  EXPECT_EQ(texts, header_texts);
  EXPECT_GE(texts, 291u);
}

TEST_F(RealClipBpe, CleaningMakesEquivalentTextsEqual) {
  EXPECT_EQ(unpadded("  a   PHOTO\tof a cat \n"), unpadded("a photo of a cat"));
  EXPECT_EQ(unpadded("a photo &amp; a cat"), unpadded("a photo & a cat"));
  EXPECT_EQ(unpadded("\xE2\x80\x9Cquoted\xE2\x80\x9D it\xE2\x80\x99s"), unpadded("\"quoted\" it's"));
  EXPECT_EQ(unpadded("\xEF\xAC\x81ne"), unpadded("fine")) << "ligature split";
  EXPECT_EQ(unpadded("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3"), unpadded("abc")) << "full-width narrowed";
}

TEST_F(RealClipBpe, LongPromptsKeepTheStartAndEndWithEos) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "cat ";
  const auto tokens = tokenizer->tokenize(text);
  ASSERT_EQ(tokens.ids.size(), 77u);
  EXPECT_EQ(tokens.ids.front(), kBos);
  EXPECT_EQ(tokens.ids.back(), kEos);
  EXPECT_EQ(tokens.dropped, 25u);
}

TEST(TextCleaning, TableOfRepairs) {
  EXPECT_EQ(clean_text("Caf\xC3\xA9", true), "caf\xC3\xA9");
  EXPECT_EQ(clean_text("Cafe\xCC\x81", true), "caf\xC3\xA9") << "NFC";
  EXPECT_EQ(clean_text("Caf\xC3\x83\xC2\xA9", true), "caf\xC3\xA9") << "mojibake repaired";
  EXPECT_EQ(clean_text("a&#33;&#x21;&lt;b&gt;", false), "a!!<b>");
  EXPECT_EQ(clean_text("&amp;amp;amp;lt;", false), "<") << "ftfy unescapes until stable, then twice more";
  EXPECT_EQ(clean_text("bell\x07here", false), "bellhere") << "control characters removed";
  EXPECT_EQ(clean_text("\x1B[1;31mred\x1B[0m", false), "red") << "terminal escapes removed";
  EXPECT_EQ(clean_text("\xC2\x93quoted\xC2\x94", false), "\"quoted\"") << "C1 controls read as windows-1252";
  EXPECT_EQ(clean_text("\xE3\x80\x80wide\xE3\x80\x80space \xEF\xBF\xA1", false), "wide space \xC2\xA3");
  EXPECT_EQ(clean_text("\xC3\x84\xC3\x96\xC3\x9C \xC4\xB0", true), "\xC3\xA4\xC3\xB6\xC3\xBC i\xCC\x87") << "full lowercase";
  EXPECT_EQ(clean_text("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3", true), "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82") << "final sigma";
  EXPECT_EQ(clean_text("a\xE2\x80\xA8" "b\xC2\xA0" "c\xE2\x80\x8B" "d", false), "a b c\xE2\x80\x8B" "d")
      << "Unicode White_Space collapses; a zero-width space is no space";
}

TEST(TextCleaning, FtfyStopsUnescapingOnceALineLooksLikeHtml) {
  // &ldquo; unescaped by ftfy is then straightened; after a '<' only Python's
  // html.unescape runs, which leaves the curly quote.
  EXPECT_EQ(clean_text("&ldquo;a&rdquo;\n<b> &ldquo;c&rdquo;", false), "\"a\" <b> \xE2\x80\x9C" "c\xE2\x80\x9D");
}

TEST(HtmlUnescape, PythonRules) {
  EXPECT_EQ(python_html_unescape("&copy2021 &notit; &amp &ampx"), "\xC2\xA9" "2021 \xC2\xAC" "it; & &x")
      << "legacy names need no ';' and match by longest prefix";
  EXPECT_EQ(python_html_unescape("&#65&#x42;&#0000067; &#128; &#0; &#x110000;"),
            "ABC \xE2\x82\xAC \xEF\xBF\xBD \xEF\xBF\xBD");
  EXPECT_EQ(python_html_unescape("&#1;&#xFFFE;x &#; &#x; &unknown; & &;"), "x &#; &#x; &unknown; & &;");
  EXPECT_EQ(python_html_unescape("&NotEqualTilde; &fjlig;"), "\xE2\x89\x82\xCC\xB8 fj");
}

TEST(HtmlUnescape, FtfyRules) {
  EXPECT_EQ(ftfy_html_unescape("&amp &copy2021 &amp;"), "&amp &copy2021 &") << "';' required";
  EXPECT_EQ(ftfy_html_unescape("P&EACUTE;REZ STRA&SZLIG;E &nTILDE;"), "P\xC3\x89REZ STRASSE &nTILDE;");
  EXPECT_EQ(ftfy_html_unescape("&#65; &#65a; &#59; &#x3b;"), "A &#65a; &#59; &#x3b;")
      << "numeric only when the whole reference decodes, and never to ';'";
}

TEST(TextCleaning, PreTokenizerSplitsLikeTheReferencePattern) {
  EXPECT_EQ(clip_pre_tokenize("it's 42 apples!!! <|endoftext|>"),
            (std::vector<std::string>{"it", "'s", "4", "2", "apples", "!!!", "<|endoftext|>"}));
  EXPECT_EQ(clip_pre_tokenize("\xCE\xBA\xCE\xB1\xCE\xBB\xCE\xB7 \xE6\x97\xA5\xE6\x9C\xAC"),
            (std::vector<std::string>{"\xCE\xBA\xCE\xB1\xCE\xBB\xCE\xB7", "\xE6\x97\xA5\xE6\x9C\xAC"}));
  EXPECT_EQ(clip_pre_tokenize("!<|endoftext|>"), (std::vector<std::string>{"!<|", "endoftext", "|>"}))
      << "special tokens are recognised only where a piece starts";
}

// The reference's pattern is case-insensitive, with effects beyond ASCII.
TEST(TextCleaning, PreTokenizerFollowsTheReferencesIgnoreCase) {
  // U+017F (long s) folds to 's': one piece, which is BPE'd rather than made the bos id.
  EXPECT_EQ(clip_pre_tokenize("<|\xC5\xBFtartoftext|> it'\xC5\xBF"),
            (std::vector<std::string>{"<|\xC5\xBFtartoftext|>", "it", "'\xC5\xBF"}));
  // U+0345 folds to iota, a letter, so it matches neither the letter class nor its negation.
  EXPECT_EQ(clip_pre_tokenize("a\xCD\x85" "b !\xCD\x85!"), (std::vector<std::string>{"a", "b", "!", "!"}));
}

TEST(Utf8, InvalidInputNamesTheByteOffset) {
  try {
    require_valid_utf8("ok\xC3(", "text");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("byte offset 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(require_valid_utf8("\xED\xA0\x80", "text"), InputError) << "surrogate";
  EXPECT_THROW(require_valid_utf8("\xC0\xAF", "text"), InputError) << "overlong";
  EXPECT_NO_THROW(require_valid_utf8("\xF0\x9F\x98\x80 emoji", "text"));
}

void write_gzip(const std::filesystem::path& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

// A bundle may carry its own, smaller vocabulary: ids are 256 byte symbols, the
// same with </w>, then one per merge, in file order.
TEST(ClipBpeVocabulary, SmallFilesGiveIdsInReferenceOrder) {
  const auto dir = test::scratch_dir("clip-bpe-vocab");
  write_gzip(dir / "small.txt.gz", "#version: 0.2\nc a\nca t</w>\nd o\ndo g</w>\n");
  const ClipBpeTokenizer tokenizer(clip_spec(dir / "small.txt.gz", 516, 517));
  EXPECT_EQ(tokenizer.merge_count(), 4u);
  // 'a' is byte 97, the 65th printable symbol (33..126 come first): id 64; "a</w>" is 256 later.
  EXPECT_EQ(tokenizer.encode("cat dog a"), (std::vector<int64_t>{513, 515, 64 + 256}));
  EXPECT_EQ(tokenizer.encode_pieces("cats"), (std::vector<std::string>{"ca", "t", "s</w>"}));
  EXPECT_EQ(tokenizer.tokenize("cat").ids[0], 516);
  EXPECT_EQ(tokenizer.tokenize("cat").ids[2], 517);
}

TEST(ClipBpeVocabulary, BrokenFilesAreBundleErrorsNamingTheFile) {
  const auto dir = test::scratch_dir("clip-bpe-broken");
  write_gzip(dir / "no-space.txt.gz", "#version: 0.2\nc a\nnospace\n");
  write_gzip(dir / "three-parts.txt.gz", "#version: 0.2\nc a\n\nd o g\n");
  const std::pair<std::filesystem::path, std::string> cases[] = {
      {dir / "no-space.txt.gz", "line 3 is not a BPE merge"},
      {dir / "three-parts.txt.gz", "line 4 is not a BPE merge"},
      {dir / "absent.txt.gz", "cannot open"}};
  for (const auto& [file, cause] : cases) {
    try {
      ClipBpeTokenizer tokenizer(clip_spec(file));
      FAIL() << file;
    } catch (const BundleError& e) {
      EXPECT_NE(std::string(e.what()).find(file.string() + ": "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace vqclip
