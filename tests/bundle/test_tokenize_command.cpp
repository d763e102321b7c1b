// `vqclip tokenize`: output formats, errors, and the sentencepiece module found
// (or not) by the real executable.
#include <sys/wait.h>

#include <algorithm>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace vqclip {
namespace {

std::filesystem::path tiny_shapes() { return test::source_dir() / "models" / "tiny-shapes"; }

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

TEST(TokenizeCommand, OneLinePerTextAndPiecesWhenVerbose) {
  const auto bundle = test::test_bundles() / "vit-vqgan";
  const auto plain = test::run_cli({"tokenize", "--models", bundle.string(), "a red circle", "a cat"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::istringstream lines(plain.out);
  std::string first, second, extra;
  ASSERT_TRUE(std::getline(lines, first) && std::getline(lines, second));
  EXPECT_FALSE(std::getline(lines, extra)) << plain.out;
  const auto json = test::run_cli({"tokenize", "--json", "--models", bundle.string(), "a red circle"});
  std::string as_words;
  for (const auto id : nlohmann::json::parse(json.out).get<std::vector<int64_t>>()) {
    as_words += (as_words.empty() ? "" : " ") + std::to_string(id);
  }
  EXPECT_EQ(first, as_words) << "the plain and JSON forms list the same ids";

  const auto verbose = test::run_cli({"tokenize", "-v", "--json", "--models", bundle.string(), "a red circle"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  std::istringstream verbose_lines(verbose.out);
  std::string ids_line, pieces_line;
  ASSERT_TRUE(std::getline(verbose_lines, ids_line) && std::getline(verbose_lines, pieces_line)) << verbose.out;
  const auto ids = nlohmann::json::parse(ids_line).get<std::vector<int64_t>>();
  const auto pieces = nlohmann::json::parse(pieces_line).get<std::vector<std::string>>();
  EXPECT_EQ(pieces.size() + 2, ids.size()) << "one piece per text id (bos and eos have none)";
}

TEST(TokenizeCommand, EndTokenInsideTheTextAndTruncationWarning) {
  const auto bundle = test::test_bundles() / "vit-vqgan";
  const auto manifest = nlohmann::json::parse(test::slurp(bundle / "vqclip.json"))["clip"];
  const auto eos = manifest["tokenizer"]["eos_id"].get<int64_t>();
  const auto context = manifest["context_length"].get<size_t>();

  const auto inner = test::run_cli({"tokenize", "--json", "--models", bundle.string(), "a <|endoftext|> b"});
  ASSERT_EQ(inner.exit_code, 0) << inner.err;
  const auto ids = nlohmann::json::parse(inner.out).get<std::vector<int64_t>>();
  EXPECT_EQ(std::count(ids.begin(), ids.end(), eos), 2) << inner.out << ": the text's own end token, then eos";
  EXPECT_EQ(ids.back(), eos) << inner.out;
  EXPECT_EQ(inner.err.find("truncated"), std::string::npos) << inner.err;

  std::string long_text;
  for (size_t i = 0; i < context; ++i) long_text += "a ";
  const auto cut = test::run_cli({"tokenize", "--json", "--models", bundle.string(), long_text});
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_EQ(nlohmann::json::parse(cut.out).size(), context) << cut.out;
  EXPECT_NE(cut.err.find("prompt truncated: 2 token(s) dropped"), std::string::npos) << cut.err;
}

// The executable links libtorch (and its protobuf); sentencepiece runs in the
// module's own namespace, so this neither crashes nor disagrees with spm_encode.
TEST(TokenizeCommand, SentencePieceBundleInTheTorchExecutable) {
  if (!std::filesystem::exists(tiny_shapes() / "vqclip.json")) GTEST_SKIP() << "no " << tiny_shapes();
  const auto result = test::run_cli({"tokenize", "--models", tiny_shapes().string(), "A Red Circle"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto reference = test::scratch_dir("tokenize-spm") / "input.txt";
  std::ofstream(reference) << "a red circle\n";
  FILE* pipe = popen(("spm_encode --model=" + (tiny_shapes() / "tokenizer.model").string() +
                      " --output_format=id < " + reference.string()).c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[1024] = {0};
  const std::string expected = fgets(buffer, sizeof buffer, pipe) ? buffer : "";
  pclose(pipe);
  std::istringstream printed(result.out);
  std::vector<std::string> ids{std::istream_iterator<std::string>(printed), {}};
  ASSERT_GE(ids.size(), 2u);
  std::string middle;
  for (size_t i = 1; i + 1 < ids.size(); ++i) middle += (middle.empty() ? "" : " ") + ids[i];
  EXPECT_EQ(middle + "\n", expected) << "between bos and eos: spm_encode's ids";
}

TEST(TokenizeCommand, MissingSentencePieceModuleIsABundleErrorSayingWhereItLooked) {
  if (!std::filesystem::exists(tiny_shapes() / "vqclip.json")) GTEST_SKIP() << "no " << tiny_shapes();
  // Copies of the executable and the library in a folder without the module
  // beside them (LD_LIBRARY_PATH comes before the build tree's run path).
  const auto dir = test::scratch_dir("tokenize-no-module");
  std::filesystem::copy_file(test::exe(), dir / "vqclip");
  const auto library = std::filesystem::canonical(test::exe().parent_path() / "libvqclip.so");
  std::filesystem::copy_file(library, dir / "libvqclip.so.0");
  const std::string command = "env -u VQCLIP_SPM_MODULE LD_LIBRARY_PATH=" + dir.string() + " " +
                              (dir / "vqclip").string() + " tokenize --models " + tiny_shapes().string() +
                              " 'a red circle' > /dev/null 2> " + (dir / "err").string();
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  const auto err = test::slurp(dir / "err");
  EXPECT_NE(err.find("vqclip_spm.so not found (looked in: " + (dir / "vqclip_spm.so").string()), std::string::npos)
      << err;
}

}  // namespace
}  // namespace vqclip
