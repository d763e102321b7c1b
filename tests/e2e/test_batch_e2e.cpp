// Batches through the real executable: resume after a kill, failure
// isolation, and concurrent shards matching one unsharded run byte for byte.
#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "cli_runner.hpp"
#include "batch/batch.hpp"
#include "vqclip/image_io.hpp"

namespace vqclip::test {
namespace {

std::filesystem::path batch_bundle() { return source_dir() / "models" / "tiny-shapes"; }

std::filesystem::path write_prompts(const std::filesystem::path& dir, int count, const std::string& extra_line = "") {
  const char* colours[] = {"red", "green", "blue", "yellow", "purple", "orange", "white", "black"};
  const char* shapes[] = {"circle", "square", "triangle", "cross"};
  std::ofstream out(dir / "prompts.txt");
  out << "# test prompts\n";
  for (int i = 0; i < count; ++i) {
    out << "a " << colours[i % 8] << " " << shapes[i % 4] << " on a " << colours[(i + 3) % 8] << " background\n";
    if (i == 1 && !extra_line.empty()) out << extra_line << "\n";
  }
  return dir / "prompts.txt";
}

std::vector<std::string> batch_args(const std::filesystem::path& prompts, const std::filesystem::path& out_dir,
                                    const std::string& steps = "3") {
  return {"--prompts-file", prompts.string(), "--out-dir", out_dir.string(), "--models", batch_bundle().string(),
          "--steps", steps, "--cutn", "2", "--size", "32", "32", "--threads", "1", "--seed", "5", "--no-verify"};
}

std::map<std::string, std::string> pictures_in(const std::filesystem::path& dir) {
  std::map<std::string, std::string> pictures;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".png") pictures[entry.path().filename().string()] = slurp(entry.path());
  }
  return pictures;
}

TEST(BatchEndToEnd, ResumeAfterKillFinishesTheRestOnce) {
  const auto dir = scratch_dir("batch-resume");
  const auto prompts = write_prompts(dir, 6);
  const auto out = dir / "out";
  // Slow enough jobs that the kill lands mid-batch.
  const pid_t pid = spawn_cli(batch_args(prompts, out, "40"), dir);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 1200 && read_manifest_lines(out / "manifest.jsonl").size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  wait_exit_code(pid);
  const size_t done_before = read_manifest_lines(out / "manifest.jsonl").size();
  ASSERT_GE(done_before, 2u) << slurp(dir / "stderr");

  const auto rerun = run_cli(batch_args(prompts, out, "40"));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  const auto lines = read_manifest_lines(out / "manifest.jsonl");
  std::map<int, int> done_per_index;
  for (const auto& line : lines) {
    if (line.at("status") == "done") done_per_index[line.at("index").get<int>()]++;
  }
  ASSERT_EQ(done_per_index.size(), 6u);
  for (const auto& [index, count] : done_per_index) EXPECT_EQ(count, 1) << "job " << index << " logged twice";
  const auto pictures = pictures_in(out);
  EXPECT_EQ(pictures.size(), 6u);
  for (const auto& [name, bytes] : pictures) EXPECT_EQ(read_image(out / name).width, 32) << name;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }

  // A third run has nothing left to do.
  const auto third = run_cli(batch_args(prompts, out, "40"));
  EXPECT_EQ(third.exit_code, 0);
  EXPECT_NE(third.err.find("0 rendered, 6 already done"), std::string::npos) << third.err;
}

TEST(BatchEndToEnd, ALineWithASecondPassAndPicturesFromBeforeSecondPassesExisted) {
  const auto dir = scratch_dir("batch-hires");
  const auto prompts = write_prompts(dir, 2, "a red cross on a white background -- --hires 2 --hires-steps 2");
  const auto out = dir / "out";
  auto args = batch_args(prompts, out);
  args.insert(args.end(), {"--metadata", "sidecar"});
  const auto first = run_cli(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::map<int, nlohmann::json> records;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    if (entry.path().extension() != ".json") continue;
    const auto record = nlohmann::json::parse(slurp(entry.path()));
    records[record.at("job").at("index").get<int>()] = record;
    if (record.at("job").at("index") == 2) {  // the extra line, after the second
      EXPECT_EQ(read_image(std::filesystem::path(entry.path()).replace_extension(".png")).width, 64);
      EXPECT_EQ(record.at("steps_done"), 5);
    } else {
      // As a picture from a vqclip without second passes recorded it.
      auto old = record;
      old["job"]["generation"].erase("hires_scale");
      old["job"]["generation"].erase("hires_steps");
      std::ofstream(entry.path()) << old.dump();
    }
  }
  ASSERT_EQ(records.size(), 3u);
  const auto again = run_cli(args);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 rendered, 3 already done"), std::string::npos) << again.err;
}

