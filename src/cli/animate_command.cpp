// `vqclip animate`: frames rendered each from the one before, saved as
// numbered PNGs with their records, then encoded into a video. Killed at any
// moment, the same command goes on after the last finished frame.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli/command.hpp"
#include "cli/generate_options.hpp"
#include "cli/interrupt.hpp"
#include "cli/option_names.hpp"
#include "cli/progress.hpp"
#include "config/elapsed.hpp"
#include "video/video_writer.hpp"
#include "vqclip/animation.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/render_output.hpp"

namespace vqclip::cli {
namespace {

std::filesystem::path frame_path(const std::filesystem::path& dir, int frame) {
  char name[32];
  std::snprintf(name, sizeof name, "frame-%05d.png", frame);
  return dir / name;
}

UsageError made_otherwise(const std::filesystem::path& dir, const std::string& field) {
  return UsageError("--frames-dir " + dir.string() + " holds frames made with another " + flag_of(field) +
                    "; use another folder, or remove it to start again");
}

// The frames already in the folder from an earlier run of the same command:
// how many (consecutive from 0) and the first frame's generation (`still` of
// its record). Frames of other animation settings are refused, naming the
// first setting that differs.
struct EarlierFrames {
  int count = 0;
  nlohmann::json still;  // null when there is none
};

EarlierFrames earlier_frames(const std::filesystem::path& dir, const AnimationParams& animation) {
  EarlierFrames found;
  while (std::filesystem::exists(frame_path(dir, found.count))) {
    const auto path = frame_path(dir, found.count);
    const auto record = read_picture_record(path);
    if (!record.contains("animation") || !record["animation"].contains("still")) {
      throw UsageError("--frames-dir " + dir.string() + ": " + path.filename().string() +
                       " is not a frame of vqclip animate; use another folder");
    }
    if (const auto differs = first_animation_difference(record["animation"], to_json(animation))) {
      throw made_otherwise(dir, *differs);
    }
    if (found.count == 0) found.still = record["animation"]["still"];
    ++found.count;
  }
  return found;
}

class AnimateCommand : public Command {
 public:
  explicit AnimateCommand(CLI::App& parent) {
    app = parent.add_subcommand("animate", "Render an animation: each frame from the previous one moved, then a video");
    add_generation_options(*app, generation_);
    auto* group = app->add_option_group("Animation");
    group->add_option("-o,--output", video_, "The video: .mp4 (H.264), .mkv, .webm (VP9) or .webp (animated)")
        ->capture_default_str();
    group->add_option("--frames", animation_.frames, "Frames, the first included")->capture_default_str();
    group->add_option("--steps-per-frame", animation_.steps_per_frame,
                      "Steps refining each frame after the first (which gets --steps)")
        ->capture_default_str();
    group->add_option("--fps", animation_.fps, "Frames a second of the video")->capture_default_str();
    group->add_option("--zoom", zoom_, "Zoom a frame: a factor (>1 moves in) or keyframes '0:1, 60:1.04'")
        ->capture_default_str();
    group->add_option("--angle", angle_, "Rotation a frame in degrees, counter-clockwise (or keyframes)")
        ->capture_default_str();
    group->add_option("--translate-x", translate_x_, "Pixels a frame to the right (or keyframes)")->capture_default_str();
    group->add_option("--translate-y", translate_y_, "Pixels a frame downwards (or keyframes)")->capture_default_str();
    group->add_option("--frame-pull", animation_.frame_pull,
                      "Pull of each frame towards the moved previous one (against flicker)")
        ->capture_default_str();
    group->add_option("--frames-dir", frames_dir_, "The numbered frames (default: the video's name + '-frames')");
  }

