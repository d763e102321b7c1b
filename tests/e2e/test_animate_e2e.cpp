// `vqclip animate` through the executable: the first frame equals a still of
// the same seed, the videos as ffprobe reads them (frame count, size, rate,
// codec; a GIF decoded back), an animation killed or interrupted and run again
// ends with the uninterrupted frames (adopting the first frame's seed), frames
// of other settings are refused, keyframed prompts, and animation lines in a
// batch's prompt file.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip::test {
namespace {

const char* kAnimatedPrompt = "a red circle on a blue background";

std::vector<std::string> animation_args(const std::filesystem::path& video, const std::vector<std::string>& more = {}) {
  std::vector<std::string> args{"animate", "-p", kAnimatedPrompt, "--models", tiny_bundle().string(), "--steps", "12",
                                "--steps-per-frame", "3", "--frames", "6", "--fps", "8", "--size", "32", "32",
                                "--cutn", "4", "--threads", "1", "--seed", "21", "--zoom", "1.05", "--angle",
                                "0:0, 5:10", "-o", video.string()};
  // `more` as option-value pairs: an option already there gets the new value.
  for (size_t i = 0; i + 1 < more.size(); i += 2) {
    const auto at = std::find(args.begin(), args.end(), more[i]);
    if (at == args.end()) {
      args.insert(args.end(), {more[i], more[i + 1]});
    } else {
      *(at + 1) = more[i + 1];
    }
  }
  return args;
}

std::filesystem::path frame_file(const std::filesystem::path& video, int frame) {
  char name[32];
  std::snprintf(name, sizeof name, "frame-%05d.png", frame);
  return video.parent_path() / (video.stem().string() + "-frames") / name;
}

// What ffprobe reads of the first video stream and the container's tags.
nlohmann::json ffprobe_video(const std::filesystem::path& video) {
  const std::string command = "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                              "stream=codec_name,width,height,avg_frame_rate,nb_read_frames:format_tags=comment "
                              "-of json '" + video.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return nullptr;
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    ADD_FAILURE() << "ffprobe failed (scripts/install-deps.sh installs it with ffmpeg): " << text;
    return nullptr;
  }
  return nlohmann::json::parse(text);
}

// The uninterrupted animation, made once for the suite.
class AnimateEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    frames_ = new std::vector<RgbImage>;
    const auto video = scratch_dir("e2e-animate-whole") / "whole.mp4";
    const auto result = run_cli(animation_args(video));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (int frame = 0; frame < 6; ++frame) frames_->push_back(read_image(frame_file(video, frame)));
    whole_video_ = new std::filesystem::path(video);
    log_ = new std::string(result.err);
  }
  static void TearDownTestSuite() {
    delete frames_;
    delete whole_video_;
    delete log_;
  }

  static void expect_whole_frames(const std::filesystem::path& video) {
    for (int frame = 0; frame < 6; ++frame) {
      SCOPED_TRACE("frame " + std::to_string(frame));
      EXPECT_EQ(read_image(frame_file(video, frame)).pixels, (*frames_)[frame].pixels);
    }
  }

  static std::vector<RgbImage>* frames_;
  static std::filesystem::path* whole_video_;
  static std::string* log_;
};
std::vector<RgbImage>* AnimateEndToEnd::frames_ = nullptr;
std::filesystem::path* AnimateEndToEnd::whole_video_ = nullptr;
std::string* AnimateEndToEnd::log_ = nullptr;

TEST_F(AnimateEndToEnd, TheFirstFrameIsTheStillOfTheSameSeedAndTheFramesMove) {
  const auto dir = scratch_dir("e2e-animate-still");
  const auto still = run_cli({"-p", kAnimatedPrompt, "--models", tiny_bundle().string(), "--steps", "12", "--size", "32", "32",
                              "--cutn", "4", "--threads", "1", "--seed", "21", "-o", (dir / "still.png").string()});
  ASSERT_EQ(still.exit_code, 0) << still.err;
  EXPECT_EQ(read_image(dir / "still.png").pixels, (*frames_)[0].pixels);
  for (int frame = 1; frame < 6; ++frame) EXPECT_NE((*frames_)[frame].pixels, (*frames_)[frame - 1].pixels);
  EXPECT_NE(log_->find("frame 6/6"), std::string::npos) << *log_;  // progress counts frames
}

