// Perceptor ensembles through the executable: another bundle's CLIP (here a
// CLIP-only copy of the tiny one) judges with a weight, the record and the
// parameters line name it, `rerun --verify` reproduces the picture, and bad
// perceptors are refused naming the flag.
#include <nlohmann/json.hpp>

#include <tuple>

#include "cli_runner.hpp"
#include "clip_only_bundle.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

std::vector<std::string> ensemble_run(const std::filesystem::path& output, std::vector<std::string> options) {
  std::vector<std::string> args{"-p", "a red circle on a blue background", "--drawer", "pixels", "--steps", "3",
                                "--cutn", "4", "--size", "32", "32", "--threads", "1", "--seed", "3",
                                "-o", output.string()};
  args.insert(args.end(), options.begin(), options.end());
  return args;
}

TEST(PerceptorsEndToEnd, AnotherBundlesClipJudgesAndTheRecordNamesIt) {
  const auto dir = scratch_dir("e2e-perceptors");
  const auto other = dir / "other-clip";
  write_clip_only_copy(tiny_bundle(), other);
  const auto result = run_cli(ensemble_run(dir / "x.png", {"--perceptor", other.string() + ":0.5"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("judged by 2 CLIPs"), std::string::npos) << result.err;
  const auto record = read_picture_record(dir / "x.png");
  ASSERT_TRUE(record.contains("perceptors")) << record.dump();
  EXPECT_EQ(record["perceptors"][0].at("bundle"), other.string());
  EXPECT_EQ(record["perceptors"][0].at("weight"), 0.5);
  EXPECT_EQ(record["perceptors"][0].at("name"), "tiny-shapes");
  std::string parameters;
  for (const auto& [keyword, value] : read_png_text(dir / "x.png")) {
    if (keyword == "parameters") parameters = value;
  }
  EXPECT_NE(parameters.find(", Perceptors: tiny-shapes 1, tiny-shapes 0.5"), std::string::npos) << parameters;

  const auto rerun = run_cli({"rerun", (dir / "x.png").string(), "--verify"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_EQ(rerun.out.rfind("identical: ", 0), 0u) << rerun.out;
}

TEST(PerceptorsEndToEnd, BadPerceptorsAreRefusedNamingTheFlagAndWriteNothing) {
  const auto dir = scratch_dir("e2e-perceptor-errors");
  const auto missing = (dir / "no-such-bundle").string();
  const std::vector<std::tuple<std::vector<std::string>, int, std::string>> cases{
      {{"--perceptor", missing}, 3, "perceptor " + missing + ": "},
      {{"--perceptor", missing + ":0"}, 2, "--perceptor " + missing + ":0: expected a positive weight"},
      {{"--clip-weight", "0.5"}, 2, "--clip-weight 0.5: weighs the bundle's CLIP against others, and there are "
                                    "none: it needs --perceptor"},
      {{"--perceptor", ":2"}, 2, "--perceptor :2: expected DIR[:WEIGHT]"},
  };
  for (const auto& [options, code, words] : cases) {
    const auto result = run_cli(ensemble_run(dir / "x.png", options));
    EXPECT_EQ(result.exit_code, code) << words << "\n" << result.err;
    EXPECT_NE(result.err.find(words), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));
  }
}

}  // namespace
}  // namespace vqclip::test
