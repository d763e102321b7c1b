// Best of N through the executable: N seeds rendered, the best K kept and
// ranked by the CLIP similarity `vqclip score` gives their files, every score
// in each kept record and in a batch's manifest; combinations that cannot
// work are refused before anything loads.
#include <fstream>

#include <nlohmann/json.hpp>

#include "batch/batch.hpp"
#include "cli_runner.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

const std::string kPrompt = "a yellow triangle on a purple background";

std::vector<std::string> candidate_args(const std::filesystem::path& output, const std::vector<std::string>& more) {
  std::vector<std::string> args{"-p", kPrompt, "--models", (source_dir() / "models" / "tiny-shapes").string(),
                                "--steps", "6", "--cutn", "4", "--size", "32", "32", "--threads", "1",
                                "--seed", "40", "-o", output.string()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// `vqclip score FILE -p kPrompt` as a number.
double score_of(const std::filesystem::path& file) {
  const auto scored = run_cli({"score", file.string(), "-p", kPrompt, "--models",
                               (source_dir() / "models" / "tiny-shapes").string(), "--json"});
  EXPECT_EQ(scored.exit_code, 0) << scored.err;
  return nlohmann::json::parse(scored.out)["cosine"][0][0].get<double>();
}

TEST(CandidatesEndToEnd, TheBestKOfNAreKeptRankedByTheirClipSimilarity) {
  const auto dir = scratch_dir("e2e-candidates");
  const auto result = run_cli(candidate_args(dir / "best.png", {"--candidates", "4", "--keep", "2"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_TRUE(std::filesystem::exists(dir / "best.png"));
  ASSERT_TRUE(std::filesystem::exists(dir / "best-2.png"));
  EXPECT_FALSE(std::filesystem::exists(dir / "best-3.png"));

  const auto first = read_picture_record(dir / "best.png");
  const auto second = read_picture_record(dir / "best-2.png");
  const auto& list = first.at("candidates");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(second.at("candidates"), list);
  std::vector<int> ranks;
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].at("seed"), 40 + i) << "seeds from --seed on";
    EXPECT_EQ(list[i].at("kept"), list[i].at("rank").get<int>() <= 2);
    ranks.push_back(list[i].at("rank").get<int>());
    for (size_t j = 0; j < list.size(); ++j) {
      if (list[i].at("rank") < list[j].at("rank")) {
        EXPECT_GE(list[i].at("score").get<double>(), list[j].at("score").get<double>());
      }
    }
  }
  std::sort(ranks.begin(), ranks.end());
  EXPECT_EQ(ranks, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(first.at("candidate").at("rank"), 1);
  EXPECT_EQ(second.at("candidate").at("rank"), 2);
  EXPECT_EQ(first.at("candidate").at("judge"), "tiny-shapes");

  // Each kept picture is its own seed's render, and its score is what `score` says of its file.
  for (const auto& [file, record] : {std::pair{dir / "best.png", first}, std::pair{dir / "best-2.png", second}}) {
    const auto& entry = *std::find_if(list.begin(), list.end(),
                                      [&](const auto& e) { return e.at("rank") == record.at("candidate").at("rank"); });
    EXPECT_EQ(record.at("generation").at("seed"), entry.at("seed"));
    EXPECT_NEAR(score_of(file), entry.at("score").get<double>(), 1e-4) << file;
  }
  // The best of four with the same seeds, rendered alone, is the same picture.
  const auto best_seed = first.at("generation").at("seed").get<uint64_t>();
  auto alone = candidate_args(dir / "alone.png", {"--metadata", "none"});
  alone[14] = std::to_string(best_seed);
  ASSERT_EQ(run_cli(alone).exit_code, 0);
  auto best_plain = candidate_args(dir / "plain.png", {"--metadata", "none", "--candidates", "4"});
  ASSERT_EQ(run_cli(best_plain).exit_code, 0);
  EXPECT_EQ(slurp(dir / "alone.png"), slurp(dir / "plain.png"));
}

TEST(CandidatesEndToEnd, AnotherBundlesClipMayJudge) {
  const auto dir = scratch_dir("e2e-candidates-judge");
  const auto bundle = source_dir() / "models" / "tiny-shapes";
  const auto result = run_cli(candidate_args(dir / "judged.png", {"--candidates", "2", "--judge", bundle.string()}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("candidates judged by the CLIP of tiny-shapes"), std::string::npos) << result.err;
  EXPECT_EQ(read_picture_record(dir / "judged.png").at("candidates").size(), 2u);
}

TEST(CandidatesEndToEnd, ImpossibleCombinationsAreRefusedBeforeAnyStep) {
  const auto dir = scratch_dir("e2e-candidates-refused");
  const auto refused = [&](const std::vector<std::string>& more, const std::string& message) {
    const auto result = run_cli(candidate_args(dir / "x.png", more));
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("rendering"), std::string::npos) << "refused before the render: " << result.err;
  };
  refused({"--candidates", "2", "--keep", "3"}, "--keep 3: expected 1 to --candidates (2)");
  refused({"--candidates", "65"}, "--candidates 65: expected 1 to 64");
  refused({"--candidates", "2", "--state", (dir / "s.state").string()}, "--candidates cannot be combined with --state");
  refused({"--candidates", "2", "--frames-dir", (dir / "frames").string()},
          "--candidates cannot be combined with --frames-dir");
  refused({"--judge", (dir / "none").string()}, "--judge judges candidates: it needs --candidates 2 or more");
  auto negative_only = candidate_args(dir / "x.png", {"--candidates", "2"});
  negative_only[1] = "a red circle:-1";
  const auto result = run_cli(negative_only);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--candidates needs a text prompt of positive weight"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));
}

TEST(CandidatesEndToEnd, ABatchLineKeepsItsBestAndTheManifestHasEveryScore) {
  const auto dir = scratch_dir("e2e-candidates-batch");
  std::ofstream(dir / "prompts.txt") << "a red circle on a blue background -- --candidates 3\n"
                                     << "a green cross on a black background\n";
  const std::vector<std::string> args{"--prompts-file", (dir / "prompts.txt").string(), "--out-dir",
                                      (dir / "out").string(), "--models",
                                      (source_dir() / "models" / "tiny-shapes").string(), "--steps", "4", "--cutn",
                                      "2", "--size", "32", "32", "--threads", "1", "--seed", "9"};
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = read_manifest_lines(dir / "out" / "manifest.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_TRUE(lines[0].contains("candidates"));
  EXPECT_EQ(lines[0]["candidates"].size(), 3u);
  EXPECT_FALSE(lines[1].contains("candidates"));
  const auto record = read_picture_record(dir / "out" / lines[0]["file"].get<std::string>());
  EXPECT_EQ(record.at("candidate").at("rank"), 1);
  EXPECT_EQ(record.at("candidates"), lines[0]["candidates"]);

  // Run again: the kept picture counts as done.
  const auto again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 rendered, 2 already done"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace vqclip::test