TEST_F(AnimateEndToEnd, TheMp4HoldsEveryFrameAtTheAskedSizeAndRate) {
  const auto info = ffprobe_video(*whole_video_);
  ASSERT_TRUE(info.is_object());
  const auto& stream = info["streams"][0];
  EXPECT_EQ(stream["codec_name"], "h264");
  EXPECT_EQ(stream["width"], 32);
  EXPECT_EQ(stream["height"], 32);
  EXPECT_EQ(stream["avg_frame_rate"], "8/1");
  EXPECT_EQ(stream["nb_read_frames"], "6");
  EXPECT_EQ(info["format"]["tags"]["comment"], "vqclip animate");
  EXPECT_NE(log_->find("libx264 (h264) in mp4"), std::string::npos) << *log_;
}

TEST_F(AnimateEndToEnd, WebmAndAnimatedWebpFromTheSameFrames) {
  const auto dir = whole_video_->parent_path();
  // The frames are already there: only the video is made (the frames folder follows the video's name).
  std::filesystem::copy(whole_video_->parent_path() / "whole-frames", dir / "other-frames",
                        std::filesystem::copy_options::recursive | std::filesystem::copy_options::skip_existing);
  const auto webm = run_cli(animation_args(dir / "other.webm"));
  ASSERT_EQ(webm.exit_code, 0) << webm.err;
  EXPECT_NE(webm.err.find("all 6 frames are in"), std::string::npos) << webm.err;
  const auto info = ffprobe_video(dir / "other.webm");
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["streams"][0]["codec_name"], "vp9");
  EXPECT_EQ(info["streams"][0]["nb_read_frames"], "6");

  const auto webp = run_cli(animation_args(dir / "other.webp"));
  ASSERT_EQ(webp.exit_code, 0) << webp.err;
  // An animated WebP: RIFF/WEBP with one ANMF chunk a frame (ffprobe cannot decode these).
  const auto bytes = slurp(dir / "other.webp");
  ASSERT_GT(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 4), "RIFF");
  EXPECT_EQ(bytes.substr(8, 4), "WEBP");
  int frames = 0;
  for (size_t at = bytes.find("ANMF"); at != std::string::npos; at = bytes.find("ANMF", at + 4)) ++frames;
  EXPECT_EQ(frames, 6);
}

TEST_F(AnimateEndToEnd, AnAnimatedGifHoldsEveryFrameInAPaletteOfItsOwn) {
  const auto dir = scratch_dir("e2e-animate-gif");
  std::filesystem::copy(whole_video_->parent_path() / "whole-frames", dir / "loop-frames",
                        std::filesystem::copy_options::recursive);
  const auto gif = run_cli(animation_args(dir / "loop.gif"));
  ASSERT_EQ(gif.exit_code, 0) << gif.err;
  const auto info = ffprobe_video(dir / "loop.gif");
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["streams"][0]["codec_name"], "gif");
  EXPECT_EQ(info["streams"][0]["width"], 32);
  EXPECT_EQ(info["streams"][0]["nb_read_frames"], "6");
  // Decoded, each frame is its PNG within the palette's rounding.
  const auto decoded = scratch_dir("e2e-animate-gif-decoded");
  const std::string command = "ffmpeg -v error -i '" + (dir / "loop.gif").string() + "' '" +
                              (decoded / "%d.png").string() + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  for (int frame = 0; frame < 6; ++frame) {
    SCOPED_TRACE("frame " + std::to_string(frame));
    const auto back = read_image(decoded / (std::to_string(frame + 1) + ".png"));
    const auto& original = (*frames_)[frame];
    ASSERT_EQ(back.pixels.size(), original.pixels.size());
    double difference = 0;
    for (size_t i = 0; i < back.pixels.size(); ++i) difference += std::abs(back.pixels[i] - original.pixels[i]);
    EXPECT_LT(difference / static_cast<double>(back.pixels.size()), 4.0);  // levels of 255, on average
  }
}

