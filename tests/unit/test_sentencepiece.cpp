// SentencePiece through the dlmopen-isolated module: ids against spm_encode on a
// model trained here, packing, lowercase, and the errors a bundle can cause.
// (This binary links libtorch, so passing also shows the protobuf isolation.)
#include <fstream>
#include <sstream>

#include "test_env.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/tokenizer.hpp"

namespace vqclip {
namespace {

std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  while (pipe && fgets(buffer, sizeof buffer, pipe)) output += buffer;
  if (pipe) pclose(pipe);
  return output;
}

class SentencePiece : public ::testing::Test {
 protected:
  // One model for the whole suite, trained with spm_train on a small corpus.
  static void SetUpTestSuite() {
    dir_ = test::scratch_dir("spm");
    {
      std::ofstream corpus(dir_ / "corpus.txt");
      for (const char* colour : {"red", "green", "blue", "yellow"}) {
        for (const char* shape : {"circle", "square", "triangle"}) {
          corpus << "a " << colour << " " << shape << " on a white background\n";
        }
      }
    }
    const auto prefix = (dir_ / "m").string();
    trained_ = std::system(("spm_train --input=" + (dir_ / "corpus.txt").string() + " --model_prefix=" + prefix +
                            " --vocab_size=40 --hard_vocab_limit=false --pad_id=0 --unk_id=1 --bos_id=2 --eos_id=3"
                            " > /dev/null 2>&1").c_str()) == 0;
  }
  void SetUp() override { ASSERT_TRUE(trained_) << "spm_train failed (Debian package sentencepiece)"; }

  static TokenizerSpec spec() {
    TokenizerSpec spec;
    spec.type = "sentencepiece";
    spec.file = dir_ / "m.model";
    spec.bos_id = 2;
    spec.eos_id = 3;
    spec.pad_id = 0;
    spec.context_length = 8;
    spec.lowercase = true;
    return spec;
  }
  static std::vector<int64_t> spm_encode(const std::string& text) {
    std::ofstream(dir_ / "input.txt") << text << "\n";
    std::istringstream reference(run_command("spm_encode --model=" + (dir_ / "m.model").string() +
                                             " --output_format=id < " + (dir_ / "input.txt").string()));
    std::vector<int64_t> ids;
    for (int64_t id; reference >> id;) ids.push_back(id);
    return ids;
  }

  static inline std::filesystem::path dir_;
  static inline bool trained_ = false;
};

TEST_F(SentencePiece, IdsMatchSpmEncodeAndPackLikeClip) {
  const auto tokenizer = make_tokenizer(spec());
  for (const std::string text : {"a red circle on a white background", "a blue square", "purple unseen words",
                                 "  spaced   out  ", "caf\xC3\xA9 \xEF\xBD\x81", ""}) {
    const auto expected = spm_encode(text);
    EXPECT_EQ(tokenizer->encode(text), expected) << text;
    EXPECT_EQ(tokenizer->encode_pieces(text).size(), expected.size()) << text;

    const auto packed = tokenizer->tokenize(text);
    const size_t kept = std::min<size_t>(expected.size(), 6);
    std::vector<int64_t> want{2};
    want.insert(want.end(), expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(kept));
    want.push_back(3);
    want.resize(8, 0);
    EXPECT_EQ(packed.ids, want) << text;
    EXPECT_EQ(packed.dropped, expected.size() - kept) << text;
  }
}

TEST_F(SentencePiece, LowercasesWhenTheBundleSaysSo) {
  const auto lower = make_tokenizer(spec());
  EXPECT_EQ(lower->encode("A RED Circle"), spm_encode("a red circle"));
  auto keep_case = spec();
  keep_case.lowercase = false;
  EXPECT_EQ(make_tokenizer(keep_case)->encode("A RED Circle"), spm_encode("A RED Circle"));
}

TEST_F(SentencePiece, PiecesAreTheModelsOwn) {
  const auto pieces = make_tokenizer(spec())->encode_pieces("a red circle");
  ASSERT_FALSE(pieces.empty());
  std::string joined;
  for (const auto& piece : pieces) joined += piece;
  EXPECT_EQ(joined, "\xE2\x96\x81" "a\xE2\x96\x81" "red\xE2\x96\x81" "circle") << "pieces spell the text, U+2581 for spaces";
}

TEST_F(SentencePiece, BadBundlesAreBundleErrors) {
  auto not_a_model = spec();
  not_a_model.file = dir_ / "corpus.txt";
  EXPECT_THROW(make_tokenizer(not_a_model), BundleError);
  auto bad_eos = spec();
  bad_eos.eos_id = 40000;
  try {
    make_tokenizer(bad_eos);
    FAIL() << "an eos_id outside the vocabulary was accepted";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find("eos_id 40000"), std::string::npos) << e.what();
  }
}

TEST_F(SentencePiece, InvalidUtf8IsAnInputError) {
  EXPECT_THROW(make_tokenizer(spec())->encode("ab\xFF"), InputError);
}

}  // namespace
}  // namespace vqclip
