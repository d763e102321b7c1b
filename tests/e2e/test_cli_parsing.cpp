// The command line as a user meets it: exit codes and one-line messages.
#include <fstream>

#include "cli_runner.hpp"

namespace vqclip::test {
namespace {

struct CliCase {
  std::vector<std::string> args;
  int exit_code;
  std::string message_part;  // must appear in stderr
  bool on_a_line = true;     // the row also applies to a line of a prompt file
  std::string line_message_part = "";  // on a line, if not message_part (a line may not set the context)
};

std::ostream& operator<<(std::ostream& out, const CliCase& c) {
  for (const auto& a : c.args) out << a << ' ';
  return out;
}

class CliErrorTable : public ::testing::TestWithParam<CliCase> {};

void expect_one_line_error(const CliResult& result, int exit_code, const std::string& message_part) {
  EXPECT_EQ(result.exit_code, exit_code) << result.err;
  EXPECT_NE(result.err.find(message_part), std::string::npos) << result.err;
  EXPECT_EQ(result.err.rfind("vqclip: error: ", 0), 0u) << result.err;
  // Exactly one line, no stack trace, nothing on stdout.
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_EQ(result.err.find("terminate called"), std::string::npos);
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST_P(CliErrorTable, ExitCodeAndOneLineMessage) {
  const auto& c = GetParam();
  expect_one_line_error(run_cli(c.args), c.exit_code, c.message_part);
}

// The row as the second line of a prompt file: `-p VALUE` becomes the line's
// prompt, the other arguments its options after " -- ".
std::string as_prompt_file_line(const std::vector<std::string>& args) {
  std::string prompt = "a red circle";
  std::string options;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-p" && i + 1 < args.size()) {
      prompt = args[++i];
    } else {
      options += (options.empty() ? "" : " ") + args[i];
    }
  }
  return options.empty() ? prompt : prompt + " -- " + options;
}

// Every entry point validates with the same functions: a bad value on a line
// of a prompt file fails with the command line's exit code, the line named.
// The rows that apply to a line: a line always has a prompt and is no subcommand.
class PromptFileLineErrorTable : public ::testing::TestWithParam<CliCase> {};

TEST_P(PromptFileLineErrorTable, SameExitCodeOnALineOfAPromptFile) {
  const auto& c = GetParam();
  const auto dir = scratch_dir("cli-table-line");
  const auto file = dir / "prompts.txt";
  std::ofstream(file) << "a blue square\n" << as_prompt_file_line(c.args) << "\n";
  const auto result = run_cli({"--prompts-file", file.string(), "--out-dir", (dir / "out").string(), "--check"});
  expect_one_line_error(result, c.exit_code, c.line_message_part.empty() ? c.message_part : c.line_message_part);
  EXPECT_NE(result.err.find(file.string() + ":2: "), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

const std::vector<CliCase>& error_rows() {
  static const std::vector<CliCase> rows{
      // bad flags
      CliCase{{"--no-such-flag"}, 2, "--no-such-flag"},
      CliCase{{"-p", "x", "--stepz", "3"}, 2, "--stepz"},
      // bad numbers
      CliCase{{"-p", "x", "--steps", "abc"}, 2, "--steps"},
      CliCase{{"-p", "x", "--steps", "0"}, 2, "--steps"},
      CliCase{{"-p", "x", "--steps", "-5"}, 2, "--steps"},
      CliCase{{"-p", "x", "--lr", "fast"}, 2, "--lr"},
      CliCase{{"-p", "x", "--cutn", "1.5"}, 2, "--cutn"},
      CliCase{{"-p", "x", "--seed", "-1"}, 2, "--seed"},
      CliCase{{"-p", "x", "--seed", "99999999999999999999999"}, 2, "--seed"},
      CliCase{{"-p", "x", "--size", "64", "x"}, 2, "--size"},
      CliCase{{"-p", "x", "--threads", "many"}, 2, "--threads"},
      // unknown enum values
      CliCase{{"-p", "x", "--cut-method", "slices"}, 2, "--cut-method"},
      CliCase{{"-p", "x", "--optimiser", "lion"}, 2, "--optimiser"},
      CliCase{{"-p", "x", "--precision", "fp8"}, 2, "--precision"},
      CliCase{{"-p", "x", "--metadata", "exif"}, 2, "--metadata"},
      CliCase{{"-p", "x", "--init-noise", "perlin"}, 2, "--init-noise"},
      CliCase{{"-p", "x", "--augment", "affine,swirl"}, 2, "swirl"},
      CliCase{{"-p", "x", "--device", "tpu"}, 2, "--device"},
      // missing values
      CliCase{{"-p"}, 2, "--prompt"},
      CliCase{{"-p", "x", "--steps"}, 2, "--steps"},
      CliCase{{"-p", "x", "--size", "64"}, 2, "--size"},
      CliCase{{"-p", "x", "-o"}, 2, "--output"},
      // duplicate single-value flags
      CliCase{{"-p", "x", "--steps", "5", "--steps", "6"}, 2, "--steps"},
      // impossible combinations and bad prompt language
      CliCase{{"-p", "x", "--init-image", "a.png", "--init-noise", "pixels"}, 2, "--init-image"},
      CliCase{{"-p", "a||b"}, 2, "--prompt"},
      CliCase{{"-p", "x:1e999"}, 2, "out of range"},
      CliCase{{"-p", "x", "--steps", "1000000", "--size", "4096", "4096"}, 2, "steps x pixels"},
      CliCase{{"-p", "x", "--size", "8192", "8192"}, 2, "--size"},
      CliCase{{"-p", "x", "--cutn", "100000"}, 2, "--cutn"},
      CliCase{{"-p", "x", "--threads", "4096"}, 2, "--threads 4096", true, "--threads cannot be set on a line"},
      CliCase{{"-p", "x", "--lr", "-1"}, 2, "--lr"},
      CliCase{{"-p", "x", "--lr", "nan"}, 2, "--lr nan"},
      CliCase{{"-p", "x", "--cut-pow", "inf"}, 2, "--cut-pow inf"},
      CliCase{{"-p", "x", "--init-weight", "-inf"}, 2, "--init-weight -inf"},
      CliCase{{"-p", "x", "--frames-every", "0"}, 2, "--frames-every"},
      CliCase{{"-p", "x", "--save-every", "-2"}, 2, "--save-every"},
      CliCase{{"-p", "x", "--precision", "fp16", "--device", "cpu"}, 2, "--precision fp16", true,
              "cannot be set on a line"},
      CliCase{{"-p", "x", "--init-noise", "pixels", "--init-image", "a.png"}, 2, "--init-image and --init-noise"},
      CliCase{{"-p", "x", "--hires", "1"}, 2, "--hires 1: expected 0 (no second pass) or above 1 to 8"},
      CliCase{{"-p", "x", "--hires-steps", "20"}, 2, "--hires-steps given without --hires"},
      CliCase{{"-p", "x", "--hires", "2", "--hires-steps", "many"}, 2, "--hires-steps"},
      CliCase{{"-p", "x", "--size", "4096", "4096", "--hires", "2"}, 2, "--hires"},
      // a value that is an option: CLI11 would take it as the value
      CliCase{{"-p", "-o", "out.png"}, 2, "-o is an option, not a value", false},
      CliCase{{"-p", "x", "--image-prompt", "--steps", "3"}, 2, "--steps is an option, not a value"},
      CliCase{{"-p", "x", "--max-image-pixels", "0"}, 2, "--max-image-pixels 0", true, "cannot be set on a line"},
      CliCase{{"--steps", "5"}, 2, "nothing to render", false},
      CliCase{{"info", "--steps", "5"}, 2, "--steps", false}};
  return rows;
}

std::vector<CliCase> rows_for_a_line() {
  std::vector<CliCase> rows;
  for (const auto& row : error_rows()) {
    if (row.on_a_line) rows.push_back(row);
  }
  return rows;
}

INSTANTIATE_TEST_SUITE_P(UsageErrors, CliErrorTable, ::testing::ValuesIn(error_rows()));
INSTANTIATE_TEST_SUITE_P(UsageErrors, PromptFileLineErrorTable, ::testing::ValuesIn(rows_for_a_line()));

TEST(CliBasics, HelpExitsZeroAndDocumentsExitCodesAndDefaults) {
  const auto result = run_cli({"--help"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("Exit codes:"), std::string::npos);
  EXPECT_NE(result.out.find("130"), std::string::npos);
  EXPECT_NE(result.out.find("--steps"), std::string::npos);
  EXPECT_NE(result.out.find("300"), std::string::npos) << "defaults are shown";
  EXPECT_NE(result.out.find("Cutouts and augmentations"), std::string::npos) << "option groups";
  // The bounds that protect the machine are stated where the options are.
  EXPECT_NE(result.out.find("at most the cores"), std::string::npos) << "--threads";
  EXPECT_NE(result.out.find("1 to 1024"), std::string::npos) << "--cutn";
  EXPECT_NE(result.out.find("(4096x4096)"), std::string::npos) << "--size";
  EXPECT_NE(result.out.find("steps x pixels"), std::string::npos) << "--steps";
  EXPECT_NE(result.out.find("crops|pooled"), std::string::npos) << "enum choices from the name table";
}

TEST(CliBasics, VersionExitsZeroWithCommit) {
  const auto result = run_cli({"--version"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("vqclip 0."), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("commit "), std::string::npos) << result.out;
}

TEST(CliBasics, SubcommandHelpExitsZero) {
  const auto result = run_cli({"meta", "--help"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("meta"), std::string::npos);
}

TEST(CliBasics, UnwritableOutputIsAnOutputError) {
  const auto dir = scratch_dir("cli-unwritable");
  { std::ofstream(dir / "file") << "x"; }
  const auto result = run_cli({"-p", "x", "-o", (dir / "file" / "out.png").string()});
  EXPECT_EQ(result.exit_code, 5) << result.err;
  EXPECT_NE(result.err.find("out.png"), std::string::npos) << result.err;
}

TEST(CliBasics, MissingBundleIsABundleError) {
  const auto dir = scratch_dir("cli-no-bundle");
  const auto result = run_cli({"-p", "x", "-o", (dir / "o.png").string(), "--models", (dir / "nope").string()});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("nope"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace vqclip::test
