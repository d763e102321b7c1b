#pragma once
// One picture from loaded models and generation parameters: prompts ->
// targets, the initial latent, the loop, the final picture and its record.
// render() writes no file, draws nothing and installs no signal handler: the
// caller sees each step and previews through callbacks, may stop the run from
// them, and decides what to keep (RenderOutput writes files the usual way).
#include <array>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "vqclip/enum_names.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render_state.hpp"

namespace vqclip {

enum class RenderStatus {
  kCompleted,  // every step done
  kStopped,    // on_step asked to stop; the picture is that of the last step done
  kNonFinite,  // the loss became NaN or infinite; the picture is the last finite one
};

template <>
struct EnumTable<RenderStatus> {
  static constexpr std::array<EnumName<RenderStatus>, 3> names{{{RenderStatus::kCompleted, "completed"},
                                                                {RenderStatus::kStopped, "stopped"},
                                                                {RenderStatus::kNonFinite, "non_finite"}}};
};

struct StepInfo {
  int step = 0;         // steps done, 1-based
  int steps = 0;        // of the run
  double loss = 0;
  double elapsed = 0;   // seconds since the first step of this call started
  int resumed_at = 0;   // steps done before this call (a resumed render)
  double eta() const { return step > resumed_at ? elapsed / (step - resumed_at) * (steps - step) : 0.0; }
};

struct Preview {
  int step = 0;
  int steps = 0;
  const torch::Tensor& picture;   // [1, 3, H, W] in [0, 1] on the models' device
  const nlohmann::json& record;   // the record of the run so far (record.hpp)
};

struct RenderCallbacks {
  // After every step; return false to stop the run there.
  std::function<bool(const StepInfo&)> on_step;
  // Whether to decode a preview after step `step` (1-based), and where it goes.
  // Both are called before on_step for that step.
  std::function<bool(int step, int steps)> wants_preview;
  std::function<void(const Preview&)> on_preview;
  // Whether to hand over the render's state after step `step` (called before
  // on_step), and where it goes. on_state also gets the state when the run
  // ends, completed or stopped, if wants_state is set.
  std::function<bool(int step, int steps)> wants_state;
  std::function<void(const RenderState&)> on_state;
};

struct RenderResult {
  RenderStatus status = RenderStatus::kCompleted;
  GenerationParams params;     // as resolved: the seed and size used
  torch::Tensor picture;       // [1, 3, H, W] in [0, 1] on the CPU
  std::string svg;             // the picture as SVG, for drawers with a vector form; else empty
  nlohmann::json record;       // how the picture was made (record.hpp)
  int steps_done = 0;
  double final_loss = 0;
  double seconds = 0;          // the whole call, targets included
};

// Resolves `params` against the models' bundle (throws ParameterError), then
// renders. Needs models loaded with ModelParts::for_render(params.needs_encoder()).
// A run reproduces bit for bit from its seed on the same machine and thread
// count: every random draw comes from a generator of its own (runtime.hpp).
// Throws InputError (an unreadable image), BundleError (a part missing), or
// InternalError for a bug; a non-finite loss is a status, not an exception.
// With `resume`, the render continues from that state: its seed and micro-batch
// size are taken where params leave them open, and any other difference from
// the render it came from is a ParameterError (check_resumable). The picture
// is the uninterrupted run's, bit for bit, on the same machine and threads.
RenderResult render(Models& models, const GenerationParams& params, const RenderCallbacks& callbacks = {},
                    const RenderState* resume = nullptr);

// Sets the record's "similarity" (and each ensemble CLIP's) to those of
// `picture`, as render() does for its own picture: for callers that change the
// picture after the render (an animation's smoothed frames). `resolved` is
// the render's RenderResult::params.
void score_picture_into_record(Models& models, const GenerationParams& resolved, const torch::Tensor& picture,
                               nlohmann::json& record);

}  // namespace vqclip
