// `vqclip animate`: frames rendered each from the one before, saved as
// numbered PNGs with their records, then encoded into a video. Killed at any
// moment, the same command goes on after the last finished frame.
#include <algorithm>

#include "cli/animation_job.hpp"
#include "cli/command.hpp"
#include "cli/generate_options.hpp"
#include "cli/interrupt.hpp"
#include "video/video_writer.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

class AnimateCommand : public Command {
 public:
  explicit AnimateCommand(CLI::App& parent) {
    app = parent.add_subcommand("animate", "Render an animation: each frame from the previous one moved, then a video");
    add_generation_options(*app, generation_);
    add_animation_options(*app, options_);
    auto* group = app->add_option_group("Animation output");
    group->add_option("-o,--output", video_, "The video: .mp4 (H.264), .mkv, .webm (VP9), or an animated .webp or .gif")
        ->capture_default_str();
    group->add_option("--frames-dir", frames_dir_, "The numbered frames (default: the video's name + '-frames')");
  }

  int run(const CommonOptions& common) override {
    AnimationJob job;
    job.generation = generation_;
    job.animation = options_.params();
    const auto extensions = VideoWriter::extensions();
    if (std::find(extensions.begin(), extensions.end(), video_.extension().string()) == extensions.end()) {
      throw UsageError("--output " + video_.string() + ": expected a " + VideoWriter::extensions_text() + " file");
    }
    job.video = video_;
    job.frames_dir = frames_dir_.empty() ? video_.parent_path() / (video_.stem().string() + "-frames") : frames_dir_;

    const auto context = resolve(common.context);
    AnimationRun animation(job, read_manifest(context.bundle_dir));
    if (!animation.complete()) {
      const auto& still = animation.still();
      auto models = load_models(context, ModelParts::for_render(still.needs_vqgan(),
                                                                still.drawer.is_vqgan() && job.animation.frames > 1));
      InterruptGuard interrupt_guard;
      animation.render_missing(models, common.display);
    }
    animation.write_video(context.threads);
    return animation.complete() ? 0 : static_cast<int>(ExitCode::kInterrupted);
  }

 private:
  GenerationParams generation_;
  AnimationOptions options_;
  std::filesystem::path video_ = "animation.mp4";
  std::filesystem::path frames_dir_;
};

}  // namespace

std::unique_ptr<Command> make_animate_command(CLI::App& parent) { return std::make_unique<AnimateCommand>(parent); }

}  // namespace vqclip::cli
