// CLIP BPE (real vocabulary where shared/ has it), text cleaning,
// SentencePiece against spm_encode, and `vqclip tokenize`.
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "tokenizer/clip_bpe.hpp"
#include "tokenizer/text_clean.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::filesystem::path real_vocabulary() {
  return test::shared_dir() / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz";
}

TokenizerSpec clip_spec(const std::filesystem::path& file) {
  TokenizerSpec spec;
  spec.type = "clip_bpe";
  spec.file = file;
  spec.bos_id = 49406;
  spec.eos_id = 49407;
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
    ids.erase(std::find(ids.begin() + 1, ids.end(), 49407) + 1, ids.end());
    return ids;
  }
  std::shared_ptr<ClipBpeTokenizer> tokenizer;
};

TEST_F(RealClipBpe, ReferenceExamplesFromTheDesign) {
  EXPECT_EQ(tokenizer->merge_count(), 48894u);
  EXPECT_EQ(unpadded("a photo of a cat"), (std::vector<int64_t>{49406, 320, 1125, 539, 320, 2368, 49407}));
  EXPECT_EQ(unpadded("Hello, World!"), (std::vector<int64_t>{49406, 3306, 267, 1002, 256, 49407}));
}

TEST_F(RealClipBpe, CleaningMakesEquivalentTextsEqual) {
  EXPECT_EQ(unpadded("  a   PHOTO\tof a cat \n"), unpadded("a photo of a cat"));
  EXPECT_EQ(unpadded("a photo &amp; a cat"), unpadded("a photo & a cat"));
  EXPECT_EQ(unpadded("\xE2\x80\x9Cquoted\xE2\x80\x9D it\xE2\x80\x99s"), unpadded("\"quoted\" it's"));
  EXPECT_EQ(unpadded("\xEF\xAC\x81ne"), unpadded("fine")) << "ligature split";
  EXPECT_EQ(unpadded("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3"), unpadded("abc")) << "full-width narrowed";
}

TEST_F(RealClipBpe, DigitsAreOneTokenEach) {
  const auto ids = unpadded("2026");
  EXPECT_EQ(ids.size(), 6u);
}

TEST_F(RealClipBpe, LongPromptsKeepTheStartAndEndWithEos) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "cat ";
  const auto tokens = tokenizer->tokenize(text);
  ASSERT_EQ(tokens.ids.size(), 77u);
  EXPECT_EQ(tokens.ids.front(), 49406);
  EXPECT_EQ(tokens.ids.back(), 49407);
  EXPECT_EQ(tokens.dropped, 25u);
}

TEST(TextCleaning, TableOfRepairs) {
  EXPECT_EQ(clean_text("Caf\xC3\xA9", true), "caf\xC3\xA9");
  EXPECT_EQ(clean_text("Cafe\xCC\x81", true), "caf\xC3\xA9") << "NFC";
  EXPECT_EQ(clean_text("a&#33;&#x21;&lt;b&gt;", false), "a!!<b>");
  EXPECT_EQ(clean_text("&amp;lt;", false), "<") << "unescaped twice";
  EXPECT_EQ(clean_text("bell\x07here", false), "bellhere") << "control characters removed";
  EXPECT_EQ(clean_text("\xE3\x80\x80wide\xE3\x80\x80space", false), "wide space");
  EXPECT_EQ(clean_text("\xC3\x84\xC3\x96\xC3\x9C \xC4\xB0", true), "\xC3\xA4\xC3\xB6\xC3\xBC i\xCC\x87") << "full lowercase";
}

TEST(TextCleaning, PreTokenizerSplitsLikeTheReferencePattern) {
  EXPECT_EQ(clip_pre_tokenize("it's 42 apples!!! <|endoftext|>"),
            (std::vector<std::string>{"it", "'s", "4", "2", "apples", "!!!", "<|endoftext|>"}));
  EXPECT_EQ(clip_pre_tokenize("\xCE\xBA\xCE\xB1\xCE\xBB\xCE\xB7 \xE6\x97\xA5\xE6\x9C\xAC"),
            (std::vector<std::string>{"\xCE\xBA\xCE\xB1\xCE\xBB\xCE\xB7", "\xE6\x97\xA5\xE6\x9C\xAC"}));
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

std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  while (pipe && fgets(buffer, sizeof buffer, pipe)) output += buffer;
  if (pipe) pclose(pipe);
  return output;
}

TEST(SentencePiece, IdsMatchSpmEncode) {
  const auto dir = test::scratch_dir("spm");
  {
    std::ofstream corpus(dir / "corpus.txt");
    for (const char* colour : {"red", "green", "blue", "yellow"}) {
      for (const char* shape : {"circle", "square", "triangle"}) {
        corpus << "a " << colour << " " << shape << " on a white background\n";
      }
    }
  }
  const auto prefix = (dir / "m").string();
  ASSERT_EQ(std::system(("spm_train --input=" + (dir / "corpus.txt").string() + " --model_prefix=" + prefix +
                         " --vocab_size=40 --hard_vocab_limit=false --pad_id=0 --unk_id=1 --bos_id=2 --eos_id=3"
                         " > /dev/null 2>&1").c_str()),
            0);
  TokenizerSpec spec;
  spec.type = "sentencepiece";
  spec.file = prefix + ".model";
  spec.bos_id = 2;
  spec.eos_id = 3;
  spec.pad_id = 0;
  spec.context_length = 8;
  const auto tokenizer = make_tokenizer(spec);
  for (const std::string text : {"a red circle on a white background", "a blue square", "purple unseen words"}) {
    std::ofstream(dir / "input.txt") << text << "\n";
    std::istringstream reference(
        run_command("spm_encode --model=" + spec.file.string() + " --output_format=id < " + (dir / "input.txt").string()));
    std::vector<int64_t> expected;
    for (int64_t id; reference >> id;) expected.push_back(id);
    EXPECT_EQ(tokenizer->encode(text), expected) << text;

    const auto packed = tokenizer->tokenize(text);
    ASSERT_EQ(packed.ids.size(), 8u);
    EXPECT_EQ(packed.ids.front(), 2);
    const size_t kept = std::min<size_t>(expected.size(), 6);
    EXPECT_EQ(packed.ids[kept + 1], 3) << "eos after the kept ids";
    EXPECT_EQ(packed.dropped, expected.size() - kept);
  }
}

TEST(TokenizeCommand, PrintsIdsAndRejectsBadUtf8WithOffset) {
  const auto bundle = test::test_bundles() / "vit-vqgan";
  const auto ok = test::run_cli({"tokenize", "--json", "--models", bundle.string(), "a red circle"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const auto ids = nlohmann::json::parse(ok.out).get<std::vector<int64_t>>();
  EXPECT_GE(ids.size(), 3u);
  const auto bad = test::run_cli({"tokenize", "--models", bundle.string(), "ab\xFF" "c"});
  EXPECT_EQ(bad.exit_code, 4) << bad.err;
  EXPECT_NE(bad.err.find("byte offset 2"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace vqclip