  int run(const CommonOptions& common) override {
    animation_.motion.zoom = Schedule::parse(zoom_, "zoom");
    animation_.motion.angle = Schedule::parse(angle_, "angle");
    animation_.motion.translate_x = Schedule::parse(translate_x_, "translate_x");
    animation_.motion.translate_y = Schedule::parse(translate_y_, "translate_y");
    validate(animation_);
    validate(generation_);
    const auto extensions = VideoWriter::extensions();
    if (std::find(extensions.begin(), extensions.end(), video_.extension().string()) == extensions.end()) {
      throw UsageError("--output " + video_.string() + ": expected a .mp4, .mkv, .webm or .webp file");
    }
    if (frames_dir_.empty()) frames_dir_ = video_.parent_path() / (video_.stem().string() + "-frames");

    const auto earlier = earlier_frames(frames_dir_, animation_);
    auto asked = generation_;
    if (!asked.seed && earlier.count > 0) {
      asked.seed = earlier.still.value("seed", uint64_t{0});  // go on with the first run's seed
    }
    const auto context = resolve(common.context);
    const auto still = resolve(asked, read_manifest(context.bundle_dir));
    if (earlier.count > 0) {
      if (const auto differs = first_generation_difference(earlier.still, to_json(still))) {
        throw made_otherwise(frames_dir_, *differs);
      }
    }

    if (earlier.count < animation_.frames) {
      const auto outcome = render_frames(common, context, still, earlier.count);
      if (outcome.stopped) {
        const int done = outcome.frames_done;
        spdlog::warn("interrupted after {} of {} frames (kept in {}); run the same command to go on", done,
                     animation_.frames, frames_dir_.string());
        if (done > 0) write_video(done, "interrupted: " + std::to_string(done) + " of " +
                                           std::to_string(animation_.frames) + " frames", context.threads);
        return static_cast<int>(ExitCode::kInterrupted);
      }
    } else {
      spdlog::info("all {} frames are in {}", animation_.frames, frames_dir_.string());
    }
    write_video(animation_.frames, "", context.threads);
    return 0;
  }

 private:
  // Frames `first` on; stopped by Ctrl-C or SIGTERM.
  AnimationResult render_frames(const CommonOptions& common, const ResolvedContext& context, const GenerationParams& still,
                     int first) {
    std::filesystem::create_directories(frames_dir_);
    auto models = load_models(context, ModelParts::for_render(still.needs_vqgan(),
                                                              still.drawer.is_vqgan() && animation_.frames > 1));
    spdlog::info("seed {}; frames {} to {} into {}", *still.seed, first, animation_.frames - 1, frames_dir_.string());
    std::optional<RgbImage> previous;
    if (first > 0) previous = read_image(frame_path(frames_dir_, first - 1));

    std::unique_ptr<Progress> progress;  // the frame in progress's; none between frames
    const auto started = std::chrono::steady_clock::now();
    AnimationCallbacks callbacks;
    callbacks.on_step = [&](const FrameProgress& at) {
      if (!progress) {
        progress = std::make_unique<Progress>(
            common.display, "frame " + std::to_string(at.frame + 1) + "/" + std::to_string(at.frames), at.step.steps);
      }
      progress->step(at.step, std::nullopt);
      return !interrupt_requested();
    };
    callbacks.on_frame = [&](int frame, const RenderResult& result) {
      OutputParams output;
      output.path = frame_path(frames_dir_, frame);
      RenderOutput(output).write_final(result);
      progress->done(result, output.path);
      progress.reset();
    };
    InterruptGuard interrupt_guard;
    const auto outcome = animate(models, still, animation_, callbacks, first, previous);
    progress.reset();
    if (!outcome.stopped) {
      spdlog::info("{} frames in {:.1f} s", animation_.frames - first, seconds_since(started));
    }
    return outcome;
  }

  void write_video(int frames, const std::string& comment, int threads) const {
    const auto started = std::chrono::steady_clock::now();
    const auto first = read_image(frame_path(frames_dir_, 0));
    VideoSettings settings;
    settings.width = first.width;
    settings.height = first.height;
    settings.fps = animation_.fps;
    settings.threads = threads;
    settings.comment = comment.empty() ? "vqclip animate" : "vqclip animate, " + comment;
    VideoWriter writer(video_, settings);
    writer.write(first);
    for (int frame = 1; frame < frames; ++frame) writer.write(read_image(frame_path(frames_dir_, frame)));
    writer.finish();
    spdlog::info("saved {}: {} frames of {}x{} at {} fps, {}; encoded in {:.2f} s", video_.string(), frames,
                 settings.width, settings.height, settings.fps, writer.description(), seconds_since(started));
  }

  GenerationParams generation_;
  AnimationParams animation_;
  std::string zoom_ = "1";
  std::string angle_ = "0";
  std::string translate_x_ = "0";
  std::string translate_y_ = "0";
  std::filesystem::path video_ = "animation.mp4";
  std::filesystem::path frames_dir_;
};

}  // namespace

std::unique_ptr<Command> make_animate_command(CLI::App& parent) { return std::make_unique<AnimateCommand>(parent); }

}  // namespace vqclip::cli
