// Resumable single renders through the executable: a render killed (SIGKILL)
// or interrupted (SIGINT) with --state, continued with --resume, ends with
// the uninterrupted run's pixels; other settings are refused with exit 2.
#include <csignal>
#include <fstream>
#include <thread>

#include "cli_runner.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

std::vector<std::string> long_run(const std::filesystem::path& output, const std::string& steps = "300") {
  return {"-p", "a green cross on a black background", "--models", (source_dir() / "models" / "tiny-shapes").string(),
          "--steps", steps, "--cutn", "4", "--size", "32", "32", "--threads", "1", "--seed", "77",
          "--lr-drop-at", "0.5", "-o", output.string()};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

class ResumeEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    whole_ = new RgbImage;
    const auto dir = scratch_dir("e2e-resume-whole");
    const auto result = run_cli(long_run(dir / "whole.png"));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    *whole_ = read_image(dir / "whole.png");
  }
  static void TearDownTestSuite() { delete whole_; }
  static RgbImage* whole_;
};
RgbImage* ResumeEndToEnd::whole_ = nullptr;

TEST_F(ResumeEndToEnd, AKilledRenderResumedFromItsStateGivesTheUninterruptedPixels) {
  const auto dir = scratch_dir("e2e-resume-kill");
  const auto state = dir / "run.state";
  const auto args = with(long_run(dir / "out.png"), {"--state", state.string(), "--state-every", "10"});
  EXPECT_EQ(run_until_file_then(SIGKILL, args, state, dir), 128 + SIGKILL) << slurp(dir / "stderr");
  const auto resumed = run_cli(with(long_run(dir / "out.png"), {"--resume", state.string()}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming from " + state.string() + " at step "), std::string::npos) << resumed.err;
  const auto record = read_picture_record(dir / "out.png");
  EXPECT_GE(record.at("resumed_from_step").get<int>(), 10);
  EXPECT_EQ(record.at("steps_done"), 300);
  EXPECT_EQ(read_image(dir / "out.png").pixels, whole_->pixels);
}

TEST_F(ResumeEndToEnd, CtrlCSavesTheStateAndSaysHowToContinue) {
  const auto dir = scratch_dir("e2e-resume-sigint");
  const auto state = dir / "run.state";
  // No --seed: the state keeps the one drawn.
  auto args = with(long_run(dir / "out.png"), {"--state", state.string(), "--state-every", "1000"});
  args[13] = "--save-every";  // in place of --seed 77: the first picture shows the loop runs
  args[14] = "1";
  const pid_t pid = spawn_cli(args, dir);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 600 && !std::filesystem::exists(dir / "out.png"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGINT);
  EXPECT_EQ(wait_exit_code(pid), 130);
  const auto err = slurp(dir / "stderr");
  EXPECT_NE(err.find("continue with --resume " + state.string()), std::string::npos) << err;
  const auto stopped_at = read_picture_record(dir / "out.png").at("steps_done").get<int>();
  const auto seed = read_picture_record(dir / "out.png").at("generation").at("seed").get<uint64_t>();

  const auto resumed = run_cli({"-p", "a green cross on a black background", "--models",
                                (source_dir() / "models" / "tiny-shapes").string(), "--steps", "300", "--cutn", "4",
                                "--size", "32", "32", "--threads", "1", "--lr-drop-at", "0.5", "-o",
                                (dir / "resumed.png").string(), "--resume", state.string()});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto record = read_picture_record(dir / "resumed.png");
  EXPECT_EQ(record.at("generation").at("seed"), seed);
  EXPECT_EQ(record.at("resumed_from_step"), stopped_at);
  // The same render from scratch with that seed.
  auto fresh = long_run(dir / "fresh.png");
  fresh[14] = std::to_string(seed);
  ASSERT_EQ(run_cli(fresh).exit_code, 0);
  EXPECT_EQ(read_image(dir / "resumed.png").pixels, read_image(dir / "fresh.png").pixels);
}

TEST_F(ResumeEndToEnd, OtherSettingsAndDamagedStatesAreRefusedBeforeAnyStep) {
  const auto dir = scratch_dir("e2e-resume-refused");
  const auto state = dir / "run.state";
  const auto short_run = with(long_run(dir / "out.png", "20"), {"--state", state.string()});
  ASSERT_EQ(run_cli(short_run).exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(state));

  const auto other_steps = run_cli(with(long_run(dir / "other.png", "40"), {"--resume", state.string()}));
  EXPECT_EQ(other_steps.exit_code, 2);
  EXPECT_NE(other_steps.err.find("vqclip: error: --steps 40 here, but the state file " + state.string() + " holds 20"),
            std::string::npos)
      << other_steps.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "other.png"));

  std::ofstream(dir / "bad.state") << "PK not really";
  const auto damaged = run_cli(with(long_run(dir / "bad.png", "20"), {"--resume", (dir / "bad.state").string()}));
  EXPECT_EQ(damaged.exit_code, 4) << damaged.err;
  EXPECT_NE(damaged.err.find("state file " + (dir / "bad.state").string()), std::string::npos) << damaged.err;

  const auto in_batch = run_cli({"--prompts-file", (dir / "none.txt").string(), "--resume", state.string()});
  EXPECT_EQ(in_batch.exit_code, 2);
  EXPECT_NE(in_batch.err.find("--resume is for a single render"), std::string::npos) << in_batch.err;
}

}  // namespace
}  // namespace vqclip::test
