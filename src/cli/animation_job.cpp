#include "cli/animation_job.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "cli/interrupt.hpp"
#include "cli/option_names.hpp"
#include "cli/progress.hpp"
#include "config/elapsed.hpp"
#include "video/video_writer.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/render_output.hpp"

namespace vqclip::cli {
namespace {

UsageError made_otherwise(const std::filesystem::path& dir, const std::string& field) {
  return UsageError("--frames-dir " + dir.string() + " holds frames made with another " + flag_of(field) +
                    "; use another folder, or remove it to start again");
}

// The frames already in the folder from an earlier run of the same job: how
// many (consecutive from 0) and the first frame's generation (`still` of its
// record). Frames of other animation settings are refused, naming the first
// setting that differs.
struct EarlierFrames {
  int count = 0;
  nlohmann::json still;  // null when there is none
};

EarlierFrames earlier_frames(const std::filesystem::path& dir, const AnimationParams& animation) {
  EarlierFrames found;
  const auto wanted = to_json(animation);
  while (std::filesystem::exists(animation_frame_path(dir, found.count))) {
    const auto path = animation_frame_path(dir, found.count);
    const auto record = read_picture_record(path);
    if (!record.contains("animation") || !record["animation"].contains("still")) {
      throw UsageError("--frames-dir " + dir.string() + ": " + path.filename().string() +
                       " is not a frame of vqclip animate; use another folder");
    }
    if (const auto differs = first_animation_difference(record["animation"], wanted)) {
      throw made_otherwise(dir, *differs);
    }
    if (found.count == 0) found.still = record["animation"]["still"];
    ++found.count;
  }
  return found;
}

}  // namespace

AnimationParams AnimationOptions::params() const {
  auto params = animation;
  params.motion.zoom = Schedule::parse(zoom, "zoom");
  params.motion.angle = Schedule::parse(angle, "angle");
  params.motion.translate_x = Schedule::parse(translate_x, "translate_x");
  params.motion.translate_y = Schedule::parse(translate_y, "translate_y");
  params.prompt_keyframes.clear();
  for (const auto& keyframe : keyframes) params.prompt_keyframes.push_back(parse_prompt_keyframe(keyframe));
  validate(params);
  return params;
}

std::vector<const CLI::Option*> add_animation_options(CLI::App& app, AnimationOptions& options) {
  auto* group = app.add_option_group("Animation");
  auto& animation = options.animation;
  return {
      group->add_option("--frames", animation.frames, "Frames, the first included")->capture_default_str(),
      group->add_option("--steps-per-frame", animation.steps_per_frame,
                        "Steps refining each frame after the first (which gets --steps)")
          ->capture_default_str(),
      group->add_option("--fps", animation.fps, "Frames a second of the video")->capture_default_str(),
      group->add_option("--zoom", options.zoom, "Zoom a frame: a factor (>1 moves in) or keyframes '0:1, 60:1.04'")
          ->capture_default_str(),
      group->add_option("--angle", options.angle, "Rotation a frame in degrees, counter-clockwise (or keyframes)")
          ->capture_default_str(),
      group->add_option("--translate-x", options.translate_x, "Pixels a frame to the right (or keyframes)")
          ->capture_default_str(),
      group->add_option("--translate-y", options.translate_y, "Pixels a frame downwards (or keyframes)")
          ->capture_default_str(),
      group->add_option("--frame-pull", animation.frame_pull,
                        "Pull of each frame towards the moved previous one (against flicker)")
          ->capture_default_str(),
      group->add_option("--latent-smoothing", animation.latent_smoothing,
                        "Share of each frame's starting parameters kept in its picture (0 to below 1; against "
                        "flicker)")
          ->capture_default_str(),
      group->add_option("--prompt-at", options.keyframes,
                        "FRAME:TEXT, repeatable: a keyframed prompt; between keyframes the target moves from one "
                        "text's embedding to the next"),
  };
}

std::filesystem::path animation_frame_path(const std::filesystem::path& dir, int frame) {
  char name[32];
  std::snprintf(name, sizeof name, "frame-%05d.png", frame);
  return dir / name;
}

AnimationRun::AnimationRun(AnimationJob job, const Manifest& manifest) : job_(std::move(job)) {
  const auto earlier = earlier_frames(job_.frames_dir, job_.animation);
  auto asked = job_.generation;
  if (!asked.seed && earlier.count > 0) {
    asked.seed = earlier.still.value("seed", uint64_t{0});  // go on with the first run's seed
  }
  still_ = resolve_animation(asked, job_.animation, manifest);
  if (earlier.count > 0) {
    if (const auto differs = first_generation_difference(earlier.still, to_json(still_))) {
      throw made_otherwise(job_.frames_dir, *differs);
    }
  }
  frames_done_ = earlier.count;
  if (complete()) spdlog::info("all {} frames are in {}", frames_done_, job_.frames_dir.string());
}

bool AnimationRun::render_missing(Models& models, const DisplayOptions& display) {
  const int frames = job_.animation.frames;
  if (complete()) return true;
  std::filesystem::create_directories(job_.frames_dir);
  const int first = frames_done_;
  spdlog::info("seed {}; frames {} to {} into {}", *still_.seed, first, frames - 1, job_.frames_dir.string());
  std::optional<RgbImage> previous;
  if (first > 0) previous = read_image(animation_frame_path(job_.frames_dir, first - 1));

  std::unique_ptr<Progress> progress;  // the frame in progress's; none between frames
  const auto started = std::chrono::steady_clock::now();
  AnimationCallbacks callbacks;
  callbacks.on_step = [&](const FrameProgress& at) {
    if (!progress) {
      progress = std::make_unique<Progress>(
          display, job_.label + "frame " + std::to_string(at.frame + 1) + "/" + std::to_string(at.frames),
          at.step.steps);
    }
    progress->step(at.step, std::nullopt);
    return !interrupt_requested();
  };
  callbacks.on_frame = [&](int frame, const RenderResult& result) {
    OutputParams output;
    output.path = animation_frame_path(job_.frames_dir, frame);
    RenderOutput(output).write_final(result);
    progress->done(result, output.path);
    progress.reset();
  };
  const auto outcome = animate(models, still_, job_.animation, callbacks, first, previous);
  progress.reset();
  frames_done_ = outcome.frames_done;
  if (outcome.stopped) {
    spdlog::warn("interrupted after {} of {} frames (kept in {}); run the same command to go on", frames_done_, frames,
                 job_.frames_dir.string());
    return false;
  }
  spdlog::info("{} frames in {:.1f} s", frames - first, seconds_since(started));
  return true;
}

void AnimationRun::write_video(int threads) const {
  const int frames = frames_done_;
  if (frames == 0) return;
  const std::string comment = complete() ? std::string() : "interrupted: " + std::to_string(frames) + " of " +
                                                             std::to_string(job_.animation.frames) + " frames";
  const auto started = std::chrono::steady_clock::now();
  const auto first = read_image(animation_frame_path(job_.frames_dir, 0));
  VideoSettings settings;
  settings.width = first.width;
  settings.height = first.height;
  settings.fps = job_.animation.fps;
  settings.threads = threads;
  settings.comment = comment.empty() ? "vqclip animate" : "vqclip animate, " + comment;
  VideoWriter writer(job_.video, settings);
  writer.write(first);
  for (int frame = 1; frame < frames; ++frame) writer.write(read_image(animation_frame_path(job_.frames_dir, frame)));
  writer.finish();
  spdlog::info("saved {}: {} frames of {}x{} at {} fps, {}; encoded in {:.2f} s", job_.video.string(), frames,
               settings.width, settings.height, settings.fps, writer.description(), seconds_since(started));
}

}  // namespace vqclip::cli