// Thirty SIGKILLs at random moments (during a load, a step, a picture's
// atomic write, a manifest append), in rounds that each end with a run to the
// end: every job exactly once in the manifest, every line whole, every picture
// decodable and equal to an uninterrupted batch's, no temporary file left.
TEST(BatchEndToEnd, ThirtyRandomKillsThenResumeLoseAndRepeatNothing) {
  const auto dir = scratch_dir("batch-kills");
  const auto prompts = write_prompts(dir, 8);
  const auto args_for = [&](const std::filesystem::path& out) {
    auto args = batch_args(prompts, out, "12");
    args.insert(args.end(), {"--metadata", "sidecar"});  // pixel-only PNGs, comparable byte for byte
    return args;
  };
  ASSERT_EQ(run_cli(args_for(dir / "reference")).exit_code, 0);
  const auto reference = pictures_in(dir / "reference");
  ASSERT_EQ(reference.size(), 8u);

  std::mt19937 random(20261202);
  std::uniform_int_distribution<int> delay_ms(20, 900);
  int kills = 0, rounds = 0, lines_checked = 0;
  while (kills < 30) {
    const auto out = dir / ("round-" + std::to_string(rounds++));
    for (int in_round = 0; in_round < 8 && kills < 30; ++in_round) {
      const auto log_dir = scratch_dir("batch-kills-log");
      const pid_t pid = spawn_cli(args_for(out), log_dir);
      ASSERT_GT(pid, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
      kill(pid, SIGKILL);
      const int code = wait_exit_code(pid);
      if (code != 128 + SIGKILL) {
        ASSERT_EQ(code, 0) << slurp(log_dir / "stderr");
        break;  // the batch was done before the kill: next round
      }
      ++kills;
    }
    const auto last = run_cli(args_for(out));
    ASSERT_EQ(last.exit_code, 0) << last.err;

    std::ifstream manifest(out / "manifest.jsonl");
    std::map<int, int> done;
    for (std::string line; std::getline(manifest, line); ++lines_checked) {
      const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      ASSERT_TRUE(parsed.is_object()) << out << ": a torn line: " << line;
      if (parsed.at("status") == "done") done[parsed.at("index").get<int>()]++;
    }
    ASSERT_EQ(done.size(), 8u) << out;
    for (const auto& [index, count] : done) EXPECT_EQ(count, 1) << out << ": job " << index;
    EXPECT_EQ(pictures_in(out), reference) << out;
    for (const auto& [name, bytes] : pictures_in(out)) EXPECT_EQ(read_image(out / name).width, 32) << name;
    for (const auto& entry : std::filesystem::directory_iterator(out)) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << "left behind: " << entry.path();
    }
  }
  std::printf("[ figures ] %d kills in %d rounds, %d manifest lines checked\n", kills, rounds, lines_checked);
}

