#include "cli/render_to_files.hpp"

#include <spdlog/spdlog.h>

#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "cli/render_candidates.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {

RenderResult render_to_files(Models& models, const GenerationParams& params, RenderOutput& output,
                             const DisplayOptions& display, const RenderJob& job, const RenderState* resume) {
  if (output.params().candidates > 1) return render_candidates(models, params, output, display, job);
  Progress progress(display, job.progress_label, params.steps, job.job);
  RenderCallbacks callbacks;
  callbacks.wants_preview = [&output](int step, int steps) { return output.wants_preview(step, steps); };
  callbacks.on_preview = [&output](const Preview& preview) { output.write_preview(preview); };
  if (!output.params().state_path.empty()) {
    callbacks.wants_state = [&output](int step, int steps) { return output.wants_state(step, steps); };
    callbacks.on_state = [&output](const RenderState& state) { output.write_state(state); };
  }
  callbacks.on_step = [&](const StepInfo& info) {
    progress.step(info, output.frame_at(info.step));
    return !interrupt_requested() && info.step != job.stop_after;
  };

  auto result = render(models, params, callbacks, resume);
  if (!job.extra_record.is_null()) result.record.update(job.extra_record);
  output.write_final(result);
  progress.done(result, output.params().path);

  const auto& path = output.params().path.string();
  switch (result.status) {
    case RenderStatus::kNonFinite:
      throw InternalError("the loss became non-finite at step " + std::to_string(result.steps_done + 1) +
                          "; the last finite picture was saved to " + path);
    case RenderStatus::kStopped:
      spdlog::warn("interrupted at step {}/{}; the picture so far was saved to {}{}", result.steps_done, params.steps,
                   path, output.params().state_path.empty()
                             ? ""
                             : "; continue with --resume " + output.params().state_path.string());
      break;
    case RenderStatus::kCompleted:
      spdlog::info("saved {} ({} steps, loss {:.4f}, {:.1f} s)", path, result.steps_done, result.final_loss,
                   result.seconds);
      break;
  }
  return result;
}

}  // namespace vqclip::cli
