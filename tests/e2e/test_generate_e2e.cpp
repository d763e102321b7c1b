// End to end through the real executable: reproducibility, metadata,
// interruption, init image and image prompts.
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>
#include <torch/cuda.h>

#include "cli_runner.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

// The shipped default bundle.
std::filesystem::path e2e_bundle() { return source_dir() / "models" / "tiny-shapes"; }

std::vector<std::string> quick_run(const std::filesystem::path& output, const std::string& seed) {
  return {"-p", "a red circle on a blue background", "--models", e2e_bundle().string(), "--steps", "4", "--cutn",
          "4", "--size", "32", "32", "--threads", "1", "--seed", seed, "-o", output.string()};
}

TEST(GenerateEndToEnd, SameSeedGivesIdenticalBytes) {
  const auto dir = scratch_dir("e2e-repro");
  for (const char* name : {"a.png", "b.png"}) {
    auto args = quick_run(dir / name, "1234");
    args.insert(args.end(), {"--metadata", "sidecar"});
    const auto result = run_cli(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  EXPECT_EQ(slurp(dir / "a.png"), slurp(dir / "b.png"));
  auto other = quick_run(dir / "c.png", "99");
  other.insert(other.end(), {"--metadata", "sidecar"});
  ASSERT_EQ(run_cli(other).exit_code, 0);
  EXPECT_NE(slurp(dir / "a.png"), slurp(dir / "c.png")) << "a different seed gives a different picture";
}

TEST(GenerateEndToEnd, MetadataRoundTrip) {
  const auto dir = scratch_dir("e2e-meta");
  const auto result = run_cli(quick_run(dir / "out.png", "7"));
  ASSERT_EQ(result.exit_code, 0) << result.err;

  const auto record = read_picture_record(dir / "out.png");
  const auto& generation = record.at("generation");
  EXPECT_EQ(generation.at("seed").get<uint64_t>(), 7u);
  EXPECT_EQ(record.at("steps_done").get<int>(), 4);
  EXPECT_EQ(generation.at("width").get<int>(), 32);
  EXPECT_EQ(record.at("status"), "completed");
  EXPECT_FALSE(record.at("interrupted").get<bool>());
  EXPECT_EQ(generation.at("prompts")[0], "a red circle on a blue background");
  // The context as it ran, not as it was asked for (--device was left at auto).
  EXPECT_EQ(record.at("context").at("device"), torch::cuda::is_available() ? "cuda:0" : "cpu");
  EXPECT_EQ(record.at("context").at("threads"), 1);
  ASSERT_EQ(record.at("similarity").size(), 1u);

  bool has_parameters = false;
  for (const auto& [keyword, value] : read_png_text(dir / "out.png")) {
    if (keyword != "parameters") continue;
    has_parameters = true;
    EXPECT_EQ(value.rfind("a red circle on a blue background\nSteps: 4, Seed: 7, Size: 32x32", 0), 0u) << value;
  }
  EXPECT_TRUE(has_parameters);

  const auto meta = run_cli({"meta", (dir / "out.png").string()});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  EXPECT_EQ(nlohmann::json::parse(meta.out), record);
}

// The similarity a picture carries is what `vqclip score` says of the file.
TEST(GenerateEndToEnd, StoredSimilarityAgreesWithScore) {
  const auto dir = scratch_dir("e2e-score");
  ASSERT_EQ(run_cli(quick_run(dir / "out.png", "8")).exit_code, 0);
  const auto stored = read_picture_record(dir / "out.png").at("similarity").at(0);

  const auto score = run_cli({"score", (dir / "out.png").string(), "-p", stored.at("prompt").get<std::string>(),
                              "--json", "--models", e2e_bundle().string(), "--threads", "1"});
  ASSERT_EQ(score.exit_code, 0) << score.err;
  EXPECT_NEAR(nlohmann::json::parse(score.out).at("cosine")[0][0].get<double>(), stored.at("cosine").get<double>(),
              1e-5);
}

TEST(GenerateEndToEnd, SidecarAndNoMetadata) {
  const auto dir = scratch_dir("e2e-sidecar");
  auto args = quick_run(dir / "s.png", "3");
  args.insert(args.end(), {"--metadata", "sidecar"});
  ASSERT_EQ(run_cli(args).exit_code, 0);
  EXPECT_TRUE(read_png_text(dir / "s.png").empty());
  EXPECT_EQ(read_picture_record(dir / "s.png").at("generation").at("seed").get<int>(), 3);

  auto none = quick_run(dir / "n.png", "3");
  none.insert(none.end(), {"--metadata", "none"});
  ASSERT_EQ(run_cli(none).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "n.json"));
  EXPECT_EQ(run_cli({"meta", (dir / "n.png").string()}).exit_code, 4);
}

TEST(GenerateEndToEnd, SigintSavesAPictureMarkedInterruptedAndExits130) {
  const auto dir = scratch_dir("e2e-sigint");
  auto args = quick_run(dir / "out.png", "5");
  args[5] = "100000";  // --steps: far more than the test waits for
  args.insert(args.end(), {"--save-every", "1"});
  const pid_t pid = spawn_cli(args, dir);
  ASSERT_GT(pid, 0);
  // The first periodic save shows the loop is running.
  for (int i = 0; i < 600 && !std::filesystem::exists(dir / "out.png"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(std::filesystem::exists(dir / "out.png")) << slurp(dir / "stderr");
  kill(pid, SIGINT);
  EXPECT_EQ(wait_exit_code(pid), 130) << slurp(dir / "stderr");

  const auto record = read_picture_record(dir / "out.png");
  EXPECT_TRUE(record.at("interrupted").get<bool>());
  EXPECT_EQ(record.at("status"), "stopped");
  EXPECT_GE(record.at("steps_done").get<int>(), 1);
  EXPECT_LT(record.at("steps_done").get<int>(), 100000);
  const auto image = read_image(dir / "out.png");
  EXPECT_EQ(image.width, 32);
  // Nothing half-written is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST(GenerateEndToEnd, InitImageAndImagePrompt) {
  const auto dir = scratch_dir("e2e-init");
  ASSERT_EQ(run_cli(quick_run(dir / "first.png", "11")).exit_code, 0);
  auto args = quick_run(dir / "second.png", "12");
  args.insert(args.end(), {"--init-image", (dir / "first.png").string(), "--init-weight", "0.5", "--image-prompt",
                           (dir / "first.png").string() + ":0.5"});
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto record = read_picture_record(dir / "second.png");
  EXPECT_EQ(record.at("similarity").size(), 2u);

  auto missing = quick_run(dir / "third.png", "13");
  missing.insert(missing.end(), {"--image-prompt", (dir / "absent.png").string()});
  const auto bad = run_cli(missing);
  EXPECT_EQ(bad.exit_code, 4) << bad.err;
  EXPECT_NE(bad.err.find("absent.png"), std::string::npos) << bad.err;
}

TEST(GenerateEndToEnd, FramesAndNoisePromptAndStory) {
  const auto dir = scratch_dir("e2e-frames");
  auto args = quick_run(dir / "out.png", "21");
  args[1] = "a red circle ^ a blue square";
  args.insert(args.end(), {"--frames-dir", (dir / "frames").string(), "--frames-every", "2", "--noise-prompt",
                           "5:0.1", "--init-noise", "gradient"});
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "frames" / "frame_000002.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "frames" / "frame_000004.png"));
  EXPECT_FALSE(std::filesystem::exists(dir / "frames" / "frame_000003.png"));
}

TEST(GenerateEndToEnd, CudaWhereAbsentIsAUsageErrorBeforeAnyStep) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA is present here: RunsOnCudaInEachPrecision covers it";
  const auto dir = scratch_dir("e2e-no-cuda");
  auto args = quick_run(dir / "out.png", "1");
  args.insert(args.end(), {"--device", "cuda"});
  const auto result = run_cli(args);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("--device cuda"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.png"));
}

TEST(GenerateEndToEnd, RunsOnCudaInEachPrecision) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  const auto dir = scratch_dir("e2e-cuda");
  for (const char* precision : {"fp32", "fp16", "bf16"}) {
    const auto output = dir / (std::string(precision) + ".png");
    auto args = quick_run(output, "5");
    args.insert(args.end(), {"--device", "cuda", "--precision", precision});
    const auto result = run_cli(args);
    ASSERT_EQ(result.exit_code, 0) << precision << ": " << result.err;
    const auto record = read_picture_record(output);
    EXPECT_EQ(record.at("steps_done").get<int>(), 4) << precision;
    EXPECT_EQ(record.at("context").at("precision"), precision);
  }
}

}  // namespace
}  // namespace vqclip::test