TEST(BatchEndToEnd, AFailingJobIsIsolatedAndReported) {
  const auto dir = scratch_dir("batch-fail");
  const auto prompts = write_prompts(dir, 3, "a broken job -- --image-prompt /nonexistent/picture.png");
  const auto out = dir / "out";
  const auto result = run_cli(batch_args(prompts, out));
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_NE(result.err.find("prompts.txt:4"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("3 rendered, 0 already done, 1 failed"), std::string::npos) << result.err;
  EXPECT_EQ(pictures_in(out).size(), 3u);

  auto fail_fast = batch_args(prompts, dir / "out2");
  fail_fast.push_back("--fail-fast");
  const auto stopped = run_cli(fail_fast);
  EXPECT_EQ(stopped.exit_code, 6);
  EXPECT_EQ(pictures_in(dir / "out2").size(), 2u) << "fail-fast stops at the failing third job";
}

TEST(BatchEndToEnd, ConcurrentShardsMatchOneUnshardedRun) {
  const auto dir = scratch_dir("batch-shards");
  const auto prompts = write_prompts(dir, 9);
  // Sidecar metadata: the PNGs then hold pixels only (the record names its own path and wall time).
  const auto sharded_args = [&](const std::filesystem::path& out) {
    auto args = batch_args(prompts, out);
    args.insert(args.end(), {"--metadata", "sidecar"});
    return args;
  };
  const auto whole = run_cli(sharded_args(dir / "whole"));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  std::vector<pid_t> shards;
  for (int k = 0; k < 3; ++k) {
    auto args = sharded_args(dir / "sharded");
    args.insert(args.end(), {"--shard", std::to_string(k) + "/3"});
    const auto log_dir = scratch_dir("batch-shards-log-" + std::to_string(k));
    shards.push_back(spawn_cli(args, log_dir));
  }
  for (const pid_t pid : shards) EXPECT_EQ(wait_exit_code(pid), 0);

  const auto expected = pictures_in(dir / "whole");
  ASSERT_EQ(expected.size(), 9u);
  EXPECT_EQ(pictures_in(dir / "sharded"), expected);
  EXPECT_EQ(read_manifest_lines(dir / "sharded" / "manifest.jsonl").size(), 9u);
}

TEST(BatchEndToEnd, EachJobWritesItsFramesIntoAFolderOfItsOwn) {
  const auto dir = scratch_dir("batch-frames");
  const auto prompts = write_prompts(dir, 2);
  auto args = batch_args(prompts, dir / "out");
  args.insert(args.end(), {"--frames-dir", (dir / "frames").string(), "--frames-every", "1"});
  const auto result = run_cli(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const auto& [name, bytes] : pictures_in(dir / "out")) {
    const auto stem = std::filesystem::path(name).stem();
    for (int step = 1; step <= 3; ++step) {
      EXPECT_TRUE(std::filesystem::exists(dir / "frames" / stem / ("frame_00000" + std::to_string(step) + ".png")))
          << stem << " step " << step;
    }
  }
}

TEST(BatchEndToEnd, ANameEndingSvgWritesEachVectorJobsSvgAndItsPng) {
  const auto dir = scratch_dir("batch-svg");
  const auto prompts = write_prompts(dir, 2);
  const auto out = dir / "out";
  auto args = batch_args(prompts, out);
  args.insert(args.end(), {"--name", "{index}-{slug}.svg"});
  const auto vqgan = run_cli(args);
  EXPECT_EQ(vqgan.exit_code, 2) << vqgan.err;
  EXPECT_NE(vqgan.err.find("--drawer vqgan draws no SVG: --name {index}-{slug}.svg needs --drawer vector"),
            std::string::npos)
      << vqgan.err;

  args.insert(args.end(), {"--drawer", "vector", "--shapes", "4"});
  const auto first = run_cli(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::vector<std::filesystem::path> svgs;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    if (entry.path().extension() == ".svg") svgs.push_back(entry.path());
  }
  ASSERT_EQ(svgs.size(), 2u);
  for (const auto& svg : svgs) {
    EXPECT_NE(slurp(svg).find("<svg"), std::string::npos) << svg;
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(svg).replace_extension(".png"))) << svg;
  }
  const auto again = run_cli(args);
  EXPECT_NE(again.err.find("0 rendered, 2 already done"), std::string::npos) << again.err;
  std::filesystem::remove(svgs[0]);
  const auto missing_svg = run_cli(args);
  EXPECT_NE(missing_svg.err.find("1 rendered, 1 already done"), std::string::npos) << missing_svg.err;
  EXPECT_TRUE(std::filesystem::exists(svgs[0]));
}

TEST(BatchEndToEnd, UnwritableFramesDirFailsBeforeAnyJob) {
  const auto dir = scratch_dir("batch-frames-unwritable");
  const auto prompts = write_prompts(dir, 2);
  std::ofstream(dir / "a-file") << "x";
  auto args = batch_args(prompts, dir / "out");
  args.insert(args.end(), {"--frames-dir", (dir / "a-file" / "frames").string()});
  const auto result = run_cli(args);
  EXPECT_EQ(result.exit_code, 5) << result.err;
  EXPECT_NE(result.err.find("a-file"), std::string::npos) << result.err;
  EXPECT_TRUE(pictures_in(dir / "out").empty()) << "nothing rendered";
}

TEST(BatchEndToEnd, PrecisionTheCpuCannotRunFailsBeforeLoading) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA runs fp16";
  const auto dir = scratch_dir("batch-fp16");
  auto args = batch_args(write_prompts(dir, 1), dir / "out");
  args.insert(args.end(), {"--precision", "fp16"});
  const auto result = run_cli(args);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("--precision fp16 needs a CUDA device"), std::string::npos) << result.err;
}

TEST(BatchEndToEnd, CheckValidatesWithoutRendering) {
  const auto dir = scratch_dir("batch-check");
  const auto good = write_prompts(dir, 4);
  auto args = batch_args(good, dir / "out");
  args.push_back("--check");
  const auto ok = run_cli(args);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("4 job(s) OK"), std::string::npos) << ok.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));

  { std::ofstream(dir / "bad.txt") << "fine\nbad -- --steps many\n"; }
  auto bad_args = batch_args(dir / "bad.txt", dir / "out");
  bad_args.push_back("--check");
  const auto bad = run_cli(bad_args);
  EXPECT_EQ(bad.exit_code, 2) << "a bad option on a line is a usage error, as on the command line";
  EXPECT_NE(bad.err.find("bad.txt:2: Could not convert: --steps = many"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace vqclip::test