TEST(AnimateCli, KeyframedPromptsAloneAndARunGoingOnAdoptsTheFirstFramesSeed) {
  const auto dir = scratch_dir("e2e-animate-adopt");
  const auto video = dir / "story.mp4";
  // No -p and no --seed: the keyframes are the prompts and the seed is drawn.
  const std::vector<std::string> args{"animate", "--prompt-at", "0:a red circle on a blue background",
                                      "--prompt-at", "3:a green square on a black background",
                                      "--models", tiny_bundle().string(), "--steps", "10", "--steps-per-frame", "2",
                                      "--frames", "4", "--size", "32", "32", "--cutn", "4", "--threads", "1",
                                      "-o", video.string()};
  EXPECT_EQ(run_until_file_then(SIGKILL, args, frame_file(video, 1), dir), 128 + SIGKILL) << slurp(dir / "stderr");
  const auto again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto seed_of = [&](int frame) { return read_picture_record(frame_file(video, frame))["generation"]["seed"]; };
  const uint64_t first_seed = seed_of(0);
  for (int frame = 1; frame < 4; ++frame) EXPECT_EQ(seed_of(frame).get<uint64_t>(), first_seed + frame);
  const auto between = read_picture_record(frame_file(video, 2))["generation"];
  EXPECT_TRUE(between["prompts"].empty());
  ASSERT_EQ(between["blended_prompts"].size(), 1u);
  EXPECT_EQ(between["blended_prompts"][0]["to"], "a green square on a black background");
  EXPECT_NEAR(between["blended_prompts"][0]["t"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_EQ(read_picture_record(frame_file(video, 3))["generation"]["prompts"][0],
            "a green square on a black background");
}

TEST(AnimateBatch, AnimationLinesRenderVideosBesideStillsAndResumeAndShardLikeThem) {
  const auto dir = scratch_dir("e2e-animate-batch");
  {
    std::ofstream prompts(dir / "prompts.txt");
    prompts << "a red circle on a blue background\n"
               "a green square on a black background -- --frames 3 --steps-per-frame 2 --zoom 1.05 --video-type gif\n";
  }
  const auto batch_args = [&](const std::vector<std::string>& more) {
    std::vector<std::string> args{"--prompts-file", (dir / "prompts.txt").string(), "--out-dir", (dir / "out").string(),
                                  "--models", tiny_bundle().string(), "--steps", "6", "--size", "32", "32",
                                  "--cutn", "4", "--threads", "1", "--seed", "5"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  // The second shard holds the animation line alone.
  const auto second = run_cli(batch_args({"--shard", "1/2"}));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto out = dir / "out";
  EXPECT_FALSE(std::filesystem::exists(out / "0000-a-red-circle-on-a-blue-background.png"));
  const auto gif = out / "0001-a-green-square-on-a-black-background.gif";
  const auto info = ffprobe_video(gif);
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["streams"][0]["nb_read_frames"], "3");
  const auto frames = out / "0001-a-green-square-on-a-black-background-frames";
  const auto record = read_picture_record(frames / "frame-00002.png");
  EXPECT_EQ(record["animation"]["zoom"], "1.05");
  EXPECT_EQ(record["generation"]["steps"], 2);

  // The whole file: the still is rendered, the animation is already done.
  const auto whole = run_cli(batch_args({}));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_TRUE(std::filesystem::exists(out / "0000-a-red-circle-on-a-blue-background.png"));
  EXPECT_NE(whole.err.find("1 rendered, 1 already done"), std::string::npos) << whole.err;
  std::ifstream manifest(out / "manifest.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(manifest, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["file"], gif.filename().string());
  EXPECT_EQ(lines[0]["frames"], 3);
  EXPECT_EQ(lines[1]["index"], 0);

  // A line's animation options are checked as animate checks them, naming the line.
  {
    std::ofstream prompts(dir / "bad.txt");
    prompts << "a red circle -- --zoom 0:1,4:fast\n";
  }
  const auto bad = run_cli({"--prompts-file", (dir / "bad.txt").string(), "--check"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.txt:1: --zoom keyframe 2 '4:fast'"), std::string::npos) << bad.err;
}

TEST_F(AnimateEndToEnd, KilledAndRunAgainItEndsWithTheUninterruptedFrames) {
  const auto dir = scratch_dir("e2e-animate-kill");
  const auto video = dir / "killed.mp4";
  EXPECT_EQ(run_until_file_then(SIGKILL, animation_args(video), frame_file(video, 1), dir), 128 + SIGKILL)
      << slurp(dir / "stderr");
  EXPECT_FALSE(std::filesystem::exists(video));  // the video waits for every frame
  const auto again = run_cli(animation_args(video));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  expect_whole_frames(video);
  const auto info = ffprobe_video(video);
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["streams"][0]["nb_read_frames"], "6");
}

TEST_F(AnimateEndToEnd, InterruptedItKeepsTheFramesAndAVideoOfThemMarkedInterrupted) {
  const auto dir = scratch_dir("e2e-animate-interrupt");
  const auto video = dir / "stopped.mp4";
  EXPECT_EQ(run_until_file_then(SIGINT, animation_args(video), frame_file(video, 1), dir), 130)
      << slurp(dir / "stderr");
  const auto log = slurp(dir / "stderr");
  EXPECT_NE(log.find("run the same command to go on"), std::string::npos) << log;
  const auto partial = ffprobe_video(video);
  ASSERT_TRUE(partial.is_object());
  const std::string comment = partial["format"]["tags"]["comment"];
  EXPECT_NE(comment.find("interrupted"), std::string::npos) << comment;
  EXPECT_LT(std::stoi(partial["streams"][0]["nb_read_frames"].get<std::string>()), 6);

  const auto again = run_cli(animation_args(video));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  expect_whole_frames(video);
  EXPECT_EQ(ffprobe_video(video)["format"]["tags"]["comment"], "vqclip animate");
}

TEST_F(AnimateEndToEnd, FramesOfOtherSettingsAreRefusedNamingTheOption) {
  const auto dir = scratch_dir("e2e-animate-other");
  std::filesystem::copy(whole_video_->parent_path() / "whole-frames", dir / "other-frames",
                        std::filesystem::copy_options::recursive);
  const auto pulled = run_cli(animation_args(dir / "other.mp4", {"--frame-pull", "0.5"}));
  EXPECT_EQ(pulled.exit_code, 2);
  EXPECT_NE(pulled.err.find("holds frames made with another --frame-pull"), std::string::npos) << pulled.err;
  const auto other_steps = run_cli(animation_args(dir / "other.mp4", {"--steps", "13"}));
  EXPECT_EQ(other_steps.exit_code, 2);
  EXPECT_NE(other_steps.err.find("holds frames made with another --steps"), std::string::npos) << other_steps.err;
}

TEST(AnimateCli, BadSchedulesAndOutputsAreUsageErrorsNamingTheCulprit) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--zoom", "0:1, 30:fast"}, "--zoom keyframe 2 '30:fast': the value is not a finite number"},
      {{"--angle", "10:1, 5:2"}, "--angle keyframe 2 '5:2': frames must increase"},
      {{"-o", "out.avi"}, "--output out.avi: expected a .mp4, .mkv, .webm, .webp or .gif file"},
      {{"--prompt-at", "soon:a blue square"}, "--prompt-at 'soon:a blue square': expected FRAME:TEXT"},
      {{"--prompt-at", "0:a red circle", "--prompt-at", "0:a blue square"},
       "--prompt-at keyframe 2 '0:a blue square': frames must increase"},
      {{"--latent-smoothing", "1"}, "--latent-smoothing 1: expected 0 or more and below 1"},
      {{"--frames", "0"}, "--frames"},
  };
  for (const auto& [options, message] : cases) {
    std::vector<std::string> args{"animate", "-p", kAnimatedPrompt};
    args.insert(args.end(), options.begin(), options.end());
    const auto result = run_cli(args);
    EXPECT_EQ(result.exit_code, 2) << options.front();
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace vqclip::test
