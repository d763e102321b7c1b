#pragma once
// One animation rendered into files: numbered frames with their records in a
// folder, then a video. Shared by `vqclip animate` and a batch's animation
// lines. Killed at any moment, running the same job again goes on after the
// last finished frame; the video is assembled only when every frame exists.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/context_options.hpp"
#include "vqclip/animation.hpp"

namespace vqclip::cli {

// The animation options as typed: schedules and keyframes are parsed by params().
struct AnimationOptions {
  AnimationParams animation;
  std::string zoom = "1";
  std::string angle = "0";
  std::string translate_x = "0";
  std::string translate_y = "0";
  std::vector<std::string> keyframes;

  // Throws ParameterError naming the option's field and the keyframe at fault.
  AnimationParams params() const;
};

// The "Animation" group, without the output options. Returns its options (a
// batch line that gives any of them is an animation).
std::vector<const CLI::Option*> add_animation_options(CLI::App& app, AnimationOptions& options);

// "frame-00012.png" in `dir`.
std::filesystem::path animation_frame_path(const std::filesystem::path& dir, int frame);

struct AnimationJob {
  GenerationParams generation;  // as asked: an open seed is the earlier frames' or a random one
  AnimationParams animation;
  std::filesystem::path video;
  std::filesystem::path frames_dir;
  std::string label;            // before the progress line's "frame N/M", e.g. a batch's "[2/5] "
};

class AnimationRun {
 public:
  // Reads the frames already in the folder and resolves the generation
  // (adopting their seed where the job leaves it open). Throws UsageError
  // naming the first setting frames there were made with otherwise.
  AnimationRun(AnimationJob job, const Manifest& manifest);

  const GenerationParams& still() const { return still_; }
  int frames_done() const { return frames_done_; }
  bool complete() const { return frames_done_ >= job_.animation.frames; }

  // Renders the frames the folder lacks, stopped by Ctrl-C or SIGTERM (the
  // InterruptGuard is the caller's). Returns whether every frame is done.
  bool render_missing(Models& models, const DisplayOptions& display);

  // The video of the frames done: every frame, or, stopped, those so far
  // marked interrupted in the video's comment (none at all without a frame).
  void write_video(int threads) const;

 private:
  AnimationJob job_;
  GenerationParams still_;
  int frames_done_ = 0;
};

}  // namespace vqclip::cli
