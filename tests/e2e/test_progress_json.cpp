// --progress json: one JSON object a line on stdout, for programs that drive
// vqclip; and --check without a prompt file, which prints the resolved groups.
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace vqclip::test {
namespace {

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));  // throws on a non-JSON line
  return lines;
}

std::vector<std::string> quick(const std::filesystem::path& dir) {
  return {"-p", "a red circle", "--steps", "6", "--cutn", "2", "--size", "32", "32", "--seed", "3",
          "--models", (source_dir() / "models" / "tiny-shapes").string(), "-o", (dir / "out.png").string()};
}

TEST(ProgressJson, AStepLineEachStepThenADoneLine) {
  const auto dir = scratch_dir("progress-json");
  auto args = quick(dir);
  args.insert(args.end(), {"--progress", "json", "--frames-dir", (dir / "frames").string(), "--frames-every", "2"});
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 7u) << result.out;
  for (int i = 0; i < 6; ++i) {
    const auto& line = lines[static_cast<size_t>(i)];
    EXPECT_EQ(line.at("event"), "step");
    EXPECT_EQ(line.at("step"), i + 1);
    EXPECT_EQ(line.at("steps"), 6);
    EXPECT_TRUE(line.at("loss").is_number());
    EXPECT_GE(line.at("elapsed").get<double>(), 0.0);
    EXPECT_GE(line.at("eta").get<double>(), 0.0);
    if ((i + 1) % 2 == 0) {
      EXPECT_EQ(line.at("preview"), (dir / "frames" / ("frame_00000" + std::to_string(i + 1) + ".png")).string());
      EXPECT_TRUE(std::filesystem::exists(line.at("preview").get<std::string>()));
    } else {
      EXPECT_FALSE(line.contains("preview")) << line;
    }
  }
  const auto& done = lines.back();
  EXPECT_EQ(done.at("event"), "done");
  EXPECT_EQ(done.at("status"), "completed");
  EXPECT_EQ(done.at("step"), 6);
  EXPECT_EQ(done.at("seed"), 3);
  EXPECT_EQ(done.at("file"), (dir / "out.png").string());
  EXPECT_EQ(done.at("loss"), lines[5].at("loss"));
  ASSERT_EQ(done.at("similarity").size(), 1u);
  EXPECT_EQ(done.at("similarity")[0].at("prompt"), "a red circle");
  // The logs stay on stderr, and no progress line is drawn there.
  EXPECT_EQ(result.err.find("step 6/6"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("saved"), std::string::npos) << result.err;
}

TEST(ProgressJson, BatchLinesCarryTheJobIndex) {
  const auto dir = scratch_dir("progress-json-batch");
  std::ofstream(dir / "prompts.txt") << "a red circle\na blue square -- --steps 2\n";
  const auto result = run_cli({"--prompts-file", (dir / "prompts.txt").string(), "--out-dir", (dir / "out").string(),
                               "--steps", "3", "--cutn", "2", "--size", "32", "32", "--progress", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 3u + 1 + 2 + 1);
  EXPECT_EQ(lines[0].at("job"), 0);
  EXPECT_EQ(lines[3].at("event"), "done");
  EXPECT_EQ(lines[4].at("job"), 1);
  EXPECT_EQ(lines[5].at("steps"), 2);
  EXPECT_EQ(lines[6].at("event"), "done");
  EXPECT_EQ(lines[6].at("job"), 1);
}

TEST(ProgressPlain, LogLinesEveryNStepsOnStderr) {
  const auto dir = scratch_dir("progress-plain");
  auto args = quick(dir);
  args.insert(args.end(), {"--progress", "plain", "--log-every", "3"});
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("step 3/6"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("step 6/6"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("step 4/6"), std::string::npos) << result.err;
}

TEST(CheckWithoutAPromptFile, PrintsTheResolvedGroupsAndRendersNothing) {
  const auto dir = scratch_dir("check-single");
  auto args = quick(dir);
  args.insert(args.end(), {"--size", "37", "30", "--check"});
  args.erase(args.begin() + 6, args.begin() + 9);  // the first --size
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto groups = nlohmann::json::parse(result.out);
  EXPECT_EQ(groups.at("context").at("threads"), 1);
  EXPECT_EQ(groups.at("generation").at("width"), 40) << "rounded to the VQGAN factor";
  EXPECT_EQ(groups.at("generation").at("height"), 32);
  EXPECT_EQ(groups.at("generation").at("seed"), 3);
  EXPECT_EQ(groups.at("output").at("path"), (dir / "out.png").string());
  EXPECT_FALSE(std::filesystem::exists(dir / "out.png"));

  args.insert(args.end(), {"--steps", "0"});
  EXPECT_EQ(run_cli(args).exit_code, 2);
}

}  // namespace
}  // namespace vqclip::test
